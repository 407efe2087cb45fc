// Package server is the server half of the sync protocol: it decides what a push writes.
//
// The storage core loads, inside the push's transaction and after locking the households it
// touches, the state the push needs (State: household versions, the mutation log entries of
// the batch's ids, the records it names with their field writes, deletes and conflicts),
// calls Plan, and writes the rows Plan returns (Changes) with set-based statements. So the
// merge (package sync/merge) and the outcome of every mutation are decided once, in pure Go,
// for every storage engine.
//
// The rules Plan keeps, each pinned by a test in this package (the tests run every push
// through a model of the stored rows, model_test.go, which checks the invariants below on
// every push):
//
//   - Idempotency (TestPlanIsIdempotent): a mutation id already in the log (State.Known) or
//     seen earlier in the same batch is answered with its first result, even a rejection that
//     would now apply, and writes nothing; a re-sent batch bumps no household
//     (PendingHouseholds).
//   - Scoped ids (TestPlanScopesMutationIDs): the first result is answered only to a re-send,
//     by the same professional for the same household. Any other use of a known id (another
//     professional's, or for another household) is rejected with change.ReasonIDInUse and a
//     detail that quotes nothing of the first mutation, writes nothing and bumps nothing; the
//     id stays the first mutation's, so that rejection is not logged and a re-send gets it
//     again. Ids stay unique across households, which the ids of conflicts and check-ins (and
//     the field writes' keys) rely on.
//   - Per-mutation outcomes (TestPlanRejectsPerMutation): a mutation for an unknown household,
//     a record of another household (OtherHousehold tells the API to answer "not found"), a
//     changed section, a delete of an unknown record, a new record without a valid section, an
//     edit without fields or with a field written twice, a write or delete that sync/merge's
//     Validate refuses, a resolve of an unknown conflict or of another household's, and an
//     unknown kind are rejected with a reason whose detail never quotes a value; the rejection
//     is logged, writes nothing else, and the rest of the batch still applies.
//   - Merge (TestPlanMerges): every field write goes through sync/merge. An edit is applied
//     when all its writes win, merged when one lost to a write whose author had seen it, and
//     conflict_recorded when it lost to, or overwrote, a value unseen: every such value
//     becomes a conflict record carrying its author's id, and stays resolved once resolved
//     when a better overwriter is found later. Current names the merge winner of every field
//     the push wrote, once. Edit beats concurrent delete: the delete is stored and answered
//     merged, and a deleted record an edit brings back is listed in Changes.Revived, so that
//     the engine sends its current fields again.
//   - Versions (TestPlanStampsEveryRowWithItsHouseholdVersion, TestPlanSpreadsALargePush):
//     every row a push writes carries its household's version after the bump
//     (State.Versions), which is what makes the per-household version a sync cursor; a push
//     whose rows would send more than VersionBytes in a pull spreads them over consecutive
//     versions from that one up (Changes.Versions, to which the engine raises the household),
//     none skipped and each within VersionBytes unless it holds one row alone, so that a pull
//     pages any push.
//   - Convergence (FuzzPlanConverges, TestPlanConvergesOnRandomBatches): the same mutations
//     pushed in any batches and order, with re-sends, store the same current values, deleted
//     flags, conflicts and check-ins, and agree with sync/merge's Apply after every push.
//     The one outcome that depends on order is a resolve that arrives before its conflict: it
//     is rejected (a phone resolves only conflicts it has pulled).
//
// Package server must never do I/O, read a clock or draw randomness: given the same State
// (whatever the order of its rows) and mutations it returns the same Changes.
package server
