package monitor

import (
	"testing"
	"time"
)

func TestParsePayload(t *testing.T) {
	at := time.Date(2021, 3, 20, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		n    int
		fail bool
	}{
		{`{"t":"2021-03-20T10:00:00Z","c":-19.5}`, 1, false},
		{`{"t":"2021-03-20T16:00:00+06:00","c":4}`, 1, false},
		{`{"t":1616234400,"c":4.5}`, 1, false},
		{` [{"t":1616234400,"c":4.5},{"t":1616235000,"c":4.6}] `, 2, false},
		{`[]`, 0, false},
		{`{"t":"yesterday","c":4}`, 0, true},
		{`{"t":1616234400}`, 0, true},
		{`{"c":4}`, 0, true},
		{`{"t":-5,"c":4}`, 0, true},
		{`{"t":true,"c":4}`, 0, true},
		{`not json`, 0, true},
		{`[{"t":1616234400,"c":"warm"}]`, 0, true},
	}
	for _, c := range cases {
		rs, err := ParsePayload([]byte(c.in))
		if (err != nil) != c.fail || (!c.fail && len(rs) != c.n) {
			t.Errorf("%s: %v, %v", c.in, rs, err)
			continue
		}
		if len(rs) > 0 && !rs[0].At.Equal(at) {
			t.Errorf("%s: at %v, want %v", c.in, rs[0].At, at)
		}
	}
}

func TestDeviceFromTopic(t *testing.T) {
	for topic, want := range map[string]string{
		"vaxtrace/v1/rtm/RTM-1": "RTM-1", "vaxtrace/v1/rtm/": "", "vaxtrace/v1/rtm/a/b": "", "other/RTM-1": "", Topic("x.y"): "x.y",
	} {
		if got := DeviceFromTopic(topic); got != want {
			t.Errorf("%q: %q, want %q", topic, got, want)
		}
	}
}

func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(`{"t":"2021-03-20T10:00:00Z","c":-19.5}`))
	f.Add([]byte(`[{"t":1616234400,"c":4.5},{"t":1616235000.5,"c":4.6}]`))
	f.Add([]byte(`{"t":1e300,"c":1e308}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := ParsePayload(b)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.At.IsZero() && r.At.Unix() != 0 {
				t.Fatalf("zero time accepted: %+v", r)
			}
		}
	})
}
