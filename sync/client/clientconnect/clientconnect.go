// Package clientconnect connects the phone replica (package client) to a Veilig server over
// Connect (veilig.v1.SyncService): it is the client.Transport of the simulator and of
// Go-based apps, and maps the replica's mutations, results and pull pages to and from the
// protobuf messages.
//
// It sits in a leaf package beside the replica, as the SQLite storage does (clientsqlite),
// so that package client itself stays free of HTTP and of the generated code: an app that
// brings its own Transport does not link this one.
package clientconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"connectrpc.com/connect"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/hlc"
)

// Transport calls SyncService with a bearer token.
type Transport struct {
	client     veiligv1connect.SyncServiceClient
	token      func() string
	appVersion string
}

// Option configures a Transport.
type Option func(*Transport)

// WithAppVersion sends version (the app's semantic version, "1.4.2") in the
// X-Veilig-App-Version header of every call, for the server's minimum app version. Without it
// no version is sent, and a server with a minimum refuses every call.
func WithAppVersion(version string) Option { return func(t *Transport) { t.appVersion = version } }

var _ client.Transport = (*Transport)(nil)

// New returns a transport to the server at baseURL; token returns the current bearer token.
// An answer that access has ended on this device (PERMISSION_DENIED with a
// veilig.v1.AccessEnded detail) is returned as an error wrapping client.ErrAccessEnded, on
// which the replica erases its data.
func New(httpClient connect.HTTPClient, baseURL string, token func() string, opts ...Option) *Transport {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	t := &Transport{client: veiligv1connect.NewSyncServiceClient(httpClient, baseURL, connect.WithSendGzip()), token: token}
	for _, o := range opts {
		o(t)
	}
	return t
}

// AppVersionHeader is the header WithAppVersion sets (careapi.AppVersionHeader on the
// server; this package does not import the server's).
const AppVersionHeader = "X-Veilig-App-Version"

// AccessEnded reports whether err is the server's answer that access has ended for good on
// this device, and why (veilig.v1.AccessEndedReason).
func AccessEnded(err error) (veiligv1.AccessEndedReason, bool) {
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodePermissionDenied {
		return 0, false
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if ae, ok := v.(*veiligv1.AccessEnded); derr == nil && ok {
			return ae.GetReason(), true
		}
	}
	return 0, false
}

// callError wraps an answer that access ended in client.ErrAccessEnded.
func callError(err error) error {
	if _, ok := AccessEnded(err); ok {
		return fmt.Errorf("%w: %w", client.ErrAccessEnded, err)
	}
	return err
}

func authorized[T any](t *Transport, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+t.token())
	if t.appVersion != "" {
		req.Header().Set(AppVersionHeader, t.appVersion)
	}
	return req
}

var channels = map[string]veiligv1.Channel{"home_visit": veiligv1.Channel_CHANNEL_HOME_VISIT, "phone_call": veiligv1.Channel_CHANNEL_PHONE_CALL, "family_link": veiligv1.Channel_CHANNEL_FAMILY_LINK}

// channelName is the client's name of a channel (the reverse of channels).
func channelName(c veiligv1.Channel) string {
	for name, v := range channels {
		if v == c {
			return name
		}
	}
	return ""
}

var outcomes = map[string]veiligv1.Outcome{"safe": veiligv1.Outcome_OUTCOME_SAFE, "concerns": veiligv1.Outcome_OUTCOME_CONCERNS, "unsafe": veiligv1.Outcome_OUTCOME_UNSAFE, "no_contact": veiligv1.Outcome_OUTCOME_NO_CONTACT}

// Push implements client.Transport.
func (t *Transport) Push(ctx context.Context, batch []client.Mutation) ([]change.Result, hlc.Timestamp, error) {
	req := &veiligv1.PushRequest{}
	for _, m := range batch {
		pm := &veiligv1.Mutation{Id: m.ID, HouseholdId: m.HouseholdID}
		switch m.Kind {
		case change.KindEdit:
			e := &veiligv1.RecordEdit{Kind: veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY, RecordId: m.RecordID, Section: string(m.Section)}
			for _, w := range m.Writes {
				e.Fields = append(e.Fields, &veiligv1.FieldWrite{Field: w.Field, Value: w.Value, Stamp: uint64(w.Stamp), Seen: uint64(w.Seen)})
			}
			pm.Change = &veiligv1.Mutation_Edit{Edit: e}
		case change.KindDelete:
			pm.Change = &veiligv1.Mutation_Delete{Delete: &veiligv1.RecordDelete{Kind: veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY,
				RecordId: m.RecordID, Stamp: uint64(m.Stamp), Seen: uint64(m.Seen)}}
		case change.KindResolve:
			pm.Change = &veiligv1.Mutation_Resolve{Resolve: &veiligv1.ConflictResolve{ConflictId: m.ConflictID}}
		case change.KindCheckIn:
			pm.Change = &veiligv1.Mutation_CheckIn{CheckIn: &veiligv1.CheckInAppend{ScheduleId: m.CheckIn.ScheduleID,
				Channel: channels[m.CheckIn.Channel], Outcome: outcomes[m.CheckIn.Outcome], Note: m.CheckIn.Note, Stamp: uint64(m.Stamp)}}
		default:
			return nil, 0, fmt.Errorf("mutation %s: unknown kind %d", m.ID, m.Kind)
		}
		req.Mutations = append(req.Mutations, pm)
	}
	res, err := t.client.Push(ctx, authorized(t, req))
	if err != nil {
		return nil, 0, callError(err)
	}
	out := make([]change.Result, 0, len(res.Msg.GetResults()))
	for _, r := range res.Msg.GetResults() {
		out = append(out, change.Result{MutationID: r.GetMutationId(), Outcome: change.Outcome(r.GetOutcome()), Reason: change.Reason(r.GetReason()), Detail: r.GetDetail()})
	}
	return out, hlc.Timestamp(res.Msg.GetServerStamp()), nil
}

// Pull implements client.Transport.
func (t *Transport) Pull(ctx context.Context, cursors map[string]int64, maxBytes int) (*client.PullPage, error) {
	req := &veiligv1.PullRequest{MaxBytes: uint32(maxBytes)}
	for h, v := range cursors {
		req.Cursors = append(req.Cursors, &veiligv1.Cursor{HouseholdId: h, Version: v})
	}
	res, err := t.client.Pull(ctx, authorized(t, req))
	if err != nil {
		return nil, callError(err)
	}
	m := res.Msg
	page := &client.PullPage{Evicted: m.GetEvictedHouseholdIds(), HasMore: m.GetHasMore(), ServerStamp: hlc.Timestamp(m.GetServerStamp()),
		Lease: client.Lease{LockAfter: m.GetLease().GetLockAfter().AsDuration(), EraseAfter: m.GetLease().GetEraseAfter().AsDuration()}}
	versions := map[string]int64{}
	for _, c := range m.GetCursors() {
		versions[c.GetHouseholdId()] = c.GetVersion()
	}
	for _, hc := range m.GetChanges() {
		out := client.HouseholdChanges{HouseholdID: hc.GetHouseholdId(), Code: hc.GetCode(), Version: versions[hc.GetHouseholdId()]}
		for _, r := range hc.GetRecords() {
			rec := client.Record{ID: r.GetRecordId(), Section: change.Section(r.GetSection()), Deleted: r.GetDeleted(), Fields: map[string]client.Field{}}
			for _, f := range r.GetFields() {
				rec.Fields[f.GetField()] = client.Field{Value: f.GetValue(), Stamp: hlc.Timestamp(f.GetStamp()), DeviceID: f.GetDeviceId()}
			}
			out.Records = append(out.Records, rec)
		}
		for _, c := range hc.GetConflicts() {
			out.Conflicts = append(out.Conflicts, client.Conflict{ID: c.GetId(), RecordID: c.GetRecordId(), Field: c.GetField(), Value: c.GetValue(),
				AuthorID: c.GetAuthorId(), OverwrittenBy: c.GetOverwrittenBy(), Resolved: c.GetResolved()})
		}
		for _, ci := range hc.GetCheckIns() {
			out.CheckInIDs = append(out.CheckInIDs, ci.GetId())
		}
		for _, sc := range hc.GetSchedules() {
			s := client.Schedule{ID: sc.GetId(), Rule: sc.GetRule(), TimeZone: sc.GetTimeZone(), LocalTime: sc.GetLocalTime(), WindowEnd: sc.GetWindowEnd(),
				GraceMinutes: int(sc.GetGraceMinutes()), Channel: channelName(sc.GetChannel()), LeadProfessionalID: sc.GetLeadProfessionalId(),
				Paused: sc.GetPaused(), StartDate: sc.GetStartDate(), EndDate: sc.GetEndDate()}
			if sc.GetNextDueAt() != nil {
				s.NextDueUnix = sc.GetNextDueAt().AsTime().Unix()
			}
			out.Schedules = append(out.Schedules, s)
		}
		page.Households = append(page.Households, out)
	}
	return page, nil
}
