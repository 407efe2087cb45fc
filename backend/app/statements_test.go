package app_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store/pgtest"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/hlc"
)

// statementLog records the statements the server sends to PostgreSQL (a pgx tracer): the
// sqlc query name of each, or the command (begin …, commit).
type statementLog struct {
	mu   sync.Mutex
	sent []string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	name := strings.TrimSpace(d.SQL)
	if rest, ok := strings.CutPrefix(name, "-- name: "); ok {
		name, _, _ = strings.Cut(rest, " ")
	} else {
		name, _, _ = strings.Cut(name, "\n")
	}
	l.mu.Lock()
	l.sent = append(l.sent, name)
	l.mu.Unlock()
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements sent since the last take.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sent
	l.sent = nil
	return out
}

// TestPushSendsAFixedNumberOfStatementsAndCommitsOnce pushes batches of 1, 10 and 100 edits of
// existing plan entries, and of as many new ones, through the real server on PostgreSQL,
// counting every statement the server sends with a pgx tracer: a batch's size changes no
// statement, and each push is one transaction that commits once.
func TestPushSendsAFixedNumberOfStatementsAndCommitsOnce(t *testing.T) {
	log := &statementLog{}
	b := setupWith(t, options{database: pgtest.NewDatabase(t), tracer: log})
	tok := b.token(t, b.region.LeadID)
	h := b.region.FirstHouseholdID
	stamp := hlc.New(testNow, 0)
	batch := func(records []string) []*veiligv1.Mutation {
		var muts []*veiligv1.Mutation
		for _, r := range records {
			stamp++
			muts = append(muts, planEdit(h, r, "agreement", stamp, stamp, "title", "t", "body", "b", "who", "w"))
		}
		return muts
	}
	newRecords := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = uuid.NewString()
		}
		return out
	}
	b.push(t, tok, batch(newRecords(1))...) // the household's size is measured once, then cached
	log.take()
	counts := map[string]map[int][]string{}
	for _, shape := range []string{"new records", "edits of existing records"} {
		counts[shape] = map[int][]string{}
		for _, n := range []int{1, 10, 100} {
			records := newRecords(n)
			if shape == "edits of existing records" {
				b.push(t, tok, batch(records)...)
				log.take()
			}
			for _, r := range b.push(t, tok, batch(records)...) {
				if r.GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED {
					t.Fatalf("%s, batch of %d: outcome %v (%s)", shape, n, r.GetOutcome(), r.GetDetail())
				}
			}
			sent := log.take()
			counts[shape][n] = sent
			var begins, commits int
			for _, s := range sent {
				begins += boolInt(strings.HasPrefix(s, "begin"))
				commits += boolInt(s == "commit")
			}
			if begins != 1 || commits != 1 {
				t.Errorf("%s, batch of %d: %d transactions begun and %d commits, want one of each; statements %v", shape, n, begins, commits, sent)
			}
		}
		one := strings.Join(counts[shape][1], ", ")
		for _, n := range []int{10, 100} {
			// A batch whose rows pass server.VersionBytes (the batch of 100 here) spreads over
			// versions: one more statement, HouseholdAdvance, whatever the batch's size.
			sent := slices.DeleteFunc(slices.Clone(counts[shape][n]), func(s string) bool { return s == "HouseholdAdvance" })
			if n == 100 && len(sent) != len(counts[shape][n])-1 {
				t.Errorf("%s: a batch of %d, about 40 KB of rows, sends no HouseholdAdvance: %v", shape, n, counts[shape][n])
			}
			if got := strings.Join(sent, ", "); got != one {
				t.Errorf("%s: a batch of %d sends\n  %s\nbut a batch of 1 sends\n  %s", shape, n, got, one)
			}
		}
		t.Logf("%s: %d statements per push, whatever the batch: %s", shape, len(counts[shape][1]), one)
	}
	// Beside the sync rows: the caller and its device, visibility for the quota, the
	// household lock and relations, and the access log's chain heads (create, lock, move).
	if e, n := len(counts["edits of existing records"][100]), len(counts["new records"][100]); e > 25 || n > 25 {
		t.Errorf("a push of 100 sends %d statements (edits) and %d (new records), want a fixed handful", e, n)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
