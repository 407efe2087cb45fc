package auth

import (
	"fmt"
	"net"
	"net/netip"
)

// The --dev-issuer settings.
const (
	DevIssuerOn   = "on"
	DevIssuerOff  = "off"
	DevIssuerAuto = "auto"
)

// Deployment is what DevIssuerWanted needs to know about the server.
type Deployment struct {
	// Issuers is the number of configured (real) issuers.
	Issuers int
	// EmbeddedDatabase is true for the embedded SQLite database.
	EmbeddedDatabase bool
	// ListenAddr is the server's listen address, host:port.
	ListenAddr string
}

// DevIssuerWanted decides whether the dev issuer is trusted, for a --dev-issuer setting of
// on, off or auto, and says why in a sentence for the log.
//
//   - on trusts it, and is an error with any configured issuer: the dev issuer is bound to no
//     organization, so beside a real issuer it would undo that issuer's binding.
//   - auto trusts it only on a machine that is obviously a developer's: no configured issuer,
//     the embedded database, and a loopback-only listen address (127.0.0.1, ::1 or
//     localhost; ":8080" listens on every interface and is not). A server others can reach is
//     never trusting dev tokens by default, whatever its database.
//   - off never trusts it.
func DevIssuerWanted(setting string, d Deployment) (bool, string, error) {
	switch setting {
	case DevIssuerOn:
		if d.Issuers > 0 {
			return false, "", fmt.Errorf("--dev-issuer=on cannot be combined with --issuer: the dev issuer is bound to no organization; use --dev-issuer=off (or auto) with real issuers")
		}
		return true, "--dev-issuer=on", nil
	case DevIssuerOff:
		return false, "--dev-issuer=off", nil
	case DevIssuerAuto:
		switch {
		case d.Issuers > 0:
			return false, "--dev-issuer=auto is off: an --issuer is configured", nil
		case !d.EmbeddedDatabase:
			return false, "--dev-issuer=auto is off: the database is not the embedded one", nil
		case !LoopbackOnly(d.ListenAddr):
			return false, fmt.Sprintf("--dev-issuer=auto is off: the listen address %q is reachable from other machines", d.ListenAddr), nil
		}
		return true, "--dev-issuer=auto is on: no --issuer, the embedded database and a loopback-only address", nil
	default:
		return false, "", fmt.Errorf("--dev-issuer: want on, off or auto, got %q", setting)
	}
}

// LoopbackOnly reports whether a listen address (host:port) accepts connections from this
// machine only: a loopback IP, or "localhost" when every address it resolves to is one. An
// empty host (":8080"), an unspecified address (0.0.0.0, ::) or any other host is not.
func LoopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback()
	}
	if host != "localhost" {
		return false
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return true
}
