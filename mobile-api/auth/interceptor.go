package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"connectrpc.com/connect"
)

// NewInterceptor returns a Connect interceptor that requires a valid Bearer token on every
// call and puts its Principal into the context. Refusals are Unauthenticated with a generic
// message.
func NewInterceptor(v *Verifier) connect.Interceptor { return &interceptor{v: v} }

type interceptor struct{ v *Verifier }

var errMissing = errors.New("missing bearer token")

func (i *interceptor) authenticate(ctx context.Context, h http.Header) (context.Context, error) {
	raw := h.Get("Authorization")
	scheme, token, ok := strings.Cut(raw, " ")
	if raw == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, connect.NewError(connect.CodeUnauthenticated, errMissing)
	}
	p, err := i.v.Verify(strings.TrimSpace(token))
	if err != nil {
		return nil, connect.NewError(connect.CodeUnauthenticated, ErrInvalidToken)
	}
	return WithPrincipal(ctx, p), nil
}

// WrapUnary implements connect.Interceptor.
func (i *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := i.authenticate(ctx, req.Header())
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
		ctx, err := i.authenticate(ctx, conn.RequestHeader())
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
