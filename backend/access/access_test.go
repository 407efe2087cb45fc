package access_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/veilig/veilig/backend/access"
)

var update = flag.Bool("update", false, "rewrite docs/access.md from the declaration")

// TestEveryRPCHasOneRule: a new RPC without a rule, a rule for an RPC that no longer
// exists, or two rules for one RPC fail here.
func TestEveryRPCHasOneRule(t *testing.T) {
	rules := map[string]int{}
	for _, r := range access.Rules {
		rules[r.Procedure]++
		if len(r.Allow) == 0 || r.Why == "" || r.Object == "" {
			t.Errorf("rule of %s is incomplete: %+v", r.Procedure, r)
		}
	}
	procs := access.Procedures()
	if len(procs) == 0 {
		t.Fatal("no services registered for veilig.v1")
	}
	for _, p := range procs {
		if rules[p] != 1 {
			t.Errorf("%s has %d rules, want 1", p, rules[p])
		}
		delete(rules, p)
	}
	for p := range rules {
		t.Errorf("rule for %s, which is not an RPC of the API", p)
	}
}

func TestAllows(t *testing.T) {
	tests := []struct {
		allow []access.Relation
		rels  []access.Relation
		want  bool
	}{
		{[]access.Relation{access.CareTeam, access.TeamSupervisor}, nil, false},
		{[]access.Relation{access.CareTeam, access.TeamSupervisor}, []access.Relation{access.CareTeam}, true},
		{[]access.Relation{access.Lead, access.TeamSupervisor}, []access.Relation{access.CareTeam}, false},
		{[]access.Relation{access.Lead, access.TeamSupervisor}, []access.Relation{access.CareTeam, access.Lead}, true},
		{[]access.Relation{access.Professional}, nil, true},
		{[]access.Relation{access.Anyone}, nil, true},
		{[]access.Relation{access.OrganizationAdmin}, []access.Relation{access.TeamSupervisor}, false},
	}
	for _, tt := range tests {
		if got := (access.Rule{Allow: tt.allow}).Allows(tt.rels); got != tt.want {
			t.Errorf("allow %v, rels %v: got %v, want %v", tt.allow, tt.rels, got, tt.want)
		}
	}
}

// TestDocsMatchDeclaration: docs/access.md is the declaration rendered; run
// `go test ./backend/access -update` (scripts/generate.sh does) after changing a rule.
func TestDocsMatchDeclaration(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "access.md")
	want := access.Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("docs/access.md differs from the declaration in backend/access; run go test ./backend/access -update")
	}
}
