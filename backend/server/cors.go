package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	connectcors "connectrpc.com/cors"
	"github.com/rs/cors"
)

// CORS lets a browser client served from another origin (a web app for the care teams) call
// the API: the server answers the browser's preflight and marks its answers as readable by
// that origin. It is off unless Config.CORSOrigins lists origins; without it a preflight
// reaches the Connect handlers, which answer 405, and a browser refuses the call.
//
// The rules, and why:
//
//   - Origins are listed exactly, in the form a browser sends in its Origin header:
//     scheme://host[:port], lower case, no path, no default port ([CheckCORSOrigins]). A
//     browser compares byte for byte, so any other spelling would silently match nothing.
//   - "*" and wildcards are refused. Every answer carries special-category personal data;
//     which web apps may read them is a deployment decision written down origin by origin,
//     never "any page on the internet".
//   - https only, or http for a loopback host (a web app in development on the same
//     machine): over plain http a network attacker could serve a page of that origin.
//   - No credentials mode: the API authenticates with bearer tokens in the Authorization
//     header, never cookies, so browsers need not send cookies and a page cannot borrow a
//     session the user has elsewhere.
//   - The allowed request headers are Connect's, gRPC-Web's and ours (Authorization,
//     X-Request-Id, X-Veilig-App-Version); the exposed response headers are gRPC-Web's
//     status trailers, X-Request-Id (for a support call) and Retry-After (so a client backs
//     off when told to).

// corsHeaders are the request headers our own clients send beside the protocol's.
// X-Veilig-App-Version is careapi.AppVersionHeader (careapi depends on this package, not the
// other way round; TestCORSAllowsTheAppVersionHeader in backend/app pins the two together).
var corsHeaders = []string{"Authorization", "X-Request-Id", "X-Veilig-App-Version"}

// corsExposed are the response headers a browser client may read beside the protocol's.
var corsExposed = []string{"X-Request-Id", "Retry-After"}

// corsMaxAge is how long a browser may reuse a preflight's answer: two hours, the longest
// Chromium honours, so a web app does not send a preflight before each call.
const corsMaxAge = 2 * time.Hour

// CORSAllowedHeaders returns the request headers a browser from an allowed origin may send.
func CORSAllowedHeaders() []string {
	return append(connectcors.AllowedHeaders(), corsHeaders...)
}

// CheckCORSOrigins reports the first origin that cannot be allowed, or nil. An origin is
// scheme://host[:port] exactly as a browser sends it: https, or http for a loopback host
// (localhost, 127.0.0.0/8, [::1]); lower case; without a path, query, user or default port.
// "*" and wildcards are refused: browser clients are listed one by one.
func CheckCORSOrigins(origins []string) error {
	for _, o := range origins {
		if err := checkCORSOrigin(o); err != nil {
			return fmt.Errorf("CORS origin %q: %w", o, err)
		}
	}
	return nil
}

func checkCORSOrigin(o string) error {
	if strings.Contains(o, "*") {
		return fmt.Errorf("wildcards are not allowed: list each web app's origin")
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("not scheme://host[:port]")
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, "?#") {
		return fmt.Errorf("an origin has no user, path, query or fragment: scheme://host[:port]")
	}
	if o != strings.ToLower(o) {
		return fmt.Errorf("browsers send origins in lower case: %q", strings.ToLower(o))
	}
	switch port := u.Port(); {
	case u.Scheme == "https" && port == "443", u.Scheme == "http" && port == "80":
		return fmt.Errorf("browsers leave the default port out: %s://%s", u.Scheme, u.Hostname())
	case u.Port() == "" && strings.HasSuffix(u.Host, ":"):
		return fmt.Errorf("empty port")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("must be https (http only for a loopback host)")
	}
	return fmt.Errorf("scheme must be https (or http for a loopback host)")
}

// withCORS answers preflights from origins and adds the CORS headers to the answers to
// them; with no origins it is next itself (no CORS headers at all). Only origins that
// pass CheckCORSOrigins are used, compared exactly: an invalid entry is left out (and New
// logs it), so a mistake never widens who may call.
func withCORS(origins []string, next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range origins {
		if checkCORSOrigin(o) == nil {
			allowed[o] = true
		}
	}
	if len(allowed) == 0 {
		return next
	}
	return cors.New(cors.Options{
		// A function, not AllowedOrigins, so rs/cors's own "*" and wildcard rules never
		// apply: an origin is allowed when it is listed, byte for byte.
		AllowOriginFunc: func(origin string) bool { return allowed[origin] },
		AllowedMethods:  connectcors.AllowedMethods(),
		AllowedHeaders:  CORSAllowedHeaders(),
		ExposedHeaders:  append(connectcors.ExposedHeaders(), corsExposed...),
		MaxAge:          int(corsMaxAge / time.Second),
	}).Handler(next)
}
