package familylink

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// FormTokenTTL is how long a rendered form may be answered (store.FormTokenTTL, which also
// decides how long the database remembers a spent token).
const FormTokenTTL = store.FormTokenTTL

// formTokenSkew tolerates clocks of several replicas disagreeing a little.
const formTokenSkew = store.FormTokenSkew

// maxFormTokenLen bounds what verifyFormToken looks at: "<unix seconds>.<22 chars>.<43
// chars>" is far shorter.
const maxFormTokenLen = 128

// formTokenMAC binds a form token to one link (its token hash), its issue time and a random
// nonce, so that a token from one link's page cannot answer another, an old page cannot
// answer forever, and two pages of one link are never given the same token (each answers
// once: a stranger loading the link must not get, and use up, the family's token). The
// form token needs no session or cookie, so any replica can check it.
func formTokenMAC(secret []byte, tokenHash string, issued int64, nonce string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("veilig familylink form v2\x00"))
	m.Write([]byte(tokenHash))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(issued, 10)))
	m.Write([]byte{0})
	m.Write([]byte(nonce))
	return m.Sum(nil)
}

// newFormToken returns "<issued unix seconds>.<base64url nonce>.<base64url HMAC>".
func newFormToken(secret []byte, tokenHash string, now time.Time) string {
	issued := now.Unix()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("familylink: no randomness: %v", err))
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	return strconv.FormatInt(issued, 10) + "." + nonce + "." + base64.RawURLEncoding.EncodeToString(formTokenMAC(secret, tokenHash, issued, nonce))
}

// verifyFormToken reports whether ft was issued by newFormToken for tokenHash within
// FormTokenTTL before now. The MAC is compared in constant time.
func verifyFormToken(secret []byte, tokenHash, ft string, now time.Time) bool {
	if len(ft) > maxFormTokenLen {
		return false
	}
	ts, rest, ok := strings.Cut(ft, ".")
	if !ok || ts == "" || len(ts) > 12 || strings.TrimLeft(ts, "0123456789") != "" {
		return false
	}
	nonce, mac, ok := strings.Cut(rest, ".")
	if !ok || len(nonce) != 22 {
		return false
	}
	issued, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || strconv.FormatInt(issued, 10) != ts {
		return false // one form token has one spelling: no leading zeros
	}
	// Comparing the encoded MAC (not decoding the posted one) leaves one spelling: base64
	// decoders skip newlines and ignore stray low bits.
	want := base64.RawURLEncoding.EncodeToString(formTokenMAC(secret, tokenHash, issued, nonce))
	if !hmac.Equal([]byte(mac), []byte(want)) {
		return false
	}
	at := time.Unix(issued, 0)
	return !at.After(now.Add(formTokenSkew)) && now.Sub(at) <= FormTokenTTL
}

// formNonceHash names a verified form token in the database's record of spent tokens: a
// hash of its random nonce, which alone tells two tokens apart (the MAC binds it to its link
// and issue time). The link token is never in it, and the hash cannot be turned back into
// a form that verifies.
func formNonceHash(ft string) string {
	_, rest, _ := strings.Cut(ft, ".")
	nonce, _, _ := strings.Cut(rest, ".")
	sum := sha256.Sum256([]byte("veilig familylink form spend\x00" + nonce))
	return hex.EncodeToString(sum[:])
}
