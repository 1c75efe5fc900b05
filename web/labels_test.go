package web

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every label the dashboard shows exists in Kazakh, Russian and English,
// with the same placeholders in each and the plural forms each language
// needs (Russian three, Kazakh and English two).

var (
	tCallRE    = regexp.MustCompile(`\bt\('([a-z0-9_+]+)'`)
	labelVarRE = regexp.MustCompile(`\{(\w+)(\|[^{}]*)?\}`)
)

var labelForms = map[string]int{"en": 2, "ru": 3, "kk": 2}

func TestLabelsComplete(t *testing.T) {
	b, err := os.ReadFile("static/i18n/labels.json")
	if err != nil {
		t.Fatal(err)
	}
	var labels map[string]map[string]string
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatalf("labels.json: %v", err)
	}
	files, _ := filepath.Glob("static/js/*.js")
	used := map[string]string{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tCallRE.FindAllStringSubmatch(string(src), -1) {
			if !strings.HasSuffix(m[1], "_") { // t('role_' + role): a family of labels
				used[m[1]] = f
			}
		}
	}
	if len(used) < 100 {
		t.Fatalf("only %d labels used: is the extractor reading the scripts?", len(used))
	}
	keys := make([]string, 0, len(used))
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := labels[k]; !ok {
			t.Errorf("%s uses label %q, which labels.json lacks", used[k], k)
		}
	}
	for k, tr := range labels {
		vars := func(s string) string {
			var names []string
			for _, m := range labelVarRE.FindAllStringSubmatch(s, -1) {
				names = append(names, m[1])
				if m[2] != "" {
					lang := ""
					for l, v := range tr {
						if v == s {
							lang = l
						}
					}
					if n := strings.Count(m[2], "|"); n != labelForms[lang] {
						t.Errorf("%s (%s): {%s%s} has %d plural forms, want %d", k, lang, m[1], m[2], n, labelForms[lang])
					}
				}
			}
			sort.Strings(names)
			return strings.Join(slicesCompact(names), ",")
		}
		want := ""
		for i, lang := range []string{"en", "ru", "kk"} {
			s := strings.TrimSpace(tr[lang])
			if s == "" {
				t.Errorf("label %q has no %s text", k, lang)
				continue
			}
			if got := vars(tr[lang]); i == 0 {
				want = got
			} else if got != want {
				t.Errorf("label %q: %s placeholders {%s}, English has {%s}", k, lang, got, want)
			}
		}
	}
}

func slicesCompact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
