package clientsqlite

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the length of a replica key: 32 random bytes (AES-256).
const KeySize = 32

// ErrKeyRequired is returned by Load when the file holds an encrypted state and the storage
// was opened without a key.
var ErrKeyRequired = errors.New("clientsqlite: the replica file is encrypted and no key was given")

// ErrWrongKey is returned by Load when the key does not open the stored state (a different
// key, or a file altered outside SQLite).
var ErrWrongKey = errors.New("clientsqlite: the key does not open the replica file")

// sealedMagic starts every encrypted state. A plaintext state is JSON and starts with '{', so
// the two forms cannot be confused. The version digit lets a later format (another cipher,
// a wrapped key) live beside this one.
var sealedMagic = []byte("VRE1")

// additionalData binds a sealed state to its place: a ciphertext copied into another table or
// another program's file does not open.
var additionalData = []byte("veilig replica state, table replica, id 1")

// sealer encrypts a state with AES-256-GCM under the app's key, a fresh random 96-bit nonce
// per save. A phone saves once per edit and per pulled page, far below the 2^32 messages per
// key up to which random GCM nonces are safe.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("clientsqlite: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("clientsqlite: key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("clientsqlite: key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(plain []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("clientsqlite: nonce: %w", err)
	}
	out := make([]byte, 0, len(sealedMagic)+len(nonce)+len(plain)+s.aead.Overhead())
	out = append(out, sealedMagic...)
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plain, additionalData), nil
}

func (s *sealer) open(sealed []byte) ([]byte, error) {
	body := sealed[len(sealedMagic):]
	if len(body) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrWrongKey
	}
	nonce, ct := body[:s.aead.NonceSize()], body[s.aead.NonceSize():]
	plain, err := s.aead.Open(nil, nonce, ct, additionalData)
	if err != nil {
		return nil, ErrWrongKey
	}
	return plain, nil
}

func isSealed(b []byte) bool { return bytes.HasPrefix(b, sealedMagic) }
