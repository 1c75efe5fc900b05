package vaxtrace

import "encoding/binary"

// A person's sex, priority group and reminder language take few values
// each (M/F/U, a dozen groups, "", kk or ru), so the record keeps the
// three as one symbol whose text holds them all, the first two
// length-prefixed: one 4-byte code where three took 12 (which let the
// record drop from 72 to 64 bytes). The symbol table then holds the
// combinations met, about a hundred.

// attrsOf returns the symbol of the three values.
func attrsOf(sex, group, lang string) symbol {
	if sex == "" && group == "" && lang == "" {
		return 0
	}
	b := make([]byte, 0, 2*binary.MaxVarintLen64+len(sex)+len(group)+len(lang))
	b = binary.AppendUvarint(b, uint64(len(sex)))
	b = append(b, sex...)
	b = binary.AppendUvarint(b, uint64(len(group)))
	b = append(b, group...)
	b = append(b, lang...)
	return symbolOf(string(b))
}

// attrs splits the text of an attrsOf symbol.
func (c symbol) attrs() (sex, group, lang string) {
	t := c.String()
	if t == "" {
		return "", "", ""
	}
	n, w := uvarintString(t)
	sex, t = t[w:w+int(n)], t[w+int(n):]
	n, w = uvarintString(t)
	return sex, t[w : w+int(n)], t[w+int(n):]
}

// Sex is M, F or U.
func (p *PersonState) Sex() string {
	sex, _, _ := p.attrs.attrs()
	return sex
}

// Group is the person's priority group ("" if none).
func (p *PersonState) Group() string {
	_, group, _ := p.attrs.attrs()
	return group
}

// Lang is the language of the person's reminders ("", "kk" or "ru").
func (p *PersonState) Lang() string {
	_, _, lang := p.attrs.attrs()
	return lang
}
