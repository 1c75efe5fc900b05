package main

import "testing"

func TestParseMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"3GiB", 3 << 30, false},
		{" 512MiB ", 512 << 20, false},
		{"1.5GiB", 3 << 29, false},
		{"2 TiB", 2 << 40, false},
		{"64KiB", 64 << 10, false},
		{"100B", 100, false},
		{"GiB", 0, true},
		{"-1GiB", 0, true},
		{"3GB", 0, true},
		{"1e9", 0, true},
		{"NaN", 0, true},
		{"Inf", 0, true},
		{"0x10", 0, true},
		{"9000000TiB", 0, true},
		{"lots", 0, true},
	} {
		got, err := parseMemoryLimit("memory-limit", tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func FuzzParseMemoryLimit(f *testing.F) {
	for _, s := range []string{"3GiB", "1.5MiB", "12", "", "-0", "1e3KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseMemoryLimit("memory-limit", s)
		if err == nil && v < 0 {
			t.Fatalf("parseMemoryLimit(%q) = %d", s, v)
		}
		if err != nil && v != 0 {
			t.Fatalf("parseMemoryLimit(%q) = %d with error %v", s, v, err)
		}
	})
}
