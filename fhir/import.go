package fhir

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
)

// Entry outcomes.
const (
	Accepted  = "accepted"
	Rejected  = "rejected"
	Duplicate = "duplicate"
	Skipped   = "skipped" // a resource type vaxtrace does not import (Observation, Claim, ...)
)

// EntryResult is what happened to one entry (bundle entry or NDJSON line).
type EntryResult struct {
	Index        int    `json:"index"` // 0-based bundle entry index or NDJSON line number (0-based)
	ResourceType string `json:"resourceType,omitempty"`
	ID           string `json:"id,omitempty"`      // resource id as given
	FullURL      string `json:"fullUrl,omitempty"` // bundle entry fullUrl
	Outcome      string `json:"outcome"`
	Code         string `json:"code,omitempty"`  // vaxtrace error code for rejections
	Field        string `json:"field,omitempty"` // offending FHIR element or engine field
	Reason       string `json:"reason,omitempty"`
	Key          string `json:"key,omitempty"` // idempotency key used
}

// Report summarises an import.
type Report struct {
	Entries    int           `json:"entries"`
	Accepted   int           `json:"accepted"`
	Rejected   int           `json:"rejected"`
	Duplicates int           `json:"duplicates"`
	Skipped    int           `json:"skipped"`
	Results    []EntryResult `json:"results"`
	Truncated  bool          `json:"truncated,omitempty"` // Results was capped at MaxResults
}

// Importer imports FHIR data with explicit fall-backs for foreign data (all
// off when zero). The zero Importer is strict.
type Importer struct {
	// DefaultRegion is used for Patients whose address.state is not a known
	// region code.
	DefaultRegion string
	// DefaultPlace is used for Immunizations whose location does not resolve
	// to a vaxtrace place.
	DefaultPlace string
	// DefaultVaccinator is used for Immunizations without a performer.
	DefaultVaccinator string
	// DefaultLots maps product code to lot id; used only for Immunizations
	// WITHOUT lotNumber. An unknown lotNumber is always rejected.
	DefaultLots map[string]string
	// MaxEntryBytes caps one bundle entry or NDJSON line (default 1 MiB).
	MaxEntryBytes int
	// MaxResults caps Report.Results (default 100,000); counts stay exact.
	MaxResults int
	// BatchSize is the number of commands per engine batch (default 4096;
	// each batch is one group commit, one fsync).
	BatchSize int
	// Recorded, when set, returns the recording time to use for a command
	// (zero: now). By default Immunization.recorded is used when present
	// and the actor has the migration role (the only role that may record
	// in the past; for any other role the registry records when it learns
	// the dose, now).
	Recorded func(resourceType string) time.Time
	// Rejected, when set, is called with every rejected entry as it is
	// decided, however many there are (Report.Results is capped at
	// MaxResults); an error it returns stops the import.
	Rejected func(EntryResult) error
}

// Import imports with a strict Importer. format is "bundle" or "ndjson".
func Import(ctx context.Context, eng *engine.Engine, keys *pii.Keys, actor vaxtrace.Principal, r io.Reader, format string) (Report, error) {
	var im Importer
	return im.Import(ctx, eng, keys, actor, r, format)
}

// entryError is a rejection found before the engine is asked.
type entryError struct {
	code, field, msg string
}

func (e *entryError) Error() string { return e.field + ": " + e.msg }

func invalid(field, format string, args ...any) *entryError {
	return &entryError{code: vaxtrace.EINVALID, field: field, msg: fmt.Sprintf(format, args...)}
}

func notFound(field, format string, args ...any) *entryError {
	return &entryError{code: vaxtrace.ENOTFOUND, field: field, msg: fmt.Sprintf(format, args...)}
}

var errEntryTooLarge = errors.New("entry too large")

// limitReader fails reads past an absolute offset; the importer moves the
// limit forward before each bundle entry so one entry cannot exceed the cap.
type limitReader struct {
	r     io.Reader
	off   int64
	limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.off >= l.limit {
		return 0, errEntryTooLarge
	}
	if rem := l.limit - l.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.off += int64(n)
	return n, err
}

// slot is one entry waiting for its batch: cmds index run.cmds (none when
// the outcome is already known).
type slot struct {
	res  EntryResult
	cmds []int
}

type run struct {
	im      *Importer
	ctx     context.Context
	eng     *engine.Engine
	keys    *pii.Keys
	actor   vaxtrace.Principal
	rep     Report
	refs    map[string]vaxtrace.PersonID // fullUrl / Patient/{id} -> person
	slots   []slot
	cmds    []engine.Command
	pendPat map[vaxtrace.PersonID]bool // persons registered in the pending batch
	codes   map[string][]string        // codeKey(system, code) -> product codes having it
	now     time.Time
	flight  *flight // the batch the engine is committing
}

// Import reads r (format "bundle" or "ndjson") and submits each Patient and
// Immunization as engine commands on behalf of actor. It returns an error
// only when the input as a whole cannot be read (malformed JSON in a
// bundle, an oversized bundle entry, a wrong Bundle type, cancellation);
// per-resource problems are in the Report.
func (im *Importer) Import(ctx context.Context, eng *engine.Engine, keys *pii.Keys, actor vaxtrace.Principal, r io.Reader, format string) (Report, error) {
	ru := &run{im: im, ctx: ctx, eng: eng, keys: keys, actor: actor, refs: map[string]vaxtrace.PersonID{}, pendPat: map[vaxtrace.PersonID]bool{}, now: time.Now()}
	var err error
	switch format {
	case "bundle":
		err = ru.bundle(r)
	case "ndjson":
		err = ru.ndjson(r)
	default:
		return ru.rep, vaxtrace.FieldError("format", "must be bundle or ndjson (got %q)", format)
	}
	if ferr := ru.flush(); err == nil {
		err = ferr
	}
	if werr := ru.wait(); err == nil {
		err = werr
	}
	return ru.rep, err
}

func (im *Importer) maxEntry() int {
	if im.MaxEntryBytes > 0 {
		return im.MaxEntryBytes
	}
	return 1 << 20
}

func (im *Importer) batchSize() int {
	if im.BatchSize > 0 {
		return im.BatchSize
	}
	return 4096
}

// add queues an entry with its commands (none: outcome already known).
func (ru *run) add(res EntryResult, cmds ...engine.Command) error {
	sl := slot{res: res}
	for _, c := range cmds {
		sl.cmds = append(sl.cmds, len(ru.cmds))
		ru.cmds = append(ru.cmds, c)
	}
	ru.slots = append(ru.slots, sl)
	if len(ru.cmds) >= ru.im.batchSize() || len(ru.slots) >= 4*ru.im.batchSize() {
		return ru.flush()
	}
	return nil
}

func (ru *run) record(e EntryResult) error {
	ru.rep.Entries++
	switch e.Outcome {
	case Accepted:
		ru.rep.Accepted++
	case Rejected:
		ru.rep.Rejected++
	case Duplicate:
		ru.rep.Duplicates++
	case Skipped:
		ru.rep.Skipped++
	}
	max := ru.im.MaxResults
	if max <= 0 {
		max = 100000
	}
	if len(ru.rep.Results) >= max {
		ru.rep.Truncated = true
	} else {
		ru.rep.Results = append(ru.rep.Results, e)
	}
	if e.Outcome == Rejected && ru.im.Rejected != nil {
		return ru.im.Rejected(e)
	}
	return nil
}

// flush hands the pending entries to the engine as one batch and, while
// the engine decides and commits it, returns so that the next batch can be
// decoded and resolved; the batch before is waited for first, so batches
// are applied in input order and at most one is in flight.
func (ru *run) flush() error {
	if err := ru.wait(); err != nil {
		return err
	}
	if len(ru.slots) == 0 {
		return ru.ctx.Err()
	}
	f := &flight{slots: ru.slots, cmds: ru.cmds, pend: ru.pendPat, done: make(chan struct{})}
	ru.slots, ru.cmds, ru.pendPat = nil, nil, map[vaxtrace.PersonID]bool{}
	ru.flight = f
	go func() {
		if len(f.cmds) > 0 {
			f.results = ru.eng.SubmitBatch(ru.ctx, f.cmds)
		}
		close(f.done)
	}()
	return ru.ctx.Err()
}

// flight is a batch submitted to the engine and not yet recorded.
type flight struct {
	slots   []slot
	cmds    []engine.Command
	pend    map[vaxtrace.PersonID]bool // people it registers
	results []engine.Result
	done    chan struct{}
}

// pending reports whether a person is registered by an entry not yet
// committed (the batch being built or the one in flight).
func (ru *run) pending(pid vaxtrace.PersonID) bool {
	return ru.pendPat[pid] || (ru.flight != nil && ru.flight.pend[pid])
}

// wait records the outcome of the batch in flight, if any.
func (ru *run) wait() error {
	f := ru.flight
	if f == nil {
		return nil
	}
	<-f.done
	ru.flight = nil
	for _, sl := range f.slots {
		e := sl.res
		if len(sl.cmds) > 0 {
			r := f.results[sl.cmds[0]]
			switch {
			case r.Err != nil:
				e.Outcome, e.Code, e.Field, e.Reason = Rejected, vaxtrace.ErrorCode(r.Err), vaxtrace.ErrorField(r.Err), vaxtrace.ErrorMessage(r.Err)
				if e.Code == vaxtrace.EINTERNAL {
					e.Reason = r.Err.Error()
				}
			case r.Duplicate:
				e.Outcome, e.Reason = Duplicate, "already imported with the same content"
			default:
				e.Outcome = Accepted
			}
			if len(sl.cmds) > 1 && e.Outcome != Rejected {
				if v := f.results[sl.cmds[1]]; v.Err != nil {
					e.Outcome, e.Code, e.Field, e.Reason = Rejected, vaxtrace.ErrorCode(v.Err), vaxtrace.ErrorField(v.Err), "the dose was recorded but voiding it failed: "+vaxtrace.ErrorMessage(v.Err)
				}
			}
		}
		if err := ru.record(e); err != nil {
			return err
		}
	}
	return ru.ctx.Err()
}

func (ru *run) bundle(r io.Reader) error {
	lr := &limitReader{r: r, limit: 1 << 62}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return ru.readErr(err, -1)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return vaxtrace.Errorf(vaxtrace.EINVALID, "a Bundle must be a JSON object")
	}
	sawType := false
	index := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ru.readErr(err, index)
		}
		key, _ := tok.(string)
		switch key {
		case "resourceType":
			var rt string
			if err := dec.Decode(&rt); err != nil {
				return ru.readErr(err, -1)
			}
			if rt != "Bundle" {
				return vaxtrace.FieldError("resourceType", "expected Bundle, got %q (use format ndjson for single resources)", rt)
			}
		case "type":
			var t string
			if err := dec.Decode(&t); err != nil {
				return ru.readErr(err, -1)
			}
			switch t {
			case "transaction", "batch", "collection":
				sawType = true
			default:
				return vaxtrace.FieldError("type", "bundle type %q is not importable (transaction, batch or collection)", t)
			}
		case "entry":
			tok, err := dec.Token()
			if err != nil {
				return ru.readErr(err, index)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return vaxtrace.FieldError("entry", "must be an array")
			}
			for dec.More() {
				if err := ru.ctx.Err(); err != nil {
					return err
				}
				lr.limit = dec.InputOffset() + int64(ru.im.maxEntry()) + 1<<10
				var e BundleEntry
				err := dec.Decode(&e)
				lr.limit = 1 << 62
				if err != nil {
					return ru.readErr(err, index)
				}
				if err := ru.entry(index, e.FullURL, e.Request, e.Resource); err != nil {
					return err
				}
				index++
			}
			if _, err := dec.Token(); err != nil {
				return ru.readErr(err, index)
			}
		default:
			var skip json.RawMessage
			lr.limit = dec.InputOffset() + int64(ru.im.maxEntry()) + 1<<10
			err := dec.Decode(&skip)
			lr.limit = 1 << 62
			if err != nil {
				return ru.readErr(err, -1)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return ru.readErr(err, index)
	}
	if !sawType {
		return vaxtrace.FieldError("type", "required (transaction, batch or collection)")
	}
	return nil
}

func (ru *run) readErr(err error, index int) error {
	if errors.Is(err, errEntryTooLarge) {
		return vaxtrace.FieldError(fmt.Sprintf("entry[%d]", index), "larger than the per-entry limit of %d bytes; import stopped", ru.im.maxEntry())
	}
	if index >= 0 {
		return vaxtrace.FieldError(fmt.Sprintf("entry[%d]", index), "malformed JSON: %v", err)
	}
	return vaxtrace.Errorf(vaxtrace.EINVALID, "malformed JSON: %v", err)
}

// ndjsonItem is one NDJSON line: its entry index and resource, decoded by
// a worker (decoding is most of an import's work, so lines are decoded on
// every core while the entries before them are resolved in order).
type ndjsonItem struct {
	index   int
	raw     []byte
	tooLong bool
	dec     decoded
}

const ndjsonBatch = 512

func (ru *run) ndjson(r io.Reader) error {
	batches := make(chan []ndjsonItem, 2)
	var rerr error
	ctx, cancel := context.WithCancel(ru.ctx)
	defer cancel()
	go func() {
		defer close(batches)
		rerr = readNDJSON(ctx, r, ru.im.maxEntry(), batches)
	}()
	var perr error
	for batch := range batches {
		if perr != nil {
			continue // drain
		}
		for i := range batch {
			it := &batch[i]
			if it.tooLong {
				perr = ru.add(EntryResult{Index: it.index, Outcome: Rejected, Code: vaxtrace.ETOOLARGE, Reason: fmt.Sprintf("line longer than the per-entry limit of %d bytes", ru.im.maxEntry())})
			} else {
				perr = ru.decodedEntry(it.index, "", nil, it.raw, &it.dec)
			}
			if perr != nil {
				cancel()
				break
			}
		}
	}
	if perr != nil {
		return perr
	}
	if err := ru.ctx.Err(); err != nil {
		return err
	}
	return rerr
}

// readNDJSON splits r into lines (blank lines are not entries), decodes
// each batch of lines on every core and sends the batches in order.
func readNDJSON(ctx context.Context, r io.Reader, max int, out chan<- []ndjsonItem) error {
	br := bufio.NewReaderSize(r, 64<<10)
	workers := min(runtime.GOMAXPROCS(0), 4)
	batch := make([]ndjsonItem, 0, ndjsonBatch)
	send := func() bool {
		if len(batch) == 0 {
			return true
		}
		var wg sync.WaitGroup
		per := (len(batch) + workers - 1) / workers
		for lo := 0; lo < len(batch); lo += per {
			hi := min(lo+per, len(batch))
			wg.Add(1)
			go func(part []ndjsonItem) {
				defer wg.Done()
				for i := range part {
					if !part[i].tooLong {
						part[i].dec = decodeEntry(part[i].raw)
					}
				}
			}(batch[lo:hi])
		}
		wg.Wait()
		select {
		case out <- batch:
		case <-ctx.Done():
			return false
		}
		batch = make([]ndjsonItem, 0, ndjsonBatch)
		return true
	}
	var line []byte
	for index := 0; ; index++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line = line[:0]
		tooLong := false
		var rerr error
		for {
			frag, err := br.ReadSlice('\n')
			if !tooLong {
				if len(line)+len(frag) > max+1 {
					tooLong = true
					line = line[:0]
				} else {
					line = append(line, frag...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			rerr = err
			break
		}
		if rerr != nil && rerr != io.EOF {
			return rerr
		}
		t := bytes.TrimSpace(line)
		switch {
		case tooLong:
			batch = append(batch, ndjsonItem{index: index, tooLong: true})
		case len(t) == 0:
			index-- // blank lines are not entries
		default:
			batch = append(batch, ndjsonItem{index: index, raw: bytes.Clone(t)})
		}
		if rerr == io.EOF {
			send()
			return nil
		}
		if len(batch) == ndjsonBatch && !send() {
			return ctx.Err()
		}
	}
}

// decoded is an entry's resource, decoded once whatever its type.
type decoded struct {
	u    anyResource
	uerr error // the resource is not a well-formed Patient/Immunization shape
	herr error // not even its type could be read
}

// decodeEntry decodes the two resource types vaxtrace imports at once;
// other types (whose fields may clash, e.g. Organization.name is a string)
// fall back to reading the type alone.
func decodeEntry(raw []byte) decoded {
	var d decoded
	if decodeFast(raw, &d.u) {
		return d
	}
	d.u = anyResource{}
	if d.uerr = json.Unmarshal(raw, &d.u); d.uerr != nil {
		d.u = anyResource{}
		var head struct {
			ResourceType *string `json:"resourceType"`
			ID           string  `json:"id"`
		}
		d.herr = json.Unmarshal(raw, &head)
		d.u.ResourceType, d.u.ID = head.ResourceType, head.ID
	}
	return d
}

// entry handles one resource; it returns an error only for fatal problems.
func (ru *run) entry(index int, fullURL string, req *BundleRequest, raw json.RawMessage) error {
	var d decoded
	if len(raw) > 0 && string(raw) != "null" {
		d = decodeEntry(raw)
	}
	return ru.decodedEntry(index, fullURL, req, raw, &d)
}

// decodedEntry handles one resource already decoded.
func (ru *run) decodedEntry(index int, fullURL string, req *BundleRequest, raw json.RawMessage, d *decoded) error {
	res := EntryResult{Index: index, FullURL: fullURL}
	reject := func(e *entryError) error {
		res.Outcome, res.Code, res.Field, res.Reason = Rejected, e.code, e.field, e.msg
		return ru.add(res)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return reject(invalid("resource", "entry has no resource"))
	}
	u, uerr := &d.u, d.uerr
	if err := d.herr; err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); ok {
			return reject(invalid("resource", "%v", err))
		}
		return reject(invalid("resource", "malformed JSON: %v", err))
	}
	if u.ResourceType == nil || *u.ResourceType == "" {
		return reject(invalid("resourceType", "required"))
	}
	res.ResourceType, res.ID = *u.ResourceType, u.ID
	if req != nil && req.Method != "" && req.Method != "POST" && req.Method != "PUT" {
		return reject(invalid("request.method", "only POST and PUT entries can be imported (got %s)", req.Method))
	}
	switch res.ResourceType {
	case "Patient":
		if uerr != nil {
			return reject(invalid("Patient", "%v", uerr))
		}
		p := u.patient()
		cmd, pid, e := ru.patient(&p)
		if e != nil {
			return reject(e)
		}
		if fullURL != "" {
			ru.refs[fullURL] = pid
		}
		if p.ID != "" {
			ru.refs["Patient/"+p.ID] = pid
		}
		ru.refs["Patient/"+pid.String()] = pid
		if cmd == nil {
			res.Outcome, res.Reason, res.Key = Duplicate, "a person with this identifier is already registered (details are not compared; updates are not imported)", "person:"+pid.String()
			return ru.add(res)
		}
		res.Key = cmd.Key
		ru.pendPat[pid] = true
		return ru.add(res, *cmd)
	case "Immunization":
		if uerr != nil {
			return reject(invalid("Immunization", "%v", uerr))
		}
		m := u.immunization()
		cmds, e := ru.immunization(&m, fullURL)
		if e != nil {
			return reject(e)
		}
		res.Key = cmds[0].Key
		return ru.add(res, cmds...)
	default:
		res.Outcome, res.Reason = Skipped, "resource type "+res.ResourceType+" is not imported (only Patient and Immunization)"
		return ru.add(res)
	}
}

// ---- Patient ----

func hasSystem(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SyntheticPersonID is the person id of someone registered without an IIN,
// from one of their identifiers (see the package comment).
func SyntheticPersonID(keys *pii.Keys, system, value string) vaxtrace.PersonID {
	return keys.ID("fhir-identifier:" + system + "|" + value)
}

func (ru *run) patient(p *Patient) (*engine.Command, vaxtrace.PersonID, *entryError) {
	var none vaxtrace.PersonID
	var person vaxtrace.Person
	var iin string
	for i, id := range p.Identifier {
		if hasSystem(id.System, IINSystemAliases) {
			if err := vaxtrace.ValidateIIN(id.Value); err != nil {
				return nil, none, invalid(fmt.Sprintf("identifier[%d].value", i), "%s", vaxtrace.ErrorMessage(err))
			}
			iin = id.Value
			break
		}
	}
	switch {
	case iin != "":
		pid, sealed, err := ru.keys.Person(iin)
		if err != nil {
			return nil, none, invalid("identifier", "%s", vaxtrace.ErrorMessage(err))
		}
		person.ID, person.IINSealed = pid, sealed
	default:
		for i, id := range p.Identifier {
			if id.System == PersonSystem {
				pid, err := vaxtrace.ParsePersonID(id.Value)
				if err != nil {
					return nil, none, invalid(fmt.Sprintf("identifier[%d].value", i), "a %s identifier must be 32 hex digits", PersonSystem)
				}
				person.ID = pid
				break
			}
		}
		if person.ID.IsZero() {
			for _, id := range p.Identifier {
				if id.System != "" && id.Value != "" {
					person.ID = SyntheticPersonID(ru.keys, id.System, id.Value)
					break
				}
			}
		}
		if person.ID.IsZero() {
			return nil, none, invalid("identifier", "a Patient needs an IIN (%s) or another identifier with system and value", IINSystem)
		}
	}
	if len(p.Name) == 0 {
		return nil, none, invalid("name", "required")
	}
	n := p.Name[0]
	for _, x := range p.Name {
		if x.Use == "official" {
			n = x
			break
		}
	}
	person.Family = n.Family
	person.Given = strings.Join(n.Given, " ")
	if person.Family == "" {
		return nil, none, invalid("name.family", "required")
	}
	switch p.Gender {
	case "male":
		person.Sex = vaxtrace.SexMale
	case "female":
		person.Sex = vaxtrace.SexFemale
	case "other", "unknown", "":
		person.Sex = vaxtrace.SexUnknown
	default:
		return nil, none, invalid("gender", "must be male, female, other or unknown (got %q)", p.Gender)
	}
	if p.BirthDate == "" {
		return nil, none, invalid("birthDate", "required")
	}
	bd, err := vaxtrace.ParseDate(p.BirthDate)
	if err != nil {
		return nil, none, invalid("birthDate", "must be a full date YYYY-MM-DD (got %q)", p.BirthDate)
	}
	person.BirthDate = bd
	for _, x := range p.Extension {
		if x.URL == GroupExtension {
			person.Group = x.ValueCode
		}
	}
	var exists bool
	ru.eng.Read(func(s *vaxtrace.State) {
		for _, a := range p.Address {
			if a.State != "" && s.Region(a.State) != nil {
				person.Region = a.State
				break
			}
		}
		exists = s.Person(person.ID) != nil
	})
	if person.Region == "" {
		if ru.im.DefaultRegion == "" {
			st := ""
			if len(p.Address) > 0 {
				st = p.Address[0].State
			}
			return nil, none, notFound("address.state", "%q is not a vaxtrace region code and no default import region is configured", st)
		}
		person.Region = ru.im.DefaultRegion
	}
	if exists || ru.pending(person.ID) {
		return nil, person.ID, nil
	}
	if err := person.Validate(); err != nil {
		return nil, none, invalid(vaxtrace.ErrorField(err), "%s", vaxtrace.ErrorMessage(err))
	}
	return &engine.Command{Key: "person:" + person.ID.String(), Actor: ru.actor, Data: vaxtrace.PersonRegistered{Person: person}}, person.ID, nil
}

// ---- Immunization ----

func doseIDFor(m *Immunization, fullURL string) string {
	for _, id := range m.Identifier {
		if id.System == DoseSystem && id.Value != "" {
			return id.Value
		}
	}
	var src string
	switch {
	case strings.HasPrefix(fullURL, "urn:uuid:") || strings.HasPrefix(fullURL, "urn:oid:"):
		src = fullURL
	case len(m.Identifier) > 0 && m.Identifier[0].Value != "":
		src = m.Identifier[0].System + "|" + m.Identifier[0].Value
	case fullURL != "":
		src = fullURL
	case m.ID != "":
		src = "Immunization/" + m.ID
	default:
		return ""
	}
	h := sha256.Sum256([]byte(src))
	return "fhir-" + hex.EncodeToString(h[:16])
}

// ParseDateTime parses an R4 dateTime that names at least a day; a bare
// date is taken as 00:00 UTC.
func ParseDateTime(s string) (time.Time, error) {
	if len(s) == 10 {
		d, err := vaxtrace.ParseDate(s)
		if err != nil {
			return time.Time{}, err
		}
		return d.Time(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a FHIR dateTime with a day and, if a time is given, a time zone", s)
	}
	return t, nil
}

func (ru *run) immunization(m *Immunization, fullURL string) ([]engine.Command, *entryError) {
	switch m.Status {
	case "":
		return nil, invalid("status", "required")
	case "completed", "entered-in-error":
	case "not-done":
		return nil, invalid("status", "not-done immunizations are not recorded in vaxtrace (no dose was given)")
	default:
		return nil, invalid("status", "must be completed, entered-in-error or not-done (got %q)", m.Status)
	}
	if m.VaccineCode == nil || len(m.VaccineCode.Coding) == 0 {
		return nil, invalid("vaccineCode", "required, with at least one coding")
	}
	if m.Patient == nil || (m.Patient.Reference == "" && m.Patient.Identifier == nil) {
		return nil, invalid("patient", "required")
	}
	if m.OccurrenceDateTime == "" {
		if m.OccurrenceString != "" {
			return nil, invalid("occurrenceString", "a free-text occurrence (%q) cannot be recorded; occurrenceDateTime is required", m.OccurrenceString)
		}
		return nil, invalid("occurrenceDateTime", "required")
	}
	at, err := ParseDateTime(m.OccurrenceDateTime)
	if err != nil {
		return nil, invalid("occurrenceDateTime", "%v", err)
	}
	var recorded time.Time
	if m.Recorded != "" && ru.actor.Role == vaxtrace.RoleMigration {
		// the time the source registry knew the dose, kept by a migration
		// only; any other role records it when vaxtrace learns it (now)
		if recorded, err = ParseDateTime(m.Recorded); err != nil {
			return nil, invalid("recorded", "%v", err)
		}
		if err := vaxtrace.CheckRecorded(ru.actor, "recorded", at, recorded, ru.now); err != nil {
			return nil, invalid("recorded", "%s", vaxtrace.ErrorMessage(err))
		}
	}
	if ru.im.Recorded != nil {
		recorded = ru.im.Recorded("Immunization")
	}
	id := doseIDFor(m, fullURL)
	if id == "" {
		return nil, invalid("identifier", "an Immunization needs an identifier, an id or a bundle fullUrl to derive a stable dose id")
	}
	if len(id) > 64 {
		return nil, invalid("identifier", "dose id longer than 64 characters")
	}
	dose := vaxtrace.DoseAdministered{ID: id, At: at}
	for _, x := range m.Extension {
		if x.URL == OverrideExtension {
			dose.Override = x.ValueString
		}
	}
	// vaccinator
	if len(m.Performer) > 0 {
		a := m.Performer[0].Actor
		for _, p := range m.Performer {
			if p.Function != nil && len(p.Function.Coding) > 0 && p.Function.Coding[0].Code == performerAPCode {
				a = p.Actor
				break
			}
		}
		switch {
		case a.Identifier != nil && a.Identifier.Value != "":
			dose.Vaccinator = a.Identifier.Value
		case a.Display != "":
			dose.Vaccinator = a.Display
		default:
			dose.Vaccinator = a.Reference
		}
	}
	if dose.Vaccinator == "" {
		dose.Vaccinator = ru.im.DefaultVaccinator
	}
	if dose.Vaccinator == "" {
		return nil, invalid("performer", "required: who gave the dose (performer.actor)")
	}
	var e *entryError
	ru.eng.Read(func(s *vaxtrace.State) {
		// product
		if ru.codes == nil {
			ru.codes = productCodes(s)
		}
		var prod *vaxtrace.Product
		prod, e = ru.product(s, m)
		if e != nil {
			return
		}
		dose.Product = prod.Code
		// patient
		pid, ok := ru.resolvePatient(s, m.Patient)
		if !ok {
			e = notFound("patient", "reference %q does not resolve to a registered person or a Patient earlier in this input", refString(m.Patient))
			return
		}
		dose.Person = pid
		// place
		if m.Location != nil {
			if m.Location.Identifier != nil && m.Location.Identifier.System == PlaceSystem {
				dose.Place = m.Location.Identifier.Value
				if s.Place(dose.Place) == nil {
					e = notFound("location.identifier", "unknown place %q", dose.Place)
					return
				}
			} else if r := m.Location.Reference; strings.HasPrefix(r, "Location/") && s.Place(strings.TrimPrefix(r, "Location/")) != nil {
				dose.Place = strings.TrimPrefix(r, "Location/")
			}
		}
		if dose.Place == "" {
			dose.Place = ru.im.DefaultPlace
		}
		if dose.Place == "" {
			e = notFound("location", "the location does not resolve to a vaxtrace place and no default import place is configured")
			return
		}
		// lot
		if m.LotNumber != "" {
			dose.Lot = m.LotNumber
			if l := s.Lot(dose.Lot); l == nil {
				e = notFound("lotNumber", "unknown lot %q (lots must be registered before doses from them are recorded)", dose.Lot)
				return
			}
		} else {
			dose.Lot = ru.im.DefaultLots[prod.Code]
			if dose.Lot == "" {
				e = invalid("lotNumber", "required (no default lot is configured for %s)", prod.Code)
				return
			}
		}
	})
	if e != nil {
		return nil, e
	}
	cmds := []engine.Command{{Key: "dose:" + id, Actor: ru.actor, Data: dose, Recorded: recorded}}
	if m.Status == "entered-in-error" {
		why := "entered in error (FHIR import)"
		for _, x := range m.Extension {
			if x.URL == VoidExtension && x.ValueString != "" {
				why = x.ValueString
			}
		}
		cmds = append(cmds, engine.Command{Key: "void:" + id, Actor: ru.actor, Data: vaxtrace.DoseVoided{Dose: id, Reason: why}, Recorded: recorded})
	}
	return cmds, nil
}

func refString(r *Reference) string {
	if r.Reference != "" {
		return r.Reference
	}
	if r.Identifier != nil {
		return r.Identifier.System + "|" + r.Identifier.Value
	}
	return ""
}

func (ru *run) resolvePatient(s *vaxtrace.State, r *Reference) (vaxtrace.PersonID, bool) {
	if pid, ok := ru.refs[r.Reference]; ok && r.Reference != "" {
		return pid, true
	}
	if r.Identifier != nil && r.Identifier.Value != "" {
		var pid vaxtrace.PersonID
		switch {
		case hasSystem(r.Identifier.System, IINSystemAliases):
			if vaxtrace.ValidateIIN(r.Identifier.Value) != nil {
				return pid, false
			}
			pid = ru.keys.ID(r.Identifier.Value)
		case r.Identifier.System == PersonSystem:
			var err error
			if pid, err = vaxtrace.ParsePersonID(r.Identifier.Value); err != nil {
				return pid, false
			}
		default:
			pid = SyntheticPersonID(ru.keys, r.Identifier.System, r.Identifier.Value)
		}
		return pid, s.Person(pid) != nil || ru.pending(pid)
	}
	if hexID, ok := strings.CutPrefix(r.Reference, "Patient/"); ok {
		if pid, err := vaxtrace.ParsePersonID(hexID); err == nil && (s.Person(pid) != nil || ru.pending(pid)) {
			return pid, true
		}
	}
	return vaxtrace.PersonID{}, false
}

// codeKey normalises a coding for product look-up (CVX codes without
// leading zeros: "08" and "8" are the same code).
func codeKey(system, code string) string {
	if system == CVXSystem {
		code = strings.TrimLeft(code, "0")
	}
	return system + "|" + code
}

// productCodes indexes the catalog by every code that names a product:
// vaxtrace's own product code, CVX, ICD-11 and the EU DCC product code, and
// SNOMED CT (which names the product or only the kind of vaccine: SNOMED
// 1119349007 is every COVID-19 mRNA vaccine). A code may name several
// products (CVX 510 is both Sinopharm BIBP and Hayat-Vax); the look-up
// keeps them all and lets the other codings, the manufacturer and the lot
// decide.
func productCodes(s *vaxtrace.State) map[string][]string {
	m := map[string][]string{}
	put := func(k, v string) {
		for _, x := range m[k] {
			if x == v {
				return
			}
		}
		m[k] = append(m[k], v)
	}
	for _, p := range s.Products() {
		put(codeKey(ProductSystem, p.Code), p.Code)
		if p.Codes.CVX != "" {
			put(codeKey(CVXSystem, p.Codes.CVX), p.Code)
		}
		if p.Codes.ICD11 != "" {
			put(codeKey(ICD11System, p.Codes.ICD11), p.Code)
		}
		if p.Codes.DCCProduct != "" {
			put(codeKey(DCCEUSystem, p.Codes.DCCProduct), p.Code)
			put(codeKey(DCCOtherSystem, p.Codes.DCCProduct), p.Code)
		}
		if p.Codes.SNOMED != "" {
			put(codeKey(SNOMEDSystem, p.Codes.SNOMED), p.Code)
		} else if vp := p.Codes.DCCProphylaxis; isDigits(vp) {
			put(codeKey(SNOMEDSystem, vp), p.Code)
		}
	}
	return m
}
