package server_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
	"github.com/veilig/veilig/sync/server"
)

func TestKeys(t *testing.T) {
	muts := []change.Mutation{
		edit("m1", "a", "r1", change.SectionDanger, fw("what", "x", 1, 0)),
		del("m2", "a", "r1", 2, 1),
		resolve("m3", "a", "m1/what"),
		checkIn("m4", "a", 3),
		edit("m5", "b", "r2", change.SectionDanger, fw("what", "y", 1, 0)),
		edit("m1", "a", "r1", change.SectionDanger, fw("what", "x", 1, 0)), // re-sent
		resolve("m6", "b", "m1/what"),
		resolve("m7", "b", "r2"), // a conflict id that spells a record id is still a conflict
	}
	records, conflicts, mutations := server.Keys(muts)
	if want := []string{"r1", "r2"}; !slices.Equal(records, want) {
		t.Errorf("records %q, want %q: each record of an edit or delete once, in order", records, want)
	}
	if want := []string{"m1/what", "r2"}; !slices.Equal(conflicts, want) {
		t.Errorf("conflicts %q, want %q: each conflict of a resolve once, in order", conflicts, want)
	}
	if want := []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7"}; !slices.Equal(mutations, want) {
		t.Errorf("mutations %q, want %q: each id once, in order", mutations, want)
	}
}

func TestPendingHouseholds(t *testing.T) {
	muts := []change.Mutation{in("h3", checkIn("m1", "a", 1)), in("h1", checkIn("m2", "a", 1)), in("h2", checkIn("m3", "a", 1)),
		in("h3", checkIn("m4", "a", 1))}
	known := map[string]server.Logged{"m3": {MutationID: "m3", Outcome: change.OutcomeApplied, HouseholdID: "h2", ProfessionalID: "pro-a"}}
	if got, want := server.PendingHouseholds(muts, known), []string{"h1", "h3"}; !slices.Equal(got, want) {
		t.Fatalf("PendingHouseholds = %q, want %q: sorted (the lock order), once each, without households of known mutations only", got, want)
	}
	// m1 again, for h4: Plan answers or rejects a repeated id without writing, so h4 stays.
	if got, want := server.PendingHouseholds(append(muts, in("h4", checkIn("m1", "a", 1))), known), []string{"h1", "h3"}; !slices.Equal(got, want) {
		t.Fatalf("PendingHouseholds = %q, want %q: an id repeated within the batch bumps nothing", got, want)
	}
	if got := server.PendingHouseholds(muts[2:3], known); len(got) != 0 {
		t.Fatalf("a re-sent batch bumps %q, want nothing", got)
	}
}

// entryPush runs a PlanService write as the engines do: load the state of the entry, build
// the mutation from it, plan and write.
func (s *stored) entryPush(t *testing.T, household, record string, build func(server.State) change.Mutation) change.Result {
	t.Helper()
	st := s.load([]change.Mutation{{ID: "probe", HouseholdID: household, Kind: change.KindEdit, RecordID: record}})
	m := build(st)
	ch := server.Plan(st, []change.Mutation{m})
	if bad := s.write(st, ch); len(bad) > 0 {
		t.Fatalf("entry write:\n  %s", strings.Join(bad, "\n  "))
	}
	return ch.Results[0]
}

func TestEntryReplace(t *testing.T) {
	now := t0.Add(time.Hour)
	t.Run("a new entry is written at the server's time by the server device, fields in name order", func(t *testing.T) {
		m := server.EntryReplace(server.State{}, server.Replace{MutationID: "e1", HouseholdID: "h1", RecordID: "r1", Section: change.SectionAgreement,
			Fields: map[string]string{"who": "moeder", "what": "bellen"}, Author: "pro-a", Now: now})
		want := change.Mutation{ID: "e1", HouseholdID: "h1", DeviceID: server.ServerDevice, ProfessionalID: "pro-a", Kind: change.KindEdit,
			RecordID: "r1", Section: change.SectionAgreement, Writes: []change.FieldWrite{
				{Field: "what", Value: "bellen", Stamp: hlc.New(now, 0)}, {Field: "who", Value: "moeder", Stamp: hlc.New(now, 0)}}}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("EntryReplace =\n %+v\nwant\n %+v", m, want)
		}
	})
	t.Run("a replace has seen every current value: it clears the fields it leaves out, without a conflict", func(t *testing.T) {
		s := newStored()
		s.push(t, created)
		s.push(t, []change.Mutation{edit("m1", "b", "r1", "", fw("phone", "0611", 2, 1))})
		r := s.entryPush(t, "h1", "r1", func(st server.State) change.Mutation {
			return server.EntryReplace(st, server.Replace{MutationID: "e1", HouseholdID: "h1", RecordID: "r1", Section: change.SectionCrisisContact,
				Fields: map[string]string{"name": "Huisartsenpost"}, Author: "pro-c", Now: now})
		})
		if r.Outcome != change.OutcomeApplied || len(s.conflicts) != 0 {
			t.Fatalf("result %+v, conflicts %v", r, s.conflicts)
		}
		if got := s.current(); got["r1/name"] != "Huisartsenpost" || got["r1/phone"] != "" {
			t.Fatalf("current %v, want the new name and the phone cleared", got)
		}
	})
	t.Run("a replace is stamped after a phone whose clock ran ahead, so it wins", func(t *testing.T) {
		s := newStored()
		ahead := hlc.New(now.Add(3*time.Minute), 7)
		s.push(t, []change.Mutation{edit("m1", "a", "r1", change.SectionDanger, change.FieldWrite{Field: "what", Value: "from the future", Stamp: ahead})})
		var m change.Mutation
		s.entryPush(t, "h1", "r1", func(st server.State) change.Mutation {
			m = server.EntryReplace(st, server.Replace{MutationID: "e1", HouseholdID: "h1", RecordID: "r1", Section: change.SectionDanger,
				Fields: map[string]string{"what": "now"}, Author: "pro-c", Now: now})
			return m
		})
		if m.Writes[0].Stamp != ahead+1 || m.Writes[0].Seen != ahead {
			t.Fatalf("write %+v, want stamp %v seen %v", m.Writes[0], ahead+1, ahead)
		}
		if got := s.current()["r1/what"]; got != "now" || len(s.conflicts) != 0 {
			t.Fatalf("what = %q, conflicts %v", got, s.conflicts)
		}
	})
}

func TestEntryDelete(t *testing.T) {
	now := t0.Add(time.Hour)
	t.Run("a delete through the API has seen every write, so it deletes, even after a clock that ran ahead", func(t *testing.T) {
		s := newStored()
		ahead := hlc.New(now.Add(3*time.Minute), 0)
		s.push(t, created)
		// Two concurrent writes of the phone: the loser's stamp counts as seen too.
		s.push(t, []change.Mutation{edit("m1", "a", "r1", "", change.FieldWrite{Field: "phone", Value: "0611", Stamp: ahead, Seen: at(1)}),
			edit("m2", "b", "r1", "", change.FieldWrite{Field: "phone", Value: "0622", Stamp: ahead, Seen: at(1)})})
		var m change.Mutation
		r := s.entryPush(t, "h1", "r1", func(st server.State) change.Mutation {
			m = server.EntryDelete(st, server.Remove{MutationID: "e1", HouseholdID: "h1", RecordID: "r1", Author: "pro-c", Now: now})
			return m
		})
		if m.Kind != change.KindDelete || m.DeviceID != server.ServerDevice || m.Seen != ahead || m.Stamp <= ahead {
			t.Fatalf("EntryDelete = %+v, want a server delete that saw %v, stamped after it", m, ahead)
		}
		if r.Outcome != change.OutcomeApplied || !s.records["r1"].Deleted {
			t.Fatalf("result %+v, record %+v", r, s.records["r1"])
		}
	})
	t.Run("a delete of an entry nobody wrote is stamped at the server's time", func(t *testing.T) {
		m := server.EntryDelete(server.State{}, server.Remove{MutationID: "e1", HouseholdID: "h1", RecordID: "r1", Author: "pro-c", Now: now})
		if m.Stamp != hlc.New(now, 0) || m.Seen != 0 || m.ProfessionalID != "pro-c" {
			t.Fatalf("EntryDelete = %+v", m)
		}
	})
}
