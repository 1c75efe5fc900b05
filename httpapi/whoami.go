package httpapi

import (
	"net/http"

	"vaxtrace"
)

// whoamiResponse is the caller's principal as the server resolved it from
// the bearer token (the public role without one), plus what it may do.
type whoamiResponse struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Region string `json:"region,omitempty"` // region role: its region
	Place  string `json:"place,omitempty"`  // point role: its place
	// CanWrite: the role may record data (admin, region, point).
	CanWrite bool `json:"can_write"`
	// Admin: the role may do national administration (accept allocations, ...).
	Admin bool `json:"admin"`
	// TZ is the deployment time zone that cuts days (for "today" in clients).
	TZ string `json:"tz"`
}

// whoami answers who the caller is. It is public: without a token it says
// "public"; a bad token is refused (401) like on every other route.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, whoamiResponse{
		Name: p.Name, Role: p.Role, Region: p.Region, Place: p.Place,
		CanWrite: writer.allow(p) == nil,
		Admin:    p.Role == vaxtrace.RoleAdmin,
		TZ:       vaxtrace.Zone().String(),
	})
	return nil
}
