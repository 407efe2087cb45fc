package familylink

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// Store is what the family page needs of the storage (store.DB and household.Service have
// it): the link, what an answer records, and the urgent alerts.
type Store interface {
	reminders.UrgentStore
	LinkGetByTokenHash(ctx context.Context, tokenHash string) (*store.Link, error)
	// FamilyAnswer records an answer, a check-in or a wrong PIN, with the spend of its form
	// token and its access record (the family link acting, never its token) in one
	// transaction: household.Service.FamilyAnswer. A form token spent before, by any
	// replica, is store.ErrFormTokenSpent.
	FamilyAnswer(ctx context.Context, p household.FamilyAnswerParams) (*store.Link, error)
}

// Config configures the family link handler.
type Config struct {
	// Store holds the links, check-ins and alerts.
	Store Store
	// Now is the clock for link expiry, form tokens, rate limits and records; nil means
	// time.Now. (The answer floor below uses the real clock: it is about wall time.)
	Now func() time.Time
	// Secret is the HMAC key for form tokens; at least 32 bytes. Every replica behind one
	// address needs the same secret, or a form rendered by one is refused by another.
	Secret []byte
	// RequestID returns the server's id of the request in ctx, for the access log; nil
	// records none.
	RequestID func(context.Context) string
	// Log receives neutral events only; the zero Logger discards them.
	Log zerolog.Logger
	// MaxPINFailures is how many wrong PINs, over the link's life, lock it
	// (DefaultMaxPINFailures).
	MaxPINFailures int32
	// PerLinkRate and PerAddressRate limit requests per link token and per client address
	// (zero: DefaultPerLinkRate, DefaultPerAddressRate).
	PerLinkRate, PerAddressRate Limit
	// TrustProxy takes the client address from the last X-Forwarded-For hop. Set it only
	// behind a proxy that appends that header; otherwise clients choose their own address.
	TrustProxy bool
	// AnswerFloor is the least time an answer (recorded, or a wrong PIN) takes before its
	// page is written, so that no answer path shows in the timing. Zero means
	// DefaultAnswerFloor, negative none.
	AnswerFloor time.Duration
	// BlockAlert says when refused requests for one link raise an urgent alert: someone may
	// be keeping the family out (zero: DefaultBlockAlert).
	BlockAlert BlockAlert
}

// DefaultMaxPINFailures is Config.MaxPINFailures's default: a family may mistype a few
// times; guessing a 4-digit PIN needs thousands.
const DefaultMaxPINFailures = 5

// DefaultAnswerFloor is Config.AnswerFloor's default: well above what raising an alert
// adds on a healthy database, and short enough not to bother a family.
const DefaultAnswerFloor = 400 * time.Millisecond

// Limits of the POST handling.
const (
	// maxBodyBytes bounds a form post: ours is under 200 bytes.
	maxBodyBytes = 4 << 10
	// bodyTimeout bounds reading a form post: ours arrives in one packet, and a body
	// trickled in a byte at a time must not hold a connection (issue 13, point 5).
	bodyTimeout = 5 * time.Second
	// formLedgerMax bounds the in-memory ledger of this replica's spent form tokens.
	formLedgerMax = 100_000
	// maxPINLen bounds a PIN before it is stretched, so that a long one costs no more.
	maxPINLen = 16
	// writeTimeout bounds the store work of one answer. The work runs detached from the
	// request: a family that closes the page right after pressing the button must still
	// be heard.
	writeTimeout = 20 * time.Second
)

// Outcomes and channel of a family link check-in (see store.CheckIn).
const (
	outcomeSafe     = "safe"
	outcomeConcerns = "concerns"
	outcomeUnsafe   = "unsafe"
	channel         = "family_link"
)

// Handler is the public page /c/<token>. Besides answering requests it owns the
// goroutines that raise urgent alerts after an answer's page is decided; Wait waits for
// them.
type Handler struct {
	cfg     Config
	byLink  *limiter // keyed by link and client address: one address cannot use up another's
	byAddr  *limiter
	forms   *formLedger
	blocked *blockWatch
	pending pending
}

// pending counts running background work. Unlike sync.WaitGroup it may be waited on while
// new work starts (requests keep coming while a test, or shutdown, waits).
type pending struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero
}

func (p *pending) add() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		p.idle = make(chan struct{})
	}
	p.n++
}

func (p *pending) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n--
	if p.n == 0 {
		close(p.idle)
	}
}

// wait returns a channel closed once no work is running.
func (p *pending) wait() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	return p.idle
}

// New returns the handler of the public page /c/<token>. It panics when cfg lacks a Store
// or a Secret of at least 32 bytes: that is a deployment mistake to fail on at start-up,
// not a request error.
func New(cfg Config) *Handler {
	if cfg.Store == nil {
		panic("familylink: Config.Store is required")
	}
	if len(cfg.Secret) < 32 {
		panic("familylink: Config.Secret must be at least 32 bytes")
	}
	cfg.Secret = bytes.Clone(cfg.Secret)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxPINFailures <= 0 {
		cfg.MaxPINFailures = DefaultMaxPINFailures
	}
	if cfg.PerLinkRate.PerMinute <= 0 || cfg.PerLinkRate.Burst <= 0 {
		cfg.PerLinkRate = DefaultPerLinkRate
	}
	if cfg.PerAddressRate.PerMinute <= 0 || cfg.PerAddressRate.Burst <= 0 {
		cfg.PerAddressRate = DefaultPerAddressRate
	}
	if cfg.AnswerFloor == 0 {
		cfg.AnswerFloor = DefaultAnswerFloor
	}
	if cfg.BlockAlert.Refusals <= 0 || cfg.BlockAlert.Window <= 0 || cfg.BlockAlert.Every <= 0 {
		cfg.BlockAlert = DefaultBlockAlert
	}
	return &Handler{
		cfg:     cfg,
		byLink:  newLimiter(cfg.PerLinkRate, limiterMaxEntries),
		byAddr:  newLimiter(cfg.PerAddressRate, limiterMaxEntries),
		forms:   newFormLedger(formLedgerMax),
		blocked: newBlockWatch(cfg.BlockAlert, limiterMaxEntries),
	}
}

// Wait waits until the alerts that answers have started are raised (each is bounded by
// writeTimeout), or ctx ends. Call it at shutdown, after the server stopped serving.
func (h *Handler) Wait(ctx context.Context) error {
	select {
	case <-h.pending.wait():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("familylink: alerts still pending: %w", ctx.Err())
	}
}

// tokenFromPath takes the token from "/c/<token>" (or "/<token>" and "<token>", should the
// handler be mounted behind http.StripPrefix). Anything that is not exactly one well-formed
// token, such as extra path segments, is no token: it is answered without the database.
func tokenFromPath(p string) (string, bool) {
	rest, found := strings.CutPrefix(p, "/c/")
	if !found {
		rest = strings.TrimPrefix(p, "/")
	}
	if !WellFormed(rest) {
		return "", false
	}
	return rest, true
}

// request is what one request carries through the handler.
type request struct {
	w         http.ResponseWriter
	r         *http.Request
	start     time.Time // real clock, for the answer floor
	now       time.Time // Config.Now
	nonce     string
	lang      string
	tokenHash string
}

// ServeHTTP answers /c/<token>: the form on GET, the answer on POST.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := &request{w: w, r: r, start: time.Now(), now: h.cfg.Now(), nonce: newNonce(),
		lang: chooseLang(queryLang(r), r.Header.Get("Accept-Language"))}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.message(q, http.StatusMethodNotAllowed, texts[q.lang].Gone)
		return
	}
	// Rate limits come before anything else, the database included, so that refusing a
	// guesser costs a map lookup. The per-link bucket is keyed by link and address, so a
	// stranger who knows the link uses up only their own (issue 13, point 2).
	addr := clientAddress(r, h.cfg.TrustProxy)
	token, wellFormed := tokenFromPath(r.URL.Path)
	if wellFormed {
		q.tokenHash = HashToken(token)
	}
	allowed := h.byAddr.allow(addr, q.now)
	if allowed && wellFormed {
		allowed = h.byLink.allow(q.tokenHash+"\x00"+addr, q.now)
	}
	if !allowed {
		if !wellFormed {
			h.message(q, http.StatusTooManyRequests, texts[q.lang].Later)
			return
		}
		if h.blocked.refused(q.tokenHash, q.now) {
			h.alertBlocked(q)
		}
		// A post that carries a fresh form token of this link answers anyway: the form came
		// from a request that was let through, and the token answers once, so this lets
		// through at most one post per allowed page while the family's answer is never the
		// one refused.
		if r.Method != http.MethodPost || !h.formPass(q) {
			h.message(q, http.StatusTooManyRequests, texts[q.lang].Later)
			return
		}
	}
	if !wellFormed {
		h.gone(q)
		return
	}
	if r.Method == http.MethodPost {
		h.post(q)
		return
	}
	link, err := h.usableLink(r.Context(), q)
	switch {
	case err != nil:
		h.failed(q, "load link", err, nil)
	case link == nil:
		h.gone(q)
	default:
		h.form(q, http.StatusOK, link, "")
	}
}

// maxQueryLen bounds the query string that is parsed for ?lang=; ours is "lang=xx".
const maxQueryLen = 1024

// queryLang is ?lang=. A long query string is not parsed at all: it is not ours.
func queryLang(r *http.Request) string {
	if len(r.URL.RawQuery) > maxQueryLen {
		return ""
	}
	return r.URL.Query().Get("lang")
}

// usableLink returns the link of q.tokenHash if it may be answered now, else nil: unknown,
// expired and revoked links are all "no link", so they all get one answer. A locked link is
// answered as if it were not locked (issue 13, point 3): the lock must not show to the
// person at the screen, and its duress PIN must keep working; record decides what a locked
// link's answers mean.
func (h *Handler) usableLink(ctx context.Context, q *request) (*store.Link, error) {
	link, err := h.cfg.Store.LinkGetByTokenHash(ctx, q.tokenHash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if link.RevokedAt != nil || !q.now.Before(link.ExpiresAt) {
		return nil, nil
	}
	return link, nil
}

// readForm parses a post's form, bounded in size and in time.
func (h *Handler) readForm(q *request) error {
	if q.r.PostForm != nil {
		return nil
	}
	// Not every ResponseWriter supports deadlines (httptest's does not); the server's own
	// read timeout bounds those.
	_ = http.NewResponseController(q.w).SetReadDeadline(time.Now().Add(bodyTimeout))
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, maxBodyBytes)
	if err := q.r.ParseForm(); err != nil {
		return fmt.Errorf("read form: %w", err)
	}
	return nil
}

// formPass reports whether a rate-limited post carries a valid, unanswered form token of its
// link. It costs a bounded read and an HMAC, no database.
func (h *Handler) formPass(q *request) bool {
	if crossSite(q.r, h.cfg.TrustProxy) || h.readForm(q) != nil {
		return false
	}
	ft := q.r.PostForm.Get("ft")
	return verifyFormToken(h.cfg.Secret, q.tokenHash, ft, q.now) && !h.forms.seen(ft)
}

// refuseForm answers a post whose form token does not answer: missing, forged, of another
// link, a page left open too long, or spent already (here or on another replica). Nothing is
// recorded, and a fresh form lets a real family try again; every refusal gets this page.
func (h *Handler) refuseForm(q *request, link *store.Link) {
	h.cfg.Log.Info().Str("link_id", link.ID).Msg("family link form token refused")
	h.form(q, http.StatusForbidden, link, texts[q.lang].Retry)
}

// alertBlocked raises, off the request, an urgent alert for the link of q.tokenHash, if it is
// a link: its requests are refused again and again, so someone may be keeping the family
// out. One lookup per alert (blockWatch bounds them), never on the refused request's time.
func (h *Handler) alertBlocked(q *request) {
	tokenHash, now := q.tokenHash, q.now
	h.background(func(ctx context.Context) {
		link, err := h.cfg.Store.LinkGetByTokenHash(ctx, tokenHash)
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if err != nil {
			h.logError("load blocked link", err, nil, tokenHash)
			return
		}
		key := "blocked:" + link.ID + ":" + strconv.FormatInt(now.Truncate(h.cfg.BlockAlert.Every).Unix(), 10)
		if h.raise(ctx, link, key, now) {
			h.cfg.Log.Warn().Str("link_id", link.ID).Msg("family link blocked by refused requests")
		}
	})
}

// background runs fn detached from any request, bounded by writeTimeout, owned by h (Wait).
func (h *Handler) background(fn func(ctx context.Context)) {
	h.pending.add()
	go func() {
		defer h.pending.done()
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		fn(ctx)
	}()
}

// raise raises an urgent alert for link under key, retrying a failed write until ctx ends:
// the answer that asked for it has been recorded and its page is on its way. It reports
// whether this call raised it.
func (h *Handler) raise(ctx context.Context, link *store.Link, key string, now time.Time) bool {
	for delay := 50 * time.Millisecond; ; delay *= 2 {
		_, raised, err := reminders.RaiseUrgent(ctx, h.cfg.Store, reminders.UrgentParams{HouseholdID: link.HouseholdID,
			ScheduleID: link.ScheduleID, Key: key, Now: now})
		if err == nil {
			return raised
		}
		if ctx.Err() != nil {
			h.logError("raise urgent alert", err, link, "")
			return false
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// post handles an answer.
func (h *Handler) post(q *request) {
	r := q.r
	if crossSite(r, h.cfg.TrustProxy) {
		h.cfg.Log.Info().Msg("family link cross-site post refused")
		h.message(q, http.StatusForbidden, texts[q.lang].Gone)
		return
	}
	if err := h.readForm(q); err != nil {
		status := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		h.message(q, status, texts[q.lang].Gone)
		return
	}
	if l := exactLang(r.PostForm.Get("lang")); l != "" {
		q.lang = l
	}
	// A form token answers once, whatever the answer (issue 13, point 6); a refused one
	// gets a fresh form. The database decides (the spend commits with the answer, across
	// replicas); this replica's ledger refuses a replay it has seen without the database.
	ft := r.PostForm.Get("ft")
	formOK := verifyFormToken(h.cfg.Secret, q.tokenHash, ft, q.now) && !h.forms.seen(ft)
	link, err := h.usableLink(r.Context(), q)
	if err != nil {
		h.failed(q, "load link", err, nil)
		return
	}
	if link == nil {
		h.gone(q)
		return
	}
	if !formOK {
		h.refuseForm(q, link)
		return
	}
	answer := r.PostForm.Get("answer")
	if answer != "ok" && answer != "contact" {
		h.form(q, http.StatusBadRequest, link, texts[q.lang].Retry)
		return
	}
	// The store work runs detached from the request (see writeTimeout).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), writeTimeout)
	defer cancel()
	duress, pinOK := checkPINs(link, r.PostForm.Get("pin"))
	a := &answerWrite{q: q, link: link, ft: ft}
	if !pinOK {
		h.wrongPIN(ctx, a)
		return
	}
	h.record(ctx, a, answer, duress)
}

// answerWrite is one answer on its way to the store.
type answerWrite struct {
	q    *request
	link *store.Link
	ft   string // the verified form token it came with
}

// answer records the answer (c, or a wrong PIN when nil) through Store.FamilyAnswer and
// returns the link as the store left it. A spent form token is refused like any other
// (refuseForm) and reported as spent; on success the token is also marked in this
// replica's ledger.
func (h *Handler) answer(ctx context.Context, a *answerWrite, c *change.CheckIn) (updated *store.Link, spent bool, err error) {
	requestID := ""
	if h.cfg.RequestID != nil {
		requestID = h.cfg.RequestID(ctx)
	}
	updated, err = h.cfg.Store.FamilyAnswer(ctx, household.FamilyAnswerParams{Link: a.link, FormNonceHash: formNonceHash(a.ft),
		CheckIn: c, MaxPINFailures: h.cfg.MaxPINFailures, RequestID: requestID, Now: a.q.now})
	switch {
	case errors.Is(err, store.ErrFormTokenSpent):
		h.forms.use(a.ft, a.q.now)
		h.refuseForm(a.q, a.link)
		return nil, true, err
	case err == nil:
		h.forms.use(a.ft, a.q.now)
	}
	return updated, false, err
}

// floor waits until the answer floor has passed since the request began.
func (h *Handler) floor(q *request) {
	if h.cfg.AnswerFloor > 0 {
		wait(q.r.Context(), q.start.Add(h.cfg.AnswerFloor))
	}
}

// crossSite reports whether a post shows that it comes from another site. Sec-Fetch-Site is
// trusted first (modern browsers send it and pages cannot forge it). Origin is compared with
// the host next; "null" is let through because browsers send it for our own form: the page
// has Referrer-Policy no-referrer, which makes a POST's Origin "null". The form token, which
// only our page holds, is the check that remains for such posts.
func crossSite(r *http.Request, trustProxy bool) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site != "same-origin" && site != "none"
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true
	}
	if strings.EqualFold(u.Host, r.Host) {
		return false
	}
	if trustProxy {
		if fwd := r.Header.Get("X-Forwarded-Host"); fwd != "" && strings.EqualFold(u.Host, strings.TrimSpace(fwd)) {
			return false
		}
	}
	return true
}

// dummyPINHash stands in for an unset PIN so that checkPINs always stretches two PINs.
var dummyPINHash = sync.OnceValue(func() string { return encodePIN("familylink-dummy", "dummy", make([]byte, 16)) })

// checkPINs checks the entered PIN against a link's PIN and duress PIN. It reports duress
// when the duress PIN was entered, and ok when the answer may be recorded: the PIN or the
// duress PIN matched, or the link has no PIN and the field was left empty. Both hashes are
// always computed, so the time taken does not tell which one matched. Should both PINs be
// the same, duress wins: a needless call is better than a missed alarm.
//
// A link with neither PIN shows no field; whatever is posted in it is ignored, since there
// is nothing to guess.
func checkPINs(link *store.Link, pin string) (duress, ok bool) {
	if link.PINHash == "" && link.DuressPINHash == "" {
		return false, true
	}
	pin = strings.TrimSpace(pin)
	tooLong := len(pin) > maxPINLen
	if tooLong {
		pin = pin[:maxPINLen]
	}
	duressHash, pinHash := link.DuressPINHash, link.PINHash
	if duressHash == "" {
		duressHash = dummyPINHash()
	}
	if pinHash == "" {
		pinHash = dummyPINHash()
	}
	isDuress := CheckPIN(link.ID, duressHash, pin) && link.DuressPINHash != ""
	isPIN := CheckPIN(link.ID, pinHash, pin) && link.PINHash != ""
	switch {
	case tooLong:
		return false, false
	case pin != "" && isDuress:
		return true, true
	case pin != "" && isPIN:
		return false, true
	case pin == "" && link.PINHash == "":
		return false, true
	}
	return false, false
}

// wrongPIN counts a wrong PIN. Failures count over the link's life, and an answer in between
// does not reset them (issue 13, point 3), so guessing cannot be spread around correct
// answers. At the limit the link locks and the care team gets an urgent alert: someone may be
// trying to answer for the family. The lock does not show: the page stays the same (see
// record). The alert is keyed per link, so concurrent last guesses raise it once.
//
// Timing: like an answer, a wrong PIN does one transaction before the floor (the form
// token's spend, the count, a denied access record), and the alert is raised off the
// request, so the three paths take the same time (BenchmarkAnswerPaths).
func (h *Handler) wrongPIN(ctx context.Context, a *answerWrite) {
	q, link := a.q, a.link
	updated, spent, err := h.answer(ctx, a, nil)
	if spent {
		return
	}
	if err != nil {
		h.failed(q, "count wrong PIN", err, link)
		return
	}
	h.cfg.Log.Info().Str("link_id", link.ID).Msg("family link PIN wrong")
	if updated.LockedAt != nil && link.LockedAt == nil {
		now := q.now
		h.background(func(ctx context.Context) {
			if h.raise(ctx, updated, "locked:"+link.ID, now) {
				h.cfg.Log.Warn().Str("link_id", link.ID).Msg("family link PIN locked")
			}
		})
	}
	h.floor(q)
	h.form(q, http.StatusOK, link, texts[q.lang].WrongPIN)
}

// record stores an answer and writes the thank-you page. The page does not depend on the
// answer: every branch below ends in the same bytes (apart from the nonce). Every branch does
// the same work before the floor, one transaction (household.Service.FamilyAnswer: the form
// token's spend, the link's last use, the check-in, its access record); the urgent alert of
// contact and duress runs after it off the request, so that the time to the page tells
// nothing even under load (issue 13, point 4).
//
// On a locked link the page is the same too, and the duress PIN and "contact me" raise
// their alerts as ever. "All is well" cannot be trusted from a locked link (someone guessed
// PINs, and may have found one), so it is recorded as concerns under the lock's alert key:
// the care team, already alerted by the lock, gets no second alert, and the household is
// not taken as safe.
func (h *Handler) record(ctx context.Context, a *answerWrite, answer string, duress bool) {
	q, link := a.q, a.link
	checkInID := uuid.NewString()
	outcome, urgent, key := outcomeSafe, false, checkInID
	switch {
	case duress:
		outcome, urgent = outcomeUnsafe, true
	case answer == "contact":
		outcome, urgent = outcomeConcerns, true
	case link.LockedAt != nil:
		outcome, urgent, key = outcomeConcerns, true, "locked:"+link.ID
	}
	_, spent, err := h.answer(ctx, a, &change.CheckIn{ID: checkInID, HouseholdID: link.HouseholdID,
		ScheduleID: link.ScheduleID, Channel: channel, Outcome: outcome, RecordedAt: q.now})
	if spent {
		// Another answer with this form was recorded, and raised its own alert.
		return
	}
	if err != nil {
		if urgent {
			// The care team must hear even when the check-in could not be written.
			h.background(func(ctx context.Context) { h.raise(ctx, link, key, q.now) })
		}
		h.failed(q, "record answer", fmt.Errorf("append check-in: %w", err), link)
		return
	}
	if urgent {
		now := q.now
		h.background(func(ctx context.Context) { h.raise(ctx, link, key, now) })
	}
	h.cfg.Log.Info().Str("link_id", link.ID).Msg("family link answered")
	h.floor(q)
	h.write(q, http.StatusOK, page{Kind: kindThanks})
}

// wait sleeps until deadline or until the client has gone.
func wait(ctx context.Context, deadline time.Time) {
	d := time.Until(deadline)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// form writes the form page with a fresh form token.
func (h *Handler) form(q *request, status int, link *store.Link, notice string) {
	h.write(q, status, page{Kind: kindForm, Notice: notice, FormToken: newFormToken(h.cfg.Secret, q.tokenHash, q.now),
		PIN: link.PINHash != "" || link.DuressPINHash != ""})
}

// gone writes the one page for every link that cannot be answered, with one status.
func (h *Handler) gone(q *request) {
	h.message(q, http.StatusNotFound, texts[q.lang].Gone)
}

func (h *Handler) message(q *request, status int, text string) {
	h.write(q, status, page{Kind: kindMessage, Notice: text})
}

// failed logs a store error without personal data and writes a neutral error page: 503 with
// Retry-After for a database outage (transient: the family can try again, and a load
// balancer or monitor sees an outage, not a bug), 500 for anything else. Every answer path
// fails alike, so the page reveals nothing about which answer was being given.
func (h *Handler) failed(q *request, op string, err error, link *store.Link) {
	h.logError(op, err, link, q.tokenHash)
	status := http.StatusInternalServerError
	if errors.Is(err, store.ErrUnavailable) {
		status = http.StatusServiceUnavailable
		q.w.Header().Set("Retry-After", "30")
	}
	h.message(q, status, texts[q.lang].Failed)
}

// logError logs err with the household id and token hash cut out: store errors name the
// household they were about, and a log line must not.
func (h *Handler) logError(op string, err error, link *store.Link, tokenHash string) {
	msg := err.Error()
	if tokenHash != "" {
		msg = strings.ReplaceAll(msg, tokenHash, "[token hash]")
	}
	// An outage is logged at warn: it is not a bug, and the scheduler and readiness already
	// report it; every failed answer during one would otherwise be an error line.
	ev := h.cfg.Log.Error()
	if errors.Is(err, store.ErrUnavailable) {
		ev = h.cfg.Log.Warn()
	}
	ev = ev.Str("op", op)
	if link != nil {
		if link.HouseholdID != "" {
			msg = strings.ReplaceAll(msg, link.HouseholdID, "[household]")
		}
		ev = ev.Str("link_id", link.ID)
	}
	ev.Str("error", msg).Msg("family link store error")
}

// fallbackPage is written should the template ever fail, so that even then nothing but a
// neutral page goes out.
const fallbackPage = "<!doctype html><html lang=\"nl\"><meta charset=\"utf-8\"><title>Bericht</title><p>Er ging iets mis.</p></html>\n"

// write renders p and writes it with the headers every response carries.
func (h *Handler) write(q *request, status int, p page) {
	p.Lang, p.Nonce = q.lang, q.nonce
	body, err := render(p)
	if err != nil {
		h.cfg.Log.Error().Err(err).Msg("family link page render failed")
		body, status = []byte(fallbackPage), http.StatusInternalServerError
	}
	hdr := q.w.Header()
	setHeaders(hdr, q.nonce)
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	q.w.WriteHeader(status)
	if q.r.Method != http.MethodHead {
		_, _ = q.w.Write(body)
	}
}

// setHeaders sets the headers of every response: nothing cached (a shared phone's cache is
// its history), no Referer (the URL holds the token), nothing but our inline style allowed,
// no framing, no indexing.
func setHeaders(hdr http.Header, nonce string) {
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Robots-Tag", "noindex, nofollow")
}

// newNonce returns a fresh CSP nonce: 128 random bits.
func newNonce() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("familylink: no randomness: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
