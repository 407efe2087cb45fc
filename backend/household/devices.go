package household

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/access"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// Audit actions of devices and people (issue 12). Each record's SubjectID names the
// professional concerned; a revocation's names the device's professional.
const (
	ActionDeviceList          = "device.list"
	ActionDeviceRevoke        = "device.revoke"
	ActionProfessionalDisable = "professional.disable"
)

// errNotOwnerOrAdmin is the one refusal of a call on a person (package access, object
// Person): for a professional or device that does not exist too, so existence does not leak.
var errNotOwnerOrAdmin = refuse(ErrPermission, "only this professional or an admin of their organization may do this")

// personRelations is how the actor stands to the professional target (nil: unknown).
func personRelations(a Actor, target *store.Professional) []access.Relation {
	if target == nil {
		return nil
	}
	var rels []access.Relation
	if target.ID == a.Professional.ID {
		rels = append(rels, access.Owner)
	}
	if a.Professional.Role == store.RoleAdmin && a.Professional.OrganizationID == target.OrganizationID {
		rels = append(rels, access.OrganizationAdmin)
	}
	return rels
}

// decidePerson applies a Person rule; a refusal is logged with ids only.
func decidePerson(ctx context.Context, a Actor, procedure, targetID string, rels []access.Relation) error {
	if access.For(procedure).Allows(rels) {
		return nil
	}
	zerolog.Ctx(ctx).Warn().Str("professional_id", a.Professional.ID).Str("subject_id", targetID).
		Str("procedure", procedure).Msg("access refused by the policy")
	return errNotOwnerOrAdmin
}

// loadPerson reads a professional in tx; a missing one is nil, not an error.
func loadPerson(ctx context.Context, tx *store.Tx, id string) (*store.Professional, error) {
	p, err := tx.ProfessionalGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load professional %s: %w", id, err)
	}
	return p, nil
}

// ListDevices lists the device records of professionalID (the actor's own when empty), revoked
// ones included, for the professional themself or an admin of their organization. The list is
// recorded in the access log before it is returned.
func (s *Service) ListDevices(ctx context.Context, a Actor, professionalID string) ([]*store.DeviceRecord, error) {
	if professionalID == "" {
		professionalID = a.Professional.ID
	}
	now := s.Now()
	var out []*store.DeviceRecord
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		target, err := loadPerson(ctx, tx, professionalID)
		if err != nil {
			return err
		}
		if err := decidePerson(ctx, a, veiligv1connect.DeviceServiceListDevicesProcedure, professionalID, personRelations(a, target)); err != nil {
			return err
		}
		ev := s.event(a, "", ActionDeviceList, now)
		ev.SubjectID = professionalID
		if err := tx.AuditAppend(ctx, []store.AuditEvent{ev}); err != nil {
			return err
		}
		out, err = tx.DeviceRecordList(ctx, professionalID)
		return err
	})
	return out, err
}

// RevokeDevice revokes a device record, for its professional or an admin of their
// organization, and returns it as it was before; revoking a revoked device again changes
// nothing (its first revocation time stays) but is recorded like the first. Revoking deletes
// the device's push token in the same transaction.
func (s *Service) RevokeDevice(ctx context.Context, a Actor, deviceID string) (*store.DeviceRecord, error) {
	now := s.Now()
	var d *store.DeviceRecord
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		d, err = tx.DeviceRecordGet(ctx, deviceID)
		var target *store.Professional
		switch {
		case errors.Is(err, store.ErrNotFound):
			d = nil
		case err != nil:
			return fmt.Errorf("load device %s: %w", deviceID, err)
		default:
			if target, err = loadPerson(ctx, tx, d.ProfessionalID); err != nil {
				return err
			}
		}
		subject := ""
		if d != nil {
			subject = d.ProfessionalID
		}
		if err := decidePerson(ctx, a, veiligv1connect.DeviceServiceRevokeDeviceProcedure, subject, personRelations(a, target)); err != nil {
			return err
		}
		ev := s.event(a, "", ActionDeviceRevoke, now)
		ev.SubjectID = d.ProfessionalID
		if err := tx.AuditAppend(ctx, []store.AuditEvent{ev}); err != nil {
			return err
		}
		return tx.DeviceRecordRevoke(ctx, d, now)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// disableRecords are the access records of disabling a professional: one naming the
// disabling, and one in each household's chain for the care team they left.
func disableRecords(a Actor, professionalID string, households []string, now time.Time) []store.AuditEvent {
	ev := eventOf(a, "", ActionProfessionalDisable, now)
	ev.SubjectID = professionalID
	events := []store.AuditEvent{ev}
	for _, h := range households {
		ev := eventOf(a, h, ActionCareTeamWrite, now)
		ev.SubjectID = professionalID
		events = append(events, ev)
	}
	return events
}

// DisableProfessional disables a professional who leaves the organization, for an admin of
// their organization, never on their own entry (an admin is disabled by another admin, so the
// last admin cannot lock the organization out by mistake). In one transaction it marks them
// disabled, revokes every device of theirs, deletes their push tokens and removes them from
// every care team, re-routing reminders as a care-team removal does (store.Tx.ProfessionalDisable);
// one access record names the disabling and one per household the care-team change. It
// returns the devices revoked and the households left.
func (s *Service) DisableProfessional(ctx context.Context, a Actor, professionalID string) (devices, households []string, err error) {
	if professionalID == a.Professional.ID {
		return nil, nil, refuse(ErrPermission, "an admin's own entry is changed by another admin")
	}
	now := s.Now()
	err = s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		target, err := loadPerson(ctx, tx, professionalID)
		if err != nil {
			return err
		}
		if err := decidePerson(ctx, a, veiligv1connect.DirectoryServiceDisableProfessionalProcedure, professionalID, personRelations(a, target)); err != nil {
			return err
		}
		devices, households, err = tx.ProfessionalDisable(ctx, professionalID, now)
		if err != nil {
			return err
		}
		return tx.AuditAppend(ctx, disableRecords(a, professionalID, households, now))
	})
	if err != nil {
		return nil, nil, err
	}
	return devices, households, nil
}
