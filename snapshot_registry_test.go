package vaxtrace_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	vt "vaxtrace"
)

// doKeyed applies p like world.do, under idempotency key key.
func (w *world) doKeyed(p vt.Payload, at time.Time, key string) {
	w.t.Helper()
	d, err := w.s.Decide(p, at)
	if err != nil {
		w.t.Fatalf("%s: %v", p.Kind(), err)
	}
	w.seq++
	ev := vt.Event{Seq: w.seq, Kind: p.Kind(), Key: key, Recorded: at, Hash: vt.ContentHash(p), Data: d}
	w.s.Apply(ev)
	w.log = append(w.log, ev)
}

// registryWorld is a registry with every kind of record the snapshot
// keeps: people with and without phones, a person registered and undone,
// keyed and unkeyed events, doses in two time zones, first and second
// doses, boosters, a voided dose and the anomaly it leaves, corrections
// of time, place and person, a merge, certificates issued and revoked
// (explicitly and by a void), people due at two points of one region
// with a removal in the middle of a bucket, and reminders queued,
// attempted, answered and an opt-out.
func registryWorld(t testing.TB) *world {
	w := benchWorld(t, 0) // adds lot L-BIG (Sputnik Light, 10 doses at VP-AKM-1)
	at := t0.AddDate(0, 0, -10)
	w.must(vt.PlaceDefined{Place: vt.Place{ID: "VP-AKM-2", Kind: vt.PlacePoint, Name: "Kokshetau 2", Region: "KZ-AKM", Parent: "RW-AKM"}}, at)
	w.must(vt.ShipmentDispatched{Shipment: "S3", From: "RW-AKM", To: "VP-AKM-2", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 100}, {Lot: "L-II-A", Doses: 100}}}, at)
	w.must(vt.ShipmentReceived{Shipment: "S3", Occurred: at.Add(time.Hour)}, at.Add(time.Hour))

	for b := byte(1); b <= 12; b++ {
		p := vt.Person{ID: pid(b), IINSealed: "iin-sealed-" + strconv.Itoa(int(b)), Family: "Family" + strconv.Itoa(int(b%3)), Given: "Given",
			BirthDate: vt.MkDate(1960+int(b), 1, 2), Sex: vt.SexFemale, Region: "KZ-AKM"}
		if b%2 == 0 {
			p.PhoneSealed, p.Lang, p.Group, p.Sex, p.Region = "phone-sealed-"+strconv.Itoa(int(b)), "kk", "teacher", vt.SexMale, "KZ-KAR"
		}
		if b%3 == 0 {
			w.doKeyed(vt.PersonRegistered{Person: p}, at, "person:"+p.ID.String())
		} else {
			w.must(vt.PersonRegistered{Person: p}, at)
		}
	}
	// a registration taken back (the engine's all-or-nothing record)
	w.must(vt.PersonRegistered{Person: vt.Person{ID: pid(99), Family: "Undone", BirthDate: vt.MkDate(1990, 1, 1), Sex: vt.SexUnknown, Region: "KZ-AKM"}}, at)
	if !w.s.Unapply(w.log[len(w.log)-1]) {
		t.Fatal("registration not undone")
	}
	w.log, w.seq = w.log[:len(w.log)-1], w.seq-1

	almaty := time.FixedZone("", 6*3600)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	at1 := func(id string, b byte, when time.Time, place, lot string) vt.DoseAdministered {
		v := dose(id, pid(b), when, lot)
		v.Place = place
		return v
	}
	// first doses at two points, same day: one due bucket per point, both
	// in the region's bucket, interleaved
	for b := byte(1); b <= 8; b++ {
		place := "VP-AKM-1"
		if b%2 == 1 {
			place = "VP-AKM-2"
		}
		v := at1("d1-"+strconv.Itoa(int(b)), b, day(0).In(almaty), place, "L-I-A")
		if b == 4 {
			v.Product, v.Component, v.Vaccinator = "sputnik-v", "I", "nurse-4"
		}
		if b%4 == 0 {
			w.doKeyed(v, day(0), "dose:"+v.ID)
		} else {
			w.must(v, day(0))
		}
	}
	// second doses take people 3 and 4 out of the middle of their buckets
	w.must(at1("d2-3", 3, day(21), "VP-AKM-2", "L-II-A"), day(21))
	w.must(at1("d2-4", 4, day(22), "VP-AKM-1", "L-II-A"), day(22))
	// single-dose product and a booster
	w.must(at1("l1-9", 9, day(1), "VP-AKM-1", "L-BIG"), day(1))
	w.must(at1("l2-9", 9, day(200), "VP-AKM-1", "L-BIG"), day(200))
	// a void leaves an anomaly: person 5's second dose becomes dose 1
	w.must(at1("d2-5", 5, day(23), "VP-AKM-2", "L-II-A"), day(23))
	w.must(vt.CertificateIssued{UVCI: "URN:UVCI:01:KZ:5A", Person: pid(5), Dose: "d2-5", KID: "k1", Issued: day(23), Expiry: day(388)}, day(23))
	w.must(vt.DoseVoided{Dose: "d1-5", Reason: "entered in error"}, day(24))
	// corrections: time, then place and person
	moved := day(1).Add(2 * time.Hour)
	w.must(vt.DoseCorrected{Dose: "d1-6", At: &moved, Reason: "wrong hour"}, day(25))
	to := pid(10)
	w.must(vt.DoseCorrected{Dose: "d1-7", Place: "VP-AKM-1", Person: &to, Override: "clinician", Reason: "wrong person"}, day(25))
	// a merge moves person 8's dose to person 11
	w.must(vt.PersonsMerged{Into: pid(11), From: pid(8), Reason: "duplicate"}, day(26))
	// certificates: one live, one revoked explicitly, a chain of two
	w.must(vt.CertificateIssued{UVCI: "URN:UVCI:01:KZ:3A", Person: pid(3), Dose: "d2-3", KID: "k1", Issued: day(22), Expiry: day(387)}, day(22))
	w.must(vt.CertificateRevoked{UVCI: "URN:UVCI:01:KZ:3A", Reason: "lost"}, day(27))
	w.must(vt.CertificateIssued{UVCI: "URN:UVCI:01:KZ:3B", Person: pid(3), Dose: "d2-3", KID: "k2", Issued: day(27), Expiry: day(392)}, day(27))
	w.must(vt.CertificateIssued{UVCI: "URN:UVCI:01:KZ:9A", Person: pid(9), Dose: "l2-9", KID: "k1", Issued: day(201), Expiry: day(566)}, day(201))
	// reminders in every state
	rid := func(b byte, typ string) string { return vt.ReminderID(pid(b), "sputnik-v", 2, typ) }
	for _, b := range []byte{1, 2, 6, 10} {
		w.must(vt.ReminderQueued{ID: rid(b, vt.ReminderBefore), Person: pid(b), Product: "sputnik-v", Number: 2, DueFrom: vt.DateOf(day(21)), Type: vt.ReminderBefore}, day(19))
	}
	w.must(vt.ReminderQueued{ID: rid(2, vt.ReminderOverdue), Person: pid(2), Product: "sputnik-v", Number: 2, DueFrom: vt.DateOf(day(21)), Type: vt.ReminderOverdue}, day(30))
	w.must(vt.ReminderAttempted{ID: rid(1, vt.ReminderBefore), Attempt: 1, At: day(20)}, day(20))
	w.must(vt.ReminderAttempted{ID: rid(2, vt.ReminderBefore), Attempt: 1, At: day(20)}, day(20))
	w.must(vt.ReminderResult{ID: rid(2, vt.ReminderBefore), Status: vt.ReminderAccepted, GatewayID: "gw-2", At: day(20)}, day(20))
	w.must(vt.ReminderResult{ID: rid(2, vt.ReminderBefore), Status: vt.ReminderDelivered, Detail: "handset", At: day(20)}, day(20).Add(time.Minute))
	w.must(vt.ReminderAttempted{ID: rid(6, vt.ReminderBefore), Attempt: 1, At: day(20)}, day(20))
	w.must(vt.ReminderResult{ID: rid(6, vt.ReminderBefore), Status: vt.ReminderFailed, GatewayID: "gw-6", Detail: "refused", At: day(20)}, day(20))
	w.must(vt.RemindersOptedOut{Person: pid(10), Source: "sms", At: day(20)}, day(20))
	w.must(vt.ReminderResult{ID: rid(10, vt.ReminderBefore), Status: vt.ReminderCancelled, Detail: "opted out", At: day(20)}, day(20))
	return w
}

// registryTrip writes the whole state as a snapshot and reads it back.
func registryTrip(t testing.TB, w *world) *vt.State {
	t.Helper()
	return restore(t, snapshot(t, w.s))
}

func registryBytes(t testing.TB, s *vt.State) []byte {
	t.Helper()
	b, err := vt.EncodeRegistrySnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// registryAnswers is everything the registry answers, as JSON: every
// person, dose (with its derived links), certificate, due list page, due
// count, reminder and idempotency key.
func registryAnswers(t testing.TB, s *vt.State) string {
	t.Helper()
	var out []any
	add := func(what string, v any) { out = append(out, map[string]any{what: v}) }
	var ids []vt.PersonID
	s.EachPerson(func(p *vt.PersonState) bool {
		ids = append(ids, p.ID)
		certs := s.PersonCertificates(p.ID)
		due, isDue := s.DueOf(p.ID)
		seen, same := s.KeySeen("person:"+p.ID.String(), 0)
		add("person", map[string]any{"record": p, "details": s.PersonDetails(p), "found": s.Person(p.ID) == p, "recorded": p.Recorded(), "certs": certs,
			"due": due, "is_due": isDue, "reminders": s.Reminders(p.ID), "opted_out": s.OptedOut(p.ID), "key": []bool{seen, same}, "doses": s.DosesOf(p)})
		return true
	})
	s.EachDose(func(d *vt.DoseState) bool {
		seen, same := s.KeySeen("dose:"+d.ID(s), 0)
		add("dose", map[string]any{"record": d, "found": s.Dose(d.ID(s)) == d, "recorded": d.Recorded(), "void": d.VoidWhy(s),
			"anomaly": d.Anomaly(s), "history": d.History(s), "region": d.Region(), "lot": d.LotOf(s).ID, "place": d.PlaceOf(s).ID,
			"person": d.PersonOf(s).ID, "person_lists_it": slices.Contains(s.DosesOf(d.PersonOf(s)), d), "key": []bool{seen, same},
			"number": d.Number(), "voided": d.Voided(), "booster": d.Booster(), "complete": d.Complete(), "administered": d.Administered(s), "at": d.At(s).Format(time.RFC3339Nano) + " " + d.At(s).Location().String()})
		return true
	})
	for _, uvci := range []string{"URN:UVCI:01:KZ:5A", "URN:UVCI:01:KZ:3A", "URN:UVCI:01:KZ:3B", "URN:UVCI:01:KZ:9A", "URN:UVCI:01:KZ:X"} {
		add("certificate", s.Certificate(uvci))
	}
	add("revoked", s.RevokedCertificates())
	asOf := vt.DateOf(t0.AddDate(0, 0, 25))
	for _, f := range []vt.DueFilter{{Place: "VP-AKM-1"}, {Place: "VP-AKM-2"}, {Region: "KZ-AKM"}, {Region: "KZ-KAR"}} {
		f.AsOf, f.Ahead = asOf, 30
		for off := 0; off < 10; off++ { // one person a page: the order within buckets
			f.Offset, f.Limit = off, 1
			add("due", s.Due(f))
		}
	}
	national := s.Due(vt.DueFilter{AsOf: asOf, Ahead: 30, Limit: 100})
	slices.SortFunc(national.People, func(a, b vt.DuePerson) int { return bytes.Compare(a.Person[:], b.Person[:]) })
	add("due national", national)
	add("due by day", fmt.Sprint(s.DueByDay("", "sputnik-v", 2)))
	add("reminders", s.Reminders(vt.PersonID{}))
	add("open reminders", s.OpenReminders())
	for _, g := range []string{"gw-2", "gw-6", "gw-x"} {
		add("gateway "+g, s.ReminderByGateway(g))
	}
	people, doses := s.Counts()
	add("counts", []int{people, doses})
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// furtherEvents are applied to a state and to its decoded copy alike: a
// dose, a void, corrections, a merge, certificates, a registration and
// reminders, each touching what the snapshot restored.
func furtherEvents(w *world) {
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	w.must(dose("d2-1", pid(1), day(40), "L-II-A"), day(40))
	w.must(dose("d2-10", pid(10), day(40), "L-II-A"), day(40)) // from the middle of its buckets
	w.must(vt.DoseVoided{Dose: "d2-4", Reason: "duplicate entry"}, day(41))
	moved := day(2)
	w.must(vt.DoseCorrected{Dose: "d1-2", At: &moved, Reason: "typo"}, day(41))
	w.must(vt.PersonsMerged{Into: pid(2), From: pid(6), Reason: "duplicate"}, day(42))
	w.must(vt.CertificateIssued{UVCI: "URN:UVCI:01:KZ:1A", Person: pid(1), Dose: "d2-1", KID: "k3", Issued: day(42), Expiry: day(400)}, day(42))
	w.must(vt.CertificateRevoked{UVCI: "URN:UVCI:01:KZ:9A", Reason: "reissue"}, day(43))
	w.must(vt.PersonRegistered{Person: vt.Person{ID: pid(13), IINSealed: "iin-13", Family: "Family1", BirthDate: vt.MkDate(1999, 9, 9), Sex: vt.SexMale, Region: "KZ-KAR"}}, day(43))
	w.must(dose("d1-13", pid(13), day(43), "L-I-A"), day(43))
	w.must(vt.ReminderAttempted{ID: vt.ReminderID(pid(1), "sputnik-v", 2, vt.ReminderBefore), Attempt: 2, At: day(44)}, day(44))
	w.must(vt.ReminderResult{ID: vt.ReminderID(pid(2), "sputnik-v", 2, vt.ReminderOverdue), Status: vt.ReminderAccepted, GatewayID: "gw-2", At: day(44)}, day(44))
	w.must(vt.RemindersOptedOut{Person: pid(13), Source: "api", At: day(44)}, day(44))
}

// A registry written and read back (through EncodeSnapshot and
// DecodeSnapshot) writes the same bytes, answers the
// same, and changes the same under further events.
func TestRegistrySnapshotRoundTrip(t *testing.T) {
	w := registryWorld(t)
	first, whole := registryBytes(t, w.s), snapshot(t, w.s)
	s2 := registryTrip(t, w)
	if again := registryBytes(t, s2); !bytes.Equal(first, again) {
		t.Fatalf("decoded registry encodes differently (%d bytes, then %d)", len(first), len(again))
	}
	if again := snapshot(t, s2); !bytes.Equal(whole, again) {
		t.Fatalf("decoded state encodes differently from byte %d", firstByteDiff(whole, again))
	}
	if a, b := registryAnswers(t, w.s), registryAnswers(t, s2); a != b {
		t.Fatalf("decoded registry answers differently:\n%s", firstDiff(a, b))
	}
	w2 := &world{t: t, s: s2, seq: w.seq}
	furtherEvents(w)
	furtherEvents(w2)
	if a, b := registryBytes(t, w.s), registryBytes(t, w2.s); !bytes.Equal(a, b) {
		t.Fatalf("after the same events the registries encode differently:\n%s", firstDiff(registryAnswers(t, w.s), registryAnswers(t, w2.s)))
	}
	if a, b := snapshot(t, w.s), snapshot(t, w2.s); !bytes.Equal(a, b) {
		t.Fatalf("after the same events the states encode differently from byte %d", firstByteDiff(a, b))
	}
	if a, b := registryAnswers(t, w.s), registryAnswers(t, w2.s); a != b {
		t.Fatalf("after the same events the registries answer differently:\n%s", firstDiff(a, b))
	}
}

// firstDiff shows where two long texts first differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < min(len(al), len(bl)); i++ {
		if al[i] != bl[i] {
			lo := max(i-8, 0)
			return fmt.Sprintf("line %d:\n--- original\n%s\n--- decoded\n%s", i, strings.Join(al[lo:min(i+3, len(al))], "\n"), strings.Join(bl[lo:min(i+3, len(bl))], "\n"))
		}
	}
	return fmt.Sprintf("%d lines, then %d", len(al), len(bl))
}

// A decoded registry keeps the live one's memory shape, so a second dose
// after a restart allocates nothing either (TestDoseApplyAllocatesNothing).
func TestDecodedRegistryDoseApplyAllocatesNothing(t *testing.T) {
	const n = 2000
	w := benchWorld(t, n)
	dose := func(i, k int) vt.Event {
		at := t0.Add(time.Duration(i)*time.Second).AddDate(0, 0, 200*k)
		v := vt.DoseAdministered{ID: "d" + strconv.Itoa(i) + "-" + strconv.Itoa(k), Person: benchPerson(i), At: at, Place: "VP-AKM-1", Lot: "L-BIG", Vaccinator: "nurse"}
		return vt.Event{Seq: uint64(1000 + k*n + i), Kind: v.Kind(), Key: "dose:" + v.ID, Recorded: at, Hash: 1, Data: v}
	}
	for i := range n {
		ev := dose(i, 0)
		w.s.Apply(ev)
		w.log = append(w.log, ev)
	}
	s := registryTrip(t, w)
	evs := make([]vt.Event, n)
	for i := range evs {
		evs[i] = dose(i, 1)
	}
	i := 0
	allocs := testing.AllocsPerRun(n-1, func() {
		s.Apply(evs[i])
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v heap allocations per dose applied to a decoded registry, want 0", allocs)
	}
}

// registryPart is where the registry's part of a snapshot starts.
func registryPart(t testing.TB, enc []byte) int {
	at := bytes.Index(enc, []byte("§registry"))
	if at < 0 {
		t.Fatal("no registry section")
	}
	return at
}

// Bytes all through a registry's part of a snapshot damaged in turn give a
// refusal or a state that answers, never a panic.
func TestSnapshotRegistryDamaged(t *testing.T) {
	enc := snapshot(t, registryWorld(t).s)
	from := registryPart(t, enc)
	for i := from; i < len(enc); i += max(1, (len(enc)-from)/600) {
		b := bytes.Clone(enc)
		b[i] ^= 0x55
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("byte %d of %d damaged: panic %v", i, len(enc), p)
				}
			}()
			checkRegistryDecodes(t, b)
		}()
	}
}

// checkRegistryDecodes decodes b: an error must be ErrSnapshotCorrupt; a
// state that decodes must answer the registry's reads and encode again
// without panicking.
func checkRegistryDecodes(t *testing.T, b []byte) {
	t.Helper()
	s, err := vt.DecodeSnapshot(bytes.NewReader(b))
	if err != nil {
		if !errors.Is(err, vt.ErrSnapshotCorrupt) {
			t.Fatalf("error not marked corrupt: %v", err)
		}
		return
	}
	registryAnswers(t, s)
	if err := s.EncodeSnapshot(io.Discard); err != nil {
		t.Fatal(err)
	}
}

// Cut anywhere in its registry, a snapshot is refused as corrupt.
func TestSnapshotRegistryTruncated(t *testing.T) {
	enc := snapshot(t, registryWorld(t).s)
	from := registryPart(t, enc)
	for n := from; n < len(enc); n += max(1, (len(enc)-from)/600) {
		if _, err := vt.DecodeSnapshot(bytes.NewReader(enc[:n])); !errors.Is(err, vt.ErrSnapshotCorrupt) {
			t.Fatalf("a snapshot cut at %d of %d bytes: %v", n, len(enc), err)
		}
	}
}

// A registry whose references do not hold is refused: a dose id or a UVCI
// twice, a dose at a place or of a lot the rooms do not have, a
// certificate chained to another person's.
func TestSnapshotRegistryRefusesBadRecords(t *testing.T) {
	w := registryWorld(t)
	enc := registryBytes(t, w.s) // the registry alone: its own string table names places and lots
	p3, p4 := pid(3), pid(4)
	for _, tc := range []struct{ after, from, to, want string }{
		{"", "d1-2", "d1-1", "recorded twice"},
		{"", "URN:UVCI:01:KZ:3B", "URN:UVCI:01:KZ:3A", "issued twice"},
		{"", "VP-AKM-2", "VP-AKM-9", "unknown place"},
		{"", "L-BIG", "L-BAG", "unknown lot"},
		// certificate 3A (the first record after the UVCIs with person
		// 3) said to be person 4's, in person 3's chain
		{"URN:UVCI:01:KZ:9A", string(p3[:]), string(p4[:]), "of another person"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			at := bytes.Index(enc, []byte(tc.after))
			i := bytes.Index(enc[at:], []byte(tc.from))
			if at < 0 || i < 0 {
				t.Fatalf("%q not in the registry", tc.from)
			}
			i += at
			b := bytes.Clone(enc)
			copy(b[i:], tc.to)
			err := vt.DecodeRegistrySnapshot(w.rooms(), b)
			if !errors.Is(err, vt.ErrSnapshotCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want corrupt: %s", err, tc.want)
			}
		})
	}
}

// A dose record whose person position lies past the people table is
// refused by the decoder; one whose place or lot position lies past its
// table is never written (the snapshot names places and lots by id, and
// an unknown id is refused above).
func TestSnapshotRegistryRefusesDosePositionsOutOfRange(t *testing.T) {
	people, _ := registryWorld(t).s.Counts()
	for _, tc := range []struct {
		name                 string
		person, place, lot   int
		encodeErr, decodeErr string
	}{
		{"person", people, -1, -1, "", "person position"},
		{"person far out", 1<<32 - 1, -1, -1, "", "person position"},
		{"place", -1, 1 << 20, -1, "position out of range", ""},
		{"lot", -1, -1, 1 << 20, "position out of range", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := registryWorld(t)
			vt.MoveDoseRefs(w.s, "d1-2", tc.person, tc.place, tc.lot)
			b, err := vt.EncodeRegistrySnapshot(w.s)
			if tc.encodeErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.encodeErr) {
					t.Fatalf("encoding: error %v, want %s", err, tc.encodeErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			err = vt.DecodeRegistrySnapshot(w.rooms(), b)
			if !errors.Is(err, vt.ErrSnapshotCorrupt) || !strings.Contains(err.Error(), tc.decodeErr) {
				t.Fatalf("error %v, want corrupt: %s", err, tc.decodeErr)
			}
		})
	}
}

// A dose id the live state refuses (empty, longer than 64 bytes) is
// refused in a snapshot too.
func TestSnapshotRegistryRefusesBadDoseIDs(t *testing.T) {
	for _, id := range []string{"", strings.Repeat("x", 65)} {
		w := registryWorld(t)
		vt.RenameDose(w.s, "d1-2", id)
		b, err := vt.EncodeRegistrySnapshot(w.s)
		if err != nil {
			t.Fatal(err)
		}
		err = vt.DecodeRegistrySnapshot(w.rooms(), b)
		if !errors.Is(err, vt.ErrSnapshotCorrupt) || !strings.Contains(err.Error(), "id of") {
			t.Fatalf("id of %d bytes: error %v, want corrupt: id of", len(id), err)
		}
	}
}

// A person's chain of doses that loops back is refused, not followed
// forever.
func TestSnapshotRegistryRefusesDoseCycle(t *testing.T) {
	w := registryWorld(t)
	vt.ChainDose(w.s, "d2-3", "d1-3") // person 3: d1-3 → d2-3 → d1-3 …
	_, err := vt.DecodeSnapshot(bytes.NewReader(snapshot(t, w.s)))
	if !errors.Is(err, vt.ErrSnapshotCorrupt) || !strings.Contains(err.Error(), "chained twice") {
		t.Fatalf("error %v, want corrupt: chained twice", err)
	}
}

// A merged person whose merged-into position is past the last record (or
// the last record itself, which is fine) decodes only when it is a record.
func TestSnapshotRegistryRefusesMergedIntoOutOfRange(t *testing.T) {
	w := registryWorld(t)
	n := uint32(vt.PeopleCount(w.s))
	vt.MergeAt(w.s, pid(8), n) // the last record: in range
	if _, err := vt.DecodeSnapshot(bytes.NewReader(snapshot(t, w.s))); err != nil {
		t.Fatalf("merged into the last record: %v", err)
	}
	vt.MergeAt(w.s, pid(8), n+1) // one past it
	_, err := vt.DecodeSnapshot(bytes.NewReader(snapshot(t, w.s)))
	if !errors.Is(err, vt.ErrSnapshotCorrupt) || !strings.Contains(err.Error(), "merged into position") {
		t.Fatalf("error %v, want corrupt: merged into position", err)
	}
}

// FuzzDecodeRegistrySnapshot: arbitrary bytes, seeded with a registry of
// every kind of record, never panic; a state that decodes answers.
func FuzzDecodeRegistrySnapshot(f *testing.F) {
	enc := snapshot(f, registryWorld(f).s)
	f.Add(enc)
	f.Add(enc[:len(enc)-len(enc)/3])
	f.Fuzz(checkRegistryDecodes)
}

// FuzzDecodeRegistry: the registry's part alone, decoded into the rooms it
// was written with (fast enough for the fuzzer to explore the records):
// never a panic; a registry that decodes answers and encodes again.
func FuzzDecodeRegistry(f *testing.F) {
	w := registryWorld(f)
	f.Add(registryBytes(f, w.s))
	rooms := vt.NewState()
	for _, ev := range w.log {
		rooms.Apply(ev)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := vt.DecodeRegistrySnapshot(rooms, b); err != nil {
			if !errors.Is(err, vt.ErrSnapshotCorrupt) {
				t.Fatalf("error not marked corrupt: %v", err)
			}
			return
		}
		registryAnswers(t, rooms)
		if _, err := vt.EncodeRegistrySnapshot(rooms); err != nil {
			t.Fatal(err)
		}
	})
}

// rooms is a state with the world's rooms (places, lots) and an empty
// registry, which a registry snapshot is decoded into.
func (w *world) rooms() *vt.State {
	st := vt.NewState()
	for _, ev := range w.log {
		st.Apply(ev)
	}
	return st
}
