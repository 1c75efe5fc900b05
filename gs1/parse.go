package gs1

import (
	"strings"
	"time"

	"vaxtrace"
)

// GS is the ASCII group separator that stands for FNC1 in transmitted data.
const GS = '\x1d'

// MaxLen bounds the input (the largest GS1 DataMatrix holds 2,335
// alphanumeric characters; a pack label carries far fewer).
const MaxLen = 1024

// Code is a parsed GS1 element string.
type Code struct {
	// Symbology names the barcode type when the input began with a
	// symbology identifier ("GS1 DataMatrix" for ]d2), else "".
	Symbology string `json:"symbology,omitempty"`
	// Form is "raw" or "bracketed".
	Form string `json:"form"`
	// GTIN is AI 01, 14 digits with a valid check digit ("" if absent).
	GTIN string `json:"gtin,omitempty"`
	// Expiry is AI 17 as a date (0 if absent); ExpiryText is as printed.
	Expiry     vaxtrace.Date `json:"expiry,omitzero"`
	ExpiryText string        `json:"expiry_text,omitempty"`
	Lot        string        `json:"lot,omitempty"`    // AI 10
	Serial     string        `json:"serial,omitempty"` // AI 21
	// Other holds any other recognised AI and its value.
	Other map[string]string `json:"other,omitempty"`
}

// aiSpec is the data format of an application identifier.
type aiSpec struct {
	name    string
	fixed   int  // exact length of a predefined-length AI, else 0
	max     int  // maximum length of a variable-length AI
	numeric bool // digits only
}

// ais lists the AIs this parser knows. Predefined-length AIs (GS1 General
// Specifications, figure 5.10.1-2) need no separator after them; the others
// end at a GS or at the end of the data.
var ais = map[string]aiSpec{
	"00":  {name: "SSCC", fixed: 18, numeric: true},
	"01":  {name: "GTIN", fixed: 14, numeric: true},
	"02":  {name: "CONTENT", fixed: 14, numeric: true},
	"11":  {name: "PROD DATE", fixed: 6, numeric: true},
	"12":  {name: "DUE DATE", fixed: 6, numeric: true},
	"13":  {name: "PACK DATE", fixed: 6, numeric: true},
	"15":  {name: "BEST BEFORE", fixed: 6, numeric: true},
	"16":  {name: "SELL BY", fixed: 6, numeric: true},
	"17":  {name: "EXPIRY", fixed: 6, numeric: true},
	"20":  {name: "VARIANT", fixed: 2, numeric: true},
	"10":  {name: "BATCH/LOT", max: 20},
	"21":  {name: "SERIAL", max: 20},
	"22":  {name: "CPV", max: 20},
	"240": {name: "ADDITIONAL ID", max: 30},
	"241": {name: "CUST. PART No.", max: 30},
	"30":  {name: "VAR. COUNT", max: 8, numeric: true},
	"37":  {name: "COUNT", max: 8, numeric: true},
	"710": {name: "NHRN PZN", max: 20},
	"711": {name: "NHRN CIP", max: 20},
	"712": {name: "NHRN CN", max: 20},
	"713": {name: "NHRN DRN", max: 20},
	"714": {name: "NHRN AIM", max: 20},
	"90":  {name: "INTERNAL", max: 30},
	"91":  {name: "INTERNAL", max: 90},
	"92":  {name: "INTERNAL", max: 90},
	"93":  {name: "INTERNAL", max: 90},
	"94":  {name: "INTERNAL", max: 90},
	"95":  {name: "INTERNAL", max: 90},
	"96":  {name: "INTERNAL", max: 90},
	"97":  {name: "INTERNAL", max: 90},
	"98":  {name: "INTERNAL", max: 90},
	"99":  {name: "INTERNAL", max: 90},
}

// lookup finds the AI at the start of s: two digits, or three for the
// three-digit AIs above, or four for the measures 3100-3699 (6 digits each).
func lookup(s string) (string, aiSpec, bool) {
	if len(s) >= 4 && isMeasure(s[:4]) {
		return s[:4], specOf(s[:4]), true
	}
	if len(s) >= 3 {
		if sp, ok := ais[s[:3]]; ok {
			return s[:3], sp, true
		}
	}
	if len(s) >= 2 {
		if sp, ok := ais[s[:2]]; ok {
			return s[:2], sp, true
		}
	}
	return "", aiSpec{}, false
}

// symbologies maps the GS1 symbology identifiers to names; other
// identifiers of the same barcode types mean data without FNC1 in first
// position, i.e. not a GS1 code.
var symbologies = map[string]string{
	"]d2": "GS1 DataMatrix",
	"]C1": "GS1-128",
	"]Q3": "GS1 QR Code",
	"]e0": "GS1 DataBar",
	"]J1": "GS1 DotCode",
}

var gsStandIns = strings.NewReplacer("<GS>", "\x1d", "<gs>", "\x1d", "{GS}", "\x1d", "{gs}", "\x1d", "[GS]", "\x1d", "[gs]", "\x1d", "\u241d", "\x1d")

func bad(format string, args ...any) error { return vaxtrace.FieldError("code", format, args...) }

// Parse reads a GS1 element string (see the package comment for the forms
// accepted). today is the reference date for the century of two-digit years.
func Parse(s string, today vaxtrace.Date) (Code, error) {
	if len(s) > MaxLen {
		return Code{}, bad("longer than %d characters: not a pack barcode", MaxLen)
	}
	s = strings.TrimRight(strings.TrimLeft(s, " \t\r\n"), " \t\r\n")
	if s == "" {
		return Code{}, bad("empty: scan or type the barcode")
	}
	var c Code
	if s[0] == ']' {
		if len(s) <= 3 {
			return Code{}, bad("a symbology identifier (]d2, ]C1, ]Q3, ]e0) must be followed by the data")
		}
		id := s[:3]
		name, ok := symbologies[id]
		if !ok {
			return Code{}, bad("symbology identifier %q is not a GS1 barcode (GS1 DataMatrix is ]d2, GS1-128 ]C1, GS1 QR ]Q3, GS1 DataBar ]e0)", id)
		}
		c.Symbology = name
		s = s[3:]
	}
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return Code{}, bad("a web address is not a GS1 element string; scan the DataMatrix or GS1-128 code on the pack")
	}
	var pairs [][2]string
	var err error
	if strings.HasPrefix(strings.TrimLeft(s, " "), "(") {
		if c.Symbology != "" {
			return Code{}, bad("the bracketed form is printed text, it cannot follow a symbology identifier")
		}
		c.Form = "bracketed"
		pairs, err = splitBracketed(s)
	} else {
		c.Form = "raw"
		pairs, err = splitRaw(gsStandIns.Replace(s))
	}
	if err != nil {
		return Code{}, err
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		ai, v := p[0], p[1]
		if seen[ai] {
			return Code{}, bad("AI (%s) appears twice", ai)
		}
		seen[ai] = true
		switch ai {
		case "01":
			g, err := vaxtrace.NormalizeGTIN(v)
			if err != nil {
				return Code{}, bad("AI (01): %s", vaxtrace.ErrorMessage(err))
			}
			c.GTIN = g
		case "17":
			d, err := expiry(v, today)
			if err != nil {
				return Code{}, err
			}
			c.Expiry, c.ExpiryText = d, v
		case "10":
			c.Lot = v
		case "21":
			c.Serial = v
		default:
			if c.Other == nil {
				c.Other = map[string]string{}
			}
			c.Other[ai] = v
		}
	}
	if len(pairs) == 0 {
		return Code{}, bad("no GS1 data after the symbology identifier")
	}
	return c, nil
}

// splitRaw reads concatenated element strings: predefined-length AIs take
// their length, the others run to the next GS or the end.
func splitRaw(s string) ([][2]string, error) {
	var out [][2]string
	pos := 0
	for pos < len(s) {
		if s[pos] == GS {
			pos++ // a leading FNC1, or one after a predefined-length field
			continue
		}
		ai, sp, ok := lookup(s[pos:])
		if !ok {
			if pos == 0 {
				return nil, bad("does not start with a GS1 application identifier such as 01 (GTIN): not a GS1 barcode")
			}
			return nil, bad("unknown or unsupported application identifier at character %d (%q)", pos+1, clip(s[pos:], 4))
		}
		pos += len(ai)
		var v string
		if sp.fixed > 0 {
			if len(s)-pos < sp.fixed {
				return nil, bad("AI (%s) %s needs %d characters, only %d follow", ai, sp.name, sp.fixed, len(s)-pos)
			}
			v = s[pos : pos+sp.fixed]
			pos += sp.fixed
		} else {
			end := strings.IndexByte(s[pos:], GS)
			if end < 0 {
				end = len(s) - pos
			}
			v = s[pos : pos+end]
			pos += end
			if len(v) > sp.max {
				return nil, bad("AI (%s) %s is %d characters long, at most %d are allowed: a group separator (FNC1) is probably missing after it", ai, sp.name, len(v), sp.max)
			}
		}
		if err := checkValue(ai, sp, v); err != nil {
			return nil, err
		}
		out = append(out, [2]string{ai, v})
	}
	return out, nil
}

// splitBracketed reads "(AI)value(AI)value...".
func splitBracketed(s string) ([][2]string, error) {
	var out [][2]string
	s = strings.TrimSpace(s)
	for s != "" {
		if s[0] != '(' {
			return nil, bad("expected \"(\" before an application identifier, found %q", clip(s, 6))
		}
		close := strings.IndexByte(s, ')')
		if close < 0 {
			return nil, bad("an application identifier is opened with \"(\" but never closed")
		}
		ai := s[1:close]
		sp, ok := ais[ai]
		if isMeasure(ai) {
			sp, ok = specOf(ai), true
		}
		if !ok {
			return nil, bad("(%s) is not a supported GS1 application identifier", clip(ai, 8))
		}
		s = s[close+1:]
		next := nextAI(s)
		v := strings.TrimSpace(s[:next])
		s = strings.TrimSpace(s[next:])
		if sp.fixed > 0 && len(v) != sp.fixed {
			return nil, bad("AI (%s) %s needs exactly %d characters, got %d", ai, sp.name, sp.fixed, len(v))
		}
		if sp.fixed == 0 && (len(v) == 0 || len(v) > sp.max) {
			return nil, bad("AI (%s) %s must have 1 to %d characters, got %d", ai, sp.name, sp.max, len(v))
		}
		if err := checkValue(ai, sp, v); err != nil {
			return nil, err
		}
		out = append(out, [2]string{ai, v})
	}
	return out, nil
}

// nextAI finds the start of the next "(digits)" group in s, or len(s). A
// parenthesis that does not open two to four digits and a ")" is data.
func nextAI(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '(' {
			continue
		}
		j := i + 1
		for j < len(s) && j-i-1 < 4 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j < len(s) && s[j] == ')' && j-i-1 >= 2 {
			return i
		}
	}
	return len(s)
}

// checkValue checks the character set: digits for numeric AIs, GS1 AI
// encodable character set 82 for the others.
func checkValue(ai string, sp aiSpec, v string) error {
	if v == "" {
		return bad("AI (%s) %s is empty", ai, sp.name)
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if sp.numeric {
			if ch < '0' || ch > '9' {
				return bad("AI (%s) %s must be digits; character %d is %q", ai, sp.name, i+1, printable(ch))
			}
			continue
		}
		if !cset82(ch) {
			return bad("AI (%s) %s contains %q, which a GS1 barcode cannot carry", ai, sp.name, printable(ch))
		}
	}
	return nil
}

func cset82(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	return strings.IndexByte("!\"%&'()*+,-./:;<=>?_", c) >= 0
}

func printable(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return "\\x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
	}
	return string(rune(c))
}

// expiry reads YYMMDD; DD 00 is the last day of the month.
func expiry(v string, today vaxtrace.Date) (vaxtrace.Date, error) {
	yy := int(v[0]-'0')*10 + int(v[1]-'0')
	mm := int(v[2]-'0')*10 + int(v[3]-'0')
	dd := int(v[4]-'0')*10 + int(v[5]-'0')
	if mm < 1 || mm > 12 {
		return 0, vaxtrace.FieldError("expiry", "AI (17) %s has month %02d", v, mm)
	}
	year := century(yy, today.Time().Year())
	last := time.Date(year, time.Month(mm)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if dd == 0 {
		dd = last
	}
	if dd > last {
		return 0, vaxtrace.FieldError("expiry", "AI (17) %s: %d-%02d has no day %02d", v, year, mm, dd)
	}
	return vaxtrace.MkDate(year, time.Month(mm), dd), nil
}

// century applies the GS1 General Specifications' rule (7.12): a two-digit
// year lies between 49 years before and 50 years after the current year.
func century(yy, current int) int {
	base := current - current%100
	switch diff := yy - current%100; {
	case diff >= 51:
		return base - 100 + yy
	case diff <= -50:
		return base + 100 + yy
	}
	return base + yy
}

// isMeasure reports whether ai is one of the four-digit measure AIs
// 3100-3699 (six digits each).
func isMeasure(ai string) bool {
	return len(ai) == 4 && ai[0] == '3' && ai[1] >= '1' && ai[1] <= '6' && isDigits(ai)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func clip(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 {
			return '·'
		}
		return r
	}, s)
}
