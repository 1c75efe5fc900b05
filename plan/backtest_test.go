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

func TestBacktestOWID(t *testing.T) {
	rows := loadOWID(t)
	dates := CutoffDates(Date(2021, time.February, 28), Date(2022, time.December, 31), 7)
	rep, err := Backtest(rows, dates, []int{14, 28})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cutoffs < 60 {
		t.Errorf("only %d cut-off dates used (skipped %d)", rep.Cutoffs, rep.Skipped)
	}
	for _, r := range rep.Results {
		t.Logf("h=%2d %-5s model: n=%3d MAPE %6.2f%% MAE %9.0f bias %+9.0f incMAPE %6.1f%% | naive: MAPE %6.2f%% MAE %9.0f bias %+9.0f incMAPE %6.1f%%",
			r.Horizon, r.Metric, r.Model.N, r.Model.MAPE, r.Model.MAE, r.Model.Bias, r.Model.IncMAPE, r.Naive.MAPE, r.Naive.MAE, r.Naive.Bias, r.Naive.IncMAPE)
		for _, v := range []float64{r.Model.MAPE, r.Model.MAE, r.Model.Bias, r.Naive.MAPE} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("h=%d %s: non-finite error %v", r.Horizon, r.Metric, v)
			}
		}
		if r.Model.N < 40 {
			t.Errorf("h=%d %s: only %d comparisons", r.Horizon, r.Metric, r.Model.N)
		}
	}
	for _, h := range []int{14, 28} {
		r, ok := rep.Result(h, "first")
		if !ok {
			t.Fatalf("no result for h=%d first", h)
		}
		// A sanity bound, not a tuning target: cumulative first doses within 15 %.
		if r.Model.MAPE > 15 {
			t.Errorf("h=%d first: MAPE %.1f%% is implausibly large", h, r.Model.MAPE)
		}
	}
}
