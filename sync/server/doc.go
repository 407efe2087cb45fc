// Package server is the server half of the sync protocol: it decides what a push writes.
//
// The storage core loads, inside the push's transaction and after locking the households it
// touches, the state the push needs (State: household versions, the mutation log entries of
// the batch's ids, the records it names with their field writes, deletes and conflicts),
// calls Plan, and writes the rows Plan returns (Changes) with set-based statements. So the
// merge (package sync/merge) and the outcome of every mutation are decided once, in pure Go,
// for every storage engine.
//
// The rules Plan keeps, each pinned by a test in this package:
//
//   - Idempotency: a mutation id already in the log (State.Known) or seen earlier in the same
//     batch is answered with its first result and writes nothing.
//   - Per-mutation outcomes: a mutation for an unknown household, a record of another
//     household, a changed section, a delete of an unknown record or an invalid write is
//     rejected with a reason; the rest of the batch still applies.
//   - Merge: every field write goes through sync/merge; the winner of each touched field is
//     named in Changes.Current and every value that lost to a write its author had not seen
//     becomes a conflict record (edit beats concurrent delete).
//   - Versions: every row a push writes carries its household's version after the bump
//     (State.Versions), which is what makes the per-household version a sync cursor.
//
// Package server must never do I/O, read a clock or draw randomness: given the same State and
// mutations it returns the same Changes.
package server
