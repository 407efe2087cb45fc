package familylink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// FormTokenTTL is how long a rendered form may be answered. A family may leave the page open
// for a while; two hours is generous for that and short enough that a copied page goes stale.
const FormTokenTTL = 2 * time.Hour

// formTokenSkew tolerates clocks of several replicas disagreeing a little.
const formTokenSkew = time.Minute

// maxFormTokenLen bounds what verifyFormToken looks at: "<unix seconds>.<43 chars>" is far
// shorter.
const maxFormTokenLen = 128

// formTokenMAC binds a form token to one link (its token hash) and its issue time, so that a
// token from one link's page cannot answer another, and an old page cannot answer forever.
// The form token is stateless (no session, no cookie), so any replica can check it.
func formTokenMAC(secret []byte, tokenHash string, issued int64) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("veilig familylink form v1\x00"))
	m.Write([]byte(tokenHash))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(issued, 10)))
	return m.Sum(nil)
}

// newFormToken returns "<issued unix seconds>.<base64url HMAC>".
func newFormToken(secret []byte, tokenHash string, now time.Time) string {
	issued := now.Unix()
	return strconv.FormatInt(issued, 10) + "." + base64.RawURLEncoding.EncodeToString(formTokenMAC(secret, tokenHash, issued))
}

// verifyFormToken reports whether ft was issued by newFormToken for tokenHash within
// FormTokenTTL before now. The MAC is compared in constant time.
func verifyFormToken(secret []byte, tokenHash, ft string, now time.Time) bool {
	if len(ft) > maxFormTokenLen {
		return false
	}
	ts, mac, ok := strings.Cut(ft, ".")
	if !ok || ts == "" || len(ts) > 12 || strings.TrimLeft(ts, "0123456789") != "" {
		return false
	}
	issued, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || strconv.FormatInt(issued, 10) != ts {
		return false // one form token has one spelling: no leading zeros
	}
	// Comparing the encoded MAC (not decoding the posted one) leaves one spelling: base64
	// decoders skip newlines and ignore stray low bits.
	want := base64.RawURLEncoding.EncodeToString(formTokenMAC(secret, tokenHash, issued))
	if !hmac.Equal([]byte(mac), []byte(want)) {
		return false
	}
	at := time.Unix(issued, 0)
	return !at.After(now.Add(formTokenSkew)) && now.Sub(at) <= FormTokenTTL
}
