package server_test

// One test per rule of the package doc. Every push runs through the model of model_test.go,
// which also checks, for every case, what holds for every push: Plan is deterministic and
// ignores the order of the loaded rows, every row carries its household's version, no key is
// written twice, a rejected mutation writes nothing, and the stored rows agree with
// sync/merge's Apply (current winners, deleted flags, conflicts with their authors).

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/server"
)

// planCase is a push after some earlier pushes, with the outcomes it must give.
type planCase struct {
	name  string
	given [][]change.Mutation // earlier pushes, in order
	push  []change.Mutation
	want  []string // outcomes(results of push)
	check func(t *testing.T, ch server.Changes, s *stored)
}

func runPlanCases(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := newStored()
			for _, g := range tt.given {
				s.push(t, g)
			}
			ch := s.push(t, tt.push)
			if got := outcomes(ch.Results); !slices.Equal(got, tt.want) {
				t.Fatalf("outcomes\n got %q\nwant %q", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, ch, s)
			}
		})
	}
}

// created makes record r1 of household h1, a crisis contact, with two fields at stamp 1.
var created = []change.Mutation{edit("m0", "a", "r1", change.SectionCrisisContact, fw("name", "Huisarts", 1, 0), fw("phone", "0600", 1, 0))}

// createdH2 makes record r2 of household h2, a danger, with one field at stamp 1.
var createdH2 = []change.Mutation{in("h2", edit("n0", "a", "r2", change.SectionDanger, fw("what", "ruzie", 1, 0)))}

// conflictOnPhone leaves r1's phone with conflict m1/phone: m1 and m2 both edited it having
// seen only m0.
var conflictOnPhone = [][]change.Mutation{created,
	{edit("m1", "a", "r1", "", fw("phone", "0611", 2, 1))},
	{edit("m2", "b", "r1", "", fw("phone", "0622", 3, 1))},
}

// ok is a harmless edit that must apply beside a rejected mutation.
var ok = edit("ok", "c", "r-ok", change.SectionReview, fw("when", "maandag", 5, 0))

// wrote lists the mutation ids of every row of Changes other than the log, each once.
func wrote(ch server.Changes) []string {
	var out []string
	add := func(id string) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, w := range ch.Writes {
		add(w.MutationID)
	}
	for _, d := range ch.Deletes {
		add(d.MutationID)
	}
	for _, c := range ch.CheckIns {
		add(c.ID)
	}
	return out
}

func TestPlanIsIdempotent(t *testing.T) {
	runPlanCases(t, []planCase{
		{
			name:  "a mutation already in the log is answered with its first result and writes nothing",
			given: [][]change.Mutation{created, {edit("m1", "a", "r1", "", fw("phone", "0611", 2, 1))}},
			// The re-sent m1 differs (a client bug or a tampered request): its first result
			// stands all the same.
			push: []change.Mutation{edit("m1", "a", "r1", "", fw("phone", "0699", 9, 0))},
			want: []string{"m1 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if !reflectEmpty(ch) {
					t.Fatalf("a re-sent mutation wrote rows: %+v", ch)
				}
				if got := s.current()["r1/phone"]; got != "0611" {
					t.Fatalf("phone = %q after the re-send, want the first 0611", got)
				}
				// Two pushes bumped h1 from 10; the re-send bumped nothing.
				if s.versions["h1"] != 12 {
					t.Fatalf("h1 is at version %d, want 12: a re-sent batch must not move a version", s.versions["h1"])
				}
			},
		},
		{
			name: "a rejection in the log stands when the mutation is re-sent, even if it would now apply",
			given: [][]change.Mutation{
				{del("d1", "a", "r1", 2, 1)}, // r1 does not exist yet
				created,
			},
			push: []change.Mutation{del("d1", "a", "r1", 2, 1)},
			want: []string{"d1 rejected not_found"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if !reflectEmpty(ch) || s.records["r1"].Deleted {
					t.Fatalf("the re-sent rejected delete was applied: %+v", ch)
				}
			},
		},
		{
			name: "a mutation id repeated within a batch is answered with the first result and applied once",
			push: []change.Mutation{
				edit("m1", "a", "r1", change.SectionCrisisContact, fw("phone", "0611", 2, 0)),
				edit("m1", "a", "r1", change.SectionCrisisContact, fw("phone", "0611", 2, 0)),
				edit("m1", "a", "r1", change.SectionCrisisContact, fw("phone", "0699", 9, 0)),
			},
			want: []string{"m1 applied", "m1 applied", "m1 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Mutations) != 1 || len(ch.Writes) != 1 || ch.Writes[0].Value != "0611" {
					t.Fatalf("logged %d, wrote %+v; want one entry and the first write", len(ch.Mutations), ch.Writes)
				}
			},
		},
		{
			name: "a rejected mutation repeated within a batch is rejected again, even after what it lacked appeared",
			push: []change.Mutation{del("d1", "a", "r1", 2, 1), created[0], del("d1", "a", "r1", 2, 1)},
			want: []string{"d1 rejected not_found", "m0 applied", "d1 rejected not_found"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Deletes) != 0 || len(ch.Mutations) != 2 {
					t.Fatalf("deletes %+v, %d log entries; want none and 2", ch.Deletes, len(ch.Mutations))
				}
			},
		},
	})
}

func TestPlanScopesMutationIDs(t *testing.T) {
	// Device b is professional pro-b: not the sender of m0 (pro-a).
	foreign := edit("m0", "b", "r1", "", fw("phone", "0699", 9, 1))
	// Household h2: not the household of m0 (h1), though the sender is the same.
	elsewhere := in("h2", edit("m0", "a", "r9", change.SectionDanger, fw("what", "x", 9, 0)))
	unchanged := func(t *testing.T, ch server.Changes, s *stored) {
		t.Helper()
		if !reflectEmpty(ch) {
			t.Fatalf("a re-used id wrote rows: %+v", ch)
		}
		if got := s.current()["r1/phone"]; got != "0600" {
			t.Fatalf("phone = %q, want m0's 0600", got)
		}
		// created bumped h1 from 10 once; h2 was never written.
		if s.versions["h1"] != 11 || s.versions["h2"] != 20 {
			t.Fatalf("versions h1 %d, h2 %d; want 11 and 20: a re-used id bumps nothing", s.versions["h1"], s.versions["h2"])
		}
		if row := s.log["m0"]; row.ProfessionalID != "pro-a" || row.HouseholdID != "h1" || row.Outcome != change.OutcomeApplied {
			t.Fatalf("the log entry of m0 changed: %+v", row)
		}
	}
	runPlanCases(t, []planCase{
		{
			name:  "a re-send by the sender, for its household, is answered with the first result",
			given: [][]change.Mutation{created},
			push:  created,
			want:  []string{"m0 applied"},
			check: unchanged,
		},
		{
			name:  "another professional's id is rejected, not answered with the first result",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{foreign},
			want:  []string{"m0 rejected id_in_use"},
			check: unchanged,
		},
		{
			name:  "an id used for another household is rejected, even by the same professional",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{elsewhere},
			want:  []string{"m0 rejected id_in_use"},
			check: unchanged,
		},
		{
			name: "the rejection quotes nothing of the first mutation's result, and the rest of the batch applies",
			// d1's first result is a rejection with a detail: it belongs to pro-a alone.
			given: [][]change.Mutation{{del("d1", "a", "r1", 2, 1)}},
			push:  []change.Mutation{del("d1", "b", "r1", 2, 1), in("h2", del("d1", "a", "r2", 2, 1)), ok},
			want:  []string{"d1 rejected id_in_use", "d1 rejected id_in_use", "ok applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				first := s.log["d1"].Detail
				for _, r := range ch.Results[:2] {
					if first == "" || strings.Contains(r.Detail, first) || r.Detail == "" {
						t.Fatalf("detail %q: must explain the rejection without quoting the first result's %q", r.Detail, first)
					}
				}
				if len(ch.Mutations) != 1 || ch.Mutations[0].MutationID != "ok" {
					t.Fatalf("logged %+v, want ok alone: the rejected re-uses leave d1's entry as it was", ch.Mutations)
				}
			},
		},
		{
			name: "within a batch, an id repeated by its sender for its household is answered, any other use rejected",
			push: []change.Mutation{created[0], elsewhere, foreign, created[0]},
			want: []string{"m0 applied", "m0 rejected id_in_use", "m0 rejected id_in_use", "m0 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Mutations) != 1 || len(ch.Writes) != 2 || ch.Writes[0].AuthorID != "pro-a" {
					t.Fatalf("logged %+v, wrote %+v; want m0 once, with its own two writes", ch.Mutations, ch.Writes)
				}
				if s.versions["h2"] != 20 {
					t.Fatalf("h2 is at version %d, want 20: a rejected re-use bumps nothing", s.versions["h2"])
				}
			},
		},
	})
}

// reflectEmpty reports whether Changes holds results and nothing else.
func reflectEmpty(ch server.Changes) bool {
	return len(ch.Mutations)+len(ch.Writes)+len(ch.Superseded)+len(ch.Deletes)+len(ch.Records)+len(ch.Revived)+len(ch.Conflicts)+len(ch.CheckIns) == 0
}

func TestPlanRejectsPerMutation(t *testing.T) {
	// secret is a value that must never reach a result's detail (details end up in logs).
	const secret = "Oma Truus 06-12345678"
	// rejected checks that the rejection is logged (a re-send gets it again) and its detail
	// does not quote the value.
	rejected := func(id string) func(*testing.T, server.Changes, *stored) {
		return func(t *testing.T, ch server.Changes, s *stored) {
			t.Helper()
			i := slices.IndexFunc(ch.Mutations, func(m server.MutationRow) bool { return m.MutationID == id })
			if i < 0 || ch.Mutations[i].Outcome != change.OutcomeRejected {
				t.Fatalf("the rejection of %s is not in the log: %+v", id, ch.Mutations)
			}
			if d := ch.Mutations[i].Detail; d == "" || strings.Contains(d, secret) || strings.Contains(d, "12345678") {
				t.Fatalf("detail %q: want a reason that does not quote the value", d)
			}
			if got := wrote(ch); slices.Contains(got, id) || !slices.Contains(got, "ok") {
				t.Fatalf("rows were written by %v, want by ok and not by %s", got, id)
			}
		}
	}
	unknownKind := edit("x", "a", "r1", "", fw("phone", secret, 2, 1))
	unknownKind.Kind = 99
	noKind := unknownKind
	noKind.Kind = 0
	cases := []planCase{
		{
			name: "a mutation for an unknown household is rejected as not found",
			push: []change.Mutation{in("h9", edit("x", "a", "r5", change.SectionDanger, fw("what", secret, 2, 0))), ok},
			want: []string{"x rejected not_found", "ok applied"},
		},
		{
			name: "a check-in for an unknown household is rejected as not found",
			push: []change.Mutation{in("h9", checkIn("x", "a", 2)), ok},
			want: []string{"x rejected not_found", "ok applied"},
		},
		{
			name: "an edit of a record of another household is rejected as invalid, and the API reads it as not found",
			// Household ids are checked against the care team at the edge; a record id is not,
			// so Plan is what keeps h2's caller out of h1's record.
			given: [][]change.Mutation{created, createdH2},
			push:  []change.Mutation{in("h2", edit("x", "a", "r1", "", fw("phone", secret, 2, 1))), ok},
			want:  []string{"x rejected invalid", "ok applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if !server.OtherHousehold(ch.Results[0]) || server.OtherHousehold(ch.Results[1]) {
					t.Fatalf("OtherHousehold(%+v) = false, or true for an applied result", ch.Results[0])
				}
				if got := s.current()["r1/phone"]; got != "0600" {
					t.Fatalf("h1's record was changed from h2: phone %q", got)
				}
			},
		},
		{
			name:  "a delete of a record of another household is rejected as invalid",
			given: [][]change.Mutation{created, createdH2},
			push:  []change.Mutation{in("h2", del("x", "a", "r1", 2, 1)), ok},
			want:  []string{"x rejected invalid", "ok applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if s.records["r1"].Deleted {
					t.Fatal("h2 deleted h1's record")
				}
			},
		},
		{
			name:  "an edit that changes a record's section is rejected as invalid",
			given: [][]change.Mutation{created},
			push: []change.Mutation{edit("x", "a", "r1", change.SectionDanger, fw("phone", secret, 2, 1)), ok,
				edit("same", "a", "r1", change.SectionCrisisContact, fw("name", "Huisartsenpost", 2, 1))},
			want: []string{"x rejected invalid", "ok applied", "same applied"},
		},
		{
			name: "a delete of an unknown record is rejected as not found",
			push: []change.Mutation{del("x", "a", "r1", 2, 1), ok},
			want: []string{"x rejected not_found", "ok applied"},
		},
		{
			name: "a new record without a section is rejected as invalid",
			push: []change.Mutation{edit("x", "a", "r7", "", fw("what", secret, 2, 0)), ok},
			want: []string{"x rejected invalid", "ok applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if _, made := s.records["r7"]; made {
					t.Fatal("a rejected edit created a record header")
				}
			},
		},
		{
			name: "a new record with an unknown section is rejected as invalid",
			push: []change.Mutation{edit("x", "a", "r7", "kitchen", fw("what", secret, 2, 0)), ok},
			want: []string{"x rejected invalid", "ok applied"},
		},
		{
			name:  "an edit without fields is rejected as invalid",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{edit("x", "a", "r1", ""), ok},
			want:  []string{"x rejected invalid", "ok applied"},
		},
		{
			name:  "an edit that writes a field twice is rejected, none of its fields written",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{edit("x", "a", "r1", "", fw("name", "Huisartsenpost", 2, 1), fw("phone", secret, 2, 1), fw("phone", "0611", 2, 1)), ok},
			want:  []string{"x rejected invalid", "ok applied"},
		},
		{
			name:  "an edit with a write without a stamp is rejected, none of its fields written",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{edit("x", "a", "r1", "", fw("name", "Huisartsenpost", 2, 1), fw("phone", secret, 0, 0)), ok},
			want:  []string{"x rejected invalid", "ok applied"},
		},
		{
			name:  "an edit with a write that claims to have seen its own future is rejected",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{edit("x", "a", "r1", "", fw("phone", secret, 2, 3)), ok},
			want:  []string{"x rejected invalid", "ok applied"},
		},
		{
			name:  "an edit with a write without a field name is rejected",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{edit("x", "a", "r1", "", fw("", secret, 2, 1)), ok},
			want:  []string{"x rejected invalid", "ok applied"},
		},
		{
			name:  "a delete without a stamp is rejected as invalid",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{del("x", "a", "r1", 0, 0), ok},
			want:  []string{"x rejected invalid", "ok applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if s.records["r1"].Deleted {
					t.Fatal("a rejected delete deleted the record")
				}
			},
		},
		{
			name:  "a delete that claims to have seen its own future is rejected as invalid",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{del("x", "a", "r1", 2, 3), ok},
			want:  []string{"x rejected invalid", "ok applied"},
		},
		{
			name:  "a resolve of an unknown conflict is rejected as not found",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{resolve("x", "a", "m0/phone"), ok},
			want:  []string{"x rejected not_found", "ok applied"},
		},
		{
			name: "a resolve of another household's conflict is rejected as not found",
			given: [][]change.Mutation{createdH2,
				{in("h2", edit("n1", "a", "r2", "", fw("what", "ruzie over geld", 2, 1)))},
				{in("h2", edit("n2", "b", "r2", "", fw("what", "ruzie over school", 3, 1)))},
			},
			push: []change.Mutation{resolve("x", "a", "n1/what"), ok},
			want: []string{"x rejected not_found", "ok applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if c := s.conflicts["n1/what"]; c.ID == "" || c.Resolved {
					t.Fatalf("h2's conflict is %+v, want it there and open", c)
				}
			},
		},
		{
			name:  "a mutation of an unknown kind is rejected as invalid",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{unknownKind, ok},
			want:  []string{"x rejected invalid", "ok applied"},
		},
		{
			name:  "a mutation without a kind is rejected as invalid",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{noKind, ok},
			want:  []string{"x rejected invalid", "ok applied"},
		},
	}
	for i := range cases {
		extra := cases[i].check
		cases[i].check = func(t *testing.T, ch server.Changes, s *stored) {
			rejected("x")(t, ch, s)
			if extra != nil {
				extra(t, ch, s)
			}
		}
	}
	runPlanCases(t, cases)
}

func TestPlanMerges(t *testing.T) {
	// conflicts renders stored conflicts as "id=value>overwrittenBy by author".
	conflicts := func(s *stored) []string {
		var out []string
		for _, c := range s.conflicts {
			r := ""
			if c.Resolved {
				r = " resolved"
			}
			out = append(out, c.ID+"="+c.Value+">"+c.OverwrittenBy+" by "+c.AuthorID+r)
		}
		slices.Sort(out)
		return out
	}
	wantConflicts := func(want ...string) func(*testing.T, server.Changes, *stored) {
		return func(t *testing.T, ch server.Changes, s *stored) {
			t.Helper()
			if got := conflicts(s); !slices.Equal(got, want) {
				t.Fatalf("conflicts\n got %q\nwant %q", got, want)
			}
		}
	}
	runPlanCases(t, []planCase{
		{
			name: "an edit of a new record is applied and creates its header",
			push: created,
			want: []string{"m0 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				want := server.Record{ID: "r1", HouseholdID: "h1", Section: change.SectionCrisisContact, Version: 11, UpdatedBy: "pro-a"}
				if len(ch.Records) != 1 || ch.Records[0] != want {
					t.Fatalf("records %+v, want %+v", ch.Records, want)
				}
				// A new record's writes are inserted current: no stored write changes.
				if len(ch.Superseded) != 0 || len(ch.Writes) != 2 || !ch.Writes[0].Current || !ch.Writes[1].Current {
					t.Fatalf("superseded %+v, writes %+v: want both writes inserted current and nothing to update", ch.Superseded, ch.Writes)
				}
			},
		},
		{
			name:  "an edit of a value its author had seen is applied, without a conflict",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{edit("m1", "b", "r1", "", fw("phone", "0611", 2, 1))},
			want:  []string{"m1 applied"},
			check: wantConflicts(),
		},
		{
			name:  "an edit that loses to a write whose author had seen its stamp is merged, without a conflict",
			given: [][]change.Mutation{created, {edit("m3", "b", "r1", "", fw("phone", "0633", 3, 2))}},
			push:  []change.Mutation{edit("m2", "a", "r1", "", fw("phone", "0622", 2, 1))},
			want:  []string{"m2 merged"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				wantConflicts()(t, ch, s)
				// The stored winner m3 stays current: no stored write changes.
				if len(ch.Superseded) != 0 || ch.Writes[0].Current {
					t.Fatalf("superseded %+v, write %+v: the winner m3 must stay current", ch.Superseded, ch.Writes)
				}
			},
		},
		{
			name:  "a concurrent edit that wins keeps the value it overwrote as a conflict, with that value's author",
			given: [][]change.Mutation{created, {edit("m1", "a", "r1", "", fw("phone", "0611", 2, 1))}},
			push:  []change.Mutation{edit("m2", "b", "r1", "", fw("phone", "0622", 3, 1))},
			want:  []string{"m2 conflict_recorded"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				want := change.Conflict{ID: "m1/phone", HouseholdID: "h1", RecordID: "r1", Field: "phone", MutationID: "m1", Value: "0611",
					Stamp: at(2), DeviceID: "a", AuthorID: "pro-a", OverwrittenBy: "m2", Version: 13}
				if len(ch.Conflicts) != 1 || ch.Conflicts[0] != want {
					t.Fatalf("conflicts %+v\nwant %+v", ch.Conflicts, want)
				}
			},
		},
		{
			name:  "a concurrent edit that arrives late and loses is kept as a conflict, with its own author",
			given: [][]change.Mutation{created, {edit("m2", "b", "r1", "", fw("phone", "0622", 3, 1))}},
			push:  []change.Mutation{edit("m1", "a", "r1", "", fw("phone", "0611", 2, 1))},
			want:  []string{"m1 conflict_recorded"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				wantConflicts("m1/phone=0611>m2 by pro-a")(t, ch, s)
				if got := s.current()["r1/phone"]; got != "0622" {
					t.Fatalf("phone = %q, want the later 0622", got)
				}
			},
		},
		{
			name:  "one concurrent field makes a several-field edit conflict_recorded",
			given: [][]change.Mutation{created, {edit("m1", "a", "r1", "", fw("phone", "0611", 2, 1))}},
			push:  []change.Mutation{edit("m2", "b", "r1", "", fw("name", "Huisartsenpost", 3, 1), fw("phone", "0622", 3, 1))},
			want:  []string{"m2 conflict_recorded"},
			check: wantConflicts("m1/phone=0611>m2 by pro-a"),
		},
		{
			name:  "two concurrent edits in one batch: the later wins, the earlier is kept, and only the stored current write is superseded",
			given: [][]change.Mutation{created},
			push: []change.Mutation{edit("m1", "a", "r1", "", fw("phone", "0611", 2, 1)),
				edit("m2", "b", "r1", "", fw("phone", "0622", 3, 1), fw("name", "Dokter", 3, 1))},
			want: []string{"m1 applied", "m2 conflict_recorded"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				wantConflicts("m1/phone=0611>m2 by pro-a")(t, ch, s)
				want := []server.WriteKey{{RecordID: "r1", Field: "phone", MutationID: "m0"}, {RecordID: "r1", Field: "name", MutationID: "m0"}}
				if !slices.Equal(ch.Superseded, want) {
					t.Fatalf("superseded %+v\nwant %+v", ch.Superseded, want)
				}
				for _, w := range ch.Writes {
					if w.Current != (w.MutationID == "m2") {
						t.Fatalf("write %s/%s current=%v", w.MutationID, w.Field, w.Current)
					}
				}
			},
		},
		{
			name:  "a delete that saw every edit deletes the record",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{del("d1", "a", "r1", 2, 1)},
			want:  []string{"d1 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Records) != 1 || !ch.Records[0].Deleted || len(ch.Revived) != 0 {
					t.Fatalf("records %+v, revived %v", ch.Records, ch.Revived)
				}
			},
		},
		{
			name:  "edit beats a concurrent delete in the same batch: the delete is recorded, not applied",
			given: [][]change.Mutation{created},
			push:  []change.Mutation{edit("m1", "b", "r1", "", fw("phone", "0611", 3, 1)), del("d1", "a", "r1", 4, 1)},
			want:  []string{"m1 applied", "d1 merged"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if s.records["r1"].Deleted || len(ch.Deletes) != 1 || ch.Results[1].Detail == "" {
					t.Fatalf("record %+v, deletes %+v, detail %q", s.records["r1"], ch.Deletes, ch.Results[1].Detail)
				}
			},
		},
		{
			name:  "edit beats a concurrent delete that came first, and the revived record is listed",
			given: [][]change.Mutation{created, {del("d1", "a", "r1", 4, 1)}},
			push:  []change.Mutation{edit("m1", "b", "r1", "", fw("phone", "0611", 3, 1))},
			want:  []string{"m1 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				// The stored current field the push did not write (name) moves to the push's
				// version, so that a phone that dropped the entry gets all of it again, not
				// only the new phone.
				if len(ch.Revived) != 1 || ch.Revived[0].Field != "name" || s.records["r1"].Deleted {
					t.Fatalf("revived %v, record %+v", ch.Revived, s.records["r1"])
				}
				for _, w := range s.writes {
					if w.Current && w.Version != s.records["r1"].Version {
						t.Fatalf("current write %s/%s is at version %d, the record at %d", w.MutationID, w.Field, w.Version, s.records["r1"].Version)
					}
				}
			},
		},
		{
			name:  "a delete of a deleted record is applied and revives nothing",
			given: [][]change.Mutation{created, {del("d1", "a", "r1", 2, 1)}},
			push:  []change.Mutation{del("d2", "b", "r1", 3, 1)},
			want:  []string{"d2 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Revived) != 0 || !s.records["r1"].Deleted {
					t.Fatalf("revived %v, record %+v", ch.Revived, s.records["r1"])
				}
			},
		},
		{
			name:  "a resolve marks its conflict resolved, at its household's version",
			given: conflictOnPhone,
			push:  []change.Mutation{resolve("x1", "c", "m1/phone")},
			want:  []string{"x1 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Conflicts) != 1 || !ch.Conflicts[0].Resolved || ch.Conflicts[0].Version != 14 {
					t.Fatalf("conflicts %+v, want m1/phone resolved at version 14", ch.Conflicts)
				}
			},
		},
		{
			name:  "a second resolve of a resolved conflict is applied and writes no conflict row",
			given: append(slices.Clone(conflictOnPhone), []change.Mutation{resolve("x1", "c", "m1/phone")}),
			push:  []change.Mutation{resolve("x2", "a", "m1/phone")},
			want:  []string{"x2 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Conflicts) != 0 {
					t.Fatalf("conflicts %+v, want none", ch.Conflicts)
				}
			},
		},
		{
			name: "a conflict whose overwriter changes is updated and stays resolved",
			given: [][]change.Mutation{created,
				{edit("m1", "a", "r1", "", fw("phone", "0611", 2, 1))},
				{edit("m3", "c", "r1", "", fw("phone", "0633", 4, 1))},
				{resolve("x1", "c", "m1/phone")},
			},
			// m2 also overwrote m1 unseen and had seen less than m3 (nothing at all), so it is
			// now the named overwriter; m2 itself lost to m3 unseen.
			push:  []change.Mutation{edit("m2", "b", "r1", "", fw("phone", "0622", 3, 0))},
			want:  []string{"m2 conflict_recorded"},
			check: wantConflicts("m0/phone=0600>m2 by pro-a", "m1/phone=0611>m2 by pro-a resolved", "m2/phone=0622>m3 by pro-b"),
		},
		{
			name: "a check-in is appended under its mutation id",
			push: []change.Mutation{checkIn("c1", "a", 2)},
			want: []string{"c1 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				want := change.CheckIn{ID: "c1", HouseholdID: "h1", Channel: "home_visit", Outcome: "safe", RecordedBy: "pro-a", RecordedAt: t0, Version: 11}
				if len(ch.CheckIns) != 1 || ch.CheckIns[0] != want {
					t.Fatalf("check-ins %+v\nwant %+v", ch.CheckIns, want)
				}
			},
		},
	})
}

// TestPlanStampsEveryRowWithItsHouseholdVersion writes every kind of row for two households
// in one push; the model checks each row's version against State.Versions.
func TestPlanStampsEveryRowWithItsHouseholdVersion(t *testing.T) {
	runPlanCases(t, []planCase{{
		name: "every row of a push over two households carries its own household's version",
		given: [][]change.Mutation{created, createdH2,
			{edit("m1", "a", "r1", "", fw("phone", "0611", 2, 1)), in("h2", edit("n1", "a", "r2", "", fw("what", "ruzie over geld", 2, 1)))},
			{edit("mc", "b", "r1", "", fw("name", "Dokter", 2, 0))}, // leaves conflict m0/name
			{del("d0", "b", "r1", 3, 2)}, // saw everything: deletes r1
		},
		push: []change.Mutation{
			edit("m2", "b", "r1", "", fw("phone", "0622", 4, 1)),
			in("h2", edit("n2", "b", "r2", "", fw("what", "ruzie over school", 3, 1))),
			in("h2", edit("n3", "c", "r3", change.SectionWarningSignal, fw("what", "niet slapen", 3, 0))),
			in("h2", del("n4", "c", "r3", 4, 3)),
			resolve("x1", "c", "m0/name"),
			checkIn("c1", "a", 5),
			in("h2", checkIn("c2", "a", 5)),
			in("h9", checkIn("c9", "a", 5)),
		},
		want: []string{"m2 conflict_recorded", "n2 conflict_recorded", "n3 applied", "n4 applied", "x1 applied", "c1 applied", "c2 applied", "c9 rejected not_found"},
		check: func(t *testing.T, ch server.Changes, s *stored) {
			if s.versions["h1"] == s.versions["h2"] {
				t.Fatal("the households share a version: the test would not tell them apart")
			}
			if len(ch.Writes) == 0 || len(ch.Superseded) == 0 || len(ch.Deletes) == 0 || len(ch.Records) < 3 || len(ch.Revived) == 0 ||
				len(ch.Conflicts) < 2 || len(ch.CheckIns) != 2 || len(ch.Mutations) != 8 {
				t.Fatalf("the push does not write every kind of row: %+v", ch)
			}
			for _, m := range ch.Mutations {
				if m.HouseholdID == "h9" && m.Version != 0 {
					t.Fatalf("the log entry of an unknown household carries version %d", m.Version)
				}
			}
		},
	}})
}

// TestPlanSpreadsALargePush pins how a push larger than server.VersionBytes is spread over
// consecutive versions (the model checks every version's size and that none is skipped), so
// that a pull can page it at any size from server.MinPageBytes up.
func TestPlanSpreadsALargePush(t *testing.T) {
	big := strings.Repeat("x", 4000)
	var large []change.Mutation // 20 records of 6 fields of 4,000 bytes: about 480 KB
	for r := range 20 {
		var ws []change.FieldWrite
		for f := range 6 {
			ws = append(ws, fw(fmt.Sprintf("f%d", f), big, 2, 0))
		}
		large = append(large, edit(fmt.Sprintf("m%d", r), "a", fmt.Sprintf("r%d", r), change.SectionAgreement, ws...))
	}
	wide := []change.FieldWrite{} // one record of 40 such fields
	for f := range 40 {
		wide = append(wide, fw(fmt.Sprintf("f%d", f), big, 1, 0))
	}
	runPlanCases(t, []planCase{
		{
			name: "a small push keeps one version",
			push: created,
			want: []string{"m0 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Versions) != 0 || s.versions["h1"] != 11 {
					t.Fatalf("versions %v, household at %d", ch.Versions, s.versions["h1"])
				}
			},
		},
		{
			name: "a large push takes consecutive versions, and the household ends at the last",
			push: append(slices.Clone(large), in("h2", edit("n1", "a", "q1", change.SectionAgreement, fw("f", big, 2, 0))), checkIn("c1", "a", 3)),
			want: append(outcomesOf(large, "applied"), "n1 applied", "c1 applied"),
			check: func(t *testing.T, ch server.Changes, s *stored) {
				// 120 fields of about 4 KB, four to a version of 16 KiB: about 30 versions.
				if got := ch.Versions["h1"] - 11; got < 25 || got > 45 {
					t.Fatalf("h1 spread over %d more versions, want about 30", got)
				}
				if _, ok := ch.Versions["h2"]; ok || s.versions["h2"] != 21 {
					t.Fatalf("h2, which got one small edit, took versions %v", ch.Versions)
				}
				if s.versions["h1"] != ch.Versions["h1"] {
					t.Fatalf("h1 at %d, want the push's last version %d", s.versions["h1"], ch.Versions["h1"])
				}
				for _, m := range ch.Mutations {
					if m.HouseholdID == "h1" && m.Version != 11 {
						t.Fatalf("log entry %s at %d: the log keeps the bumped version", m.MutationID, m.Version)
					}
				}
			},
		},
		{
			name:  "a revived record's stored fields are spread too",
			given: [][]change.Mutation{{edit("w0", "a", "r1", change.SectionAgreement, wide...)}, {del("d1", "a", "r1", 4, 1)}},
			push:  []change.Mutation{edit("m1", "b", "r1", "", fw("f0", "nieuw", 3, 1))},
			want:  []string{"m1 applied"},
			check: func(t *testing.T, ch server.Changes, s *stored) {
				if len(ch.Revived) != 39 || ch.Versions["h1"] < s.records["r1"].Version+8 {
					t.Fatalf("revived %d writes, record at %d, household to %d", len(ch.Revived), s.records["r1"].Version, ch.Versions["h1"])
				}
			},
		},
	})
}

// outcomesOf renders the same outcome for every mutation, as outcomes does.
func outcomesOf(ms []change.Mutation, outcome string) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID+" "+outcome)
	}
	return out
}
