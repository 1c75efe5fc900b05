package httpapi

import (
	"net/http"

	"vaxtrace"
)

// pointRoutes are the routes of sign-in, user administration and barcode
// scanning (issue 14). They are listed here, next to their handlers, and
// appended to the route table (and so to the OpenAPI document) by newServer.
func (s *Server) pointRoutes() []route {
	return []route{
		{Method: "POST", Path: "/api/v1/session", Tag: "sign-in", Summary: "Sign in with a name and password: sets the HttpOnly session cookie and returns the CSRF token for writes", Body: signInRequest{}, Resp: sessionView{}, Status: http.StatusCreated, Fn: s.signIn},
		{Method: "GET", Path: "/api/v1/session", Tag: "sign-in", Summary: "The signed-in user and the session's CSRF token (send it as X-CSRF-Token on cookie-authenticated writes)", Resp: sessionView{}, Fn: s.currentSession},
		{Method: "POST", Path: "/api/v1/session/logout", Tag: "sign-in", Summary: "Sign out: end the session and clear the cookie", Fn: s.signOut},
		{Method: "POST", Path: "/api/v1/session/password", Access: member, Tag: "sign-in", Summary: "Change one's own password (ends the other sessions)", Body: passwordChange{}, Resp: sessionView{}, Fn: s.changePassword},
		{Method: "GET", Path: "/api/v1/users", Access: member, Tag: "sign-in", Summary: "User accounts (admin)", Resp: list("users", userView{}), Fn: s.listUsers},
		{Method: "POST", Path: "/api/v1/users", Access: member, Tag: "sign-in", Summary: "Create a user for a region or a vaccination point (admin); without a password a temporary one is returned once", Body: userRequest{}, Resp: userResult{}, Status: http.StatusCreated, Fn: s.createUser},
		{Method: "POST", Path: "/api/v1/users/{name}/disable", Access: member, Tag: "sign-in", Summary: "Disable a user and end their sessions (admin)", Resp: userResult{}, Fn: s.disableUser},
		{Method: "POST", Path: "/api/v1/users/{name}/enable", Access: member, Tag: "sign-in", Summary: "Enable a disabled user (admin)", Resp: userResult{}, Fn: s.enableUser},
		{Method: "POST", Path: "/api/v1/users/{name}/password", Access: member, Tag: "sign-in", Summary: "Reset a user's password, lift a lockout and end their sessions (admin)", Body: resetRequest{}, Resp: userResult{}, Fn: s.resetPassword},
		{Method: "POST", Path: "/api/v1/gs1/resolve", Access: member, Tag: "catalog", Summary: "Resolve a scanned GS1 DataMatrix / GS1-128 code (raw or bracketed) to product, component and lot; refuses unknown GTINs and lots, mismatched or expired lots", Body: scanRequest{}, Resp: scanResult{}, Fn: s.scan},
	}
}

// sessionPrincipal is the hook authenticate calls for a request without an
// Authorization header: a session cookie, if any (see session.go).
func (s *Server) sessionPrincipal(r *http.Request) (vaxtrace.Principal, bool, error) {
	return s.acct.cookiePrincipal(r)
}
