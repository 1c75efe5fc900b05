package vaxtrace_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vt "vaxtrace"
)

// snapBenchPeople is how many people (with two doses each) the registry
// snapshot benchmark holds; VAXTRACE_SNAP_PEOPLE overrides it.
func snapBenchPeople() int {
	if n, err := strconv.Atoi(os.Getenv("VAXTRACE_SNAP_PEOPLE")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var snapBench struct {
	once  sync.Once
	n     int
	s     *vt.State
	rooms *vt.State // the same rooms, for decoding into
	data  []byte
}

// snapBenchState is a registry of n people shaped like a generated
// population: a sealed IIN (54 characters, as package pii seals it),
// names from short lists, two doses each (the second a booster 200 days
// later, from 40 vaccinators), ids like the generator's.
func snapBenchState(b *testing.B) {
	sb := &snapBench
	sb.once.Do(func() {
		n := snapBenchPeople()
		w := benchWorld(b, 0)
		rooms := vt.NewState()
		for _, ev := range w.log {
			rooms.Apply(ev)
		}
		seq := w.seq
		apply := func(p vt.Payload, at time.Time, key string) {
			seq++
			w.s.Apply(vt.Event{Seq: seq, Kind: p.Kind(), Key: key, Recorded: at, Hash: seq * 0x9E3779B97F4A7C15, Data: p})
		}
		families := []string{"Ахметов", "Серикбаев", "Иванова", "Жумабекова", "Нурланов", "Ким", "Оспанов", "Смагулова"}
		given := []string{"Айгерим", "Данияр", "Алия", "Ерлан", "Мадина", "Арман", "Асель"}
		for i := range n {
			id := benchPerson(i)
			sealed := strings.Repeat("x", 40) + strconv.FormatInt(int64(1e13+i), 10)
			apply(vt.PersonRegistered{Person: vt.Person{ID: id, IINSealed: sealed, Family: families[i%len(families)], Given: given[i%len(given)],
				BirthDate: vt.MkDate(1950+i%50, time.Month(1+i%12), 1+i%28), Sex: vt.SexFemale, Region: "KZ-AKM"}}, t0, "person:"+id.String())
		}
		for k := range 2 {
			for i := range n {
				at := t0.Add(time.Duration(i%36000)*time.Second).AddDate(0, 0, 200*k)
				v := vt.DoseAdministered{ID: "kz-" + strconv.Itoa(i) + "-" + strconv.Itoa(k+1), Person: benchPerson(i), At: at,
					Place: "VP-AKM-1", Lot: "L-BIG", Vaccinator: "nurse-" + strconv.Itoa(i%40)}
				apply(v, at, "dose:"+v.ID)
			}
		}
		data, err := vt.EncodeRegistrySnapshot(w.s)
		if err != nil {
			b.Fatal(err)
		}
		sb.n, sb.s, sb.rooms, sb.data = n, w.s, rooms, data
	})
	if sb.s == nil {
		b.Fatal("no state")
	}
}

func reportPerPerson(b *testing.B, n int, mallocs uint64, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/person")
	// the process's CPU time (garbage collection included): on a shared
	// machine the wall clock also counts other programs' turns
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/person")
	b.ReportMetric(float64(len(snapBench.data))/float64(n), "bytes/person")
	b.ReportMetric(float64(mallocs)/float64(b.N)/float64(n), "allocs/person")
	b.ReportMetric(0, "ns/op")
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// BenchmarkSnapshotRegistry writes and reads the registry's part of a
// snapshot at snapBenchPeople() people with two doses each, per person.
func BenchmarkSnapshotRegistry(b *testing.B) {
	snapBenchState(b)
	sb := &snapBench
	b.Run("encode", func(b *testing.B) {
		before, cpu := mallocs(), cpuTime()
		for b.Loop() {
			if _, err := vt.EncodeRegistrySnapshot(sb.s); err != nil {
				b.Fatal(err)
			}
		}
		reportPerPerson(b, sb.n, mallocs()-before, cpuTime()-cpu)
	})
	b.Run("decode", func(b *testing.B) {
		before, cpu := mallocs(), cpuTime()
		for b.Loop() {
			if err := vt.DecodeRegistrySnapshot(sb.rooms, sb.data); err != nil {
				b.Fatal(err)
			}
		}
		reportPerPerson(b, sb.n, mallocs()-before, cpuTime()-cpu)
		if p, d := sb.rooms.Counts(); p != sb.n || d != 2*sb.n {
			b.Fatalf("decoded %d people, %d doses; want %d, %d", p, d, sb.n, 2*sb.n)
		}
	})
}
