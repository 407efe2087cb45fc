package careapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// AuditService: the access log for privacy officers. Who may read what is decided by the
// domain layer (household.ListAuditEntries and friends); this file decodes page tokens and
// encodes entries and export documents.

const (
	defaultAuditPageSize = 100
	maxAuditExport       = 10_000
)

var outcomesToProto = map[store.AuditOutcome]veiligv1.AuditOutcome{
	store.AuditAllowed: veiligv1.AuditOutcome_AUDIT_OUTCOME_ALLOWED,
	store.AuditDenied:  veiligv1.AuditOutcome_AUDIT_OUTCOME_DENIED,
	store.AuditFailed:  veiligv1.AuditOutcome_AUDIT_OUTCOME_FAILED,
}

func auditEntryToProto(e *store.AuditEvent) *veiligv1.AuditEntry {
	return &veiligv1.AuditEntry{Id: e.ID, At: timestamppb.New(e.At), ActorKind: string(e.ActorKind), ActorId: e.ProfessionalID,
		OrganizationId: e.OrganizationID, Role: e.Role, Issuer: e.Issuer, DeviceId: e.DeviceID, Action: e.Action,
		ObjectKind: e.ObjectKind, ObjectId: e.ObjectID, HouseholdId: e.HouseholdID, SubjectId: e.SubjectID,
		RequestId: e.RequestID, Outcome: outcomesToProto[e.Outcome], Reason: e.Reason, ChainId: e.ChainID, Seq: e.Seq}
}

var errAuditPageToken = connect.NewError(connect.CodeInvalidArgument, errors.New("page_token is not one this service issued"))

// auditQuery reads a filter, page size and page token. The token is the last entry of the
// previous page: "<unix microseconds>.<id>".
func auditQuery(f *veiligv1.AuditFilter, from, until *timestamppb.Timestamp, size int32, token string) (household.AuditQuery, error) {
	q := household.AuditQuery{HouseholdID: f.GetHouseholdId(), ProfessionalID: f.GetProfessionalId(), Limit: int(size)}
	if f != nil {
		from, until = f.GetFrom(), f.GetUntil()
	}
	if from != nil {
		q.From = from.AsTime().UTC()
	}
	if until != nil {
		q.Until = until.AsTime().UTC()
	}
	if q.Limit == 0 {
		q.Limit = defaultAuditPageSize
	}
	if token != "" {
		us, id, ok := strings.Cut(token, ".")
		n, err := strconv.ParseInt(us, 10, 64)
		if !ok || err != nil || id == "" {
			return q, errAuditPageToken
		}
		q.AfterAt, q.AfterID = time.UnixMicro(n).UTC(), id
	}
	return q, nil
}

// page cuts one more entry than asked off and returns the next page's token, "" for none.
func page(es []*store.AuditEvent, size int) ([]*store.AuditEvent, string) {
	if len(es) <= size {
		return es, ""
	}
	es = es[:size]
	last := es[size-1]
	return es, strconv.FormatInt(last.At.UnixMicro(), 10) + "." + last.ID
}

// ListAuditEntries implements veiligv1connect.AuditServiceHandler.
func (s *Service) ListAuditEntries(ctx context.Context, req *connect.Request[veiligv1.ListAuditEntriesRequest]) (*connect.Response[veiligv1.ListAuditEntriesResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	q, err := auditQuery(req.Msg.GetFilter(), nil, nil, req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := q.Limit
	q.Limit++
	es, err := s.domain.ListAuditEntries(ctx, s.actor(ctx, c), req.Msg.GetOrganizationId(), q)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list access log of %s: %w", req.Msg.GetOrganizationId(), err), "organization")
	}
	es, next := page(es, size)
	res := &veiligv1.ListAuditEntriesResponse{NextPageToken: next}
	for _, e := range es {
		res.Entries = append(res.Entries, auditEntryToProto(e))
	}
	return connect.NewResponse(res), nil
}

// ListHouseholdAccess implements veiligv1connect.AuditServiceHandler.
func (s *Service) ListHouseholdAccess(ctx context.Context, req *connect.Request[veiligv1.ListHouseholdAccessRequest]) (*connect.Response[veiligv1.ListHouseholdAccessResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	q, err := auditQuery(nil, req.Msg.GetFrom(), req.Msg.GetUntil(), req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := q.Limit
	q.Limit++
	es, err := s.domain.ListHouseholdAccess(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId(), q)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list access log of household %s: %w", req.Msg.GetHouseholdId(), err), "household")
	}
	es, next := page(es, size)
	res := &veiligv1.ListHouseholdAccessResponse{NextPageToken: next}
	for _, e := range es {
		res.Entries = append(res.Entries, auditEntryToProto(e))
	}
	return connect.NewResponse(res), nil
}

// auditCSVHeader is the export's header row, in the order of AuditEntry's fields.
var auditCSVHeader = []string{"id", "at", "actor_kind", "actor_id", "organization_id", "role", "issuer", "device_id", "action",
	"object_kind", "object_id", "household_id", "subject_id", "request_id", "outcome", "reason", "chain_id", "seq"}

// ExportAuditEntries implements veiligv1connect.AuditServiceHandler.
func (s *Service) ExportAuditEntries(ctx context.Context, req *connect.Request[veiligv1.ExportAuditEntriesRequest]) (*connect.Response[veiligv1.ExportAuditEntriesResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	q, err := auditQuery(req.Msg.GetFilter(), nil, nil, maxAuditExport, req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	q.Limit++
	es, err := s.domain.ExportAuditEntries(ctx, s.actor(ctx, c), req.Msg.GetOrganizationId(), q)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("export access log of %s: %w", req.Msg.GetOrganizationId(), err), "organization")
	}
	es, next := page(es, maxAuditExport)
	res := &veiligv1.ExportAuditEntriesResponse{NextPageToken: next}
	var b bytes.Buffer
	switch req.Msg.GetFormat() {
	case veiligv1.ExportFormat_EXPORT_FORMAT_CSV:
		res.ContentType = "text/csv"
		w := csv.NewWriter(&b)
		_ = w.Write(auditCSVHeader) // a bytes.Buffer does not fail
		for _, e := range es {
			_ = w.Write([]string{e.ID, e.At.Format(time.RFC3339Nano), string(e.ActorKind), e.ProfessionalID, e.OrganizationID, e.Role,
				e.Issuer, e.DeviceID, e.Action, e.ObjectKind, e.ObjectID, e.HouseholdID, e.SubjectID, e.RequestID, string(e.Outcome),
				e.Reason, e.ChainID, strconv.FormatInt(e.Seq, 10)})
		}
		w.Flush()
	default:
		res.ContentType = "application/json"
		b.WriteByte('[')
		for i, e := range es {
			if i > 0 {
				b.WriteByte(',')
			}
			j, err := protojson.Marshal(auditEntryToProto(e))
			if err != nil {
				return nil, s.internal(ctx, fmt.Errorf("encode access record %s: %w", e.ID, err))
			}
			b.Write(j)
		}
		b.WriteByte(']')
	}
	res.Document = b.Bytes()
	return connect.NewResponse(res), nil
}
