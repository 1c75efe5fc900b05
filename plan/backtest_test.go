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

// The backtest on the real series: every weekly cut-off of 2021-2022, the
// doses given in the next 14 and 28 days, WAPE of the model and of the
// naive forecast. The table is logged (go test -v) and is the one in the
// README. The assertions are about the model's structure, not its score:
// completions follow from first doses already given, so the model must
// beat carrying the last week's rate forward on them, and on all doses
// over 2021.
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
