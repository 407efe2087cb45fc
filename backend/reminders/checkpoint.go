package reminders

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
)

// Checkpoint signs a checkpoint of every chain head of the access log with the audit key
// (store.DB.AuditCheckpointWrite) when the latest checkpoint, this replica's or another's, is
// at least CheckpointEvery old; it returns how many it wrote (0 or 1). Without an audit key it
// does nothing.
//
// A checkpoint attests the heads at the time it was signed, without a verify walk: a later
// truncation or rewrite of anything up to those heads is then found by `veilig audit verify`.
// It does not attest that the chains were intact when it was signed; verify does.
//
// Replicas do not claim the job: two that find a checkpoint due at the same moment may each
// write one. That is harmless: each is a true, signed statement of the heads at its time.
// Each replica reads the latest checkpoint at most once per CheckpointEvery once it has seen
// one.
func (s *Scheduler) Checkpoint(ctx context.Context) (int, error) {
	if s.cfg.AuditKey == nil {
		return 0, nil
	}
	now := s.now()
	if !s.lastCheckpoint.IsZero() && now.Sub(s.lastCheckpoint) < s.cfg.CheckpointEvery {
		return 0, nil
	}
	latest, err := s.store.AuditCheckpointLatest(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit checkpoint: %w", err)
	}
	if latest != nil && latest.At.After(s.lastCheckpoint) {
		s.lastCheckpoint = latest.At
		if now.Sub(latest.At) < s.cfg.CheckpointEvery {
			return 0, nil
		}
	}
	cp, err := s.store.AuditCheckpointWrite(ctx, uuid.NewString(), s.cfg.AuditKey, now)
	if err != nil {
		return 0, fmt.Errorf("audit checkpoint: %w", err)
	}
	s.lastCheckpoint = cp.At
	s.log.Info().Str("checkpoint_id", cp.ID).Str("key_id", cp.KeyID).Msg("audit checkpoint signed")
	return 1, nil
}

// CutAuditLog runs the access log's retention (store.DB.AuditCutExpired): a pass over every
// chain the latest signed checkpoint names starts at most every CheckpointEvery, and each
// tick works off one bounded call of it (store defaults: 500 chains, 20 transactions of at
// most 1,000 entries), resuming where the tick before stopped. It returns how many entries
// it cut. Without an audit key it does nothing: no cut is trusted past a signed checkpoint.
//
// Replicas do not claim the pass: two running it at once queue on each chain's head, and the
// second finds nothing left to cut. Chains the store refuses to cut (they do not verify where
// they would be cut) are logged as a count, never by id, for `veilig audit verify` to find.
func (s *Scheduler) CutAuditLog(ctx context.Context) (int64, error) {
	if s.cfg.AuditKey == nil {
		return 0, nil
	}
	now := s.now()
	if !s.cutInPass {
		if !s.cutPassStarted.IsZero() && now.Sub(s.cutPassStarted) < s.cfg.CheckpointEvery {
			return 0, nil
		}
		s.cutInPass, s.cutPassStarted, s.cutNext = true, now, ""
	}
	r, err := s.store.AuditCutExpired(ctx, store.AuditCutParams{Retention: s.cfg.AuditRetention, Now: now,
		Key: s.cfg.AuditKey, FromChainID: s.cutNext})
	if err != nil {
		return 0, fmt.Errorf("audit retention: %w", err)
	}
	s.cutNext, s.cutInPass = r.Next, r.Next != ""
	if r.Refused > 0 {
		s.log.Warn().Int("chains_refused", r.Refused).
			Msg("access-log chains not cut: they do not verify where they would be cut; run veilig audit verify")
	}
	return r.Deleted, nil
}
