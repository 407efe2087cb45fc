package store

import (
	"context"
	"fmt"
	"time"
)

// Notice ids are derived from what a notice is about and are the primary key of the notices
// table (of the push outbox, for sync pokes): inserting one twice inserts it once, which is
// what makes noticing exactly-once across replicas and retries. They are built here only.

// AlertNoticeID is the id of the notice of an alert's escalation step.
func AlertNoticeID(alertID string, step int32) string { return fmt.Sprintf("%s#%d", alertID, step) }

// AlertRerouteNoticeID is the id of the notice that a care-team change at household version
// version gave an open alert a new lead: a lead-step notice (step 0) whose push goes to that
// lead. The version makes every change its own notice (a lead that moves A → B → A notifies
// A twice) and the notice the trace of the re-routing.
func AlertRerouteNoticeID(alertID string, version int64) string {
	return fmt.Sprintf("%s#%d@%d", alertID, StepLead, version)
}

// DigestNoticeID is the id of the notice of a supervisor's digest for one slot.
func DigestNoticeID(professionalID string, slotAt time.Time) string {
	return "digest:" + professionalID + "@" + slotAt.UTC().Format(time.RFC3339)
}

// SyncNoticeID is the id of the "please sync" pushes for a household at a version.
func SyncNoticeID(householdID string, version int64) string {
	return fmt.Sprintf("sync:%s@%d", householdID, version)
}

// The kinds of push the outbox carries (push.Kind on the way out).
const (
	PushKindAlert  = "alert"
	PushKindDigest = "digest"
	PushKindSync   = "sync"
)

// noticeSpec is one notice to record and whom to push it to.
type noticeSpec struct {
	notice        Notice
	kind, ref     string
	urgent        bool
	professionals []string
	supervisorsOf string // a team id: its supervisors are notified too
	counts        [3]int32
}

// queueNotices records notices and queues one push per recipient device, set-based. Notices
// that exist already are skipped together with their pushes: that is the exactly-once rule.
func queueNotices(ctx context.Context, tx Executor, now time.Time, specs []noticeSpec) error {
	if len(specs) == 0 {
		return nil
	}
	notices := make([]Notice, len(specs))
	for i, s := range specs {
		notices[i] = s.notice
	}
	inserted, err := tx.NoticeInsertMany(ctx, NoticeInsertManyParams{Notices: notices, Now: now})
	if err != nil {
		return err
	}
	fresh := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		fresh[id] = true
	}
	var rs []OutboxRecipient
	for _, s := range specs {
		if !fresh[s.notice.ID] {
			continue
		}
		r := OutboxRecipient{NoticeID: s.notice.ID, Kind: s.kind, Ref: s.ref, Urgent: s.urgent, Counts: s.counts}
		for _, p := range s.professionals {
			if p != "" {
				r.ProfessionalID = p
				rs = append(rs, r)
			}
		}
		if s.supervisorsOf != "" {
			r.ProfessionalID, r.SupervisorsOfTeam = "", s.supervisorsOf
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	return tx.OutboxInsertMany(ctx, OutboxInsertManyParams{Recipients: rs, Now: now})
}

// alertNotice is the notice of an alert's step with its push to the given professionals.
func alertNotice(a *Alert, step int32, urgent bool, professionals ...string) noticeSpec {
	return noticeSpec{notice: Notice{ID: AlertNoticeID(a.ID, step), AlertID: a.ID, Step: step}, kind: PushKindAlert, ref: a.ID,
		urgent: urgent, professionals: professionals}
}
