package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// matrixRoles are the callers of the role × endpoint matrix: every role
// with a token, and no token at all ("").
var matrixRoles = []string{"admin", "migration", "akm", "p1", "auditor", "public", ""}

// matrixSeed adds what the matrix's writes refer to: a point in each
// region with stock, shipments in transit to each, people and doses in
// each region.
func (f *fixture) matrixSeed() (pa, pb, pc, pd vaxtrace.PersonID) {
	ctx := context.Background()
	for name, p := range map[string]vaxtrace.Principal{
		"migration": {Name: "migration", Role: vaxtrace.RoleMigration},
		"public":    {Name: "public", Role: vaxtrace.RolePublic},
	} {
		secret, hash := NewToken()
		if err := f.j.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: p, Created: time.Now().Unix()}); err != nil {
			f.t.Fatal(err)
		}
		f.tokens[name] = secret
	}
	person := func(prefix, region string) vaxtrace.PersonID {
		id, sealed, err := f.keys.Person(iin(f.t, prefix))
		if err != nil {
			f.t.Fatal(err)
		}
		p := vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: sealed, Family: "Test", Given: prefix, BirthDate: day("1970-01-02"), Sex: vaxtrace.SexFemale, Region: region}}
		if res := f.eng.Submit(ctx, engine.Command{Key: "person:" + id.String(), Actor: admin, Data: p}); res.Err != nil {
			f.t.Fatal(res.Err)
		}
		return id
	}
	pa, pb, pc, pd = person("70010240001", "KZ-AKM"), person("70010240002", "KZ-ALA"), person("70010240003", "KZ-AKM"), person("70010240004", "KZ-ALA")
	f.must(
		vaxtrace.ShipmentDispatched{Shipment: "S6", From: "ALA-W", To: "ALA-P1", Occurred: at("2021-01-28T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 100}}},
		vaxtrace.ShipmentReceived{Shipment: "S6", Occurred: at("2021-01-28T15:00:00Z")},
		vaxtrace.ShipmentDispatched{Shipment: "S7", From: "AKM-W", To: "AKM-P1", Occurred: at("2021-01-29T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 10}}},
		vaxtrace.ShipmentDispatched{Shipment: "S8", From: "ALA-W", To: "ALA-P1", Occurred: at("2021-01-29T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 10}}},
		vaxtrace.DoseAdministered{ID: "D-A", Person: pa, At: at("2021-02-01T05:00:00Z"), Place: "AKM-P1", Lot: "L1", Vaccinator: "nurse A"},
		vaxtrace.DoseAdministered{ID: "D-B", Person: pb, At: at("2021-02-01T05:00:00Z"), Place: "ALA-P1", Lot: "L1", Vaccinator: "nurse B"},
		vaxtrace.LotSuspended{Lot: "L2", Reason: "signal"},
	)
	return
}

type matrixReq struct {
	method, path string
	body         any
}

// access classes: who may make a write.
const (
	national = iota // admin and migration only
	scoped          // admin, migration, and region/point within their scope
	regional        // like scoped, but a vaccination point may not
)

type matrixCase struct {
	name    string
	class   int
	setup   func(f *fixture)
	in, out func(ids matrixIDs) matrixReq
	// wantOut overrides the refusal status of the out-of-scope request for
	// a role (404 where the API does not reveal that the target exists).
	wantOut map[string]int
	// pointIn overrides the point's in-scope result.
	pointIn int
}

type matrixIDs struct{ pa, pb, pc, pd string }

func matrixCases() []matrixCase {
	newIIN, _ := vaxtrace.CompleteIIN("70010240005")
	ts := "2021-02-02T05:00:00Z"
	receipt := map[string]any{"receipt": "R9", "place": "NAT", "lot": "L1", "doses": 10, "agreement": "A1", "tranche": "T1", "occurred": ts}
	same := func(r matrixReq) func(matrixIDs) matrixReq { return func(matrixIDs) matrixReq { return r } }
	return []matrixCase{
		{name: "define product", class: national, in: same(matrixReq{"POST", "/api/v1/products", map[string]any{"code": "px", "name": "PX", "components": []any{map[string]any{"code": "1"}}, "series_doses": 1, "presentations": []any{map[string]any{"doses_per_vial": 1}}}})},
		{name: "define region", class: national, in: same(matrixReq{"POST", "/api/v1/regions", map[string]any{"code": "KZ-X", "names": map[string]any{"en": "X"}, "population": 10}})},
		{name: "create point", class: regional,
			in:  same(matrixReq{"POST", "/api/v1/places", map[string]any{"id": "AKM-P9", "kind": "point", "name": "P9", "region": "KZ-AKM", "parent": "AKM-W"}}),
			out: same(matrixReq{"POST", "/api/v1/places", map[string]any{"id": "ALA-P9", "kind": "point", "name": "P9", "region": "KZ-ALA", "parent": "ALA-W"}})},
		{name: "create regional warehouse in another region without parent", class: regional,
			in:  same(matrixReq{"POST", "/api/v1/places", map[string]any{"id": "AKM-W9", "kind": "regional", "name": "W9", "region": "KZ-AKM"}}),
			out: same(matrixReq{"POST", "/api/v1/places", map[string]any{"id": "ALA-W9", "kind": "regional", "name": "W9", "region": "KZ-ALA"}})},
		{name: "create point in another region under own warehouse", class: regional,
			in:  same(matrixReq{"POST", "/api/v1/places", map[string]any{"id": "AKM-P9", "kind": "point", "name": "P9", "region": "KZ-AKM", "parent": "AKM-W"}}),
			out: same(matrixReq{"POST", "/api/v1/places", map[string]any{"id": "ALA-P9", "kind": "point", "name": "P9", "region": "KZ-ALA", "parent": "AKM-W"}})},
		{name: "move place", class: national, in: same(matrixReq{"POST", "/api/v1/places/AKM-P2/move", map[string]any{"region": "KZ-ALA", "from": "2021-03-01"}})},
		{name: "sign agreement", class: national, in: same(matrixReq{"POST", "/api/v1/agreements", map[string]any{"id": "A9", "supplier": "X", "product": "sputnik-v", "doses": 10, "signed": "2021-01-01"}})},
		{name: "register lot", class: national, in: same(matrixReq{"POST", "/api/v1/lots", map[string]any{"id": "L9", "product": "sputnik-v", "component": "I", "manufacturer": "X", "manufactured": "2021-01-01", "expiry": "2022-01-01", "origin": "domestic"}})},
		{name: "release lot", class: national, setup: func(f *fixture) {
			f.must(vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: "L9", Product: "sputnik-v", Component: "I", Manufacturer: "X", Manufactured: day("2021-01-01"), Expiry: day("2022-01-01"), Origin: vaxtrace.OriginDomestic}})
		}, in: same(matrixReq{"POST", "/api/v1/lots/L9/release", map[string]any{"occurred": "2021-02-01"}})},
		{name: "suspend lot", class: national, in: same(matrixReq{"POST", "/api/v1/lots/L1/suspend", map[string]any{"reason": "recall"}})},
		{name: "reinstate lot", class: national, in: same(matrixReq{"POST", "/api/v1/lots/L2/reinstate", map[string]any{"reason": "cleared"}})},
		{name: "receive stock", class: national, in: same(matrixReq{"POST", "/api/v1/receipts", receipt})},
		{name: "dispatch", class: regional,
			in:  same(matrixReq{"POST", "/api/v1/shipments", map[string]any{"shipment": "S9", "from": "AKM-W", "to": "AKM-P1", "occurred": ts, "lines": []any{map[string]any{"lot": "L1", "doses": 5}}}}),
			out: same(matrixReq{"POST", "/api/v1/shipments", map[string]any{"shipment": "S9", "from": "ALA-W", "to": "ALA-P1", "occurred": ts, "lines": []any{map[string]any{"lot": "L1", "doses": 5}}}})},
		{name: "receive shipment", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/shipments/S7/receive", map[string]any{"occurred": ts}}),
			out: same(matrixReq{"POST", "/api/v1/shipments/S8/receive", map[string]any{"occurred": ts}})},
		{name: "write off", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/adjustments", map[string]any{"place": "AKM-P1", "lot": "L1", "delta": -1, "reason": "wastage", "occurred": ts}}),
			out: same(matrixReq{"POST", "/api/v1/adjustments", map[string]any{"place": "ALA-P1", "lot": "L1", "delta": -1, "reason": "wastage", "occurred": ts}})},
		{name: "count", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/counts", map[string]any{"place": "AKM-P1", "lot": "L1", "counted": 3, "occurred": ts}}),
			out: same(matrixReq{"POST", "/api/v1/counts", map[string]any{"place": "ALA-P1", "lot": "L1", "counted": 3, "occurred": ts}})},
		{name: "report excursion", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/excursions", map[string]any{"excursion": "X9", "place": "AKM-P1", "min_c": 9, "max_c": 12, "minutes": 30, "occurred": ts}}),
			out: same(matrixReq{"POST", "/api/v1/excursions", map[string]any{"excursion": "X9", "place": "ALA-P1", "min_c": 9, "max_c": 12, "minutes": 30, "occurred": ts}})},
		{name: "resolve excursion", class: scoped, setup: func(f *fixture) {
			f.must(vaxtrace.ExcursionReported{Excursion: "XA", Place: "AKM-P1", MinC: 9, MaxC: 12, Minutes: 30, Occurred: at(ts)},
				vaxtrace.ExcursionReported{Excursion: "XB", Place: "ALA-P1", MinC: 9, MaxC: 12, Minutes: 30, Occurred: at(ts)})
		},
			in:  same(matrixReq{"POST", "/api/v1/excursions/XA/resolve", map[string]any{"lot": "L1", "decision": "release", "occurred": "2021-02-02T06:00:00Z"}}),
			out: same(matrixReq{"POST", "/api/v1/excursions/XB/resolve", map[string]any{"lot": "L1", "decision": "release", "occurred": "2021-02-02T06:00:00Z"}})},
		{name: "register person", class: scoped, wantOut: map[string]int{"p1": 201},
			in:  same(matrixReq{"POST", "/api/v1/people", map[string]any{"iin": newIIN, "family": "A", "given": "B", "birth_date": "1970-01-02", "sex": "F", "region": "KZ-AKM"}}),
			out: same(matrixReq{"POST", "/api/v1/people", map[string]any{"iin": newIIN, "family": "A", "given": "B", "birth_date": "1970-01-02", "sex": "F", "region": "KZ-ALA"}})},
		{name: "update person", class: scoped, wantOut: map[string]int{"akm": 404, "p1": 404},
			in: func(ids matrixIDs) matrixReq {
				return matrixReq{"POST", "/api/v1/people/" + ids.pa + "/update", map[string]any{"given": "New", "reason": "typo"}}
			},
			out: func(ids matrixIDs) matrixReq {
				return matrixReq{"POST", "/api/v1/people/" + ids.pb + "/update", map[string]any{"given": "New", "reason": "typo"}}
			}},
		{name: "move person to another region", class: scoped,
			in: func(ids matrixIDs) matrixReq {
				return matrixReq{"POST", "/api/v1/people/" + ids.pa + "/update", map[string]any{"given": "New", "reason": "typo"}}
			},
			out: func(ids matrixIDs) matrixReq {
				return matrixReq{"POST", "/api/v1/people/" + ids.pa + "/update", map[string]any{"region": "KZ-ALA", "reason": "moved"}}
			}},
		{name: "merge people", class: national, in: func(ids matrixIDs) matrixReq {
			return matrixReq{"POST", "/api/v1/people/merge", map[string]any{"into": ids.pa, "from": ids.pc, "reason": "duplicate"}}
		}},
		{name: "record dose", class: scoped,
			in: func(ids matrixIDs) matrixReq {
				return matrixReq{"POST", "/api/v1/doses", map[string]any{"id": "D9", "person": ids.pc, "at": ts, "place": "AKM-P1", "lot": "L1", "vaccinator": "n"}}
			},
			out: func(ids matrixIDs) matrixReq {
				return matrixReq{"POST", "/api/v1/doses", map[string]any{"id": "D9", "person": ids.pc, "at": ts, "place": "ALA-P1", "lot": "L1", "vaccinator": "n"}}
			}},
		{name: "void dose", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/doses/D-A/void", map[string]any{"reason": "error"}}),
			out: same(matrixReq{"POST", "/api/v1/doses/D-B/void", map[string]any{"reason": "error"}})},
		{name: "correct dose", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/doses/D-A/correct", map[string]any{"at": "2021-02-01T06:00:00Z", "reason": "time"}}),
			out: same(matrixReq{"POST", "/api/v1/doses/D-B/correct", map[string]any{"at": "2021-02-01T06:00:00Z", "reason": "time"}})},
		{name: "correct dose onto a person outside scope", class: scoped,
			in: func(ids matrixIDs) matrixReq {
				return matrixReq{"POST", "/api/v1/doses/D-A/correct", map[string]any{"person": ids.pc, "reason": "wrong person"}}
			},
			out: func(ids matrixIDs) matrixReq {
				return matrixReq{"POST", "/api/v1/doses/D-A/correct", map[string]any{"person": ids.pd, "reason": "wrong person"}}
			}},
		{name: "close session", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/sessions", map[string]any{"session": "SS9", "place": "AKM-P1", "date": "2021-02-01", "lot": "L1", "vials_opened": 1}}),
			out: same(matrixReq{"POST", "/api/v1/sessions", map[string]any{"session": "SS9", "place": "ALA-P1", "date": "2021-02-01", "lot": "L1", "vials_opened": 1}})},
		{name: "report AEFI", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/aefi", map[string]any{"id": "E9", "dose": "D-A", "description": "fever", "onset": "2021-02-01T10:00:00Z"}}),
			out: same(matrixReq{"POST", "/api/v1/aefi", map[string]any{"id": "E9", "dose": "D-B", "description": "fever", "onset": "2021-02-01T10:00:00Z"}})},
		{name: "set target", class: national, in: same(matrixReq{"POST", "/api/v1/targets", map[string]any{"id": "t9", "measure": "first", "from": "2021-02-01", "to": "2021-03-01", "value": 10}})},
		{name: "submit tally", class: scoped,
			in:  same(matrixReq{"POST", "/api/v1/tallies", map[string]any{"place": "AKM-P1", "date": "2021-02-01", "product": "sputnik-v", "dose_number": 1, "count": 5}}),
			out: same(matrixReq{"POST", "/api/v1/tallies", map[string]any{"place": "ALA-P1", "date": "2021-02-01", "product": "sputnik-v", "dose_number": 1, "count": 5}})},
	}
}

// want is the expected result of role on a case's in- or out-of-scope
// request: 0 for success (2xx and one more journal entry), else the status.
func (c matrixCase) want(role string, inScope bool) int {
	switch role {
	case "admin", "migration":
		return 0
	case "auditor", "public", "":
		return http.StatusForbidden // no token is the public role
	}
	if c.class == national || c.class == regional && role == "p1" {
		return http.StatusForbidden
	}
	if inScope {
		if role == "p1" && c.pointIn != 0 {
			return c.pointIn
		}
		return 0
	}
	if w, ok := c.wantOut[role]; ok {
		if w == http.StatusCreated || w == http.StatusOK {
			return 0
		}
		return w
	}
	return http.StatusForbidden
}

// TestRoleEndpointMatrix: every role × every write endpoint, in and out of
// the caller's scope. A refusal has the expected status and writes
// nothing; a success writes.
func TestRoleEndpointMatrix(t *testing.T) {
	cells := 0
	for _, c := range matrixCases() {
		for _, inScope := range []bool{true, false} {
			mk := c.in
			if !inScope {
				if c.out == nil {
					continue // a national action has no scope
				}
				mk = c.out
			}
			group := fmt.Sprintf("%s/in=%v", c.name, inScope)
			t.Run(group, func(t *testing.T) {
				var shared *fixture // refusals write nothing: one fixture serves them all
				var sharedIDs matrixIDs
				for _, role := range matrixRoles {
					want := c.want(role, inScope)
					name := role
					if role == "" {
						name = "no-token"
					}
					outer := t
					t.Run(name, func(t *testing.T) {
						cells++
						f, ids := shared, sharedIDs
						if want == 0 || f == nil {
							owner := t
							if want != 0 {
								owner = outer
							}
							f = newFixture(owner)
							pa, pb, pc, pd := f.matrixSeed()
							ids = matrixIDs{pa.String(), pb.String(), pc.String(), pd.String()}
							if c.setup != nil {
								c.setup(f)
							}
							if want != 0 {
								shared, sharedIDs = f, ids
							}
						}
						f.t = t
						req := mk(ids)
						before := f.last()
						r := f.do(req.method, req.path, role, req.body)
						after := f.last()
						if want == 0 {
							if r.Status/100 != 2 || after != before+1 {
								t.Fatalf("want success, got %d (journal %d -> %d): %s", r.Status, before, after, r.Body)
							}
							return
						}
						if r.Status != want {
							t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
						}
						if after != before {
							t.Fatalf("refused write changed the journal: %d -> %d", before, after)
						}
					})
				}
			})
		}
	}
	if cells < 300 {
		t.Fatalf("only %d cells", cells)
	}
}
