package storepgx

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Access records: queries/audit.sql.

func auditEvent(r dbsqlc.AuditEvent) *store.AuditEvent {
	return &store.AuditEvent{ID: r.ID, At: r.At, ProfessionalID: r.ProfessionalID, DeviceID: r.DeviceID, Action: r.Action,
		HouseholdID: r.HouseholdID, RequestID: r.RequestID, SubjectID: r.SubjectID}
}

func (e executor) AuditInsertMany(ctx context.Context, events []store.AuditEvent) error {
	return res.Err(fmt.Sprintf("append %d audit events", len(events)), q.AuditInsertMany(ctx, e.db, dbsqlc.AuditInsertManyParams{
		ID:             store.Column(events, func(a store.AuditEvent) string { return a.ID }),
		At:             store.Column(events, func(a store.AuditEvent) time.Time { return a.At }),
		ProfessionalID: store.Column(events, func(a store.AuditEvent) string { return a.ProfessionalID }),
		DeviceID:       store.Column(events, func(a store.AuditEvent) string { return a.DeviceID }),
		Action:         store.Column(events, func(a store.AuditEvent) string { return a.Action }),
		HouseholdID:    store.Column(events, func(a store.AuditEvent) string { return a.HouseholdID }),
		RequestID:      store.Column(events, func(a store.AuditEvent) string { return a.RequestID }),
		SubjectID:      store.Column(events, func(a store.AuditEvent) string { return a.SubjectID }),
	}))
}

func (e executor) AuditListByHousehold(ctx context.Context, householdID string) ([]*store.AuditEvent, error) {
	return store.All(res, "list audit of "+householdID, auditEvent)(q.AuditListByHousehold(ctx, e.db, householdID))
}
