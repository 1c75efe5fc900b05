package vaxtrace

// encodeRegistry writes people, doses, certificates, due lists and the
// reminder outbox. TODO: being written.
func (s *State) encodeRegistry(e *snapEncoder) {}

func (s *State) decodeRegistry(d *snapDecoder) {}
