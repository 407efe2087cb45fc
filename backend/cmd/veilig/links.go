package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"
)

// linkFlags configure the family check-in page.
type linkFlags struct {
	publicURL  string
	secretFile string
	trustProxy string
}

func (f *linkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.publicURL, "public-url", "", "base URL of family check-in links, e.g. https://veilig.example.org")
	fs.StringVar(&f.secretFile, "link-secret-file", "", "file with the secret (32+ bytes) that signs the family page's forms; every replica needs the same one; default: <data-dir>/link-secret with the embedded database, else a random one per process")
	fs.StringVar(&f.trustProxy, "trust-proxy", "off", "on behind a trusted load balancer: take the family page's client address from X-Forwarded-For for rate limiting")
}

// check validates the parsed link flags.
func (f *linkFlags) check(src flagSources) error {
	var err error
	if f.publicURL != "" {
		err = wantHTTPURL(src, "public-url", f.publicURL)
	}
	return errors.Join(err, wantOneOf(src, "trust-proxy", f.trustProxy, "on", "off"))
}

// secret loads the form-signing secret: the configured file, the data folder's file in
// embedded mode (created on first start), or a random per-process one with a warning.
func (f *linkFlags) secret(c *common, log zerolog.Logger) ([]byte, error) {
	path := f.secretFile
	if path == "" && c.embedded() {
		path = filepath.Join(c.dataDir, "link-secret")
		if err := createSecret(path); err != nil {
			return nil, err
		}
	}
	if path == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("link secret: %w", err)
		}
		log.Warn().Msg("no --link-secret-file: family page forms are signed with a per-process secret; set one shared file when running more than one replica")
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read link secret: %w", err)
	}
	b = []byte(strings.TrimSpace(string(b)))
	if len(b) < 32 {
		return nil, errors.New("the link secret file must hold at least 32 bytes")
	}
	return b, nil
}

// createSecret writes a new random secret to path unless one is there, atomically so that a
// crash never leaves a short one.
func createSecret(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("link secret: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("link secret: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("link secret: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "link-secret.tmp-*")
	if err != nil {
		return fmt.Errorf("link secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(hex.EncodeToString(b) + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("link secret: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("link secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("link secret: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("link secret: %w", err)
	}
	return nil
}
