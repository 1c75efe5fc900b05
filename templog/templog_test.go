package templog

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFridgeTag2(t *testing.T) {
	almaty := time.FixedZone("UTC+6", 6*3600)
	f, err := Parse(read(t, "fridgetag-2.txt"), Options{Location: almaty})
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != FormatFridgeTag || f.Serial != "130400900021" || f.Device != "Q-tag Fridge-tag 2" {
		t.Fatalf("header: %+v", f)
	}
	if len(f.Alarms) != 2 || f.Alarms[0] != (AlarmConfig{0, -0.5, 60}) || f.Alarms[1] != (AlarmConfig{1, 8, 600}) {
		t.Fatalf("alarm configuration: %+v", f.Alarms)
	}
	if !f.Alarms[1].High(f.Alarms) || f.Alarms[0].High(f.Alarms) {
		t.Fatal("high/low alarms mixed up")
	}
	// ten entries, one of them malformed (line 100: "Max T: warm")
	if len(f.Days) != 9 || len(f.Errors) != 1 || f.Errors[0].Line != 100 || !strings.Contains(f.Errors[0].Message, "warm") {
		t.Fatalf("%d days, errors %+v", len(f.Days), f.Errors)
	}
	var alarmDay *Day
	for i := range f.Days {
		if f.Days[i].Date.Format("2006-01-02") == "2021-03-16" {
			alarmDay = &f.Days[i]
		}
	}
	if alarmDay == nil || alarmDay.MaxC != 11.6 || alarmDay.MinC != 4.1 {
		t.Fatalf("16 March: %+v", alarmDay)
	}
	// local 13:40 is 07:40 UTC
	if want := time.Date(2021, 3, 16, 7, 40, 0, 0, time.UTC); !alarmDay.MaxAt.Equal(want) {
		t.Fatalf("max at %v, want %v", alarmDay.MaxAt, want)
	}
	if len(alarmDay.Alarms) != 2 || alarmDay.Alarms[1].Minutes != 620 || alarmDay.Alarms[1].Triggered == nil ||
		!alarmDay.Alarms[1].Triggered.Equal(time.Date(2021, 3, 16, 8, 20, 0, 0, time.UTC)) || alarmDay.Alarms[0].Triggered != nil {
		t.Fatalf("16 March alarms: %+v", alarmDay.Alarms)
	}
	if len(f.Readings) != 0 {
		t.Fatalf("a Fridge-tag 2 logs no readings, got %d", len(f.Readings))
	}
}

func TestFridgeTag2L(t *testing.T) {
	f, err := Parse(read(t, "fridgetag-2l.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Serial != "130500900042" || len(f.Days) != 2 {
		t.Fatalf("header: serial %q, %d days", f.Serial, len(f.Days))
	}
	// two days at 10 minutes, two rows malformed
	if len(f.Readings) != 288 || len(f.Errors) != 2 {
		t.Fatalf("%d readings, errors %+v", len(f.Readings), f.Errors)
	}
	for i := 1; i < len(f.Readings); i++ {
		if f.Readings[i].Line <= f.Readings[i-1].Line {
			t.Fatal("readings out of file order")
		}
	}
	first := f.Readings[0]
	if !first.At.Equal(time.Date(2021, 3, 18, 0, 0, 0, 0, time.UTC)) || first.C != -20.5 {
		t.Fatalf("first reading %+v", first)
	}
}

func TestCSV(t *testing.T) {
	f, err := Parse(read(t, "readings.csv"), Options{Location: time.FixedZone("UTC+6", 6*3600)})
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != FormatCSV || len(f.Readings) != 4 || len(f.Errors) != 2 {
		t.Fatalf("%d readings, errors %+v", len(f.Readings), f.Errors)
	}
	if f.Errors[0].Line != 4 || f.Errors[1].Line != 7 {
		t.Fatalf("error lines %+v", f.Errors)
	}
	r := f.Readings[1]
	if r.Device != "RTM-AKM-01" || r.C != 4.7 || !r.At.Equal(time.Date(2021, 3, 20, 4, 10, 0, 0, time.UTC)) {
		t.Fatalf("second reading %+v", r)
	}
	if got := f.Readings[3].At; !got.Equal(time.Date(2021, 3, 20, 4, 40, 0, 0, time.UTC)) {
		t.Fatalf("RFC 3339 reading at %v", got)
	}
	// without a device column the caller names it
	if _, err := Parse([]byte("time,temperature_c\n2021-03-20 10:00,4\n"), Options{}); err == nil {
		t.Fatal("a CSV without device accepted without a device name")
	}
	g, err := Parse([]byte("time,temperature_c\n2021-03-20 10:00,4\n"), Options{Device: "D1"})
	if err != nil || len(g.Readings) != 1 || g.Device != "D1" {
		t.Fatalf("named device: %+v %v", g, err)
	}
}

func TestNotARecorderFile(t *testing.T) {
	for _, b := range []string{"", "hello\n", "a,b,c\n1,2,3\n", "Device: x\nno conf\n"} {
		if _, err := Parse([]byte(b), Options{Device: "D"}); !errors.Is(err, ErrNotRecorderFile) {
			t.Errorf("%q: %v", b, err)
		}
	}
	if _, err := Parse([]byte("Device: x\nConf:\n Temp unit: C\n"), Options{}); err == nil {
		t.Error("a Fridge-tag file without serial accepted")
	}
}

// The parsers never panic, and every row and error names a line of the input.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"fridgetag-2.txt", "fridgetag-2l.txt", "readings.csv"} {
		f.Add(read(f, name))
	}
	f.Add([]byte("Device: x\nConf:\n Serial: 1\nHist:\n 1:\n  Date: 2021-01-01\n  Alarm:\n   0:\n    t Acc: 5, TS A: 25:00\n"))
	f.Add([]byte("device,time,c\n\"a,1,2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b, Options{Device: "D"})
		if err != nil {
			return
		}
		lines := bytes.Count(b, []byte("\n")) + 1
		for _, r := range file.Readings {
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("reading on line %d of %d", r.Line, lines)
			}
		}
		for _, e := range file.Errors {
			if e.Line < 1 || e.Line > lines || e.Message == "" {
				t.Fatalf("error %+v of %d lines", e, lines)
			}
		}
		for _, d := range file.Days {
			if d.Date.IsZero() {
				t.Fatal("a day without a date")
			}
		}
	})
}
