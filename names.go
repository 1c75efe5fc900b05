package vaxtrace

// Names of catalog entries and places are data: each carries its name per
// language, and a reader asks for one language with fallbacks.

// nameIn picks names[lang], else names["en"], else def.
func nameIn(names map[string]string, lang, def string) string {
	if n := names[lang]; n != "" {
		return n
	}
	if n := names["en"]; n != "" {
		return n
	}
	return def
}

// NameIn returns the product's name in lang ("kk", "ru", "en"), falling
// back to English, then to Name, then to the code.
func (p *Product) NameIn(lang string) string {
	def := p.Name
	if def == "" {
		def = p.Code
	}
	return nameIn(p.Names, lang, def)
}

// NameIn returns the place's name in lang, falling back to English, then to
// Name, then to the id.
func (p *Place) NameIn(lang string) string {
	def := p.Name
	if def == "" {
		def = p.ID
	}
	return nameIn(p.Names, lang, def)
}
