package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // raw SQL on PostgreSQL, to tamper with the log
	_ "modernc.org/sqlite"             // raw SQL on SQLite, to tamper with the log

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storeopen"
)

// auditEngine is one engine the acceptance test tampers with: a fresh database with a
// written access log, the verify flags that reach it, and raw SQL on it.
type auditEngine struct {
	name  string
	fresh func(t *testing.T) (flags []string, db *sql.DB)
}

func auditEngines() []auditEngine {
	return []auditEngine{
		{"sqlite", func(t *testing.T) ([]string, *sql.DB) {
			dir := t.TempDir()
			path := filepath.Join(dir, "veilig.db")
			seedAuditLog(t, "sqlite://"+path)
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return []string{"--data-dir", dir}, db
		}},
		{"postgres", func(t *testing.T) ([]string, *sql.DB) {
			url := pgtest.NewDatabase(t)
			seedAuditLog(t, url)
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			key := filepath.Join(t.TempDir(), "audit-key")
			if err := createSecret(key); err != nil {
				t.Fatal(err)
			}
			return []string{"--database-url", url, "--audit-key-file", key}, db
		}},
	}
}

// seedAuditLog writes two chains: five records about household h1 (in two appends) and
// three about organization o1.
func seedAuditLog(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	st, err := storeopen.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ev := func(i int, household string) store.AuditEvent {
		return store.AuditEvent{ID: fmt.Sprintf("e%d", i), At: at.Add(time.Duration(i) * time.Second), ProfessionalID: "p1",
			OrganizationID: "o1", Role: "professional", Action: "plan.read", ObjectKind: "household", ObjectID: household,
			HouseholdID: household, RequestID: fmt.Sprintf("r%d", i)}
	}
	for _, batch := range [][]store.AuditEvent{
		{ev(1, "h1"), ev(2, "h1"), ev(3, ""), ev(4, "h1")},
		{ev(5, "h1"), ev(6, ""), ev(7, "h1"), ev(8, "")},
	} {
		if err := st.AuditAppend(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
}

func auditVerify(t *testing.T, flags []string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"audit", "verify", "--log-level", "error"}, flags...), &out, &errOut)
	return out.String() + errOut.String(), err
}

// Issue 12, acceptance 1: on both engines, a clean log verifies clean; editing, deleting,
// inserting or reordering single rows of audit_events directly in SQL is reported with its
// chain and position, and verify exits non-zero.
func TestAuditVerifyFindsTampering(t *testing.T) {
	const h1 = "household:h1"
	tampers := []struct {
		name  string
		sql   string
		wants []string
	}{
		{"an edited entry", `UPDATE audit_events SET action = 'plan.write' WHERE chain_id = 'household:h1' AND seq = 3`,
			[]string{"edited: chain " + h1 + " position 3 entry e4"}},
		{"an edited outcome", `UPDATE audit_events SET outcome = 'denied' WHERE id = 'e6'`,
			[]string{"edited: chain organization:o1 position 2 entry e6"}},
		{"a deleted entry", `DELETE FROM audit_events WHERE chain_id = 'household:h1' AND seq = 2`,
			[]string{"deleted: chain " + h1 + " position 2"}},
		{"a deleted last entry", `DELETE FROM audit_events WHERE chain_id = 'household:h1' AND seq = 5`,
			[]string{"deleted: chain " + h1 + " position 5"}},
		{"an entry inserted past the head", `INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id, chain_id, seq, prev_hash, hash)
			SELECT 'x1', at, professional_id, device_id, action, household_id, request_id, chain_id, 6, hash, hash FROM audit_events WHERE id = 'e7'`,
			[]string{"inserted: chain " + h1 + " position 6 entry x1"}},
		{"an entry inserted at a taken position", `INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id, chain_id, seq, prev_hash, hash)
			SELECT 'x2', at, professional_id, device_id, action, household_id, request_id, chain_id, seq, prev_hash, hash FROM audit_events WHERE id = 'e2'`,
			[]string{"inserted: chain " + h1 + " position 2 entry x2"}},
		{"an entry inserted outside any chain", `INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id)
			SELECT 'x3', at, professional_id, device_id, action, household_id, request_id FROM audit_events WHERE id = 'e1'`,
			[]string{"unchained: chain  position 0 entry x3"}},
		{"two entries swapped", `UPDATE audit_events SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE chain_id = 'household:h1' AND seq IN (2, 3)`,
			[]string{"reordered: chain " + h1 + " position 2 entry e4", "reordered: chain " + h1 + " position 3 entry e2"}},
	}
	for _, eng := range auditEngines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Run("a clean log verifies clean, and stays clean after its checkpoint", func(t *testing.T) {
				flags, _ := eng.fresh(t)
				for range 2 {
					out, err := auditVerify(t, flags)
					if err != nil || !strings.Contains(out, "audit verify: clean: 8 entries in 2 chains") {
						t.Fatalf("verify of a clean log: %v\n%s", err, out)
					}
				}
			})
			for _, tt := range tampers {
				t.Run(tt.name+" is reported", func(t *testing.T) {
					flags, db := eng.fresh(t)
					if _, err := db.Exec(tt.sql); err != nil {
						t.Fatal(err)
					}
					out, err := auditVerify(t, flags)
					if !errors.Is(err, errAuditTampered) {
						t.Errorf("verify returned %v, want errAuditTampered", err)
					}
					for _, want := range tt.wants {
						if !strings.Contains(out, want) {
							t.Errorf("verify output lacks %q:\n%s", want, out)
						}
					}
					if n := strings.Count(out, ": chain "); n != len(tt.wants) {
						t.Errorf("verify reported %d findings, want %d:\n%s", n, len(tt.wants), out)
					}
				})
			}
			t.Run("a chain removed with its head after a checkpoint is reported", func(t *testing.T) {
				flags, db := eng.fresh(t)
				if out, err := auditVerify(t, flags); err != nil || !strings.Contains(out, "signed checkpoint") {
					t.Fatalf("verify: %v\n%s", err, out)
				}
				for _, q := range []string{`DELETE FROM audit_events WHERE chain_id = 'household:h1'`, `DELETE FROM audit_chain_heads WHERE chain_id = 'household:h1'`} {
					if _, err := db.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				out, err := auditVerify(t, flags)
				if !errors.Is(err, errAuditTampered) || !strings.Contains(out, "checkpoint: chain "+h1+" position 1") {
					t.Errorf("verify: %v\n%s", err, out)
				}
			})
		})
	}
}
