package storetest

import (
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
)

func testLinks(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	createHousehold(t, s, "h2", "team-north")
	l := store.Link{ID: "l1", TokenHash: "hash-1", HouseholdID: "h1", ScheduleID: "s1", CreatedBy: "p-care", CreatedAt: t0,
		ExpiresAt: t0.Add(7 * 24 * time.Hour), PINHash: "pin", DuressPINHash: "duress"}
	must(t, s.LinkCreate(ctx(), l))
	must(t, s.LinkCreate(ctx(), store.Link{ID: "l2", TokenHash: "hash-2", HouseholdID: "h1", CreatedBy: "p-care", CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour)}))
	if err := s.LinkCreate(ctx(), store.Link{ID: "l3", TokenHash: "hash-1", HouseholdID: "h2", CreatedBy: "p-care", CreatedAt: t0, ExpiresAt: t0}); err == nil {
		t.Error("a second link with the same token hash was stored")
	}

	got, err := s.LinkGetByTokenHash(ctx(), "hash-1")
	must(t, err)
	equal(t, "stored link", *got, l)
	equal(t, "usable before expiry", got.Usable(t0.Add(time.Hour)), true)
	equal(t, "usable at expiry", got.Usable(l.ExpiresAt), false)
	_, err = s.LinkGetByTokenHash(ctx(), "hash-unknown")
	wantErr(t, err, store.ErrNotFound)

	list, err := s.LinkListByHousehold(ctx(), "h1")
	must(t, err)
	equalIDs(t, "links newest first", ids(list, func(l *store.Link) string { return l.ID }), []string{"l2", "l1"})

	for i := range 2 {
		got, err = s.LinkPINFailed(ctx(), store.LinkPINFailedParams{ID: "l1", Limit: 3, Now: t0.Add(time.Duration(i) * time.Minute)})
		must(t, err)
	}
	equal(t, "failures", got.FailedPINs, 2)
	equal(t, "locked before the limit", got.LockedAt == nil, true)
	// A success in between does not reset the count (issue 13, point 3): the third failure
	// locks, whatever came between.
	must(t, s.LinkUsed(ctx(), "l1", t0.Add(3*time.Minute)))
	got, err = s.LinkPINFailed(ctx(), store.LinkPINFailedParams{ID: "l1", Limit: 3, Now: t0.Add(10 * time.Minute)})
	must(t, err)
	if got.LockedAt == nil || !got.LockedAt.Equal(t0.Add(10*time.Minute)) || got.FailedPINs != 3 || got.Usable(t0.Add(13*time.Minute)) || got.LastUsedAt == nil {
		t.Errorf("after two failures, a success and a failure: %+v (want locked at the third failure)", *got)
	}
	got, err = s.LinkPINFailed(ctx(), store.LinkPINFailedParams{ID: "l1", Limit: 3, Now: t0.Add(time.Hour)})
	must(t, err)
	equal(t, "a lock keeps its first time", got.LockedAt.Equal(t0.Add(10*time.Minute)), true)

	_, err = s.LinkRevoke(ctx(), store.LinkRevokeParams{ID: "l2", HouseholdID: "h2", Now: t0})
	wantErr(t, err, store.ErrNotFound)
	r, err := s.LinkRevoke(ctx(), store.LinkRevokeParams{ID: "l2", HouseholdID: "h1", Now: t0.Add(time.Minute)})
	must(t, err)
	r, err = s.LinkRevoke(ctx(), store.LinkRevokeParams{ID: "l2", HouseholdID: "h1", Now: t0.Add(time.Hour)})
	must(t, err)
	if r.RevokedAt == nil || !r.RevokedAt.Equal(t0.Add(time.Minute)) || r.Usable(t0.Add(2*time.Minute)) {
		t.Errorf("revoked link = %+v", *r)
	}
}
