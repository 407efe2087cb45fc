package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/metrics/metricstest"
	"github.com/veilig/veilig/backend/store/pgtest"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/hlc"
)

// probe asks the bundle's ops listener for path and returns the status and body.
func (b *bundle) probe(t *testing.T, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	b.ops.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// health asks the API port's gRPC health service about the whole server.
func (b *bundle) health(t *testing.T) grpchealth.Status {
	t.Helper()
	res, err := grpchealth.NewClient(b.http, b.baseURL).Check(context.Background(), &grpchealth.CheckRequest{})
	if err != nil {
		t.Fatalf("health check: %v", err)
	}
	return res.Status
}

// metric returns the value of name{labels} in the bundle's registry (metricstest.Value).
func (b *bundle) metric(t *testing.T, name string, labels ...string) (float64, bool) {
	t.Helper()
	return metricstest.Value(t, b.metrics, name, labels...)
}

func (b *bundle) wantMetric(t *testing.T, want float64, name string, labels ...string) {
	t.Helper()
	metricstest.Want(t, b.metrics, want, name, labels...)
}

// A real PostgreSQL stopped under a running server and started again, without restarting the
// server: readiness answers 503 with a reason and the gRPC health service NOT_SERVING while
// it is down, calls answer unavailable (a client retries those), nothing is logged as an
// error; once it is back, readiness, health and calls recover by themselves.
func TestDatabaseOutage(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	b := setupWith(t, options{database: cluster.URL()})
	ctx := context.Background()
	tok := b.token(t, b.region.LeadID)
	hid := b.region.FirstHouseholdID
	pull := func() error {
		_, err := b.sync.Pull(ctx, as(tok, &veiligv1.PullRequest{}))
		return err
	}
	push := func() error {
		_, err := b.sync.Push(ctx, as(tok, &veiligv1.PushRequest{Mutations: []*veiligv1.Mutation{
			planEdit(hid, uuid.NewString(), "danger", hlc.Timestamp(1<<32), 0, "description", "afspraak")}}))
		return err
	}

	if code, body := b.probe(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before the outage: %d %s", code, body)
	}
	if got := b.health(t); got != grpchealth.StatusServing {
		t.Fatalf("health before the outage: %v", got)
	}
	if err := pull(); err != nil {
		t.Fatalf("pull before the outage: %v", err)
	}
	b.wantMetric(t, 1, "veilig_database_up")
	link, _ := familyLink(t, b, "", "")

	cluster.Stop(t)
	code, body := b.probe(t, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "database unreachable") {
		t.Errorf("/readyz during the outage: %d %q, want 503 with the reason", code, body)
	}
	if code, _ := b.probe(t, "/livez"); code != http.StatusOK {
		t.Errorf("/livez during the outage: %d: the process is alive, restarting it would not help", code)
	}
	if got := b.health(t); got != grpchealth.StatusNotServing {
		t.Errorf("health during the outage: %v, want NOT_SERVING", got)
	}
	for name, call := range map[string]func() error{"pull": pull, "push": push} {
		if err := call(); connect.CodeOf(err) != connect.CodeUnavailable {
			t.Errorf("%s during the outage: %v, want unavailable", name, err)
		}
	}
	// The family page answers a retryable 503, the same neutral page for every link.
	res, err := b.http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("family page during the outage: %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	b.wantMetric(t, 0, "veilig_database_up")
	b.wantMetric(t, 1, "veilig_sync_pushes_total", "outcome", "error")
	if _, ok := b.metric(t, "veilig_outbox_backlog"); ok {
		t.Error("veilig_outbox_backlog is reported while the database is down")
	}

	cluster.Start(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := b.probe(t, "/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after the database came back: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.health(t); got != grpchealth.StatusServing {
		t.Errorf("health after the outage: %v", got)
	}
	if err := pull(); err != nil {
		t.Errorf("pull after the outage: %v", err)
	}
	if err := push(); err != nil {
		t.Errorf("push after the outage: %v", err)
	}
	b.wantMetric(t, 1, "veilig_database_up")
	b.wantMetric(t, 1, "veilig_sync_pushes_total", "outcome", "ok")

	logs := b.logs.String()
	if strings.Contains(logs, `"level":"error"`) {
		t.Errorf("the outage was logged as an error:\n%s", logs)
	}
	if n := strings.Count(logs, "not ready: database unavailable"); n != 1 {
		t.Errorf("readiness logged the outage %d times, want once", n)
	}
	if strings.Contains(logs, "user=") || strings.Contains(logs, "veilig_test_") {
		t.Errorf("a log line names the database's user or database:\n%s", logs)
	}
}

var formToken = regexp.MustCompile(`name="ft" value="([^"]*)"`)

// The sync and family-page metrics count what happened, never who or which answer.
func TestSyncAndFamilyMetrics(t *testing.T) {
	b := setup(t)
	tok := b.token(t, b.region.LeadID)
	hid := b.region.FirstHouseholdID
	first := planEdit(hid, uuid.NewString(), "danger", hlc.Timestamp(1<<32), 0, "description", "afspraak")
	results := b.push(t, tok, first, planEdit(b.hidden(t, b.region.LeadID), uuid.NewString(), "danger", hlc.Timestamp(1<<32), 0, "description", "x"))
	if results[0].GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED || results[1].GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_REJECTED {
		t.Fatalf("push results %v", results)
	}
	if _, err := b.sync.Push(context.Background(), as("", &veiligv1.PushRequest{Mutations: []*veiligv1.Mutation{first}})); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("push without a token: %v", err)
	}
	b.pull(t, tok, nil)
	b.wantMetric(t, 1, "veilig_sync_pushes_total", "outcome", "ok")
	b.wantMetric(t, 1, "veilig_sync_pushes_total", "outcome", "refused")
	b.wantMetric(t, 0, "veilig_sync_pushes_total", "outcome", "error")
	b.wantMetric(t, 1, "veilig_sync_mutations_total", "outcome", "applied")
	b.wantMetric(t, 1, "veilig_sync_mutations_total", "outcome", "rejected")
	b.wantMetric(t, 2, "veilig_sync_request_duration_seconds", "rpc", "push")
	b.wantMetric(t, 1, "veilig_sync_request_duration_seconds", "rpc", "pull")
	if n, _ := b.metric(t, "veilig_sync_pull_bytes_total"); n < 100 {
		t.Errorf("veilig_sync_pull_bytes_total = %v after a pull of the demo region", n)
	}

	// A family answers once; the same form posted again records nothing.
	link, _ := familyLink(t, b, "", "")
	res, err := b.http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := formToken.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the page:\n%s", page)
	}
	post := func() int {
		req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(url.Values{"ft": {string(m[1])}, "answer": {"ok"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := post(); code != http.StatusOK {
		t.Fatalf("answer: %d", code)
	}
	if code := post(); code == http.StatusOK {
		t.Fatalf("the form answered twice")
	}
	b.wantMetric(t, 1, "veilig_family_answers_total", "result", "recorded")
	b.wantMetric(t, 1, "veilig_family_answers_total", "result", "refused")
	b.wantMetric(t, 0, "veilig_family_answers_total", "result", "limited")

	// The scrape-time gauges are there on the embedded database too.
	_, text := b.probe(t, "/metrics")
	for _, name := range []string{"veilig_outbox_backlog ", "veilig_outbox_oldest_age_seconds ", "veilig_detection_overdue_backlog ",
		"veilig_db_pool_open_connections ", "veilig_db_pool_in_use_connections ", "veilig_db_pool_idle_connections ",
		"veilig_db_pool_max_connections ", "veilig_database_up 1"} {
		if !strings.Contains(text, "\n"+name) {
			t.Errorf("/metrics lacks %q", name)
		}
	}
	for _, secret := range []string{hid, b.region.LeadID, "afspraak"} {
		if strings.Contains(text, secret) {
			t.Errorf("/metrics contains %q", secret)
		}
	}
}
