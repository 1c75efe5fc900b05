package vaxtrace

// encodeRooms writes the catalog, supply, stock, cold-chain, replenishment
// and campaign rooms. TODO: being written.
func (s *State) encodeRooms(e *snapEncoder) {}

func (s *State) decodeRooms(d *snapDecoder) {}
