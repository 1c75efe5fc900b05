package httpapi

// reminderRoutes are the routes of the reminder outbox (reminders.go).
func (s *Server) reminderRoutes() []route { return nil }
