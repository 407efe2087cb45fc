package careapi

import (
	"context"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"golang.org/x/mod/semver"
)

// AppVersionHeader is the request header in which the app (the phone replica's transport,
// the mobile facade) sends its semantic version, "1.4.2". RegisterDevice records it on the
// device; the minimum app version is checked against it (NewAppVersionInterceptor).
const AppVersionHeader = "X-Veilig-App-Version"

// NewAppVersionInterceptor refuses every request of an app older than minVersion (a
// semantic version, "1.4.0"; a leading "v" is optional) with FailedPrecondition and a message
// naming the minimum, so the app can tell its user to update: an app with a known flaw
// (one that leaks data, or breaks the sync contract) is shut out in one setting. A request
// without AppVersionHeader, or with a version that is not semantic, is refused the same way:
// an app too old to send the header is exactly what the minimum is for. An empty minVersion
// turns the check off, and NewAppVersionInterceptor then returns nil. It panics on a
// minVersion that is not a semantic version: callers validate configuration first
// (CheckAppVersion).
func NewAppVersionInterceptor(minVersion string) connect.Interceptor {
	if minVersion == "" {
		return nil
	}
	if err := CheckAppVersion(minVersion); err != nil {
		panic(fmt.Sprintf("careapi.NewAppVersionInterceptor: %v", err))
	}
	return appVersionInterceptor{min: canonicalVersion(minVersion), shown: strings.TrimPrefix(minVersion, "v")}
}

// CheckAppVersion reports whether v is a semantic version ("1.4.0" or "v1.4.0").
func CheckAppVersion(v string) error {
	if !semver.IsValid(canonicalVersion(v)) {
		return fmt.Errorf("%q is not a semantic version such as 1.4.0", v)
	}
	return nil
}

func canonicalVersion(v string) string {
	if v != "" && !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	return v
}

type appVersionInterceptor struct{ min, shown string }

// check is the refusal of an app older than the minimum, or nil.
func (i appVersionInterceptor) check(got string) error {
	v := canonicalVersion(strings.TrimSpace(got))
	if semver.IsValid(v) && semver.Compare(v, i.min) >= 0 {
		return nil
	}
	return connect.NewError(connect.CodeFailedPrecondition,
		fmt.Errorf("this app version is no longer supported: update the app to version %s or later", i.shown))
}

// WrapUnary implements connect.Interceptor.
func (i appVersionInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		if err := i.check(req.Header().Get(AppVersionHeader)); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient implements connect.Interceptor; clients are not wrapped.
func (i appVersionInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (i appVersionInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := i.check(conn.RequestHeader().Get(AppVersionHeader)); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
