package store

// Devices as records (issue 12). A device record is one app installation, named by the device
// id its tokens carry (the device_id claim of the identity provider's token). It is kept apart
// from the push tokens (Device), which the push worker deletes when Firebase calls them
// invalid: a revocation must outlive the token it was registered with.
//
// The rules, each with its reason:
//
//   - A device id belongs to the professional who registered it first. Registering another
//     professional's device id registers the push token only: the edge trusts a device only
//     when its record names the caller, so a token naming somebody else's device is not
//     taken for that device (and cannot lock its owner out).
//   - Revocation is for good: a revoked record is never registered again or un-revoked (a
//     phone that is given back registers under a new device id, after it has erased what it
//     held). Revoking deletes the record's push token in the same transaction, so no push
//     reaches a revoked phone.
//   - Disabling a professional (ProfessionalDisable) revokes every device record, deletes
//     every push token and removes them from every care team in one transaction, re-routing
//     reminders as CareTeamMemberRemove does.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DeviceRecord is one app installation of a professional.
type DeviceRecord struct {
	// ID is the device id the installation's tokens carry (the device_id claim).
	ID             string
	ProfessionalID string
	// Platform is "android" or "ios" (empty when the phone did not say).
	Platform string
	// AppVersion is the app's semantic version as the phone last reported it.
	AppVersion string
	// PushToken is the FCM token registered with the device; empty for none.
	PushToken    string
	RegisteredAt time.Time
	// LastSeenAt is the last request the device was seen on, kept coarsely (DeviceSeen).
	LastSeenAt time.Time
	// RevokedAt is when the device was revoked; nil for a device in use.
	RevokedAt *time.Time
}

// ErrDeviceRevoked is DeviceRecordRegister's refusal of a device id that was revoked.
var ErrDeviceRevoked = errors.New("device revoked")

// DeviceRecordRegister registers d (ID, ProfessionalID, Platform, AppVersion, PushToken;
// RegisteredAt is the time of the call) in one transaction: the push token as
// DeviceRegister does (a token another professional holds is a *DeviceHeldError), and the
// record, inserted or, for the professional's own device, updated (LastSeenAt becomes
// RegisteredAt; a push token that the record held before and no longer does is deleted).
// A device id another professional registered is left with them (only the push token is
// registered: the edge does not trust the id for this caller), and a revoked one is
// ErrDeviceRevoked.
func (db *DB) DeviceRecordRegister(ctx context.Context, d DeviceRecord) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error {
		foreign := false
		old, err := tx.DeviceRecordGet(ctx, d.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			old = nil
		case err != nil:
			return err
		case old.ProfessionalID != d.ProfessionalID:
			foreign = true
		case old.RevokedAt != nil:
			return fmt.Errorf("register device %s: %w", d.ID, ErrDeviceRevoked)
		}
		if d.PushToken != "" {
			holder, err := tx.DeviceUpsert(ctx, Device{Token: d.PushToken, ProfessionalID: d.ProfessionalID, Platform: d.Platform, UpdatedAt: d.RegisteredAt})
			if err != nil {
				return err
			}
			if holder != d.ProfessionalID {
				return &DeviceHeldError{ProfessionalID: d.ProfessionalID, HolderID: holder}
			}
		}
		if foreign {
			return nil // the record stays with its professional
		}
		if old == nil {
			return tx.DeviceRecordInsert(ctx, d)
		}
		if old.PushToken != "" && old.PushToken != d.PushToken {
			if err := tx.DeviceDelete(ctx, d.ProfessionalID, old.PushToken); err != nil {
				return err
			}
		}
		d.LastSeenAt = d.RegisteredAt
		return tx.DeviceRecordUpdate(ctx, d)
	})
}

// DeviceSeenEvery is how stale a device record's LastSeenAt may be before DeviceSeen writes
// it: a request writes at most once in this period, so that being seen does not cost every
// request a write.
const DeviceSeenEvery = time.Minute

// DeviceSeen records that a device made a request at at, when its record was last seen more
// than DeviceSeenEvery before (d is the record as the caller read it).
func (db *DB) DeviceSeen(ctx context.Context, d *DeviceRecord, at time.Time) error {
	if at.Sub(d.LastSeenAt) < DeviceSeenEvery {
		return nil
	}
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.DeviceRecordSeen(ctx, d.ID, at) })
}

// DeviceRecordGet is DB.DeviceRecordGet in tx.
func (tx *Tx) DeviceRecordGet(ctx context.Context, id string) (*DeviceRecord, error) {
	return tx.ex.DeviceRecordGet(ctx, id)
}

// DeviceRecordRevoke revokes one device record at at and deletes its push token; a record
// revoked already keeps its first revocation time.
func (tx *Tx) DeviceRecordRevoke(ctx context.Context, d *DeviceRecord, at time.Time) error {
	if err := tx.ex.DeviceRecordRevoke(ctx, d.ID, at); err != nil {
		return err
	}
	if d.PushToken == "" {
		return nil
	}
	return tx.ex.DeviceDelete(ctx, d.ProfessionalID, d.PushToken)
}

// ProfessionalDisable disables a professional at at (a professional disabled already keeps
// the first time) and, in the same transaction, revokes every device record of theirs,
// deletes every push token of theirs and removes them from every care team (each removal
// bumps the household's version and re-routes its reminders, as CareTeamMemberRemove).
// It returns the ids of the devices it revoked and of the households it removed them from.
func (tx *Tx) ProfessionalDisable(ctx context.Context, professionalID string, at time.Time) (devices, households []string, err error) {
	if err := tx.ex.ProfessionalDisable(ctx, professionalID, at); err != nil {
		return nil, nil, err
	}
	devices, err = tx.ex.DeviceRecordRevokeByProfessional(ctx, professionalID, at)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.ex.DeviceDeleteByProfessional(ctx, professionalID); err != nil {
		return nil, nil, err
	}
	households, err = tx.ex.CareTeamHouseholdsOfProfessional(ctx, professionalID)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range households {
		if err := tx.CareTeamMemberRemove(ctx, CareTeamMemberRemoveParams{HouseholdID: h, ProfessionalID: professionalID, Now: at}); err != nil {
			return nil, nil, fmt.Errorf("remove %s from the care team of %s: %w", professionalID, h, err)
		}
	}
	return devices, households, nil
}

// DeviceRecordList is DB.DeviceRecordListByProfessional in tx.
func (tx *Tx) DeviceRecordList(ctx context.Context, professionalID string) ([]*DeviceRecord, error) {
	return tx.ex.DeviceRecordListByProfessional(ctx, professionalID)
}
