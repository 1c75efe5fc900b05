// Package bench measures vaxtrace on this machine: durable stock movements,
// validated dose ingest through the batch path against a plain per-row SQL
// implementation, stock positions at 10,000 places × 1,000 lots, coverage and
// as-known-on queries, and memory per person. `vaxtrace bench` runs it and
// prints the figures; nothing here runs in the test suite.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

// Config sizes a run.
type Config struct {
	Dir       string // where the SQLite files go
	People    int    // people (each gets two doses)
	Batch     int    // commands per group commit
	Places    int    // places for the stock position benchmark
	Lots      int    // lots for the stock position benchmark
	Movements int    // stock movements
	// HTTPRates are the rates (requests per second) at which single doses
	// are sent over HTTP to the serving process, HTTPSeconds long each
	// (0: no HTTP measurement), from at most HTTPConns connections.
	HTTPRates              []int
	HTTPSeconds, HTTPConns int
	// Exe is the vaxtrace executable, started as the serving process on
	// the dose run's store (`vaxtrace bench --serve-store`).
	Exe string
	// MemoryLimit, when positive, starts a second serving process under
	// that limit (bytes, debug.SetMemoryLimit) to report its memory;
	// AutoMemoryLimit sets it to 1.25 × the heap of the first serving
	// process (the same state, loaded by a full replay).
	MemoryLimit int64
	// CPUProfile, when set, is where the CPU profile of the dose phase
	// (the batch path, people registered already) is written.
	CPUProfile string
	// PerRowPeople sizes the per-row SQL baseline (0: People, at most 1 M).
	PerRowPeople int
	Out          io.Writer
}

// AutoMemoryLimit as Config.MemoryLimit derives the limit from the live
// heap of a server on the same store: a limit below the live state cannot hold (the collector
// would run almost without pause), so a fixed one suits only a known size.
const AutoMemoryLimit = -1

// Result is one measured figure.
type Result struct {
	Name  string
	Value float64
	Unit  string
	Goal  string
}

func (r Result) String() string {
	return fmt.Sprintf("%-58s %14s %-10s %s", r.Name, human(r.Value), r.Unit, r.Goal)
}

func human(v float64) string {
	switch {
	case v >= 100:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// Run runs every benchmark and prints each result as it comes.
func Run(ctx context.Context, c Config) ([]Result, error) {
	if c.Batch == 0 {
		c.Batch = 10000
	}
	var out []Result
	emit := func(r Result) {
		out = append(out, r)
		fmt.Fprintln(c.Out, r)
	}
	fmt.Fprintf(c.Out, "machine: %d CPUs, %s/%s, %s\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if c.Movements > 0 {
		if err := movements(ctx, c, emit); err != nil {
			return out, err
		}
	}
	if c.Places > 0 && c.Lots > 0 {
		if err := positions(c, emit); err != nil {
			return out, err
		}
	}
	if err := doses(ctx, c, emit); err != nil {
		return out, err
	}
	if err := perRowSQL(ctx, c, emit); err != nil {
		return out, err
	}
	if r := ratio(out); r.Name != "" {
		emit(r)
	}
	// the dose run's state is garbage now: give its memory back before a
	// serving process loads the same state beside this one
	debug.FreeOSMemory()
	if err := serving(ctx, c, emit); err != nil {
		return out, err
	}
	return out, nil
}

func openEngine(ctx context.Context, dir, name string) (*engine.Engine, *sqlite.DB, error) {
	path := filepath.Join(dir, name)
	os.Remove(path)
	j, err := sqlite.Open(path)
	if err != nil {
		return nil, nil, err
	}
	eng, err := engine.Open(ctx, j, engine.Options{MaxBatch: 50000})
	if err != nil {
		return nil, nil, err
	}
	return eng, j, nil
}

var at = time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)

func submit(ctx context.Context, eng *engine.Engine, cmds []engine.Command) error {
	for _, r := range eng.SubmitBatch(ctx, cmds) {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// movements: count corrections (each a validated, durable stock movement).
func movements(ctx context.Context, c Config, emit func(Result)) error {
	eng, j, err := openEngine(ctx, c.Dir, "movements.db")
	if err != nil {
		return err
	}
	defer j.Close()
	defer eng.Close()
	if err := scenario.Minimal(ctx, eng, 10, int64(c.Movements)+10); err != nil {
		return err
	}
	stopProfile, err := startProfile(profilePath(c.CPUProfile, "movements"))
	if err != nil {
		return err
	}
	start := time.Now()
	for i := 0; i < c.Movements; i += c.Batch {
		cmds := make([]engine.Command, 0, c.Batch)
		for k := i; k < min(i+c.Batch, c.Movements); k++ {
			cmds = append(cmds, engine.Command{Key: fmt.Sprint("m", k), Actor: scenario.Admin, Recorded: at, Data: vaxtrace.StockAdjusted{
				Place: scenario.PointID(1 + k%10), Lot: "FIX-I", Delta: -1, Reason: vaxtrace.ReasonWastage, Occurred: at}})
		}
		if err := submit(ctx, eng, cmds); err != nil {
			return err
		}
	}
	d := time.Since(start)
	if err := stopProfile(); err != nil {
		return err
	}
	emit(Result{"stock movements validated + durably committed (batches)", float64(c.Movements) / d.Seconds(), "/s", "goal ≥ 200,000/s"})
	return nil
}

// positions: a state with Places × Lots stock entries; region and country position latency.
func positions(c Config, emit func(Result)) error {
	s := vaxtrace.NewState()
	seq := uint64(0)
	apply := func(p vaxtrace.Payload) {
		seq++
		s.Apply(vaxtrace.Event{Seq: seq, Kind: p.Kind(), Recorded: at, Data: p})
	}
	ref, err := scenario.LoadReference()
	if err != nil {
		return err
	}
	for _, p := range ref.Products {
		apply(vaxtrace.ProductDefined{Product: p})
	}
	regions := ref.Regions2021()
	for _, r := range regions {
		apply(vaxtrace.RegionDefined{Region: r})
	}
	apply(vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NW", Kind: vaxtrace.PlaceNational, Name: "N"}})
	for i, r := range regions {
		apply(vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "RW" + fmt.Sprint(i), Kind: vaxtrace.PlaceRegional, Name: "R", Region: r.Code, Parent: "NW"}})
	}
	prods := ref.Products
	for l := 0; l < c.Lots; l++ {
		p := prods[l%len(prods)]
		apply(vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: fmt.Sprint("L", l), Product: p.Code, Component: p.Components[l%len(p.Components)].Code, Manufacturer: "M", Manufactured: vaxtrace.MkDate(2021, 1, 1), Expiry: vaxtrace.MkDate(2022, 1, 1), Origin: vaxtrace.OriginDomestic}})
		apply(vaxtrace.StockReceived{Receipt: "R", Place: "NW", Lot: fmt.Sprint("L", l), Doses: int64(c.Places) * 10, Occurred: at})
	}
	for i := 0; i < c.Places; i++ {
		ri := i % len(regions)
		id := fmt.Sprint("P", i)
		apply(vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: id, Kind: vaxtrace.PlacePoint, Name: "P", Region: regions[ri].Code, Parent: "RW" + fmt.Sprint(ri)}})
		lines := make([]vaxtrace.ShipmentLine, c.Lots)
		for l := range lines {
			lines[l] = vaxtrace.ShipmentLine{Lot: fmt.Sprint("L", l), Doses: 10}
		}
		apply(vaxtrace.ShipmentDispatched{Shipment: id, From: "NW", To: id, Occurred: at, Lines: lines})
		rl := make([]vaxtrace.ReceiptLine, c.Lots)
		for l := range rl {
			rl[l] = vaxtrace.ReceiptLine{Lot: fmt.Sprint("L", l), Received: 10}
		}
		apply(vaxtrace.ShipmentReceived{Shipment: id, Occurred: at, Lines: rl})
	}
	day := vaxtrace.DateOf(at)
	region := regions[0].Code
	lat := measure(200, func() { _ = s.StockPosition(region, day) })
	emit(Result{fmt.Sprintf("stock position of one region (%d places × %d lots), p99", c.Places, c.Lots), lat.p99, "ms", "goal ≤ 10 ms"})
	lat = measure(200, func() { _ = s.RegionLotStock(region) })
	emit(Result{"current stock of one region by lot, p99", lat.p99, "ms", "goal ≤ 10 ms"})
	lat = measure(100, func() { _ = s.StockPosition("", day) })
	emit(Result{"stock position of the whole country, p99", lat.p99, "ms", "goal ≤ 10 ms"})
	return nil
}

type latency struct{ p50, p99 float64 }

func measure(n int, fn func()) latency {
	ds := make([]float64, n)
	for i := range ds {
		t := time.Now()
		fn()
		ds[i] = float64(time.Since(t).Microseconds()) / 1000
	}
	sort.Float64s(ds)
	return latency{p50: ds[n/2], p99: ds[n*99/100]}
}

func pid(n int) vaxtrace.PersonID {
	var p vaxtrace.PersonID
	p[0], p[1], p[2], p[3], p[15] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24), 9
	return p
}

// RSS is the process's resident memory in MiB (0 where /proc is missing).
func RSS() float64 { return rss() }

func rss() float64 {
	r, _ := procMemory("self")
	return r
}

// doses: register People, give each a first and a second dose through the
// batch path; then query coverage and as-known figures. The store is then
// closed: serving measures a fresh process on it.
func doses(ctx context.Context, c Config, emit func(Result)) error {
	eng, j, err := openEngine(ctx, c.Dir, "doses.db")
	if err != nil {
		return err
	}
	defer j.Close()
	defer eng.Close()
	return ingestAndQuery(ctx, c, eng, emit)
}

// ingestAndQuery registers the people, gives each two doses through the
// batch path and queries coverage and as-known figures.
func ingestAndQuery(ctx context.Context, c Config, eng *engine.Engine, emit func(Result)) error {
	points := 100
	// stock for the doses given here and for the HTTP measurement's
	if err := scenario.Minimal(ctx, eng, points, int64(c.People+c.httpPeople())); err != nil {
		return err
	}
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	if err := registerPeople(ctx, eng, c.People, c.Batch); err != nil {
		return err
	}
	emit(Result{"people registered, durably committed", float64(c.People) / time.Since(start).Seconds(), "/s", ""})
	total := 0
	stopProfile, err := startProfile(c.CPUProfile)
	if err != nil {
		return err
	}
	start = time.Now()
	for dose := 1; dose <= 2; dose++ {
		lot, off := "FIX-I", 0
		if dose == 2 {
			lot, off = "FIX-II", 21
		}
		// two uploaders at once, as clinics upload concurrently: each encodes
		// its batch while the writer commits the other's
		errc := make(chan error, 2)
		for w := 0; w < 2; w++ {
			go func(w int) {
				for i := w * c.Batch; i < c.People; i += 2 * c.Batch {
					cmds := make([]engine.Command, 0, c.Batch)
					for k := i; k < min(i+c.Batch, c.People); k++ {
						key := doseKey(k, dose)
						id := key[len("dose:"):] // d<k>-<dose>
						when := at.AddDate(0, 0, off+k%60)
						cmds = append(cmds, engine.Command{Key: key, Actor: scenario.Admin, Recorded: when.Add(time.Hour),
							Data: vaxtrace.DoseAdministered{ID: id, Person: pid(k), At: when, Place: scenario.PointID(1 + k%points), Lot: lot, Vaccinator: "nurse"}})
					}
					if err := submit(ctx, eng, cmds); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}(w)
		}
		for w := 0; w < 2; w++ {
			if err := <-errc; err != nil {
				return err
			}
		}
		total += c.People
	}
	d := time.Since(start)
	if err := stopProfile(); err != nil {
		return err
	}
	emit(Result{"validated doses durably committed (batch path)", float64(total) / d.Seconds(), "/s", "goal ≥ 250,000/s"})
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	live := m1.HeapAlloc - min(m0.HeapAlloc, m1.HeapAlloc)
	mem := float64(live) / (1 << 20)
	emit(Result{fmt.Sprintf("live heap for %d people + %d doses", c.People, total), mem, "MiB", fmt.Sprintf("%.0f B/person → %.1f GiB at 20 M people (goal ≤ 4 GiB resident)", mem*(1<<20)/float64(c.People), mem/float64(c.People)*20e6/1024)})
	emit(Result{"ingesting process resident memory (RSS) now", rss(), "MiB", "garbage included: see the serving process below"})
	var regions []string
	eng.Read(func(s *vaxtrace.State) {
		for _, r := range s.Regions() {
			regions = append(regions, r.Code)
		}
	})
	from, to := vaxtrace.DateOf(at), vaxtrace.DateOf(at).AddDays(120)
	var lat latency
	eng.Read(func(s *vaxtrace.State) {
		lat = measure(200, func() {
			for _, r := range regions[:17] {
				for m := vaxtrace.MDose1; m <= vaxtrace.MBooster; m++ {
					_ = s.Daily(r, "", m, from, to)
				}
			}
		})
	})
	emit(Result{"coverage: 17 regions × 121 days × dose number, p99", lat.p99, "ms", "goal ≤ 20 ms"})
	eng.Read(func(s *vaxtrace.State) {
		lat = measure(50, func() { _ = s.KnownCumulative("", vaxtrace.MDose1, from.AddDays(30), from.AddDays(31)) })
	})
	emit(Result{"as-known-on query (any past day), p99", lat.p99, "ms", "goal ≤ 50 ms"})
	eng.Read(func(s *vaxtrace.State) {
		lat = measure(20, func() {
			_ = s.KnownSeries("", vaxtrace.MDose1, from, to, func(d vaxtrace.Date) vaxtrace.Date { return d })
		})
	})
	emit(Result{"as-published series, 121 days, p99", lat.p99, "ms", ""})
	st, _ := os.Stat(filepath.Join(c.Dir, "doses.db"))
	wal, _ := os.Stat(filepath.Join(c.Dir, "doses.db-wal"))
	size := float64(st.Size())
	if wal != nil {
		size += float64(wal.Size())
	}
	emit(Result{"journal size per million doses (incl. people)", size / float64(total) * 1e6 / (1 << 20), "MiB", ""})
	return nil
}

// doseKey is "dose:d<k>-<dose>", the key of person k's dose, built with one
// allocation (the uploaders' own work is part of what the run measures).
func doseKey(k, dose int) string {
	var b [40]byte
	out := append(b[:0], "dose:d"...)
	out = strconv.AppendInt(out, int64(k), 10)
	out = append(out, '-')
	out = strconv.AppendInt(out, int64(dose), 10)
	return string(out)
}

// httpPeople is the number of single doses sent over HTTP (one person each).
func (c Config) httpPeople() int {
	n := 0
	for _, r := range c.HTTPRates {
		n += r * c.HTTPSeconds
	}
	return n
}

// startProfile starts a CPU profile written to path ("" profiles nothing)
// and returns the function that stops it.
func startProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// profilePath names the profile of a phase other than the doses: path
// with the phase before its extension ("" stays "").
func profilePath(path, phase string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + phase + ext
}

// ratio compares the batch path with the per-row SQL path of the same run.
func ratio(out []Result) Result {
	var batch, perRow float64
	for _, r := range out {
		switch {
		case strings.HasPrefix(r.Name, "validated doses durably committed"):
			batch = r.Value
		case strings.HasPrefix(r.Name, "same doses, plain per-row SQL"):
			perRow = r.Value
		}
	}
	if batch == 0 || perRow == 0 {
		return Result{}
	}
	return Result{"batch path ÷ per-row SQL path (same run)", batch / perRow, "x", "goal ≥ 15x"}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// registerPeople registers the bench's people 0..n-1 under their natural
// keys, batch commands per group commit.
func registerPeople(ctx context.Context, eng *engine.Engine, n, batch int) error {
	for i := 0; i < n; i += batch {
		cmds := make([]engine.Command, 0, batch)
		for k := i; k < min(i+batch, n); k++ {
			cmds = append(cmds, engine.Command{Key: "person:" + pid(k).String(), Actor: scenario.Admin, Recorded: at,
				Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: pid(k), IINSealed: "sealedsealedsealedsealedsealed", Family: "Family", Given: "Given", BirthDate: vaxtrace.MkDate(1950+k%50, 1, 1), Sex: "F", Region: "KZ-AKM"}}})
		}
		if err := submit(ctx, eng, cmds); err != nil {
			return err
		}
	}
	return nil
}
