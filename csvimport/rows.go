package csvimport

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/pii"
)

// maxID is the longest id the domain accepts for places, lots and doses.
const maxID = 64

type parser struct {
	f *File
}

// rowCtx collects the errors of one record.
type rowCtx struct {
	p    *parser
	rec  *record
	errs int
}

func (p *parser) row(rec *record) *rowCtx { return &rowCtx{p: p, rec: rec} }

func (c *rowCtx) fail(field, format string, args ...any) {
	c.errs++
	c.p.f.RowErrors = append(c.p.f.RowErrors, RowError{Line: c.rec.line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// failErr records a domain error, keeping its field when it has one.
func (c *rowCtx) failErr(field string, err error) {
	var e *vaxtrace.Error
	if errors.As(err, &e) {
		if e.Field != "" {
			field = e.Field
		}
		c.fail(field, "%s", e.Message)
		return
	}
	c.fail(field, "%v", err)
}

func (c *rowCtx) ok() bool { return c.errs == 0 }

func (c *rowCtx) opt(col string) string { return c.rec.get(col) }

func (c *rowCtx) req(col string) string {
	v := c.rec.get(col)
	if v == "" {
		c.fail(col, "required")
	}
	return v
}

// id is a required identifier of at most maxID characters.
func (c *rowCtx) id(col string) string {
	v := c.req(col)
	if len(v) > maxID {
		c.fail(col, "at most %d characters", maxID)
	}
	return v
}

func (c *rowCtx) qty(col string) int64 {
	v := c.rec.get(col)
	if v == "" {
		c.fail(col, "required")
		return 0
	}
	n, ok := positive(v)
	if !ok {
		c.fail(col, "must be a positive integer")
	}
	return n
}

// optQty is a positive integer or empty (0).
func (c *rowCtx) optQty(col string) int64 {
	if c.rec.get(col) == "" {
		return 0
	}
	return c.qty(col)
}

func positive(v string) (int64, bool) {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

func (c *rowCtx) date(col string) vaxtrace.Date {
	v := c.rec.get(col)
	if v == "" {
		c.fail(col, "required")
		return 0
	}
	d, err := vaxtrace.ParseDate(v)
	if err != nil {
		c.fail(col, "must be a date YYYY-MM-DD (got %q)", v)
	}
	return d
}

func (c *rowCtx) time(col string) time.Time {
	v := c.rec.get(col)
	if v == "" {
		c.fail(col, "required")
		return time.Time{}
	}
	t, err := vaxtrace.ParseTime(v)
	if err != nil {
		c.fail(col, "must be a time in RFC 3339 (2021-03-19T10:00:00+06:00) or a date YYYY-MM-DD (got %q)", v)
	}
	return t
}

// recorded parses the optional "recorded" column (when the registry the
// file comes from knew the record) against the row's occurrence time.
func (c *rowCtx) recorded(occurred time.Time) time.Time {
	v := c.rec.get("recorded")
	if v == "" {
		return time.Time{}
	}
	t, err := vaxtrace.ParseRecorded(v, occurred)
	if err != nil {
		c.fail("recorded", "must be a time in RFC 3339 (2021-03-19T10:00:00+06:00) or a date YYYY-MM-DD, the day it was known (got %q)", v)
		return time.Time{}
	}
	return t
}

func (c *rowCtx) bool(col string) bool {
	v := c.rec.get(col)
	b, ok := parseBool(v)
	if !ok {
		c.fail(col, "must be true or false (got %q)", v)
	}
	return b
}

func parseBool(v string) (b, ok bool) {
	switch strings.ToLower(v) {
	case "", "false", "no", "n", "0":
		return false, true
	case "true", "yes", "y", "1":
		return true, true
	}
	return false, false
}

func (c *rowCtx) oneOf(col string, required bool, allowed ...string) string {
	v := c.rec.get(col)
	if v == "" {
		if required {
			c.fail(col, "required (one of %s)", strings.Join(allowed, ", "))
		}
		return ""
	}
	if !slices.Contains(allowed, v) {
		c.fail(col, "must be one of %s (got %q)", strings.Join(allowed, ", "), v)
	}
	return v
}

// maxListed bounds the line numbers listed in one message, so that a large
// broken group does not produce quadratic output.
const maxListed = 10

// lines formats line numbers as "2, 5, 7" (at most maxListed of them).
func lines(ls []int) string {
	n := min(len(ls), maxListed)
	s := make([]string, n)
	for i, l := range ls[:n] {
		s[i] = strconv.Itoa(l)
	}
	out := strings.Join(s, ", ")
	if len(ls) > n {
		out += fmt.Sprintf(" and %d more", len(ls)-n)
	}
	return out
}

func plural(ls []int) string {
	if len(ls) == 1 {
		return "row"
	}
	return "rows"
}

// dupCheck reports the first line that used key.
type dupCheck map[string]int

func (d dupCheck) check(c *rowCtx, col, key, what string) {
	if key == "" {
		return
	}
	if first, ok := d[key]; ok {
		c.fail(col, "duplicate %s %q (first on row %d)", what, key, first)
		return
	}
	d[key] = c.rec.line
}

// ---- places ----

func (p *parser) places(recs []*record) {
	type item struct {
		line  int
		place vaxtrace.Place
	}
	var items []item
	seen := dupCheck{}
	for _, rec := range recs {
		c := p.row(rec)
		pl := vaxtrace.Place{
			ID:     c.id("id"),
			Kind:   c.oneOf("kind", true, vaxtrace.PlaceNational, vaxtrace.PlaceRegional, vaxtrace.PlacePoint),
			Name:   c.req("name"),
			Region: c.opt("region"),
			Parent: c.opt("parent"),
		}
		seen.check(c, "id", pl.ID, "place")
		if (pl.Kind == vaxtrace.PlaceRegional || pl.Kind == vaxtrace.PlacePoint) && pl.Region == "" {
			c.fail("region", "required for a %s place", pl.Kind)
		}
		if pl.Kind == vaxtrace.PlacePoint && pl.Parent == "" {
			c.fail("parent", "required: a vaccination point needs its supplying warehouse")
		}
		if pl.Parent != "" && pl.Parent == pl.ID {
			c.fail("parent", "a place cannot supply itself")
		}
		if c.ok() {
			if err := pl.Validate(); err != nil {
				c.failErr("", err)
			}
		}
		if c.ok() {
			items = append(items, item{rec.line, pl})
		}
	}
	// Parents defined in this file come before their children.
	byID := map[string]int{}
	for i, it := range items {
		byID[it.place.ID] = i
	}
	state := make([]uint8, len(items)) // 0 new, 1 visiting, 2 done
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return // done, or a cycle (the engine will reject the unknown parent)
		}
		state[i] = 1
		if j, ok := byID[items[i].place.Parent]; ok {
			visit(j)
		}
		state[i] = 2
		it := items[i]
		p.f.Rows = append(p.f.Rows, Row{Line: it.line, Lines: []int{it.line}, Cmds: []Command{{Key: "place:" + it.place.ID, Data: vaxtrace.PlaceDefined{Place: it.place}}}})
	}
	for i := range items {
		visit(i)
	}
}

// ---- agreements ----

// group is a set of records sharing a key (agreement, shipment).
type group struct {
	key   string
	lines []int
	bad   []int // lines with errors
	ok    []*rowCtx
}

type groups struct {
	order []*group
	by    map[string]*group
}

func (g *groups) add(key string, c *rowCtx) *group {
	if g.by == nil {
		g.by = map[string]*group{}
	}
	gr := g.by[key]
	if gr == nil {
		gr = &group{key: key}
		g.by[key] = gr
		g.order = append(g.order, gr)
	}
	gr.lines = append(gr.lines, c.rec.line)
	return gr
}

// block reports every good row of a group that is not submitted because of
// errors on its other rows.
func (p *parser) block(gr *group, col, what string) {
	for _, c := range gr.ok {
		p.f.RowErrors = append(p.f.RowErrors, RowError{Line: c.rec.line, Field: col,
			Message: fmt.Sprintf("not submitted: %s %q has errors on %s %s", what, gr.key, plural(gr.bad), lines(gr.bad))})
	}
}

// consistent checks that col has the same value on every row of a group
// (compared with the first row); it returns false after reporting a mismatch.
func consistent(gr *group, c *rowCtx, first *rowCtx, col, what string) {
	if first == nil || first == c {
		return
	}
	a, b := first.rec.get(col), c.rec.get(col)
	if a != b {
		c.fail(col, "%q differs from %q on row %d; every row of %s %q (rows %s) must give the same %s", b, a, first.rec.line, what, gr.key, lines(gr.lines), col)
	}
}

func (p *parser) agreements(recs []*record) {
	var gs groups
	type parsed struct {
		c  *rowCtx
		a  vaxtrace.Agreement
		t  *vaxtrace.Tranche
		gr *group
	}
	var rows []parsed
	// first pass: group lines so that messages can name all rows
	for _, rec := range recs {
		c := p.row(rec)
		if id := rec.get("agreement"); id != "" {
			rows = append(rows, parsed{c: c, gr: gs.add(id, c)})
		} else {
			rows = append(rows, parsed{c: c})
		}
	}
	firsts := map[*group]*rowCtx{}
	tranches := map[*group]dupCheck{}
	for i := range rows {
		r := &rows[i]
		c := r.c
		r.a = vaxtrace.Agreement{
			ID:       c.req("agreement"),
			Supplier: c.req("supplier"),
			Product:  c.req("product"),
			Doses:    c.qty("doses"),
			Signed:   c.date("signed"),
			Domestic: c.bool("domestic"),
		}
		tid, exp, td := c.opt("tranche"), c.opt("expected"), c.opt("tranche_doses")
		if tid == "" && exp == "" && td == "" && r.gr != nil && len(r.gr.lines) > 1 {
			c.fail("tranche", "required: agreement %q has several rows (%s) and each row is one tranche", r.gr.key, lines(r.gr.lines))
		} else if tid != "" || exp != "" || td != "" {
			t := vaxtrace.Tranche{ID: c.req("tranche"), Expected: c.date("expected"), Doses: c.qty("tranche_doses")}
			if c.rec.get("signed") != "" && c.rec.get("expected") != "" && c.ok() && t.Expected < r.a.Signed {
				c.fail("expected", "%s is before the agreement was signed (%s)", t.Expected, r.a.Signed)
			}
			r.t = &t
		}
		if r.gr != nil {
			first := firsts[r.gr]
			if first == nil {
				firsts[r.gr] = c
			}
			for _, col := range []string{"supplier", "product", "doses", "signed"} {
				consistent(r.gr, c, first, col, "agreement")
			}
			fd, _ := parseBool(first0(first, c).rec.get("domestic"))
			if cd, ok := parseBool(c.rec.get("domestic")); first != nil && ok && fd != cd {
				c.fail("domestic", "%q differs from %q on row %d; every row of agreement %q (rows %s) must give the same domestic", c.rec.get("domestic"), first.rec.get("domestic"), first.rec.line, r.gr.key, lines(r.gr.lines))
			}
			if tranches[r.gr] == nil {
				tranches[r.gr] = dupCheck{}
			}
			if r.t != nil {
				tranches[r.gr].check(c, "tranche", r.t.ID, "tranche of agreement "+strconv.Quote(r.gr.key)+":")
			}
		}
		if r.gr != nil {
			if c.ok() {
				r.gr.ok = append(r.gr.ok, c)
			} else {
				r.gr.bad = append(r.gr.bad, c.rec.line)
			}
		}
	}
	built := map[*group]*vaxtrace.Agreement{}
	for _, r := range rows {
		if r.gr == nil || len(r.gr.bad) > 0 {
			continue
		}
		a := built[r.gr]
		if a == nil {
			a = new(vaxtrace.Agreement)
			*a = r.a
			built[r.gr] = a
		}
		if r.t != nil {
			a.Tranches = append(a.Tranches, *r.t)
		}
	}
	for _, gr := range gs.order {
		if len(gr.bad) > 0 {
			p.block(gr, "agreement", "agreement")
			continue
		}
		a := built[gr]
		var sum int64
		for _, t := range a.Tranches {
			sum += t.Doses
		}
		if sum > a.Doses {
			for _, l := range gr.lines {
				p.f.RowErrors = append(p.f.RowErrors, RowError{Line: l, Field: "tranche_doses",
					Message: fmt.Sprintf("the tranches of agreement %q (rows %s) total %d doses, more than the %d contracted", gr.key, lines(gr.lines), sum, a.Doses)})
			}
			continue
		}
		if err := a.Validate(); err != nil {
			for _, l := range gr.lines {
				p.f.RowErrors = append(p.f.RowErrors, RowError{Line: l, Field: "agreement",
					Message: fmt.Sprintf("agreement %q (rows %s): %s", gr.key, lines(gr.lines), err.Error())})
			}
			continue
		}
		p.f.Rows = append(p.f.Rows, Row{Line: gr.lines[0], Lines: gr.lines, Cmds: []Command{{Key: "agreement:" + a.ID, Data: vaxtrace.AgreementSigned{Agreement: *a}}}})
	}
}

// ---- lots ----

func (p *parser) lots(recs []*record) {
	seen := dupCheck{}
	for _, rec := range recs {
		c := p.row(rec)
		l := vaxtrace.Lot{
			ID:           c.id("lot"),
			Product:      c.req("product"),
			Component:    c.req("component"),
			Manufacturer: c.req("manufacturer"),
			Manufactured: c.date("manufactured"),
			Expiry:       c.date("expiry"),
			Origin:       c.oneOf("origin", true, vaxtrace.OriginImport, vaxtrace.OriginDomestic),
			Agreement:    c.opt("agreement"),
			Tranche:      c.opt("tranche"),
			DosesPerVial: int(c.optQty("doses_per_vial")),
		}
		seen.check(c, "lot", l.ID, "lot")
		var released vaxtrace.Date
		if c.opt("released") != "" {
			released = c.date("released")
			if c.ok() && released < l.Manufactured {
				c.fail("released", "%s is before the manufacture date %s", released, l.Manufactured)
			}
		}
		if c.ok() && l.Expiry <= l.Manufactured {
			c.fail("expiry", "%s is not after the manufacture date %s", l.Expiry, l.Manufactured)
		}
		if l.Origin == vaxtrace.OriginImport && l.Agreement == "" {
			c.fail("agreement", "required: an imported lot must name its agreement")
		}
		if l.Tranche != "" && l.Agreement == "" {
			c.fail("agreement", "required when a tranche is given")
		}
		if l.DosesPerVial > 1000 {
			c.fail("doses_per_vial", "at most 1000")
		}
		if c.ok() {
			if err := l.Validate(); err != nil {
				var e *vaxtrace.Error
				if errors.As(err, &e) && e.Field == "id" {
					err = vaxtrace.FieldError("lot", "%s", e.Message)
				}
				c.failErr("", err)
			}
		}
		if c.ok() {
			cmds := []Command{{Key: "lot:" + l.ID, Data: vaxtrace.LotRegistered{Lot: l}}}
			if released != 0 {
				cmds = append(cmds, Command{Key: "release:" + l.ID, Data: vaxtrace.LotReleased{Lot: l.ID, Occurred: released}})
			}
			p.f.Rows = append(p.f.Rows, Row{Line: rec.line, Lines: []int{rec.line}, Cmds: cmds})
		}
	}
}

// ---- shipments ----

func (p *parser) shipments(recs []*record) {
	var gs groups
	var ctxs []*rowCtx
	var grs []*group
	for _, rec := range recs {
		c := p.row(rec)
		ctxs = append(ctxs, c)
		if id := rec.get("shipment"); id != "" {
			grs = append(grs, gs.add(id, c))
		} else {
			grs = append(grs, nil)
		}
	}
	type line struct {
		c       *rowCtx
		lot     string
		prod    string
		comp    string
		n       int64
		at      time.Time
		rec     time.Time
		arrived time.Time // all of it received then (the optional "received" column)
	}
	firsts := map[*group]*rowCtx{}
	lots := map[*group]dupCheck{}
	var parsed []line
	for i, c := range ctxs {
		gr := grs[i]
		c.req("shipment")
		c.req("from")
		to := c.req("to")
		if to != "" && to == c.opt("from") {
			c.fail("to", "must differ from the origin")
		}
		l := line{c: c, at: c.time("dispatched"), lot: c.opt("lot"), n: c.qty("doses")}
		l.rec = c.recorded(l.at)
		if c.opt("received") != "" {
			l.arrived = c.time("received")
			if !l.arrived.IsZero() && !l.at.IsZero() && l.arrived.Before(l.at) {
				c.fail("received", "is before the shipment was dispatched")
			}
		}
		if l.lot == "" {
			l.prod, l.comp = c.opt("product"), c.opt("component")
			if l.prod == "" {
				c.fail("lot", "required, or give product (and component) to pick lots first-expiry-first-out")
			}
		}
		if gr != nil {
			first := firsts[gr]
			if first == nil {
				firsts[gr] = c
			}
			for _, col := range []string{"from", "to", "dispatched", "recorded", "received"} {
				consistent(gr, c, first, col, "shipment")
			}
			if len(gr.lines) > 1 && l.lot == "" {
				c.fail("lot", "required: shipment %q has several rows (%s); only a one-row shipment may leave the lot empty to pick first-expiry-first-out", gr.key, lines(gr.lines))
			}
			if lots[gr] == nil {
				lots[gr] = dupCheck{}
			}
			lots[gr].check(c, "lot", l.lot, "lot in shipment "+strconv.Quote(gr.key)+":")
			if c.ok() {
				gr.ok = append(gr.ok, c)
			} else {
				gr.bad = append(gr.bad, c.rec.line)
			}
		}
		parsed = append(parsed, l)
	}
	out := map[*group]*vaxtrace.ShipmentDispatched{}
	recTimes := map[*group]time.Time{}
	arrivals := map[*group]time.Time{}
	for i, l := range parsed {
		gr := grs[i]
		if gr == nil || len(gr.bad) > 0 {
			continue
		}
		s := out[gr]
		if s == nil {
			s = &vaxtrace.ShipmentDispatched{Shipment: gr.key, From: l.c.opt("from"), To: l.c.opt("to"), Occurred: l.at, Lines: []vaxtrace.ShipmentLine{}}
			out[gr] = s
			recTimes[gr] = l.rec
			arrivals[gr] = l.arrived
		}
		if l.lot == "" {
			s.Product, s.Component, s.Doses = l.prod, l.comp, l.n
			continue
		}
		s.Lines = append(s.Lines, vaxtrace.ShipmentLine{Lot: l.lot, Doses: l.n})
	}
	for _, gr := range gs.order {
		if len(gr.bad) > 0 {
			p.block(gr, "shipment", "shipment")
			continue
		}
		s := out[gr]
		if len(s.Lines) == 0 {
			s.Lines = nil
		}
		cmds := []Command{{Key: "shipment:" + s.Shipment, Data: *s, Recorded: recTimes[gr], Occurred: s.Occurred}}
		if at := arrivals[gr]; !at.IsZero() {
			rec := recTimes[gr]
			if !rec.IsZero() && rec.Before(at) {
				rec = at // recorded no earlier than it arrived
			}
			cmds = append(cmds, Command{Key: "arrival:" + s.Shipment, Data: vaxtrace.ShipmentReceived{Shipment: s.Shipment, Occurred: at}, Recorded: rec, Occurred: at})
		}
		p.f.Rows = append(p.f.Rows, Row{Line: gr.lines[0], Lines: gr.lines, Cmds: cmds})
	}
}

// ---- receipts ----

func (p *parser) receipts(recs []*record) {
	seen := dupCheck{}
	for _, rec := range recs {
		c := p.row(rec)
		v := vaxtrace.StockReceived{
			Receipt:   c.req("receipt"),
			Place:     c.req("place"),
			Lot:       c.req("lot"),
			Doses:     c.qty("doses"),
			Agreement: c.opt("agreement"),
			Tranche:   c.opt("tranche"),
			Occurred:  c.time("occurred"),
		}
		if v.Receipt != "" && v.Lot != "" {
			seen.check(c, "lot", v.Receipt+":"+v.Lot, "receipt line (receipt:lot)")
		}
		if v.Tranche != "" && v.Agreement == "" {
			c.fail("agreement", "required when a tranche is given")
		}
		recorded := c.recorded(v.Occurred)
		if c.ok() {
			p.f.Rows = append(p.f.Rows, Row{Line: rec.line, Lines: []int{rec.line}, Cmds: []Command{{Key: "receipt:" + v.Receipt + ":" + v.Lot, Data: v, Recorded: recorded, Occurred: v.Occurred}}})
		}
	}
}

// ---- doses ----

func (p *parser) doses(recs []*record, keys *pii.Keys) {
	type item struct {
		line   int
		iin    string
		person vaxtrace.Person
		dose   vaxtrace.DoseAdministered
		rec    time.Time
	}
	var items []item
	ids := dupCheck{}
	people := map[vaxtrace.PersonID]*rowCtx{}
	minBirth := vaxtrace.MkDate(1890, 1, 1)
	for _, rec := range recs {
		c := p.row(rec)
		it := item{line: rec.line}
		d := &it.dose
		d.ID = c.id("id")
		ids.check(c, "id", d.ID, "dose id")
		iin := c.opt("iin")
		if iin == "" {
			c.fail("iin", "required")
		} else if err := vaxtrace.ValidateIIN(iin); err != nil {
			c.failErr("iin", err)
		} else {
			it.iin = iin
			d.Person = keys.ID(iin)
		}
		pr := &it.person
		pr.ID = d.Person
		pr.Family = c.req("family")
		pr.Given = c.opt("given")
		if len(pr.Family) > 100 {
			c.fail("family", "at most 100 characters")
		}
		if len(pr.Given) > 100 {
			c.fail("given", "at most 100 characters")
		}
		pr.BirthDate = c.date("birth_date")
		if pr.BirthDate != 0 && pr.BirthDate < minBirth {
			c.fail("birth_date", "before 1890")
		}
		sex := strings.ToUpper(c.opt("sex"))
		switch sex {
		case vaxtrace.SexMale, vaxtrace.SexFemale, vaxtrace.SexUnknown:
			pr.Sex = sex
		case "":
			c.fail("sex", "required (M, F or U)")
		default:
			c.fail("sex", "must be M, F or U (got %q)", c.opt("sex"))
		}
		pr.Region = c.req("region")
		pr.Group = c.oneOf("group", false, vaxtrace.PriorityGroups...)
		d.At = c.time("at")
		if c.opt("at") != "" && c.opt("birth_date") != "" && !d.At.IsZero() && pr.BirthDate != 0 && vaxtrace.DateOf(d.At) < pr.BirthDate {
			c.fail("at", "is before the birth date")
		}
		d.Place = c.req("place")
		d.Lot = c.req("lot")
		d.Vaccinator = c.req("vaccinator")
		d.Override = c.opt("override")
		it.rec = c.recorded(d.At)
		if !pr.ID.IsZero() {
			if first := people[pr.ID]; first == nil {
				people[pr.ID] = c
			} else {
				for _, col := range []string{"family", "given", "birth_date", "region", "group"} {
					if first.rec.get(col) != c.rec.get(col) {
						c.fail(col, "%q differs from %q on row %d for the same IIN", c.rec.get(col), first.rec.get(col), first.rec.line)
					}
				}
				if !strings.EqualFold(first.rec.get("sex"), c.rec.get("sex")) {
					c.fail("sex", "%q differs from %q on row %d for the same IIN", c.rec.get("sex"), first.rec.get("sex"), first.rec.line)
				}
			}
		}
		if c.ok() {
			items = append(items, it)
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.dose.At.Compare(b.dose.At) })
	// every row of a person carries the registration (sealed once, so the
	// rows after the first are duplicates of it), bound to the row's dose:
	// a refused dose registers nobody, and the person's next row still can
	sealed := map[vaxtrace.PersonID]vaxtrace.Person{}
	for _, it := range items {
		var cmds []Command
		pr, ok := sealed[it.person.ID]
		if !ok {
			pr = it.person
			pr.IINSealed = keys.Seal(it.iin)
			sealed[pr.ID] = pr
		}
		cmds = append(cmds, Command{Key: "person:" + pr.ID.String(), Data: vaxtrace.PersonRegistered{Person: pr}, Recorded: it.rec})
		cmds = append(cmds, Command{Key: "dose:" + it.dose.ID, Data: it.dose, Recorded: it.rec, Occurred: it.dose.At, Atomic: true})
		p.f.Rows = append(p.f.Rows, Row{Line: it.line, Lines: []int{it.line}, Cmds: cmds})
	}
}

func first0(first, c *rowCtx) *rowCtx {
	if first == nil {
		return c
	}
	return first
}
