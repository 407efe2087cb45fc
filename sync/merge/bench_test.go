package merge

import (
	"fmt"
	"testing"
)

// BenchmarkReplicaAdd shows that the cost of Add depends on the writes of the one field it
// touches, not on everything the replica holds: the time per op should stay flat from 100 to
// 100,000 other records. (The server builds a replica per record from history, so this also
// bounds a push's merge work by the history of the records it touches.)
func BenchmarkReplicaAdd(b *testing.B) {
	for _, others := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			r := NewReplica()
			for i := range others {
				r.Add(Write{MutationID: fmt.Sprintf("o%d", i), Record: fmt.Sprintf("r%d", i), Field: "f", Value: "v", Stamp: cst(1 + i%50), Device: "d"})
			}
			ws := make([]Write, b.N)
			for i := range ws {
				// Concurrent writes to a handful of fields of one record: conflicts are created,
				// but each field's list stays short.
				ws[i] = Write{MutationID: fmt.Sprintf("m%d", i), Record: "hot", Field: fmt.Sprintf("f%d", i), Value: "v", Stamp: cst(1 + i%100), Device: "d"}
			}
			b.ResetTimer()
			for i := range b.N {
				r.Add(ws[i])
			}
		})
	}
}

// BenchmarkReplicaAddSameField is the worst case the contract allows: every write lands on
// one field, so each Add pays for that field's history.
func BenchmarkReplicaAddSameField(b *testing.B) {
	for _, history := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			for range b.N {
				r := NewReplica()
				for i := range history {
					r.Add(Write{MutationID: fmt.Sprintf("m%d", i), Record: "r", Field: "f", Value: "v", Stamp: cst(1 + i), Device: "d", Seen: cst(i)})
				}
			}
		})
	}
}
