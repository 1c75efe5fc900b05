package vaxtrace

import (
	"sync"
	"sync/atomic"
	"time"
)

// A dose's time keeps the zone its event gave (outputs print it back), but
// a *time.Location in every record would cost 8 bytes and a pointer for the
// collector to scan. Dose records hold a one-byte code instead: an index
// into a process-wide table of the few zones doses arrive in (in practice
// UTC and the country's offsets). A zone the table has no room for is kept
// with the dose's rare text (zoneOther).

const zoneOther = 255 // the zone is in doseRare.loc

var zones struct {
	mu   sync.Mutex                       // serialises additions
	list atomic.Pointer[[]*time.Location] // copy on write; index 0 is UTC
}

func init() {
	l := []*time.Location{time.UTC}
	zones.list.Store(&l)
}

// zoneAt returns the location of code c (c < zoneOther).
func zoneAt(c uint8) *time.Location { return (*zones.list.Load())[c] }

// zoneCode returns the code of t's location, adding it to the table if it
// is new. Two locations get one code only when they are the same pointer,
// or are both named alike and give the same offset at t and a year either
// side (fixed zones parsed from the same offset are distinct pointers).
func zoneCode(t time.Time) uint8 {
	loc := t.Location()
	if c, ok := findZone(*zones.list.Load(), loc, t); ok {
		return c
	}
	zones.mu.Lock()
	defer zones.mu.Unlock()
	list := *zones.list.Load()
	if c, ok := findZone(list, loc, t); ok {
		return c
	}
	if len(list) >= zoneOther {
		return zoneOther
	}
	next := append(append(make([]*time.Location, 0, len(list)+1), list...), loc)
	zones.list.Store(&next)
	return uint8(len(list))
}

func findZone(list []*time.Location, loc *time.Location, t time.Time) (uint8, bool) {
	for i, l := range list {
		if l == loc {
			return uint8(i), true
		}
	}
	for i, l := range list {
		if l.String() == loc.String() && sameOffsets(l, loc, t) {
			return uint8(i), true
		}
	}
	return 0, false
}

// sameOffsets reports whether a and b give t, and times a year before and
// after it, the same zone name and offset.
func sameOffsets(a, b *time.Location, t time.Time) bool {
	for _, x := range []time.Time{t, t.AddDate(-1, 0, 0), t.AddDate(1, 0, 0), t.AddDate(0, 6, 0)} {
		na, oa := x.In(a).Zone()
		nb, ob := x.In(b).Zone()
		if na != nb || oa != ob {
			return false
		}
	}
	return true
}
