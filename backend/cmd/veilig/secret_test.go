package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Issue 13, point 6: the family page's link secret is 0600 even in a data folder that
// already exists with mode 0755 (the database file: storesqlite's
// TestDatabaseFilesAreOwnerOnly; the dev key: mobile-api/auth).
func TestLinkSecretIsOwnerOnlyInAnOpenFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "link-secret")
	if err := createSecret(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("link secret mode %o, want 600", perm)
	}
}
