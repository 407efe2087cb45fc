package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
)

// NewInterceptor returns a Connect interceptor that requires a valid Bearer token on every
// call and puts its Principal into the context. Refusals are Unauthenticated with a generic
// message; each is logged at info level, on the request's logger (zerolog.Ctx, which the
// server gives the request's id), with the procedure, the reason and the issuer when it is a
// trusted one: never the token, its subject or anything else a client wrote.
func NewInterceptor(v *Verifier) connect.Interceptor { return &interceptor{v: v} }

type interceptor struct{ v *Verifier }

var errMissing = errors.New("missing bearer token")

func (i *interceptor) authenticate(ctx context.Context, procedure string, h http.Header) (context.Context, error) {
	raw := h.Get("Authorization")
	scheme, token, ok := strings.Cut(raw, " ")
	if raw == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		i.refused(ctx, procedure, &refusal{reason: "no bearer token in the Authorization header"})
		return nil, connect.NewError(connect.CodeUnauthenticated, errMissing)
	}
	p, r := i.v.verify(strings.TrimSpace(token))
	if r != nil {
		i.refused(ctx, procedure, r)
		return nil, connect.NewError(connect.CodeUnauthenticated, ErrInvalidToken)
	}
	return WithPrincipal(ctx, p), nil
}

// refused records a refusal: the verifier's failure hook, and one log line.
func (i *interceptor) refused(ctx context.Context, procedure string, r *refusal) {
	i.v.onFail(r.reason)
	ev := zerolog.Ctx(ctx).Info().Str("procedure", procedure).Str("reason", r.reason)
	if r.issuer != "" {
		ev = ev.Str("issuer", r.issuer)
	}
	ev.Msg("authentication failed")
}

// WrapUnary implements connect.Interceptor.
func (i *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := i.authenticate(ctx, req.Spec().Procedure, req.Header())
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient implements connect.Interceptor; clients are not wrapped.
func (i *interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (i *interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.authenticate(ctx, conn.Spec().Procedure, conn.RequestHeader())
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
