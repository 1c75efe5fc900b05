package hcert

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schemas is a set of compiled DCC JSON schemas keyed by version ("1.3.0").
// The schema files are not embedded in the binary: they are published by
// the eHealth Network (ehn-dcc-schema) and loaded from disk with
// LoadSchemas. Format keywords are annotations only (not asserted), as in
// the reference validators.
//
// Value-set files found under dir/valuesets and dir/versions/*/valuesets
// (ehn-dcc-valuesets) are loaded too, for the stricter, separate
// ValidateValueSets check.
type Schemas struct {
	byVersion map[string]*jsonschema.Schema
	latest    *jsonschema.Schema
	valueSets map[string]map[string]bool // file base name -> codes
}

// LoadSchemas loads a checkout of ehn-dcc-schema: every
// dir/versions/<ver>/D?C.combined-schema.json, plus
// dir/DCC.combined-schema.json as the fallback for unknown versions.
func LoadSchemas(dir string) (*Schemas, error) {
	s := &Schemas{byVersion: map[string]*jsonschema.Schema{}}
	files, err := filepath.Glob(filepath.Join(dir, "versions", "*", "D?C.combined-schema.json"))
	if err != nil {
		return nil, fmt.Errorf("hcert: listing schemas: %w", err)
	}
	for _, f := range files {
		sch, err := compileSchema(f)
		if err != nil {
			return nil, err
		}
		s.byVersion[filepath.Base(filepath.Dir(f))] = sch
	}
	if latest := filepath.Join(dir, "DCC.combined-schema.json"); fileExists(latest) {
		if s.latest, err = compileSchema(latest); err != nil {
			return nil, err
		}
	}
	vsFiles, _ := filepath.Glob(filepath.Join(dir, "valuesets", "*.json"))
	more, _ := filepath.Glob(filepath.Join(dir, "versions", "*", "valuesets", "*.json"))
	for _, f := range append(vsFiles, more...) {
		if err := s.loadValueSet(f); err != nil {
			return nil, err
		}
	}
	if len(s.byVersion) == 0 && s.latest == nil {
		return nil, fmt.Errorf("hcert: no DCC schemas found under %s", dir)
	}
	return s, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func compileSchema(path string) (*jsonschema.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hcert: %w", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("hcert: parsing schema %s: %w", path, err)
	}
	c := jsonschema.NewCompiler()
	// Every version shares the same $id, so each gets its own compiler and
	// a private URL; the loader never fetches anything from the network.
	url := "file:///dcc/" + filepath.ToSlash(path)
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("hcert: adding schema %s: %w", path, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("hcert: compiling schema %s: %w", path, err)
	}
	return sch, nil
}

// Versions lists the loaded schema versions.
func (s *Schemas) Versions() []string {
	var v []string
	for k := range s.byVersion {
		v = append(v, k)
	}
	slices.Sort(v)
	return v
}

// Validate checks a decoded hcert (JSON data model) against the schema of
// its own "ver" (the latest schema when that version is unknown) and the
// rule that exactly one of v/t/r is present.
func (s *Schemas) Validate(hcert map[string]any) error {
	ver, _ := hcert["ver"].(string)
	if ver == "" {
		return fmt.Errorf("%w: hcert has no \"ver\" string", ErrSchema)
	}
	sch := s.byVersion[ver]
	if sch == nil {
		sch = s.latest
	}
	if sch == nil {
		return fmt.Errorf("%w: no schema for version %s", ErrSchema, ver)
	}
	if err := sch.Validate(hcert); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%w: DCC %s: %s", ErrSchema, ver, flattenSchemaError(ve))
		}
		return fmt.Errorf("%w: DCC %s: %w", ErrSchema, ver, err)
	}
	return exactlyOneEntryKind(hcert)
}

func (s *Schemas) loadValueSet(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("hcert: %w", err)
	}
	var vs struct {
		ValueSetValues map[string]json.RawMessage `json:"valueSetValues"`
	}
	if err := json.Unmarshal(data, &vs); err != nil {
		return fmt.Errorf("hcert: value set %s: %w", path, err)
	}
	if len(vs.ValueSetValues) == 0 {
		return nil // e.g. encoding instructions, not a code list
	}
	name := strings.TrimSuffix(filepath.Base(path), ".json")
	name = strings.TrimSuffix(name, "-example") // test-manf-example.json
	if s.valueSets == nil {
		s.valueSets = map[string]map[string]bool{}
	}
	if s.valueSets[name] == nil {
		s.valueSets[name] = map[string]bool{}
	}
	for code := range vs.ValueSetValues {
		s.valueSets[name][code] = true
	}
	return nil
}

// valueSetFields maps entry fields to value-set names.
var valueSetFields = map[string]map[string]string{
	"v": {"tg": "disease-agent-targeted", "vp": "vaccine-prophylaxis", "mp": "vaccine-medicinal-product", "ma": "vaccine-mah-manf", "co": "country-2-codes"},
	"t": {"tg": "disease-agent-targeted", "tt": "test-type", "ma": "test-manf", "tr": "test-result", "co": "country-2-codes"},
	"r": {"tg": "disease-agent-targeted", "co": "country-2-codes"},
}

// ValidateValueSets checks that coded fields (tg, vp, mp, ma, tt, tr, co)
// hold a code from the union of the loaded eHN value sets. The JSON schema
// only annotates these fields with "valueset-uri", so this is a semantic
// check beyond schema validity; real-world certificates (and several
// official test vectors) carry legacy codes that fail it, which is why
// it is opt-in (Verifier.CheckValueSets). Without value sets it is a no-op.
func (s *Schemas) ValidateValueSets(hcert map[string]any) error {
	if len(s.valueSets) == 0 {
		return nil
	}
	for kind, fields := range valueSetFields {
		entries, _ := hcert[kind].([]any)
		for i, e := range entries {
			m, _ := e.(map[string]any)
			for field, set := range fields {
				codes := s.valueSets[set]
				val, present := m[field]
				if codes == nil || !present {
					continue
				}
				str, _ := val.(string)
				if !codes[str] {
					return fmt.Errorf("%w: %s[%d].%s %q is not in value set %s", ErrSchema, kind, i, field, fmt.Sprint(val), set)
				}
			}
		}
	}
	return nil
}

func exactlyOneEntryKind(hcert map[string]any) error {
	n := 0
	for _, k := range []string{"v", "t", "r"} {
		if _, ok := hcert[k]; ok {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%w: exactly one of v/t/r must be present, found %d", ErrSchema, n)
	}
	return nil
}

var schemaPrinter = message.NewPrinter(language.English)

// flattenSchemaError renders the leaf causes on one line.
func flattenSchemaError(ve *jsonschema.ValidationError) string {
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			parts = append(parts, "/"+strings.Join(e.InstanceLocation, "/")+": "+e.ErrorKind.LocalizedString(schemaPrinter))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if len(parts) > 4 {
		parts = append(parts[:4], fmt.Sprintf("(+%d more)", len(parts)-4))
	}
	return strings.Join(parts, "; ")
}
