package familylink

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// TokenBytes is the randomness of a link token: 256 bits, well over the 128 the threat model
// asks for, so guessing a live link is hopeless even without rate limits.
const TokenBytes = 32

// tokenLen is the length of an encoded token (unpadded base64url of TokenBytes).
var tokenLen = base64.RawURLEncoding.EncodedLen(TokenBytes)

// NewToken returns a fresh link token (for the URL, shown once) and its hash (stored).
func NewToken() (token, hash string) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("familylink: no randomness: %v", err)) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the hex SHA-256 of a token: what the database holds. A token is random
// and long, so a fast hash is enough; only a PIN, which is short, needs stretching.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s could be a token, so that junk (too long, wrong alphabet) is
// answered without touching the database.
func WellFormed(s string) bool {
	if len(s) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// pinIterations stretches a PIN hash. A PIN has few digits, so a stolen hash could be brute
// forced offline whatever the cost; the stretching and a per-link salt make that slow and
// per-link, and online guessing is stopped by the lock after a few wrong PINs.
const pinIterations = 100_000

// HashPIN returns the stored form of a PIN for a link: "pbkdf2-sha256$<iterations>$<salt>$<key>"
// with the link id as part of the salt.
func HashPIN(linkID, pin string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(fmt.Sprintf("familylink: no randomness: %v", err))
	}
	return encodePIN(linkID, pin, salt)
}

func encodePIN(linkID, pin string, salt []byte) string {
	key, err := pbkdf2.Key(sha256.New, pin, append([]byte(linkID+"\x00"), salt...), pinIterations, 32)
	if err != nil {
		panic(fmt.Sprintf("familylink: pbkdf2: %v", err)) // only for invalid parameters, which are constant here
	}
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pinIterations, hex.EncodeToString(salt), hex.EncodeToString(key))
}

// CheckPIN reports whether pin matches a stored PIN hash (false for an empty hash), in
// constant time.
func CheckPIN(linkID, stored, pin string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" || parts[1] != fmt.Sprint(pinIterations) {
		return false
	}
	salt, err := hex.DecodeString(parts[2])
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(encodePIN(linkID, pin, salt)), []byte(stored))
}
