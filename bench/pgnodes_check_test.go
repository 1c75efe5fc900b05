package bench

import (
	"strings"
	"testing"
)

// TestAgree: the nodes agree only when every one answered at the writers'
// last event and all the answers are the same bytes.
func TestAgree(t *testing.T) {
	a := func(node string, seq uint64, body string) answer { return answer{node, seq, []byte(body)} }
	for _, tc := range []struct {
		name string
		as   []answer
		want string // "" agrees; else in the error
	}{
		{"same", []answer{a("w1", 9, `{"x":1}`), a("w2", 9, `{"x":1}`), a("ro", 9, `{"x":1}`)}, ""},
		{"reader behind", []answer{a("w1", 9, `{"x":1}`), a("w2", 9, `{"x":1}`), a("ro", 8, `{"x":1}`)}, "ro answered at seq 8"},
		{"writer behind", []answer{a("w1", 9, `{"x":1}`), a("w2", 7, `{"x":1}`), a("ro", 9, `{"x":1}`)}, "w2 answered at seq 7"},
		{"different answer", []answer{a("w1", 9, `{"x":1}`), a("w2", 9, `{"x":1}`), a("ro", 9, `{"x":2}`)}, `ro answers {"x":2}`},
		{"one byte more", []answer{a("w1", 9, `{"x":1}`), a("w2", 9, `{"x":1} `), a("ro", 9, `{"x":1}`)}, "w2 answers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := agree("overview", 9, tc.as)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("agree: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("agree: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
