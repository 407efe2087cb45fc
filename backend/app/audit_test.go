package app_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/mobile-api/auth"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// Issue 12, acceptance 5: a privacy officer lists and exports the entries of their own
// organization's staff only, reads the whole log of a household their organization works on
// (other organizations' denied attempts included), sees none of the household's data, and
// each of their reads is itself in the log.
func TestPrivacyOfficerReadsTheAccessLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMatrix()
	idpO := newIDP(t, "https://login.organisatie-o.example")
	idpP := newIDP(t, "https://login.organisatie-p.example")
	b := setupWith(t, options{seed: func(st *store.DB) { m.seed(t, st) },
		issuers: func(*store.DB, *demo.Region) []auth.IssuerConfig {
			return []auth.IssuerConfig{idpO.config(m.orgO), idpP.config(m.orgP)}
		}})
	lead, foreign := idpO.token(t, m.lead, time.Hour), idpP.token(t, m.foreign, time.Hour)
	officer := idpO.token(t, m.officerO, time.Hour)

	for range 3 {
		if _, err := b.plan.GetPlan(ctx, as(lead, &veiligv1.GetPlanRequest{HouseholdId: m.h})); err != nil {
			t.Fatal(err)
		}
	}
	_, err := b.plan.GetPlan(ctx, as(foreign, &veiligv1.GetPlanRequest{HouseholdId: m.h}))
	wantCode(t, err, connect.CodeNotFound) // a denied cross-organization read
	_, err = b.plan.GetPlan(ctx, as(officer, &veiligv1.GetPlanRequest{HouseholdId: m.h}))
	wantCode(t, err, connect.CodeNotFound) // the officer reads the log, never the data

	own, err := b.audit.ListAuditEntries(ctx, as(officer, &veiligv1.ListAuditEntriesRequest{OrganizationId: m.orgO}))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range own.Msg.GetEntries() {
		if e.GetOrganizationId() != m.orgO {
			t.Errorf("entry %v of another organization's staff", e)
		}
		actions = append(actions, e.GetActorId()+" "+e.GetAction()+" "+e.GetOutcome().String())
	}
	for _, want := range []string{m.lead + " plan.read AUDIT_OUTCOME_ALLOWED", m.officerO + " plan.read AUDIT_OUTCOME_DENIED",
		m.officerO + " audit.list AUDIT_OUTCOME_ALLOWED"} {
		if !slices.Contains(actions, want) {
			t.Errorf("own staff's entries lack %q: %v", want, actions)
		}
	}

	// Filtered by professional and household, one entry a page.
	var pages []string
	token := ""
	for range 10 {
		res, err := b.audit.ListAuditEntries(ctx, as(officer, &veiligv1.ListAuditEntriesRequest{OrganizationId: m.orgO, PageSize: 1,
			PageToken: token, Filter: &veiligv1.AuditFilter{ProfessionalId: m.lead, HouseholdId: m.h}}))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Msg.GetEntries() {
			if e.GetActorId() != m.lead || e.GetHouseholdId() != m.h {
				t.Errorf("filtered entry %v", e)
			}
			pages = append(pages, e.GetId())
		}
		if token = res.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(pages) != 3 || len(slices.Compact(slices.Clone(pages))) != len(pages) {
		t.Errorf("paged entries %v: want every entry of the lead on the household once", pages)
	}

	hh, err := b.audit.ListHouseholdAccess(ctx, as(officer, &veiligv1.ListHouseholdAccessRequest{HouseholdId: m.h}))
	if err != nil {
		t.Fatal(err)
	}
	foreignDenied := slices.ContainsFunc(hh.Msg.GetEntries(), func(e *veiligv1.AuditEntry) bool {
		return e.GetActorId() == m.foreign && e.GetOrganizationId() == m.orgP && e.GetOutcome() == veiligv1.AuditOutcome_AUDIT_OUTCOME_DENIED
	})
	if !foreignDenied {
		t.Errorf("the household's log lacks the other organization's denied read: %v", hh.Msg.GetEntries())
	}
	_, err = b.audit.ListHouseholdAccess(ctx, as(idpP.token(t, m.officerP, time.Hour), &veiligv1.ListHouseholdAccessRequest{HouseholdId: m.h}))
	wantCode(t, err, connect.CodeNotFound) // organization P does not work on the household

	exp, err := b.audit.ExportAuditEntries(ctx, as(officer, &veiligv1.ExportAuditEntriesRequest{OrganizationId: m.orgO,
		Format: veiligv1.ExportFormat_EXPORT_FORMAT_JSON}))
	if err != nil {
		t.Fatal(err)
	}
	var doc []map[string]any
	if err := json.Unmarshal(exp.Msg.GetDocument(), &doc); err != nil || exp.Msg.GetContentType() != "application/json" {
		t.Fatalf("export is not a JSON document (%s): %v", exp.Msg.GetContentType(), err)
	}
	for _, e := range doc {
		if e["organizationId"] != m.orgO {
			t.Errorf("exported entry %v of another organization's staff", e)
		}
	}
	if len(doc) <= len(own.Msg.GetEntries()) {
		t.Errorf("export has %d entries, want more than the first list's %d (the reads since are logged)", len(doc), len(own.Msg.GetEntries()))
	}

	// Every read of the log is in the log.
	var reads []string
	for _, e := range allRecords(t, b.store) {
		if e.ProfessionalID == m.officerO && e.Outcome == store.AuditAllowed {
			reads = append(reads, e.Action)
		}
	}
	slices.Sort(reads)
	reads = slices.Compact(reads)
	if !slices.Equal(reads, []string{"audit.export", "audit.household", "audit.list"}) {
		t.Errorf("the officer's reads are logged as %v", reads)
	}
	rep, err := b.store.AuditVerify(ctx, store.AuditVerifyParams{})
	if err != nil || !rep.Clean() {
		t.Fatalf("the log does not verify: %v %v", err, rep.Problems)
	}
}
