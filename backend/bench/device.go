package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
	"github.com/veilig/veilig/sync/hlc"
)

// fieldsPerEdit is how many fields each benchmark mutation writes.
const fieldsPerEdit = 3

// device is one simulated phone: its professional's index, a token with its own device id,
// its own HTTP connection pool and the generated SyncService client, sending gzip as the
// phone's transport (sync/client/clientconnect) does.
type device struct {
	index     int
	household string
	token     string
	sync      veiligv1connect.SyncServiceClient
	transport *http.Transport
	wire      *countingTransport
}

// newDevice returns a device of professional i named name.
func (t *target) newDevice(i int, name string) (*device, error) {
	tok, err := t.token(i, name)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second}
	wire := &countingTransport{base: tr}
	return &device{index: i, household: t.fix.households[i], token: tok, transport: tr, wire: wire,
		sync: veiligv1connect.NewSyncServiceClient(httpClient(wire), t.baseURL, connect.WithSendGzip())}, nil
}

// close drops the device's idle connections.
func (d *device) close() { d.transport.CloseIdleConnections() }

func authorized[T any](token string, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+token)
	return req
}

// editBatch returns n mutations, each creating a new plan entry of the device's household
// with fieldsPerEdit fields: the shape of a phone's offline edits.
func (d *device) editBatch(n int) *veiligv1.PushRequest {
	stamp := uint64(hlc.New(time.Now(), 0))
	req := &veiligv1.PushRequest{Mutations: make([]*veiligv1.Mutation, n)}
	for i := range n {
		fields := []*veiligv1.FieldWrite{
			{Field: "title", Value: "afspraak over thuiskomen", Stamp: stamp},
			{Field: "detail", Value: "om 18:00 thuis, anders bellen naar het netwerk", Stamp: stamp},
			{Field: "owner", Value: "gezin", Stamp: stamp},
		}
		req.Mutations[i] = &veiligv1.Mutation{Id: uuid.NewString(), HouseholdId: d.household, Change: &veiligv1.Mutation_Edit{Edit: &veiligv1.RecordEdit{
			Kind: veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY, RecordId: uuid.NewString(), Section: "agreement", Fields: fields}}}
	}
	return req
}

// push sends req and fails unless every mutation was applied.
func (d *device) push(ctx context.Context, req *veiligv1.PushRequest) error {
	res, err := d.sync.Push(ctx, authorized(d.token, req))
	if err != nil {
		return fmt.Errorf("push %d mutations: %w", len(req.Mutations), err)
	}
	for _, r := range res.Msg.GetResults() {
		if r.GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED {
			return fmt.Errorf("push: mutation %s: outcome %v, reason %v: %s", r.GetMutationId(), r.GetOutcome(), r.GetReason(), r.GetDetail())
		}
	}
	if got := len(res.Msg.GetResults()); got != len(req.Mutations) {
		return fmt.Errorf("push: %d results for %d mutations", got, len(req.Mutations))
	}
	return nil
}

// pullAll pulls from the given cursors until no more changes wait, as a phone does, and
// returns the records received and the new cursors.
func (d *device) pullAll(ctx context.Context, cursors []*veiligv1.Cursor) (records int, out []*veiligv1.Cursor, err error) {
	for {
		res, err := d.sync.Pull(ctx, authorized(d.token, &veiligv1.PullRequest{Cursors: cursors}))
		if err != nil {
			return records, cursors, fmt.Errorf("pull: %w", err)
		}
		for _, hc := range res.Msg.GetChanges() {
			records += len(hc.GetRecords())
		}
		cursors = mergeCursors(cursors, res.Msg.GetCursors())
		if !res.Msg.GetHasMore() {
			return records, cursors, nil
		}
	}
}

// mergeCursors returns cursors with the households of next replaced or added.
func mergeCursors(cursors, next []*veiligv1.Cursor) []*veiligv1.Cursor {
	byID := map[string]int{}
	for i, c := range cursors {
		byID[c.GetHouseholdId()] = i
	}
	for _, c := range next {
		if i, ok := byID[c.GetHouseholdId()]; ok {
			cursors[i] = c
			continue
		}
		byID[c.GetHouseholdId()] = len(cursors)
		cursors = append(cursors, c)
	}
	return cursors
}

// countingTransport counts the bytes of request and response bodies as they cross the wire
// (compressed, as sent), around a base RoundTripper. Headers are not counted.
type countingTransport struct {
	base           http.RoundTripper
	sent, received atomic.Int64
}

// RoundTrip implements http.RoundTripper.
func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		r := req.Clone(req.Context())
		r.Body = &countingBody{ReadCloser: req.Body, n: &c.sent}
		req = r
	}
	res, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	res.Body = &countingBody{ReadCloser: res.Body, n: &c.received}
	return res, nil
}

// bytes returns the body bytes sent and received so far.
func (c *countingTransport) bytes() (sent, received int64) { return c.sent.Load(), c.received.Load() }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
