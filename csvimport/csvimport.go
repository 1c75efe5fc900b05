// Package csvimport turns the CSV files that warehouses, the ministry and
// offline vaccination points exchange into vaxtrace commands, with an exact
// error for every row that cannot be turned into a command.
//
// Every file has a header row with the exact column names of its kind (see
// Columns); the columns may come in any order, a UTF-8 byte order mark is
// tolerated and fields follow RFC 4180 (quoted fields may hold commas, quotes
// and newlines). Values are trimmed of surrounding spaces. Quantities are
// positive integers, dates YYYY-MM-DD, times RFC 3339 or YYYY-MM-DD.
//
// Parse distinguishes two kinds of failure:
//
//   - a structurally broken file (no header, a missing, duplicate or unknown
//     column, bytes that are not UTF-8, a CSV syntax error, rows of differing
//     length) makes Parse return an error naming the line, and nothing of the
//     file should be submitted;
//   - a row whose values cannot be turned into a payload (bad number, bad
//     date, bad IIN, missing value, inconsistent grouped rows) is reported in
//     File.RowErrors and left out of File.Rows; the other rows are fine to
//     submit.
//
// Every data line of a well-formed file ends up in exactly one of two places:
// in the Lines of a Row, or in at least one RowError. Rows are in file order,
// except that places.csv rows are ordered so that a parent defined in the same
// file comes before its children, and doses.csv rows are ordered by the time
// of the dose (stable), so a person's doses arrive in order.
//
// Parse only checks what the file itself says; whether a referenced place,
// lot or agreement exists, whether stock suffices and so on is decided by the
// engine when the commands are submitted.
package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
)

// File kinds.
const (
	KindPlaces     = "places"
	KindAgreements = "agreements"
	KindLots       = "lots"
	KindShipments  = "shipments"
	KindReceipts   = "receipts"
	KindDoses      = "doses"
)

// Command is one command parsed from a file: an idempotency key and a payload.
// Keys are natural: "place:"+id, "agreement:"+id, "lot:"+id,
// "shipment:"+id, "receipt:"+receipt+":"+lot, "person:"+person-id-hex and
// "dose:"+id, so importing the same file twice changes nothing.
type Command struct {
	Key  string
	Data vaxtrace.Payload
	// Recorded is the optional recording time of the row (the "recorded"
	// column of doses, receipts and shipments): when the registry the file
	// comes from knew the record. Zero: now. Only the migration role may
	// submit it (see File.Authorize).
	Recorded time.Time
	// Occurred is when the record happened, for the recording-time rules.
	Occurred time.Time
	// Atomic binds the command to the one before it in its row (a dose to
	// the registration of its new person): see engine.Command.Atomic.
	Atomic bool
}

// Row is what one logical record of the file turned into. For agreements.csv
// and shipments.csv a record groups several lines (one per tranche or lot
// line); for doses.csv a row holds a PersonRegistered (only on the first row
// of each person in the file) followed by its DoseAdministered.
type Row struct {
	Line  int   // first line of the record (1-based; the header is line 1)
	Lines []int // every line that contributed, Line first
	Cmds  []Command
}

// RowError is why one row could not be turned into a payload. Field is the
// column name (empty when the error concerns the whole row).
type RowError struct {
	Line    int
	Field   string
	Message string
	Code    string // vaxtrace error code; empty means EINVALID
}

// Error formats e like "row 7: doses: must be a positive integer".
func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("row %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("row %d: %s: %s", e.Line, e.Field, e.Message)
}

// Err returns e as a domain error (code invalid, field "row N.column").
func (e RowError) Err() error {
	f := "row " + strconv.Itoa(e.Line)
	if e.Field != "" {
		f += "." + e.Field
	}
	code := e.Code
	if code == "" {
		code = vaxtrace.EINVALID
	}
	return &vaxtrace.Error{Code: code, Field: f, Message: e.Message}
}

// File is a parsed file.
type File struct {
	Kind      string
	Columns   []string // header as found in the file
	DataLines int      // number of data records read
	Rows      []Row
	RowErrors []RowError
}

// Commands returns the commands of all rows in order, for engine.SubmitBatch.
func (f *File) Commands(actor vaxtrace.Principal) []engine.Command {
	var out []engine.Command
	for _, r := range f.Rows {
		for j, c := range r.Cmds {
			out = append(out, engine.Command{Key: c.Key, Actor: actor, Data: c.Data, Recorded: c.Recorded, Atomic: c.Atomic && j > 0})
		}
	}
	return out
}

// Authorize moves every row that carries a recording time the principal may
// not give (vaxtrace.CheckRecorded: only the migration role, never in the
// future, never before the record occurred) from Rows to RowErrors, with the
// reason on the row's "recorded" column.
func (f *File) Authorize(p vaxtrace.Principal, now time.Time) {
	kept := f.Rows[:0]
	for _, r := range f.Rows {
		var bad error
		for _, c := range r.Cmds {
			if err := vaxtrace.CheckRecorded(p, "recorded", c.Occurred, c.Recorded, now); err != nil {
				bad = err
				break
			}
		}
		if bad == nil {
			kept = append(kept, r)
			continue
		}
		for _, l := range r.Lines {
			f.RowErrors = append(f.RowErrors, RowError{Line: l, Field: "recorded", Message: vaxtrace.ErrorMessage(bad), Code: vaxtrace.ErrorCode(bad)})
		}
	}
	f.Rows = kept
	slices.SortStableFunc(f.RowErrors, func(a, b RowError) int { return a.Line - b.Line })
}

// Kinds returns the file kinds Parse understands.
func Kinds() []string {
	return []string{KindPlaces, KindAgreements, KindLots, KindShipments, KindReceipts, KindDoses}
}

// KindForFile returns the kind of a file from its name: "places.csv",
// "2021-06-01-doses.csv" and "/x/doses.CSV" are recognised.
func KindForFile(name string) (string, bool) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	base := strings.ToLower(name)
	base, ok := strings.CutSuffix(base, ".csv")
	if !ok {
		return "", false
	}
	for _, k := range Kinds() {
		if base == k || strings.HasSuffix(base, "-"+k) || strings.HasSuffix(base, "_"+k) {
			return k, true
		}
	}
	return "", false
}

type schema struct {
	required []string
	optional []string // columns that may be absent from the header
}

var schemas = map[string]schema{
	KindPlaces:     {required: []string{"id", "kind", "name", "region", "parent"}},
	KindAgreements: {required: []string{"agreement", "supplier", "product", "doses", "signed", "domestic", "tranche", "expected", "tranche_doses"}},
	KindLots:       {required: []string{"lot", "product", "component", "manufacturer", "manufactured", "expiry", "origin", "agreement", "tranche", "doses_per_vial"}, optional: []string{"released"}},
	KindShipments:  {required: []string{"shipment", "from", "to", "dispatched", "lot", "doses"}, optional: []string{"product", "component", "recorded", "received"}},
	KindReceipts:   {required: []string{"receipt", "place", "lot", "doses", "agreement", "tranche", "occurred"}, optional: []string{"recorded"}},
	KindDoses:      {required: []string{"id", "iin", "family", "given", "birth_date", "sex", "region", "group", "at", "place", "lot", "vaccinator", "override"}, optional: []string{"recorded"}},
}

// Columns returns the required and optional columns of kind, for help texts
// and templates.
func Columns(kind string) (required, optional []string, ok bool) {
	s, ok := schemas[kind]
	return slices.Clone(s.required), slices.Clone(s.optional), ok
}

// CountingReader counts the bytes read through it; N may be called from
// another goroutine (a progress bar) while the file is being parsed.
type CountingReader struct {
	r io.Reader
	n atomic.Int64
}

// NewCountingReader wraps r.
func NewCountingReader(r io.Reader) *CountingReader { return &CountingReader{r: r} }

// Read implements io.Reader.
func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// N returns the number of bytes read so far.
func (c *CountingReader) N() int64 { return c.n.Load() }

// structural returns the error for a broken file.
func structural(line int, format string, args ...any) error {
	return &vaxtrace.Error{Code: vaxtrace.EINVALID, Field: "line " + strconv.Itoa(line), Message: fmt.Sprintf(format, args...)}
}

// record is one data record with its columns resolved.
type record struct {
	line int
	vals []string
	idx  map[string]int
}

// get returns the trimmed value of column c ("" if the column is absent).
func (r *record) get(c string) string {
	i, ok := r.idx[c]
	if !ok {
		return ""
	}
	return r.vals[i]
}

// Parse reads a file of the given kind. keys is needed for doses files (to
// turn IINs into person ids and sealed IINs) and may be nil otherwise. The
// returned error is a structural error (see the package documentation) or a
// read error; row problems are in File.RowErrors.
func Parse(kind string, r io.Reader, keys *pii.Keys) (*File, error) {
	var out *File
	err := ParseChunks(kind, r, keys, 0, func(f *File) error { out = f; return nil })
	return out, err
}

// DefaultChunk is the number of records of a doses file parsed and handed
// over at a time by a streaming import: memory stays bounded by the chunk,
// not the file (a national migration has tens of millions of rows).
const DefaultChunk = 50000

// ParseChunks reads a file like Parse but hands it to fn in parts: for a
// doses file, one File per chunk records (chunk <= 0: the whole file at
// once); other kinds, whose records group across lines (agreements,
// shipments) and which are small, always come as one File. Each File's
// DataLines counts its own records, and line numbers are those of the
// whole file. Within a chunk, doses are ordered by time and a person is
// registered once (on their first row of the chunk); a person's earlier
// chunks' registration comes back as a duplicate or conflict of the key
// "person:<id>", which is not an error of the dose row. Checks that span
// rows (duplicate dose ids, one person's details) are made within a chunk;
// across chunks the engine refuses a dose id used twice. A structural error
// stops the parse: chunks already handed to fn stay handed.
func ParseChunks(kind string, r io.Reader, keys *pii.Keys, chunk int, fn func(*File) error) error {
	sc, ok := schemas[kind]
	if !ok {
		return vaxtrace.Errorf(vaxtrace.EINVALID, "unknown file kind %q (one of %s)", kind, strings.Join(Kinds(), ", "))
	}
	if kind == KindDoses && keys == nil {
		return vaxtrace.Errorf(vaxtrace.EINTERNAL, "csvimport: a doses file needs the PII keys")
	}
	if kind != KindDoses {
		chunk = 0
	}
	br := bufio.NewReaderSize(r, 256<<10)
	if err := skipBOM(br); err != nil {
		return err
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return structural(1, "the file is empty; a header row is required: %s", strings.Join(sc.required, ","))
	}
	if err != nil {
		return csvError(err)
	}
	idx, err := checkHeader(header, sc)
	if err != nil {
		return err
	}
	var recs []*record
	emit := func() error {
		f := &File{Kind: kind, Columns: header, DataLines: len(recs)}
		p := parser{f: f}
		switch kind {
		case KindPlaces:
			p.places(recs)
		case KindAgreements:
			p.agreements(recs)
		case KindLots:
			p.lots(recs)
		case KindShipments:
			p.shipments(recs)
		case KindReceipts:
			p.receipts(recs)
		case KindDoses:
			p.doses(recs, keys)
		}
		f.checkText()
		slices.SortStableFunc(f.RowErrors, func(a, b RowError) int { return a.Line - b.Line })
		recs = recs[:0]
		return fn(f)
	}
	sent := false
	for {
		vals, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		for i, v := range vals {
			if !utf8.ValidString(v) {
				l, _ := cr.FieldPos(i)
				return structural(l, "column %q is not valid UTF-8; save the file as \"CSV UTF-8\"", header[i])
			}
			vals[i] = strings.TrimSpace(v)
		}
		if allEmpty(vals) {
			continue // a line of only separators, as spreadsheets write
		}
		recs = append(recs, &record{line: line, vals: vals, idx: idx})
		if chunk > 0 && len(recs) >= chunk {
			if err := emit(); err != nil {
				return err
			}
			sent = true
		}
	}
	if len(recs) > 0 || !sent {
		return emit()
	}
	return nil
}

func allEmpty(vals []string) bool {
	for _, v := range vals {
		if v != "" {
			return false
		}
	}
	return true
}

// skipBOM drops a UTF-8 byte order mark and rejects UTF-16 files early.
func skipBOM(br *bufio.Reader) error {
	b, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return structural(1, "the file is UTF-16 encoded; save it as \"CSV UTF-8\"")
	}
	return nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		line := pe.Line
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			return structural(line, "wrong number of fields (every row must have as many fields as the header)")
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			if pe.StartLine != pe.Line {
				return structural(pe.StartLine, "quoting error: the record starting on this line has a quoted field that is not closed properly (found on line %d, column %d: %v)", pe.Line, pe.Column, pe.Err)
			}
			return structural(line, "quoting error at column %d: %v", pe.Column, pe.Err)
		}
		return structural(line, "%v", pe.Err)
	}
	return err
}

func checkHeader(header []string, sc schema) (map[string]int, error) {
	known := map[string]bool{}
	for _, c := range sc.required {
		known[c] = true
	}
	for _, c := range sc.optional {
		known[c] = true
	}
	idx := map[string]int{}
	var unknown []string
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, structural(1, "the header is not valid UTF-8; save the file as \"CSV UTF-8\"")
		}
		h = strings.TrimSpace(h)
		header[i] = h
		if h == "" {
			return nil, structural(1, "column %d has no name", i+1)
		}
		if !known[h] {
			unknown = append(unknown, h)
			continue
		}
		if _, dup := idx[h]; dup {
			return nil, structural(1, "column %q appears twice", h)
		}
		idx[h] = i
	}
	if len(header) == 1 && strings.Contains(header[0], ";") {
		return nil, structural(1, "the header uses ';' as separator; save the file with ',' as separator (\"CSV UTF-8, comma delimited\")")
	}
	if len(unknown) > 0 {
		var parts []string
		for _, u := range unknown {
			s := strconv.Quote(u)
			for c := range known {
				if strings.EqualFold(c, u) {
					s += fmt.Sprintf(" (did you mean %q?)", c)
				}
			}
			parts = append(parts, s)
		}
		return nil, structural(1, "unknown column(s) %s; the columns are %s", strings.Join(parts, ", "), strings.Join(append(slices.Clone(sc.required), sc.optional...), ","))
	}
	var missing []string
	for _, c := range sc.required {
		if _, ok := idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, structural(1, "missing column(s) %s", strings.Join(missing, ", "))
	}
	return idx, nil
}

// checkText moves every row whose commands carry text the domain refuses
// (control characters, invalid UTF-8, "/" in an id, ...) to RowErrors,
// naming the column, before anything is submitted: an id is reported
// against its column, not as a bad idempotency key made from it.
func (f *File) checkText() {
	kept := f.Rows[:0]
	for _, r := range f.Rows {
		var bad error
		for _, c := range r.Cmds {
			if err := vaxtrace.CheckPayloadText(c.Data); err != nil {
				bad = err
				break
			}
		}
		if bad == nil {
			kept = append(kept, r)
			continue
		}
		for _, l := range r.Lines {
			f.RowErrors = append(f.RowErrors, RowError{Line: l, Field: vaxtrace.ErrorField(bad), Message: vaxtrace.ErrorMessage(bad), Code: vaxtrace.ErrorCode(bad)})
		}
	}
	f.Rows = kept
}
