package household

import (
	"context"
	"errors"
	"fmt"

	"github.com/veilig/veilig/backend/preferences"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// Access records of preferences (issue 14). Each names the professional concerned as its
// subject and object; preferences hold no household data, so no record names a household.
const (
	ActionPreferencesRead  = "preferences.read"
	ActionPreferencesWrite = "preferences.write"
)

// preferenceDefaults are the deployment's values the API shows for whatever a professional
// did not choose: the built-in ones, which are also the scheduler's (reminders.Config falls
// back to preferences.DeploymentDefaults), so what GetPreferences shows is what the scheduler
// does.
func preferenceDefaults() (preferences.Defaults, error) { return preferences.DeploymentDefaults() }

// authorizePerson decides a Person rule (access.Owner, access.OrganizationAdmin) for a call
// on professionalID in tx, with the relations devices.go computes (personRelations). A refusal
// is a *denial carrying its access record, so inTx records it; an unknown professional is
// refused like one the actor may not act on, so existence does not leak.
func authorizePerson(ctx context.Context, tx *store.Tx, a Actor, procedure, action, professionalID string) error {
	target, err := loadPerson(ctx, tx, professionalID)
	if err != nil {
		return err
	}
	if err := decidePerson(ctx, a, procedure, professionalID, personRelations(a, target)); err != nil {
		return personDenied(a, err, action, professionalID)
	}
	return nil
}

// personDenied is a refusal of action on professionalID with its access record.
func personDenied(a Actor, err error, action, professionalID string) error {
	d := deny(a, err, "", action, "professional", professionalID)
	d.(*denial).event.SubjectID = professionalID
	return d
}

// GetPreferences returns the preferences of professionalID (the actor's own when empty) as
// they take effect, for the professional themself or an admin of their organization. The
// read is recorded in the access log in the transaction that reads the row, before it is
// returned; a refusal is recorded as denied.
func (s *Service) GetPreferences(ctx context.Context, a Actor, professionalID string) (preferences.Effective, error) {
	if professionalID == "" {
		professionalID = a.Professional.ID
	}
	defaults, err := preferenceDefaults()
	if err != nil {
		return preferences.Effective{}, err
	}
	now := s.Now()
	var row *store.Preferences
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := authorizePerson(ctx, tx, a, veiligv1connect.DirectoryServiceGetPreferencesProcedure, ActionPreferencesRead, professionalID); err != nil {
			return err
		}
		ev := eventOf(a, "", ActionPreferencesRead, now)
		ev.ObjectKind, ev.ObjectID, ev.SubjectID = "professional", professionalID, professionalID
		allowed(ctx, ev)
		if err := tx.AuditAppend(ctx, []store.AuditEvent{ev}); err != nil {
			return err
		}
		row, err = tx.PreferencesGet(ctx, professionalID)
		if errors.Is(err, store.ErrNotFound) {
			row, err = nil, nil
		}
		if err != nil {
			return fmt.Errorf("load preferences of %s: %w", professionalID, err)
		}
		return nil
	})
	if err != nil {
		return preferences.Effective{}, err
	}
	return preferences.Resolve(row, defaults), nil
}

// SetPreferences replaces the preferences of professionalID (the actor's own when empty)
// whole with in, for the professional themself or an admin of their organization, and returns
// them as they now take effect. in is validated by package preferences (a canonical language
// tag, HH:MM times, quiet hours both or neither, a zone the server knows and not "Local"); a
// request that breaks a rule is refused with ErrInvalid (its message names the rule, never the
// value). The write and its access record commit together; a refusal is recorded as denied.
func (s *Service) SetPreferences(ctx context.Context, a Actor, professionalID string, in preferences.Input) (preferences.Effective, error) {
	if professionalID == "" {
		professionalID = a.Professional.ID
	}
	defaults, err := preferenceDefaults()
	if err != nil {
		return preferences.Effective{}, err
	}
	now := s.Now()
	var row store.Preferences
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := authorizePerson(ctx, tx, a, veiligv1connect.DirectoryServiceSetPreferencesProcedure, ActionPreferencesWrite, professionalID); err != nil {
			return err
		}
		var verr error
		row, verr = preferences.Validate(professionalID, in, now)
		if invalid := (*preferences.InvalidError)(nil); errors.As(verr, &invalid) {
			// The rule only, never the value: it reaches the client and the access log.
			return personDenied(a, refuse(ErrInvalid, invalid.Rule), ActionPreferencesWrite, professionalID)
		} else if verr != nil {
			return verr
		}
		ev := eventOf(a, "", ActionPreferencesWrite, now)
		ev.ObjectKind, ev.ObjectID, ev.SubjectID = "professional", professionalID, professionalID
		allowed(ctx, ev)
		if err := tx.PreferencesUpsert(ctx, row); err != nil {
			return fmt.Errorf("write preferences of %s: %w", professionalID, err)
		}
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	if err != nil {
		return preferences.Effective{}, err
	}
	return preferences.Resolve(&row, defaults), nil
}
