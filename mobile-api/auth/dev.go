package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DevIssuerName and DevAudience are the iss and aud of dev tokens.
const (
	DevIssuerName = "veilig-dev"
	DevAudience   = "veilig"
)

// devKeyFile is the dev signing key's file name inside the data folder.
const devKeyFile = "dev-signing-key.pem"

// DevIssuer signs tokens for development and demos with an Ed25519 key kept in the data
// folder, so that tokens stay valid across restarts of the same installation. It is bound to
// no organization: its tokens may name any professional of any organization, which is why it
// is for demos and tests only, and never trusted beside a configured issuer (see
// DevIssuerWanted).
type DevIssuer struct {
	key ed25519.PrivateKey
	kid string
	now func() time.Time
}

// LoadOrCreateDevIssuer loads the dev key from dir, creating it (mode 0600) when absent.
func LoadOrCreateDevIssuer(dir string) (*DevIssuer, error) {
	path := filepath.Join(dir, devKeyFile)
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate dev key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("encode dev key: %w", err)
		}
		// Written to a temporary file (mode 0600) and linked into place, which fails if the
		// key file exists: two processes starting at once must not overwrite each other's key,
		// nor read the other's key file before it is complete.
		f, err := os.CreateTemp(dir, devKeyFile+".tmp-*")
		if err != nil {
			return nil, fmt.Errorf("write dev key: %w", err)
		}
		defer os.Remove(f.Name())
		err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write dev key: %w", err)
		}
		if err := os.Link(f.Name(), path); errors.Is(err, os.ErrExist) {
			return LoadOrCreateDevIssuer(dir)
		} else if err != nil {
			return nil, fmt.Errorf("write dev key: %w", err)
		}
		return newDevIssuer(key), nil
	case err != nil:
		return nil, fmt.Errorf("read dev key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("dev key %s is not PEM", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse dev key: %w", err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("dev key %s is not Ed25519", path)
	}
	return newDevIssuer(key), nil
}

func newDevIssuer(key ed25519.PrivateKey) *DevIssuer {
	sum := sha256.Sum256(key.Public().(ed25519.PublicKey))
	return &DevIssuer{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:8]), now: time.Now}
}

// Sign returns a compact JWT for subject, valid for ttl from now. A negative ttl gives an
// already expired token, which tests use.
func (d *DevIssuer) Sign(subject, deviceID string, ttl time.Duration) (string, error) {
	if subject == "" {
		return "", errors.New("sign: empty subject")
	}
	now := d.now()
	iat := now
	if ttl < 0 {
		iat = now.Add(ttl - time.Minute)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    DevIssuerName,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{DevAudience},
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		DeviceID: deviceID,
	})
	tok.Header["kid"] = d.kid
	s, err := tok.SignedString(d.key)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return s, nil
}

// JWKS returns the dev issuer's public key as a JSON Web Key Set.
func (d *DevIssuer) JWKS() []byte {
	pub := d.key.Public().(ed25519.PublicKey)
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": d.kid,
		"x": base64.RawURLEncoding.EncodeToString(pub),
	}}})
	return b
}

func (d *DevIssuer) keyfunc(t *jwt.Token) (any, error) {
	if kid, _ := t.Header["kid"].(string); kid != d.kid {
		return nil, errors.New("unknown key id")
	}
	return d.key.Public(), nil
}
