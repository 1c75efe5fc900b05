package hcert

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// icaoCyrillic is the ICAO Doc 9303 Part 3 (8th ed., section 6.A,
// "Transliteration of Cyrillic characters") table, upper-case keys.
//
// Kazakh letters that the ICAO table does not define are mapped to the
// Latin letter of their base Cyrillic letter, i.e. the diacritic/ligature
// is dropped. This matches what Kazakhstan's own passport MRZs do in
// practice (e.g. Нұрсұлтан -> NURSULTAN, Қайрат -> KAIRAT, Ғалым -> GALYM,
// Әлия -> ALIIA, Өмір -> OMIR) and keeps the fnt/gnt stable and short:
//
//	Ә -> A   (base А)       Ғ -> G   (base Г)       Қ -> K   (base К)
//	Ң -> N   (base Н)       Ө -> O   (base О)       Ұ -> U   (base У)
//	Ү -> U   (base У)       Һ -> H   (Latin h)      І -> I   (ICAO: І -> I)
//
// The alternative digraph scheme (Ә->AE, Ө->OE, Ү->UE, Ң->NG, Ғ->GH) was
// rejected because it does not match the names on holders' passports,
// which border checks compare against.
var icaoCyrillic = map[rune]string{
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E",
	'Ж': "ZH", 'З': "Z", 'И': "I", 'Й': "I", 'К': "K", 'Л': "L", 'М': "M",
	'Н': "N", 'О': "O", 'П': "P", 'Р': "R", 'С': "S", 'Т': "T", 'У': "U",
	'Ф': "F", 'Х': "KH", 'Ц': "TS", 'Ч': "CH", 'Ш': "SH", 'Щ': "SHCH",
	'Ъ': "IE", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "IU", 'Я': "IA",
	// Other Cyrillic letters defined by ICAO 9303 Part 3.
	'Ђ': "D", 'Ѓ': "G", 'Є': "IE", 'Ѕ': "DZ", 'І': "I", 'Ї': "I", 'Ј': "J",
	'Љ': "LJ", 'Њ': "NJ", 'Ћ': "C", 'Ќ': "K", 'Ў': "U", 'Џ': "DZ", 'Ґ': "G",
	// Kazakh letters not in the ICAO table (see above).
	'Ә': "A", 'Ғ': "G", 'Қ': "K", 'Ң': "N", 'Ө': "O", 'Ұ': "U", 'Ү': "U", 'Һ': "H",
}

// icaoLatin holds the ICAO 9303 Part 3 multi-letter Latin
// transliterations; other accented Latin letters lose their diacritic.
var icaoLatin = map[rune]string{
	'Ä': "AE", 'Å': "AA", 'Æ': "AE", 'Ö': "OE", 'Ø': "OE", 'Ü': "UE",
	'ß': "SS", 'Œ': "OE", 'Þ': "TH", 'Ð': "D", 'Đ': "D", 'Ħ': "H",
	'Ł': "L", 'Ŀ': "L", 'Ĳ': "IJ", 'ı': "I", 'Ŋ': "N",
}

// Transliterate converts a name to the ICAO 9303 machine-readable form used
// for the DCC fnt/gnt fields: upper-case A–Z with '<' as filler. Spaces,
// hyphens and other separators become a single '<'; apostrophes and
// other punctuation are dropped; the result is trimmed to 80 characters,
// the schema's maxLength.
func Transliterate(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	filler := false // a '<' is pending
	emit := func(s string) {
		if s == "" {
			return
		}
		if filler && b.Len() > 0 {
			b.WriteByte('<')
		}
		filler = false
		b.WriteString(s)
	}
	for _, r := range name {
		u := unicode.ToUpper(r)
		switch {
		case u >= 'A' && u <= 'Z':
			emit(string(u))
		case u == ' ' || u == '-' || u == '<' || u == ',' || unicode.IsSpace(u) || u == '‐' || u == '–':
			filler = true
		case icaoCyrillic[u] != "" || u == 'Ь':
			emit(icaoCyrillic[u])
		case icaoLatin[u] != "" || icaoLatin[r] != "":
			if s := icaoLatin[u]; s != "" {
				emit(s)
			} else {
				emit(icaoLatin[r])
			}
		case unicode.IsLetter(u):
			// Strip diacritics: NFD, keep base A–Z letters.
			for _, d := range norm.NFD.String(string(u)) {
				if d >= 'A' && d <= 'Z' {
					emit(string(d))
				}
			}
		default:
			// apostrophes, dots, digits and other marks are omitted
		}
	}
	out := b.String()
	if len(out) > 80 {
		out = strings.TrimRight(out[:80], "<")
	}
	return out
}
