package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// readFile reads a household's file in a transaction of its own.
func readFile(t *testing.T, s *store.DB, householdID string) *store.HouseholdFile {
	t.Helper()
	var f *store.HouseholdFile
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) (err error) {
		f, err = tx.HouseholdFileRead(ctx, householdID)
		return err
	}))
	return f
}

// writeFile writes a household's file in a transaction of its own and says whether the
// household was present already.
func writeFile(t *testing.T, s *store.DB, f *store.HouseholdFile) bool {
	t.Helper()
	var present bool
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) (err error) {
		present, err = tx.HouseholdFileWrite(ctx, f, t0.Add(time.Hour))
		return err
	}))
	return present
}

// comparableFile clears what each store counts or stamps for itself: versions, the household's
// last change, and the creation instants of the directory's rows an import creates.
func comparableFile(f *store.HouseholdFile) *store.HouseholdFile {
	c := *f
	h := *f.Household
	h.Version, h.UpdatedAt = 0, t0
	c.Household = &h
	each := func(n int, set func(i int)) {
		for i := range n {
			set(i)
		}
	}
	c.Entries = make([]*store.PlanEntry, len(f.Entries))
	each(len(f.Entries), func(i int) { e := *f.Entries[i]; e.Version = 0; c.Entries[i] = &e })
	c.Writes = append(c.Writes[:0:0], f.Writes...)
	each(len(c.Writes), func(i int) { c.Writes[i].Version = 0 })
	c.Deletes = append(c.Deletes[:0:0], f.Deletes...)
	each(len(c.Deletes), func(i int) { c.Deletes[i].Version = 0 })
	c.Conflicts = make([]*change.Conflict, len(f.Conflicts))
	each(len(f.Conflicts), func(i int) { x := *f.Conflicts[i]; x.Version = 0; c.Conflicts[i] = &x })
	c.Schedules = make([]*store.Schedule, len(f.Schedules))
	each(len(f.Schedules), func(i int) { x := *f.Schedules[i]; x.Version = 0; c.Schedules[i] = &x })
	c.CheckIns = make([]*change.CheckIn, len(f.CheckIns))
	each(len(f.CheckIns), func(i int) { x := *f.CheckIns[i]; x.Version = 0; c.CheckIns[i] = &x })
	c.Team = &store.Team{ID: f.Team.ID, Name: f.Team.Name}
	c.Organizations = make([]*store.Organization, len(f.Organizations))
	each(len(f.Organizations), func(i int) {
		c.Organizations[i] = &store.Organization{ID: f.Organizations[i].ID, Name: f.Organizations[i].Name}
	})
	c.Professionals = make([]*store.Professional, len(f.Professionals))
	each(len(f.Professionals), func(i int) { p := *f.Professionals[i]; p.CreatedAt = t0; c.Professionals[i] = &p })
	return &c
}

// testHouseholdFile: a household's file (edits with a conflict, a delete, a schedule, a
// check-in) read from one store and written into an empty one reads back the same; its care
// team pulls it there, the conflict included; writing it again changes nothing; and a file
// whose ids another household holds is refused without a trace.
func testHouseholdFile(t *testing.T, s, empty *store.DB) {
	syncFixture(t, s)
	push(t, s, edit("m1", "h1", "e1", "phone-a", "p-care", change.SectionCrisisContact, fw("phone", "0611", 1, 0), fw("name", "Huisarts", 1, 0)))
	push(t, s, edit("m2", "h1", "e1", "phone-a", "p-care", "", fw("phone", "0622", 3, 1)))
	// A minute later, so the entry's creation and last update differ.
	_, err := s.SyncPush(ctx(), store.SyncPushParams{Now: t0.Add(time.Minute),
		Mutations: []change.Mutation{edit("m3", "h1", "e1", "phone-b", "p-colleague", "", fw("phone", "0633", 2, 1))}})
	must(t, err)
	push(t, s, edit("m4", "h1", "e2", "phone-a", "p-care", change.SectionAgreement, fw("what", "w1", 4, 0)))
	push(t, s, change.Mutation{ID: "m5", HouseholdID: "h1", DeviceID: "phone-b", ProfessionalID: "p-colleague", Kind: change.KindDelete,
		RecordID: "e2", Stamp: stamp(5), Seen: stamp(4)})
	_, err = s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Now: t0, Schedule: store.Schedule{ID: "s1", HouseholdID: "h1", Rule: "FREQ=DAILY",
		TimeZone: "Europe/Amsterdam", LocalTime: "18:00", GraceMinutes: 60, Channel: "phone_call", LeadProfessionalID: "p-care", StartDate: "2026-03-01"}})
	must(t, err)
	_, err = s.CheckInAppend(ctx(), change.CheckIn{ID: "c1", HouseholdID: "h1", ScheduleID: "s1", Channel: "home_visit", Outcome: change.CheckInSafe,
		RecordedBy: "p-care", RecordedAt: t0.Add(time.Minute)})
	must(t, err)

	f := readFile(t, s, "h1")
	equal(t, "entries", len(f.Entries), 2)
	equal(t, "e1 updated after it was created", f.Entries[0].UpdatedAt.After(f.Entries[0].CreatedAt), true)
	equal(t, "writes (history)", len(f.Writes), 5)
	equal(t, "deletes", len(f.Deletes), 1)
	equal(t, "conflicts", len(f.Conflicts), 1)
	equal(t, "care team", len(f.Professionals), 2)
	equalIDs(t, "team members in the care team", f.TeamMembers, []string{"p-care", "p-colleague"})

	equal(t, "first write: present", writeFile(t, empty, f), false)
	got := readFile(t, empty, "h1")
	if a, b := comparableFile(got), comparableFile(f); !reflect.DeepEqual(a, b) {
		t.Fatalf("the written file reads back differently:\n got %+v\nwant %+v", a, b)
	}
	hc := changesOf(pull(t, empty, "p-colleague", nil, 0), "h1")
	if hc == nil || len(hc.Conflicts) != 1 || len(hc.CheckIns) != 1 || len(hc.Schedules) != 1 || len(hc.Records) != 2 {
		t.Fatalf("the care team's pull in the new store: %+v", hc)
	}
	equal(t, "the schedule's latest check-in", got.Schedules[0].LastCheckInAt != nil && got.Schedules[0].LastCheckInAt.Equal(t0.Add(time.Minute)), true)

	equal(t, "second write: present", writeFile(t, empty, f), true)
	if again := readFile(t, empty, "h1"); !reflect.DeepEqual(again, got) {
		t.Fatalf("the second write changed the household")
	}

	// The same file as another household: its ids are taken.
	other := *f
	h := *f.Household
	h.ID, h.Code = "h-new", "NEW-1"
	other.Household = &h
	err = s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.HouseholdFileWrite(ctx, &other, t0)
		return err
	})
	wantErr(t, err, store.ErrConflict)
	_, err = s.HouseholdGet(ctx(), "h-new")
	wantErr(t, err, store.ErrNotFound)
}
