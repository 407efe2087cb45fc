package storesqlite

import (
	"context"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

func auditEvent(a dbsqlc.AuditEvent) *store.AuditEvent {
	return &store.AuditEvent{ID: a.ID, At: fromMicros(a.At), ProfessionalID: a.ProfessionalID, DeviceID: a.DeviceID,
		Action: a.Action, HouseholdID: a.HouseholdID, RequestID: a.RequestID, SubjectID: a.SubjectID}
}

// AuditInsertMany implements store.Executor.
func (e *executor) AuditInsertMany(ctx context.Context, events []store.AuditEvent) error {
	return each("append audit event", events, func(a store.AuditEvent) error {
		return e.q.AuditInsert(ctx, dbsqlc.AuditInsertParams{ID: a.ID, At: micros(a.At), ProfessionalID: a.ProfessionalID,
			DeviceID: a.DeviceID, Action: a.Action, HouseholdID: a.HouseholdID, RequestID: a.RequestID, SubjectID: a.SubjectID})
	})
}

// AuditListByHousehold implements store.Executor.
func (e *executor) AuditListByHousehold(ctx context.Context, householdID string) ([]*store.AuditEvent, error) {
	return store.All(res, "list audit events", auditEvent)(e.q.AuditListByHousehold(ctx, householdID))
}
