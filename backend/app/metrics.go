package app

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/metrics"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/mobile-api/familylink"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// syncMetrics records SyncService Push and Pull in m: outcome, mutation outcomes, latency and
// pull size. It runs outside authentication, so that a refused call is counted too.
type syncMetrics struct{ m *metrics.Metrics }

// WrapUnary implements connect.Interceptor.
func (i syncMetrics) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		proc := req.Spec().Procedure
		if proc != veiligv1connect.SyncServicePushProcedure && proc != veiligv1connect.SyncServicePullProcedure {
			return next(ctx, req)
		}
		start := time.Now()
		res, err := next(ctx, req)
		took := time.Since(start)
		if proc == veiligv1connect.SyncServicePullProcedure {
			size := 0
			if msg, ok := res.(*connect.Response[veiligv1.PullResponse]); ok && err == nil {
				size = proto.Size(msg.Msg)
			}
			i.m.SyncPull(size, took)
			return res, err
		}
		outcomes := map[metrics.MutationOutcome]int{}
		if msg, ok := res.(*connect.Response[veiligv1.PushResponse]); ok && err == nil {
			for _, r := range msg.Msg.GetResults() {
				outcomes[mutationOutcome(r.GetOutcome())]++
			}
		}
		i.m.SyncPush(pushOutcome(err), outcomes, took)
		return res, err
	}
}

// WrapStreamingClient implements connect.Interceptor.
func (syncMetrics) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor: streams (Subscribe) are not timed.
func (syncMetrics) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

func mutationOutcome(o veiligv1.MutationOutcome) metrics.MutationOutcome {
	switch o {
	case veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED:
		return metrics.MutationApplied
	case veiligv1.MutationOutcome_MUTATION_OUTCOME_MERGED:
		return metrics.MutationMerged
	case veiligv1.MutationOutcome_MUTATION_OUTCOME_CONFLICT_RECORDED:
		return metrics.MutationConflict
	}
	return metrics.MutationRejected
}

// pushOutcome is ok, error when the server or its database failed (codes a client cannot
// cause), or refused for everything the caller caused: authentication, access, validation,
// limits, a cancelled call.
func pushOutcome(err error) metrics.PushOutcome {
	if err == nil {
		return metrics.PushOK
	}
	switch connect.CodeOf(err) {
	case connect.CodeInternal, connect.CodeUnknown, connect.CodeUnavailable, connect.CodeDataLoss,
		connect.CodeDeadlineExceeded, connect.CodeUnimplemented:
		return metrics.PushError
	}
	return metrics.PushRefused
}

// answerKey marks a family page request so that familyStore can say the answer was recorded.
type answerKey struct{}

// familyAnswers counts the answers posted to the family page by result: recorded when the
// check-in was written (familyStore.FamilyAnswer), limited when the page answered 429, and
// refused for every other post that recorded nothing (a stale form, a wrong PIN, an unknown
// link). Which answer a family gave is never looked at.
func familyAnswers(m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		recorded := new(bool)
		sw := &server.Recorder{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), answerKey{}, recorded)))
		switch {
		case *recorded:
			m.FamilyAnswer(metrics.AnswerRecorded)
		case sw.Status() == http.StatusTooManyRequests:
			m.FamilyAnswer(metrics.AnswerLimited)
		case sw.Status() < http.StatusInternalServerError:
			m.FamilyAnswer(metrics.AnswerRefused)
		}
	})
}

// FamilyAnswer is household.Service.FamilyAnswer, marking the request's answer recorded for
// familyAnswers when it stored a check-in (a wrong PIN records none).
func (f familyStore) FamilyAnswer(ctx context.Context, p household.FamilyAnswerParams) (*store.Link, error) {
	out, err := f.Service.FamilyAnswer(ctx, p)
	if recorded, ok := ctx.Value(answerKey{}).(*bool); ok && err == nil && p.CheckIn != nil {
		*recorded = true
	}
	return out, err
}

var _ familylink.Store = familyStore{}
