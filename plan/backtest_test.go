package plan

import (
	"math"
	"os"
	"testing"
	"time"
)

const owidPath = "../../shared/reference/owid/Kazakhstan.csv"

func loadOWID(t testing.TB) []OWIDRow {
	t.Helper()
	f, err := os.Open(owidPath)
	if err != nil {
		t.Fatalf("open OWID series: %v", err)
	}
	defer f.Close()
	rows, err := ParseOWID(f)
	if err != nil {
		t.Fatalf("ParseOWID: %v", err)
	}
	return rows
}

// weeklyCutoffs are the Sundays of 2021 and 2022.
var weeklyCutoffs = CutoffDates(Date(2021, time.January, 3), Date(2022, time.December, 25), 7)

// backtestClaims are the gains over the naive forecast stated in the
// README's backtest table, in percent. The test fails when a measured gain
// falls more than claimMargin points below its claim, so the table cannot
// promise more than the model delivers.
var backtestClaims = []struct {
	period string
	h      int
	kind   string
	gain   float64
}{
	{"ramp-up 2021", 14, KindFirst, -1.2}, {"ramp-up 2021", 14, KindCompleted, -8.7}, {"ramp-up 2021", 14, KindAll, -23.2},
	{"ramp-up 2021", 28, KindFirst, 6.7}, {"ramp-up 2021", 28, KindCompleted, 25.2}, {"ramp-up 2021", 28, KindAll, -12.7},
	{"2021", 14, KindFirst, 1.4}, {"2021", 14, KindCompleted, 19.7}, {"2021", 14, KindAll, 3.2},
	{"2021", 28, KindFirst, 14.9}, {"2021", 28, KindCompleted, 44.1}, {"2021", 28, KindAll, 21.0},
	{"2022", 14, KindFirst, 44.4}, {"2022", 14, KindCompleted, 39.1},
	{"2022", 28, KindFirst, 3.7}, {"2022", 28, KindCompleted, -7.8},
	{"2021-2022", 14, KindAll, 24.6}, {"2021-2022", 28, KindAll, 14.4},
}

const claimMargin = 1.0

// The backtest on the real series: every weekly cut-off of 2021-2022, the
// doses given in the next 14 and 28 days, WAPE of the model and of the
// naive forecast. The table is logged (go test -v) and is the one in the
// README; every gain the README states is asserted (backtestClaims). The
// other assertions are about the model's structure: completions follow
// from first doses already given, so the model must beat carrying the last
// week's rate forward on them, and on all doses over 2021.
func TestBacktestOWID(t *testing.T) {
	rows := loadOWID(t)
	rep, err := Backtest(rows, weeklyCutoffs, []int{14, 28})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cutoffs < 80 {
		t.Errorf("only %d cut-off dates used (skipped %d)", rep.Cutoffs, rep.Skipped)
	}
	t.Logf("%d cut-offs, %d skipped (no value within 14 days)", rep.Cutoffs, rep.Skipped)
	for _, r := range rep.Results {
		t.Logf("%-13s h=%2d %-9s n=%3d  model WAPE %6.1f%% (bias %+6.1f%%)  naive WAPE %6.1f%% (bias %+6.1f%%)  gain %+6.1f%%",
			r.Period, r.Horizon, r.Kind, r.Model.N, r.Model.WAPE, r.Model.Bias, r.Naive.WAPE, r.Naive.Bias, r.Gain)
		for _, v := range []float64{r.Model.WAPE, r.Naive.WAPE, r.Gain} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s h=%d %s: non-finite %v", r.Period, r.Horizon, r.Kind, v)
			}
		}
	}
	for _, b := range rep.Bands {
		t.Logf("band %-9s h=%2d: actual/forecast−1 from %+.2f to %+.2f (n=%d)", b.Kind, b.Horizon, b.Lo, b.Hi, b.N)
	}
	for _, c := range backtestClaims {
		r, ok := rep.Result(c.period, c.h, c.kind)
		if !ok {
			t.Errorf("%s h=%d %s: no result for a row the README states", c.period, c.h, c.kind)
			continue
		}
		if r.Gain < c.gain-claimMargin {
			t.Errorf("%s h=%d %s: gain %+.1f%% (model WAPE %.1f%%, naive %.1f%%), the README claims %+.1f%%",
				c.period, c.h, c.kind, r.Gain, r.Model.WAPE, r.Naive.WAPE, c.gain)
		}
	}
	for _, want := range []struct {
		period string
		h      int
		kind   string
	}{{"2021", 28, KindCompleted}, {"2021", 14, KindCompleted}, {"2021", 28, KindAll}, {"2021", 28, KindFirst}} {
		r, ok := rep.Result(want.period, want.h, want.kind)
		if !ok || r.Model.N < 20 {
			t.Errorf("%s h=%d %s: missing or too few windows (%+v)", want.period, want.h, want.kind, r)
			continue
		}
		if r.Gain <= 0 {
			t.Errorf("%s h=%d %s: model WAPE %.1f%% does not beat naive %.1f%%", want.period, want.h, want.kind, r.Model.WAPE, r.Naive.WAPE)
		}
	}
	if len(rep.Bands) == 0 {
		t.Error("no error bands")
	}
}

// Why the model falls short of beating the naive forecast by 25% on all
// doses at 28 days over 2021, as the README explains it: the ramp-up
// cut-offs carry about half of the doses but most of the model's absolute
// error, the model is worse than naive there, and the error is in first
// doses (with them known, the rest of the model would be far past 25%).
// A weight between model and naive learned walk-forward (at each cut-off,
// the weight in 0, 0.1, ..., 1 with the least error on the windows that had
// ended by then) does not help: in hindsight the best weight is 1, the model
// alone. The figures are logged; the assertions are the README's statements.
func TestBacktestShortfall(t *testing.T) {
	rows := loadOWID(t)
	rep, err := Backtest(rows, weeklyCutoffs, []int{28})
	if err != nil {
		t.Fatal(err)
	}
	const h = 28
	gap := Day(BacktestOptions{}.withDefaults().MaxGapDays)
	year, ramp := DefaultPeriods[1], DefaultPeriods[0]
	type win struct{ all, first BacktestPoint }
	byCutoff := map[Day]*win{}
	var cutoffs []Day // with an "all" window, in order
	for _, p := range rep.Points {
		if p.Horizon != h || (p.Kind != KindAll && p.Kind != KindFirst) {
			continue
		}
		w := byCutoff[p.Cutoff]
		if w == nil {
			w = &win{}
			byCutoff[p.Cutoff] = w
		}
		if p.Kind == KindAll {
			w.all = p
			cutoffs = append(cutoffs, p.Cutoff)
		} else {
			w.first = p
		}
	}
	in := func(p Period, d Day) bool { return d >= p.From && d <= p.To }
	var act, model, naive, actRamp, modelRamp, naiveRamp, firstKnown, combined float64
	blendErr := func(w float64, p BacktestPoint) float64 { return math.Abs(w*p.Model + (1-w)*p.Naive - p.Actual) }
	hindsight := make([]float64, 11) // error of each fixed weight over the year
	for _, d := range cutoffs {
		if !in(year, d) {
			continue
		}
		w := byCutoff[d]
		a := w.all
		act += a.Actual
		model += math.Abs(a.Model - a.Actual)
		naive += math.Abs(a.Naive - a.Actual)
		if in(ramp, d) {
			actRamp += a.Actual
			modelRamp += math.Abs(a.Model - a.Actual)
			naiveRamp += math.Abs(a.Naive - a.Actual)
		}
		if w.first.Kind == KindFirst {
			firstKnown += math.Abs(a.Model - w.first.Model + w.first.Actual - a.Actual)
		} else {
			firstKnown += math.Abs(a.Model - a.Actual)
		}
		for i := range hindsight {
			hindsight[i] += blendErr(float64(i)/10, a)
		}
		// Walk-forward weight: learned on the windows ended by d.
		best, wt := math.Inf(1), 1.0
		for i := 10; i >= 0; i-- {
			e, n := 0.0, 0
			for _, c := range cutoffs {
				if c+h+gap > d {
					break
				}
				e += blendErr(float64(i)/10, byCutoff[c].all)
				n++
			}
			if n > 0 && e < best {
				best, wt = e, float64(i)/10
			}
		}
		combined += blendErr(wt, a)
	}
	if act == 0 || naive == 0 {
		t.Fatal("no 2021 windows")
	}
	gain := func(e float64) float64 { return 100 * (1 - e/naive) }
	bestW := 0
	for i := range hindsight {
		if hindsight[i] < hindsight[bestW] {
			bestW = i
		}
	}
	t.Logf("2021, %d days, all doses: actual %.2fM, model |error| %.2fM, naive %.2fM, gain %+.1f%%; 25%% needs the model's error %.2fM lower",
		h, act/1e6, model/1e6, naive/1e6, gain(model), (model-0.75*naive)/1e6)
	t.Logf("ramp-up cut-offs: %.0f%% of the doses, %.0f%% of the model's error (model %.2fM, naive %.2fM)",
		100*actRamp/act, 100*modelRamp/model, modelRamp/1e6, naiveRamp/1e6)
	t.Logf("with first doses known: gain %+.1f%%; walk-forward weight model/naive: gain %+.1f%%; best weight in hindsight %.1f",
		gain(firstKnown), gain(combined), float64(bestW)/10)
	if modelRamp/model < 0.8 || modelRamp/model <= actRamp/act {
		t.Errorf("the ramp-up holds %.0f%% of the error and %.0f%% of the doses; the README says most of the error", 100*modelRamp/model, 100*actRamp/act)
	}
	if modelRamp <= naiveRamp {
		t.Errorf("the model beats naive in the ramp-up (%.2fM vs %.2fM); the README says it does not", modelRamp/1e6, naiveRamp/1e6)
	}
	if gain(firstKnown) < 25 {
		t.Errorf("with first doses known the gain is only %+.1f%%; the README says first doses are the shortfall", gain(firstKnown))
	}
	if gain(combined) >= gain(model) || bestW != 10 {
		t.Errorf("combining with naive: walk-forward gain %+.1f%% vs model %+.1f%%, best weight %.1f; the README says it does not help",
			gain(combined), gain(model), float64(bestW)/10)
	}
}
