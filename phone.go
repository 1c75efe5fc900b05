package vaxtrace

import "strings"

// NormalizePhone turns a phone number as typed into its international form
// (+ and 8 to 15 digits). Spaces, dashes, dots and parentheses are ignored;
// a Kazakh number may be written 8 7XX XXX XX XX, 7XX XXX XX XX or
// +7 7XX XXX XX XX. Anything else is refused with the reason.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", FieldError("phone", "is empty")
	}
	plus := strings.HasPrefix(s, "+")
	var d []byte
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || (r == '+' && i == 0):
		default:
			return "", FieldError("phone", "is not a phone number: only digits, spaces, dashes and a leading + are allowed")
		}
	}
	switch {
	case !plus && len(d) == 11 && d[0] == '8': // 8 7XX XXX XX XX, the national prefix
		d = append([]byte{'7'}, d[1:]...)
	case !plus && len(d) == 10 && d[0] == '7': // 7XX XXX XX XX without the country code
		d = append([]byte{'7'}, d...)
	case !plus && !(len(d) == 11 && d[0] == '7'):
		return "", FieldError("phone", "is not a phone number: write it as +7 7XX XXX XX XX")
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", FieldError("phone", "is not a phone number: an international number has 8 to 15 digits")
	}
	if d[0] == '7' && len(d) != 11 {
		return "", FieldError("phone", "is not a phone number: a number in Kazakhstan has 11 digits with the country code 7")
	}
	return "+" + string(d), nil
}
