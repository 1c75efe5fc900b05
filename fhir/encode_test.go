package fhir

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"vaxtrace"
)

func marshalNoHTML(v any) string {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSuffix(sb.String(), "\n")
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	keys := testKeys(t)
	eng := newMemEngine(t)
	seedBase(t, eng, 100)
	seedPeople(t, eng, keys, 30)
	n := 0
	eng.Read(func(s *vaxtrace.State) {
		s.EachPerson(func(p *vaxtrace.PersonState) bool {
			pt := PatientOf(p, s, "850101300145")
			if got, want := string(appendPatient(nil, &pt)), marshalNoHTML(&pt); got != want {
				t.Errorf("patient:\n%s\n%s", got, want)
			}
			n++
			return true
		})
		s.EachDose(func(d *vaxtrace.DoseState) bool {
			im := ImmunizationOf(d, s)
			if got, want := string(appendImmunization(nil, &im)), marshalNoHTML(&im); got != want {
				t.Errorf("immunization:\n%s\n%s", got, want)
			}
			n++
			return true
		})
	})
	odd := []string{"", "a\"b", "back\\slash", "<&>", "tab\tnl\n", "\x01\x7f", "Қазақстан", "bad\xffutf8", "\u2028sep", "\b\f"}
	for _, s := range odd {
		p := Patient{ResourceType: "Patient", ID: s, Meta: &Meta{Profile: []string{s, s}}, Name: []HumanName{{Family: s, Given: []string{s, s}}}, Extension: []Extension{{URL: s, ValueCode: s}, {URL: s, ValueCoding: &Coding{System: s, Code: s}}},
			Identifier: []Identifier{{System: s, Value: s, Assigner: &Reference{Type: s, Identifier: &Identifier{Value: s}, Display: s}}}, Address: []Address{{State: s}}}
		if got, want := string(appendPatient(nil, &p)), marshalNoHTML(&p); got != want {
			t.Errorf("%q:\n%s\n%s", s, got, want)
		}
		tr := true
		m := Immunization{ResourceType: "Immunization", ID: s, Status: s, LotNumber: s, PrimarySource: &tr, Patient: &Reference{Reference: s, Identifier: &Identifier{Value: s}},
			VaccineCode: &CodeableConcept{Text: s, Coding: []Coding{{Code: s}}}, Performer: []Performer{{Actor: Reference{Display: s}}},
			ProtocolApplied: []ProtocolApplied{{Series: s, Authority: &Reference{Display: s}, DoseNumberString: s, SeriesDosesPositiveInt: 3, TargetDisease: []CodeableConcept{{Text: s}}}}, Meta: &Meta{}}
		if got, want := string(appendImmunization(nil, &m)), marshalNoHTML(&m); got != want {
			t.Errorf("%q:\n%s\n%s", s, got, want)
		}
		m.Note = []Annotation{{Text: s}}
		if got, want := string(appendImmunization(nil, &m)), marshalNoHTML(&m); got != want {
			t.Errorf("fallback %q:\n%s\n%s", s, got, want)
		}
	}
	if n < 50 {
		t.Fatalf("only %d resources compared", n)
	}
	_ = context.Background
}
