package app_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/household/fileout"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/hlc"
)

// matrixExport is the export of the matrix household as the store holds it now, for the
// matrix's ImportHousehold cells.
func matrixExport(ctx context.Context, b *bundle, m *matrix) []byte {
	var f *store.HouseholdFile
	err := b.store.InTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		f, err = tx.HouseholdFileRead(ctx, m.h)
		return err
	})
	if err != nil {
		panic(err) // the fixture's household is always there
	}
	doc, err := fileout.Encode(f, m.lead, testNow)
	if err != nil {
		panic(err)
	}
	return doc
}

// emptyRegion serves a fresh store holding nothing but its regional administrator (in an
// organization of its own, as `veilig admin init` makes one), and returns that administrator's id.
func emptyRegion(t *testing.T, database string) (*bundle, string) {
	t.Helper()
	admin := uuid.NewString()
	b := setupWith(t, options{database: database, seed: func(st *store.DB) {
		ctx := context.Background()
		org := uuid.NewString()
		if err := st.OrganizationUpsert(ctx, store.Organization{ID: org, Name: "Regio", CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
		if err := st.ProfessionalUpsert(ctx, store.Professional{ID: admin, OrganizationID: org, DisplayName: "Regiobeheer",
			Role: store.RoleRegionalAdmin, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}})
	return b, admin
}

// householdView is what the API answers about a household, with the versions (which each
// region counts for itself) and the household's last-change instant cleared.
func householdView(t *testing.T, b *bundle, tok, hid string) []proto.Message {
	t.Helper()
	ctx := context.Background()
	h, err := b.household.GetHousehold(ctx, as(tok, &veiligv1.GetHouseholdRequest{HouseholdId: hid}))
	if err != nil {
		t.Fatalf("GetHousehold: %v", err)
	}
	h.Msg.GetHousehold().Version, h.Msg.GetHousehold().UpdatedAt = 0, nil
	slices.SortFunc(h.Msg.CareTeam, func(a, b *veiligv1.CareTeamMember) int {
		return strings.Compare(a.GetProfessionalId(), b.GetProfessionalId())
	})
	plan, err := b.plan.GetPlan(ctx, as(tok, &veiligv1.GetPlanRequest{HouseholdId: hid}))
	if err != nil {
		t.Fatalf("GetPlan: %v", err)
	}
	plan.Msg.Version = 0
	for _, e := range plan.Msg.GetEntries() {
		e.Version = 0
	}
	scheds, err := b.checkIn.ListSchedules(ctx, as(tok, &veiligv1.ListSchedulesRequest{HouseholdId: hid}))
	if err != nil {
		t.Fatalf("ListSchedules: %v", err)
	}
	for _, s := range scheds.Msg.GetSchedules() {
		s.Version = 0
	}
	checkIns, err := b.checkIn.ListCheckIns(ctx, as(tok, &veiligv1.ListCheckInsRequest{HouseholdId: hid, Limit: 500}))
	if err != nil {
		t.Fatalf("ListCheckIns: %v", err)
	}
	return []proto.Message{h.Msg, plan.Msg, scheds.Msg, checkIns.Msg}
}

// storedFile is a household's file as the store holds it, encoded at a fixed instant: equal
// bytes mean nothing of the household changed (versions included).
func storedFile(t *testing.T, b *bundle, hid string) string {
	t.Helper()
	var f *store.HouseholdFile
	err := b.store.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) (err error) {
		f, err = tx.HouseholdFileRead(ctx, hid)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := fileout.Encode(f, "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

// TestHouseholdExportRoundTrips (issue 14, acceptance 4): a household with plan edits, a
// conflict, a review date and check-ins is exported through the API by its lead and imported
// as the regional administrator into an empty region, where the API answers the same about
// it (ids and fields), its care team can pull it, the conflict included, and a second import
// changes nothing. Both calls are in the access log. The new region runs on SQLite and on
// PostgreSQL.
func TestHouseholdExportRoundTrips(t *testing.T) {
	t.Parallel()
	for _, engine := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()
			exportRoundTrip(t, engine.url(t))
		})
	}
}

func exportRoundTrip(t *testing.T, database string) {
	ctx := context.Background()
	src := setup(t)
	lead, super := src.token(t, src.region.LeadID), src.token(t, src.region.SupervisorID)
	hid, rid := src.region.FirstHouseholdID, uuid.NewString()

	// Plan edits offline, with a concurrent overwrite kept as a conflict.
	t1 := hlc.New(testNow.Add(-time.Hour), 0)
	src.push(t, lead, planEdit(hid, rid, "crisis_contact", t1, 0, "name", "Huisarts", "phone", "0611"))
	src.push(t, lead, planEdit(hid, rid, "", hlc.New(testNow.Add(-10*time.Minute), 0), t1, "phone", "0622"))
	if res := src.push(t, super, planEdit(hid, rid, "", hlc.New(testNow.Add(-20*time.Minute), 0), t1, "phone", "0633")); res[0].GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_CONFLICT_RECORDED {
		t.Fatalf("concurrent edit: %v", res[0])
	}
	if _, err := src.plan.UpsertPlanEntry(ctx, as(lead, &veiligv1.UpsertPlanEntryRequest{HouseholdId: hid, Entry: &veiligv1.PlanEntry{
		Id: uuid.NewString(), Content: &veiligv1.PlanEntry_Review{Review: &veiligv1.Review{ReviewDate: "2027-02-01"}}}})); err != nil {
		t.Fatal(err)
	}
	for _, o := range []veiligv1.Outcome{veiligv1.Outcome_OUTCOME_SAFE, veiligv1.Outcome_OUTCOME_CONCERNS} {
		if _, err := src.checkIn.RecordCheckIn(ctx, as(lead, &veiligv1.RecordCheckInRequest{HouseholdId: hid, CheckInId: uuid.NewString(),
			Channel: veiligv1.Channel_CHANNEL_HOME_VISIT, Outcome: o, Note: "gesproken met moeder"})); err != nil {
			t.Fatal(err)
		}
	}

	exp, err := src.file.ExportHousehold(ctx, as(lead, &veiligv1.ExportHouseholdRequest{HouseholdId: hid}))
	if err != nil {
		t.Fatal(err)
	}
	doc := exp.Msg.GetDocument()
	if exp.Msg.GetContentType() != "application/json" || !bytes.Contains(doc, []byte(`"format": "veilig.household-export/v1"`)) ||
		!bytes.Contains(doc, []byte(`"value": "0633"`)) || !bytes.Contains(doc, []byte(`"value": "0611"`)) {
		t.Fatalf("the export lacks its format, the conflict or the edit history:\n%s", doc)
	}
	want := householdView(t, src, lead, hid)

	dst, admin := emptyRegion(t, database)
	adminTok := dst.token(t, admin)
	// Nobody but the regional administrator imports, and nobody learns why the document
	// would fail.
	_, err = dst.file.ImportHousehold(ctx, as(dst.token(t, src.region.LeadID), &veiligv1.ImportHouseholdRequest{Document: doc}))
	wantCode(t, err, connect.CodePermissionDenied) // not even a professional of the new region yet
	res, err := dst.file.ImportHousehold(ctx, as(adminTok, &veiligv1.ImportHouseholdRequest{Document: doc}))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.Msg.GetHouseholdId() != hid || res.Msg.GetAlreadyPresent() {
		t.Fatalf("import answered %v", res.Msg)
	}
	dstLead := dst.token(t, src.region.LeadID)
	got := householdView(t, dst, dstLead, hid)
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("the imported household answers differently:\n got %v\nwant %v", got[i], want[i])
		}
	}

	// Its care team pulls it in the new region, the conflict with it.
	hc := changesFor(dst.pull(t, dstLead, nil), hid)
	if hc == nil || len(hc.GetConflicts()) != 1 || hc.GetConflicts()[0].GetValue() != "0633" || len(hc.GetCheckIns()) != 2 {
		t.Fatalf("the lead's pull in the new region: %v", hc)
	}

	// Importing again changes nothing.
	before := storedFile(t, dst, hid)
	res, err = dst.file.ImportHousehold(ctx, as(adminTok, &veiligv1.ImportHouseholdRequest{Document: doc}))
	if err != nil || !res.Msg.GetAlreadyPresent() {
		t.Fatalf("second import: %v %v", res, err)
	}
	if after := storedFile(t, dst, hid); after != before {
		t.Fatalf("the second import changed the household:\n%s\nvs\n%s", after, before)
	}

	// A document that is not an export is refused with the rule it breaks, and no value.
	_, err = dst.file.ImportHousehold(ctx, as(adminTok, &veiligv1.ImportHouseholdRequest{Document: bytes.Replace(doc, []byte("household-export/v1"), []byte("x"), 1)}))
	if ce := wantCode(t, err, connect.CodeInvalidArgument); !strings.Contains(ce.Message(), "format") {
		t.Fatalf("invalid document: %v", ce)
	}

	logged := func(b *bundle, action string) int {
		events, err := b.store.AuditListByHousehold(ctx, hid)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Action == action && e.Outcome == store.AuditAllowed {
				n++
			}
		}
		return n
	}
	if logged(src, "household.export") != 1 || logged(dst, "household.import") != 2 {
		t.Fatalf("export and imports are not in the access log: %d exports, %d imports", logged(src, "household.export"), logged(dst, "household.import"))
	}
	// The document carries the household's personal data; the logs of both servers none.
	if leak := containsAny(src.logs.String()+dst.logs.String(), demo.PersonalData()); leak != "" {
		t.Fatalf("a server log names %q", leak)
	}
}

// TestHouseholdImportRefusesTakenIDs: a document whose plan entry ids belong to another
// household of the region is refused whole, and the other household is untouched.
func TestHouseholdImportRefusesTakenIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := setup(t)
	lead := src.token(t, src.region.LeadID)
	hid := src.region.FirstHouseholdID
	exp, err := src.file.ExportHousehold(ctx, as(lead, &veiligv1.ExportHouseholdRequest{HouseholdId: hid}))
	if err != nil {
		t.Fatal(err)
	}
	// The same household under a new id and code: its entries' ids are taken.
	doc := bytes.ReplaceAll(exp.Msg.GetDocument(), []byte(hid), []byte(uuid.NewString()))
	var code string
	for _, h := range src.region.HouseholdIDs[:1] {
		got, err := src.store.HouseholdGet(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		code = got.Code
	}
	doc = bytes.Replace(doc, []byte(`"code": "`+code+`"`), []byte(`"code": "NIEUW-1"`), 1)
	before := storedFile(t, src, hid)
	admin := uuid.NewString()
	if err := src.store.ProfessionalUpsert(ctx, store.Professional{ID: admin, OrganizationID: src.region.OrganizationIDs[0], DisplayName: "Regio",
		Role: store.RoleRegionalAdmin, CreatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	_, err = src.file.ImportHousehold(ctx, as(src.token(t, admin), &veiligv1.ImportHouseholdRequest{Document: doc}))
	wantCode(t, err, connect.CodeInvalidArgument)
	if after := storedFile(t, src, hid); after != before {
		t.Fatal("a refused import changed another household")
	}
}

// TestBrowserPrintablePlan (issue 14, acceptance 4): the printable plan, fetched through the
// API in English, renders in headless Chromium with every network request refused and none
// attempted (no external resource), as a non-blank screenshot, and prints to a PDF.
func TestBrowserPrintablePlan(t *testing.T) {
	ctx := browserOffline(t)
	b := setup(t)
	lead := b.token(t, b.region.LeadID)
	res, err := b.file.RenderPlan(context.Background(), as(lead, &veiligv1.RenderPlanRequest{HouseholdId: b.region.FirstHouseholdID, Language: "en-GB"}))
	if err != nil {
		t.Fatal(err)
	}
	html := res.Msg.GetHtml()
	if res.Msg.GetLanguage() != "en" || !bytes.Contains(html, []byte("Safety plan")) {
		t.Fatalf("language %q; page:\n%s", res.Msg.GetLanguage(), html)
	}
	for _, ref := range []string{"http://", "https://", `src="//`, `href="//`, "url(", "@import", "<script", "<link", "<img"} {
		if bytes.Contains(html, []byte(ref)) {
			t.Fatalf("the page refers to something outside it (%q)", ref)
		}
	}
	file := filepath.Join(t.TempDir(), "plan.html")
	if err := os.WriteFile(file, html, 0o600); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !strings.HasPrefix(e.Request.URL, "file://") {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS("footer"))); err != nil {
		t.Fatalf("browser: open the page: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browser: screenshot: %v", err)
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatalf("browser: print to PDF: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) > 0 {
		t.Fatalf("the page asked the network for %v", requests)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 300 || r.Dy() < 400 {
		t.Fatalf("screenshot of %v: too small for a plan", r)
	}
	if dark := darkShare(img); dark < 0.005 || dark > 0.5 {
		t.Fatalf("the screenshot is blank or filled (%.3f of it dark)", dark)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 2000 {
		t.Fatalf("printing to PDF gave %d bytes starting %q", len(pdf), pdf[:min(8, len(pdf))])
	}
}

// darkShare is the share of an image's pixels that are dark: text on a page.
func darkShare(img image.Image) float64 {
	r := img.Bounds()
	dark := 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if (cr+cg+cb)/3 < 0x8000 {
				dark++
			}
		}
	}
	return float64(dark) / float64((r.Dx()/2+1)*(r.Dy()/2+1))
}

// browserOffline is browser (familylink_test.go) with the network shut: every host resolves
// to nothing and every request goes to a proxy that is not there, so a page that needed
// anything outside itself would show it (and the test counts the attempts).
func browserOffline(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.WindowSize(900, 1200),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// chromiumPath finds Debian's Chromium as browser does: without it the test skips loudly,
// and with VEILIG_REQUIRE_BROWSER=1 it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		msg := "BROWSER TESTS SKIPPED: no chromium on PATH (apt-get install chromium)"
		if os.Getenv("VEILIG_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " (VEILIG_REQUIRE_BROWSER=1 makes this a failure)")
		}
		t.Skip(msg)
	}
	return path
}

// TestRenderPlanInTheReadersLanguage: without a language, the printable plan is in the
// reader's own (their preference), else Dutch.
func TestRenderPlanInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.token(t, b.region.LeadID)
	// Without a language the page is in the reader's own (their preference), else Dutch.
	for _, c := range []struct{ pref, want string }{{"", "nl"}, {"en", "en"}} {
		if c.pref != "" {
			if _, err := b.directory.SetPreferences(context.Background(), as(lead, &veiligv1.SetPreferencesRequest{
				ProfessionalId: b.region.LeadID, Preferences: &veiligv1.Preferences{Language: c.pref}})); err != nil {
				t.Fatal(err)
			}
		}
		res, err := b.file.RenderPlan(context.Background(), as(lead, &veiligv1.RenderPlanRequest{HouseholdId: b.region.FirstHouseholdID}))
		if err != nil || res.Msg.GetLanguage() != c.want {
			t.Fatalf("preference %q: language %q (%v), want %q", c.pref, res.Msg.GetLanguage(), err, c.want)
		}
	}
}
