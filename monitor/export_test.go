package monitor

// Refresh runs the periodic refresh of device rules (for tests).
func Refresh(m *Monitor) { m.refresh() }
