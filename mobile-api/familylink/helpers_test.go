package familylink

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
)

var t0 = time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC)

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countingStore counts link lookups, to show that junk never reaches the database. Answers
// go through the domain layer, as in the server.
type countingStore struct {
	*store.DB
	domain  *household.Service
	lookups atomic.Int32
}

func (s *countingStore) FamilyAnswer(ctx context.Context, p household.FamilyAnswerParams) (*store.Link, error) {
	return s.domain.FamilyAnswer(ctx, p)
}

func (s *countingStore) LinkGetByTokenHash(ctx context.Context, h string) (*store.Link, error) {
	s.lookups.Add(1)
	return s.DB.LinkGetByTokenHash(ctx, h)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

type env struct {
	t     testing.TB
	st    *countingStore
	clock *clock
	h     *Handler
	log   *syncBuffer
	cfg   Config // what h was made with, for replica
	url   string // the database's
}

// replica returns a second handler on the same database and secret, through its own
// connection pool: another replica of the server behind the same address, with its own
// memory.
func (e *env) replica() *Handler {
	e.t.Helper()
	s, err := storeopen.Open(context.Background(), e.url)
	must(e.t, err)
	e.t.Cleanup(func() { s.Close() })
	cfg := e.cfg
	cfg.Store = &countingStore{DB: s, domain: household.New(s, e.clock.Now)}
	return New(cfg)
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// generous limits keep the limiter out of tests that are not about it.
var generous = Limit{PerMinute: 6000, Burst: 1000}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newEnv opens a migrated SQLite store with one organization, a lead professional, a team,
// and households h1..h3 led by that professional; h1 also has a schedule "s1".
func newEnv(t testing.TB, tweak func(*Config)) *env {
	t.Helper()
	return newEnvAt(t, "sqlite://"+filepath.Join(t.TempDir(), "db"), tweak)
}

// newEnvAt is newEnv on the database at url (SQLite or PostgreSQL).
func newEnvAt(t testing.TB, url string, tweak func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	s, err := storeopen.Open(ctx, url)
	must(t, err)
	t.Cleanup(func() { s.Close() })
	must(t, s.Migrate(ctx))
	must(t, s.OrganizationUpsert(ctx, store.Organization{ID: "org-1", Name: "Org", CreatedAt: t0}))
	must(t, s.ProfessionalUpsert(ctx, store.Professional{ID: "p-lead", OrganizationID: "org-1", DisplayName: "Lead",
		Role: store.RoleProfessional, CreatedAt: t0}))
	must(t, s.TeamUpsert(ctx, store.Team{ID: "team-1", Name: "Team", CreatedAt: t0}))
	must(t, s.TeamMemberAdd(ctx, store.TeamMember{TeamID: "team-1", ProfessionalID: "p-lead"}))
	for _, h := range []string{"h1", "h2", "h3"} {
		must(t, s.HouseholdCreate(ctx, store.Household{ID: h, Code: "HH-" + h, TeamID: "team-1", DisplayName: "Familie " + h, CreatedAt: t0}))
		must(t, s.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: h,
			ProfessionalID: "p-lead", Lead: true}, Now: t0}))
	}
	due, overdue, opens := t0.Add(8*time.Hour), t0.Add(9*time.Hour), t0.Add(-time.Hour)
	_, err = s.ScheduleUpsert(ctx, store.ScheduleUpsertParams{Now: t0, Schedule: store.Schedule{ID: "s1", HouseholdID: "h1",
		Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00", GraceMinutes: 60, Channel: "family_link",
		LeadProfessionalID: "p-lead", StartDate: "2026-03-01", NextDueAt: &due, OverdueAt: &overdue, OpensAt: &opens}})
	must(t, err)

	e := &env{t: t, clock: &clock{now: t0}, log: &syncBuffer{}, url: url}
	e.st = &countingStore{DB: s, domain: household.New(s, e.clock.Now)}
	cfg := Config{Store: e.st, Now: e.clock.Now, Secret: testSecret, Log: zerolog.New(e.log),
		PerLinkRate: generous, PerAddressRate: generous, AnswerFloor: -1}
	if tweak != nil {
		tweak(&cfg)
	}
	e.cfg = cfg
	e.h = New(cfg)
	return e
}

// linkOpts describes a link to create.
type linkOpts struct {
	household, schedule string
	pin, duress         string
	expiresIn           time.Duration // default 7 days
}

// link creates a link and returns its token and id.
func (e *env) link(o linkOpts) (token, id string) {
	e.t.Helper()
	if o.household == "" {
		o.household = "h1"
	}
	if o.expiresIn == 0 {
		o.expiresIn = 7 * 24 * time.Hour
	}
	id = uuid.NewString()
	token, hash := NewToken()
	l := store.Link{ID: id, TokenHash: hash, HouseholdID: o.household, ScheduleID: o.schedule, CreatedBy: "p-lead",
		CreatedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(o.expiresIn)}
	if o.pin != "" {
		l.PINHash = HashPIN(id, o.pin)
	}
	if o.duress != "" {
		l.DuressPINHash = HashPIN(id, o.duress)
	}
	must(e.t, e.st.LinkCreate(context.Background(), l))
	return token, id
}

// req is one request to the handler.
type req struct {
	method  string
	target  string
	form    url.Values
	headers map[string]string
	addr    string
}

func (e *env) do(q req) *httptest.ResponseRecorder {
	e.t.Helper()
	if q.method == "" {
		q.method = http.MethodGet
	}
	var body *strings.Reader
	if q.form != nil {
		body = strings.NewReader(q.form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(q.method, "http://veilig.test"+q.target, body)
	if q.form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.RemoteAddr = "192.0.2.10:4711"
	if q.addr != "" {
		r.RemoteAddr = q.addr
	}
	for k, v := range q.headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	// Alerts are raised off the request; tests look at them as soon as a request is done.
	must(e.t, e.h.Wait(context.Background()))
	return w
}

var ftPattern = regexp.MustCompile(`name="ft" value="([^"]*)"`)

// formToken opens the page of token and returns its form token.
func (e *env) formToken(token string) string {
	e.t.Helper()
	w := e.do(req{target: "/c/" + token})
	if w.Code != http.StatusOK {
		e.t.Fatalf("GET form: status %d", w.Code)
	}
	m := ftPattern.FindStringSubmatch(w.Body.String())
	if m == nil {
		e.t.Fatalf("no form token in page:\n%s", w.Body.String())
	}
	return m[1]
}

// answer opens the form and posts an answer with a PIN.
func (e *env) answer(token, answer, pin string, extra url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	f := url.Values{"ft": {e.formToken(token)}, "answer": {answer}, "lang": {"nl"}}
	if pin != "" {
		f.Set("pin", pin)
	}
	for k, v := range extra {
		f[k] = v
	}
	return e.do(req{method: http.MethodPost, target: "/c/" + token, form: f, headers: map[string]string{"Sec-Fetch-Site": "same-origin"}})
}

var noncePattern = regexp.MustCompile(`'nonce-([A-Za-z0-9_-]+)'`)

// normalized returns a response's status, headers and body with the per-request nonce and
// form token replaced by placeholders: what must be identical between responses.
func normalized(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	csp := w.Header().Get("Content-Security-Policy")
	m := noncePattern.FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("no nonce in CSP %q", csp)
	}
	nonce := m[1]
	var b strings.Builder
	b.WriteString(http.StatusText(w.Code) + "\n")
	for _, k := range []string{"Content-Type", "Content-Length", "Cache-Control", "Referrer-Policy", "Content-Security-Policy",
		"X-Frame-Options", "X-Content-Type-Options", "X-Robots-Tag", "Set-Cookie", "Allow"} {
		b.WriteString(k + ": " + strings.Join(w.Header().Values(k), ",") + "\n")
	}
	b.WriteString(strings.Join(slices.Sorted(maps.Keys(w.Header())), ",") + "\n\n")
	b.WriteString(w.Body.String())
	out := strings.ReplaceAll(b.String(), nonce, "NONCE")
	return ftPattern.ReplaceAllString(out, `name="ft" value="FT"`)
}
