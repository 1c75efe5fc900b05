package web

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"vaxtrace/httperr"
)

// The dashboard renders every server message (errors, and the planner's
// explanations) in the chosen language from its template and parameters,
// using the catalog static/i18n/messages.json. These tests extract every
// message template from the Go source of the module and fail when one has
// no Kazakh or Russian translation, so that a new message cannot ship
// untranslated.

// messageFuncs are the functions whose argument at the given index is a
// message template (a fmt format). Qualified names are "pkg.Func" as
// written in the calling file; unqualified ones are matched in the package
// that declares them.
var messageFuncs = map[string]int{
	"vaxtrace.FieldError": 1, "vaxtrace.Errorf": 1, "vaxtrace.NotFound": 1,
	"vaxtrace:FieldError": 1, "vaxtrace:Errorf": 1, "vaxtrace:NotFound": 1,
	"plan:inputErr": 1, "plan:Explain": 0, "plan.Explain": 0,
	"gs1:bad": 0,
}

type template struct {
	text  string
	where string // first file:line that uses it
}

// moduleRoot is the repository root, one level above this package.
const moduleRoot = ".."

// extractTemplates parses every non-test Go file of the module and returns
// the message templates it uses, and the calls whose template is not a
// string literal (they cannot be translated).
func extractTemplates(t *testing.T) (map[string]template, []string) {
	t.Helper()
	out := map[string]template{}
	var dynamic []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != moduleRoot && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		pkg := f.Name.Name
		if pkg == "main" {
			pkg = "main:" + filepath.Base(filepath.Dir(path))
		}
		// a registered message function may forward its own format
		// parameter (gs1's bad, plan's inputErr): that call is not a template
		var wrapper string
		ast.Inspect(f, func(n ast.Node) bool {
			if fd, ok := n.(*ast.FuncDecl); ok {
				wrapper = ""
				if _, ok := messageFuncs[f.Name.Name+":"+fd.Name.Name]; ok {
					wrapper = fd.Name.Name
				}
				return true
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok {
					name = x.Name + "." + fn.Sel.Name
				}
			case *ast.Ident:
				name = f.Name.Name + ":" + fn.Name
			}
			idx, ok := messageFuncs[name]
			if !ok || len(call.Args) <= idx {
				return true
			}
			pos := fset.Position(call.Pos())
			where := fmt.Sprintf("%s:%d", strings.TrimPrefix(filepath.ToSlash(pos.Filename), "../"), pos.Line)
			if _, isIdent := call.Args[idx].(*ast.Ident); isIdent && wrapper != "" {
				return true
			}
			s, ok, err := constString(call.Args[idx])
			if err != nil {
				t.Errorf("%s: %v", where, err)
				return true
			}
			if !ok {
				dynamic = append(dynamic, where)
				return true
			}
			if _, seen := out[s]; !seen {
				out[s] = template{text: s, where: where}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range httperr.GenericTemplates {
		out[s] = template{text: s, where: "httperr"}
	}
	return out, dynamic
}

// verbs returns the fmt verbs of a Go template in order ("%%" excluded).
var verbRE = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)

func verbs(s string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}

// placeholderRE matches {0}, {1}, … and plural choices {0|a|b|c}.
var placeholderRE = regexp.MustCompile(`\{(\d+)(\|[^{}]*)?\}`)

type catalog map[string]map[string]string

func loadCatalog(t *testing.T) catalog {
	t.Helper()
	b, err := os.ReadFile("static/i18n/messages.json")
	if err != nil {
		t.Fatal(err)
	}
	var c catalog
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("messages.json: %v", err)
	}
	return c
}

// pluralForms is the number of plural forms each language's rule picks
// from (CLDR: Russian one/few/many, Kazakh one/other).
var pluralForms = map[string]int{"ru": 3, "kk": 2}

func TestEveryMessageTranslated(t *testing.T) {
	tpls, dynamic := extractTemplates(t)
	if len(tpls) < 100 {
		t.Fatalf("only %d templates found: is the extractor looking at the module?", len(tpls))
	}
	for _, w := range dynamic {
		t.Errorf("%s: the message template is not a string literal, so it cannot be translated", w)
	}
	cat := loadCatalog(t)
	keys := make([]string, 0, len(tpls))
	for k := range tpls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var missing []string
	for _, k := range keys {
		tp := tpls[k]
		n := len(verbs(k))
		for _, lang := range []string{"kk", "ru"} {
			tr, ok := cat[k][lang]
			if !ok || strings.TrimSpace(tr) == "" {
				missing = append(missing, fmt.Sprintf("%s (%s): %q", lang, tp.where, k))
				continue
			}
			used := map[int]bool{}
			for _, m := range placeholderRE.FindAllStringSubmatch(tr, -1) {
				i, _ := strconv.Atoi(m[1])
				if i >= n {
					t.Errorf("%s %q: {%d} but the template has %d parameters", lang, k, i, n)
				}
				if m[2] != "" {
					if forms := strings.Count(m[2], "|"); forms != pluralForms[lang] {
						t.Errorf("%s %q: {%d%s} has %d plural forms, %s needs %d", lang, k, i, m[2], forms, lang, pluralForms[lang])
					}
					continue
				}
				used[i] = true
			}
			for i := 0; i < n; i++ {
				if !used[i] {
					t.Errorf("%s %q: parameter {%d} is not shown", lang, k, i)
				}
			}
			if strings.Contains(placeholderRE.ReplaceAllString(tr, ""), "%") && !strings.Contains(k, "%%") {
				t.Errorf("%s %q: a Go verb was left in the translation %q", lang, k, tr)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d message translations missing (add them to web/static/i18n/messages.json):\n%s", len(missing), strings.Join(missing, "\n"))
	}
	// Entries for templates no longer in the code are dead weight.
	for k := range cat {
		if _, ok := tpls[k]; !ok && !strings.HasPrefix(k, "@") {
			t.Errorf("messages.json: %q is not used by any Go code", k)
		}
	}
}

// TestDumpMissingMessages writes a skeleton of the missing entries when
// VAXTRACE_DUMP_MESSAGES names a file (a translator's aid, not a check).
func TestDumpMissingMessages(t *testing.T) {
	path := os.Getenv("VAXTRACE_DUMP_MESSAGES")
	if path == "" {
		t.Skip("set VAXTRACE_DUMP_MESSAGES to write the skeleton")
	}
	tpls, _ := extractTemplates(t)
	cat := loadCatalog(t)
	skel := map[string]map[string]string{}
	for k, tp := range tpls {
		if cat[k]["ru"] == "" || cat[k]["kk"] == "" {
			skel[k] = map[string]string{"where": tp.where}
		}
	}
	b, _ := json.MarshalIndent(skel, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// constString evaluates a string literal or a concatenation of string
// literals ("a " + "b"), the forms a long message template is written in.
func constString(e ast.Expr) (string, bool, error) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false, nil
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil, err
	case *ast.ParenExpr:
		return constString(x.X)
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false, nil
		}
		a, ok, err := constString(x.X)
		if !ok || err != nil {
			return "", ok, err
		}
		b, ok, err := constString(x.Y)
		return a + b, ok, err
	}
	return "", false, nil
}
