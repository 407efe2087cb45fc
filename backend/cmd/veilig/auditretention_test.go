package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/store"
)

// TestAuditRetentionFlag: serve and worker refuse an access-log retention under a year, from
// the flag or the environment, with an error naming the flag, before they open a database.
func TestAuditRetentionFlag(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"serve", "worker"} {
		_, _, err := veiligRun(cmd, "--data-dir", dir, "--audit-retention", "8759h")
		if err == nil || !strings.Contains(err.Error(), "--audit-retention=8759h0m0s: want at least 8760h (1 year)") {
			t.Errorf("%s --audit-retention 8759h: %v", cmd, err)
		}
	}
	t.Setenv("VEILIG_AUDIT_RETENTION", "24h")
	_, _, err := veiligRun("worker", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "VEILIG_AUDIT_RETENTION=24h0m0s: want at least 8760h (1 year)") {
		t.Errorf("worker with VEILIG_AUDIT_RETENTION=24h: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused start wrote %d files in the data dir", len(entries))
	}
}

// Issue 12, the access log's own retention: after verify signed a checkpoint, one tick of the
// scheduler built from the command's flags (--audit-retention 8760h) cuts a chain's entries
// older than a year; verify stays clean and counts the cut, and a kept entry deleted after the
// cut is still reported with its position.
func TestAuditVerifyStaysCleanAfterRetention(t *testing.T) {
	ctx := context.Background()
	for _, eng := range auditEngines() {
		t.Run(eng.name, func(t *testing.T) {
			flags, db := eng.fresh(t)
			fs := flag.NewFlagSet("worker", flag.ContinueOnError)
			var c common
			c.register(fs)
			var sf schedulerFlags
			sf.register(fs)
			src, err := parseFlags(fs, append([]string{"--audit-retention", "8760h"}, flags...), envSpec{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := sf.check(src); err != nil {
				t.Fatal(err)
			}
			st, err := c.openStore(ctx, zerolog.Nop(), false)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			old := time.Now().Add(-2 * 8760 * time.Hour)
			var evs []store.AuditEvent
			for i := range 3 {
				evs = append(evs, store.AuditEvent{ID: fmt.Sprintf("old%d", i), At: old, ProfessionalID: "p1", OrganizationID: "o1",
					Role: "professional", Action: "plan.read", ObjectKind: "household", ObjectID: "h-old", HouseholdID: "h-old"})
			}
			if err := st.AuditAppend(ctx, evs); err != nil {
				t.Fatal(err)
			}
			if out, err := auditVerify(t, flags); err != nil || !strings.Contains(out, "signed checkpoint") {
				t.Fatalf("verify before retention: %v\n%s", err, out)
			}
			sched, err := sf.scheduler(ctx, &c, st, nil, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			stats, err := sched.Tick(ctx)
			if err != nil || stats.AuditCut != 3 {
				t.Fatalf("a tick cut %d entries (%v), want 3", stats.AuditCut, err)
			}
			out, err := auditVerify(t, flags)
			if err != nil || !strings.Contains(out, "audit verify: clean: 9 entries in 3 chains") || !strings.Contains(out, "1 cut chains (0 unverified)") {
				t.Fatalf("verify after retention: %v\n%s", err, out)
			}
			if _, err := db.Exec(`DELETE FROM audit_events WHERE chain_id = 'household:h-old' AND seq = 4`); err != nil {
				t.Fatal(err)
			}
			out, err = auditVerify(t, flags)
			if !errors.Is(err, errAuditTampered) || !strings.Contains(out, "deleted: chain household:h-old position 4") {
				t.Errorf("verify after deleting the kept entry: %v\n%s", err, out)
			}
		})
	}
}
