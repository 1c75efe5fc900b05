package vaxtrace

// IIN weights for the two-pass weighted mod-11 control digit (Government
// Decree No. 406 of 22 May 2007; see shared/reference/kazakhstan-2021.yaml).
var (
	iinW1 = [11]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	iinW2 = [11]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2}
)

// IINControlDigit returns the control digit for the first 11 digits of an IIN,
// or -1 if that prefix is never issued (both passes give 10).
func IINControlDigit(d [11]int) int {
	s := 0
	for i, v := range d {
		s += v * iinW1[i]
	}
	c := s % 11
	if c < 10 {
		return c
	}
	s = 0
	for i, v := range d {
		s += v * iinW2[i]
	}
	c = s % 11
	if c < 10 {
		return c
	}
	return -1
}

// ValidateIIN checks the Kazakh individual identification number: 12 ASCII
// digits and a correct control digit. The date and sex digits are hints only
// (since 2013 they need not match the person) and are never a reason to reject.
// The returned error never contains the IIN itself, so it is safe to log.
func ValidateIIN(iin string) error {
	if len(iin) != 12 {
		return FieldError("iin", "must be exactly 12 digits (got %d characters)", len(iin))
	}
	var d [11]int
	for i := 0; i < 12; i++ {
		c := iin[i]
		if c < '0' || c > '9' {
			return FieldError("iin", "must contain digits only (position %d is not a digit)", i+1)
		}
		if i < 11 {
			d[i] = int(c - '0')
		}
	}
	want := IINControlDigit(d)
	if want < 0 {
		return FieldError("iin", "invalid: this 11-digit prefix is never issued (control digit would be 10 in both passes)")
	}
	if int(iin[11]-'0') != want {
		return FieldError("iin", "check digit does not match")
	}
	return nil
}

// CompleteIIN appends the control digit to an 11-digit prefix; ok is false if
// the prefix is never issued. Used by the generator and tests.
func CompleteIIN(prefix string) (string, bool) {
	if len(prefix) != 11 {
		return "", false
	}
	var d [11]int
	for i := 0; i < 11; i++ {
		if prefix[i] < '0' || prefix[i] > '9' {
			return "", false
		}
		d[i] = int(prefix[i] - '0')
	}
	c := IINControlDigit(d)
	if c < 0 {
		return "", false
	}
	return prefix + string(rune('0'+c)), true
}
