package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// testOrganizationLease: an organization's own lease is set, read back with the
// organization and with each of its professionals (in the statement that resolves a caller),
// left alone by a rename, and cleared back to the deployment's default; another
// organization's professionals keep the default throughout.
func testOrganizationLease(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	const iss = "https://login.org-1.example"
	must(t, s.ProfessionalIdentityUpsert(ctx(), store.ProfessionalIdentity{Issuer: iss, Subject: "anna", ProfessionalID: "p-care"}))
	set := func(id string, l store.Lease) error {
		return s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error { return tx.OrganizationLeaseSet(ctx, id, l) })
	}
	check := func(what string, want store.Lease) {
		t.Helper()
		org, err := s.OrganizationGet(ctx(), "org-1")
		must(t, err)
		equal(t, what+": organization", org.Lease, want)
		p, err := s.ProfessionalGet(ctx(), "p-care")
		must(t, err)
		equal(t, what+": professional", p.OrganizationLease, want)
		p, err = s.ProfessionalGetByIdentity(ctx(), iss, "anna")
		must(t, err)
		equal(t, what+": professional by identity", p.OrganizationLease, want)
		other, err := s.ProfessionalGet(ctx(), "p-colleague")
		must(t, err)
		equal(t, what+": another organization's professional", other.OrganizationLease, store.Lease{})
	}
	check("a new organization", store.Lease{})

	lease := store.Lease{LockAfter: 24 * time.Hour, EraseAfter: 5 * 24 * time.Hour}
	must(t, set("org-1", lease))
	check("after setting", lease)
	must(t, s.OrganizationUpsert(ctx(), store.Organization{ID: "org-1", Name: "Org 1 renamed", CreatedAt: t0}))
	check("after a rename", lease)
	longer := store.Lease{LockAfter: 90 * 24 * time.Hour, EraseAfter: 365 * 24 * time.Hour}
	must(t, set("org-1", longer))
	check("after setting again", longer)

	must(t, set("org-1", store.Lease{}))
	check("after clearing", store.Lease{})
	wantErr(t, set("org-missing", lease), store.ErrNotFound)
}
