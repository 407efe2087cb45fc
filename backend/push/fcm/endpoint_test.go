package fcm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/veilig/veilig/backend/push"
	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
)

// seen records the path and Authorization header of every request it lets through.
type seen struct {
	mu    sync.Mutex
	paths []string
	auth  []string
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (s *seen) get() (paths, auth []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...), append([]string(nil), s.auth...)
}

// countingTransport counts the requests that went through it.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestEndpoint pins that Config.Endpoint reaches the SDK: if an SDK upgrade stopped honouring
// option.WithEndpoint, the messages would go to fcm.googleapis.com and these tests would fail.
func TestEndpoint(t *testing.T) {
	// Not parallel: t.Setenv. Application default credentials that point at a missing file
	// make New fail if it looks at them at all, so passing here proves an endpoint without
	// credentials never consults them.
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))

	deliver := func(t *testing.T, cfg Config) {
		t.Helper()
		s, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		res := send(t, s, []push.Message{{Token: "tok", Kind: push.KindAlert, Ref: "r"}})
		if res[0].Outcome != push.Delivered {
			t.Fatalf("outcome %v (%s), want delivered", res[0].Outcome, res[0].Reason)
		}
	}

	t.Run("sends to the base URL without credentials", func(t *testing.T) {
		fake := fcmtest.New()
		t.Cleanup(fake.Close)
		var rec seen
		srv := httptest.NewServer(rec.wrap(fake))
		t.Cleanup(srv.Close)
		deliver(t, Config{ProjectID: project, Endpoint: srv.URL + "/"})
		paths, auth := rec.get()
		if len(paths) != 1 || paths[0] != "/v1/projects/"+project+"/messages:send" {
			t.Fatalf("paths = %q, want one /v1/projects/%s/messages:send", paths, project)
		}
		if auth[0] != "" {
			t.Errorf("request carried an Authorization header, want none")
		}
	})

	t.Run("keeps a path prefix", func(t *testing.T) {
		fake := fcmtest.New()
		t.Cleanup(fake.Close)
		srv := httptest.NewServer(http.StripPrefix("/fcm", fake))
		t.Cleanup(srv.Close)
		deliver(t, Config{ProjectID: project, Endpoint: srv.URL + "/fcm"})
		if fake.Count() != 1 {
			t.Errorf("fake accepted %d messages, want 1", fake.Count())
		}
	})

	t.Run("combines with an HTTP client", func(t *testing.T) {
		fake := fcmtest.New()
		t.Cleanup(fake.Close)
		var tr countingTransport
		deliver(t, Config{ProjectID: project, Endpoint: fake.URL, HTTPClient: &http.Client{Transport: &tr}})
		if tr.count() != 1 || fake.Count() != 1 {
			t.Errorf("%d requests through the client, %d messages at the fake; want 1, 1", tr.count(), fake.Count())
		}
	})
}

func TestEndpointRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      Config
		wantErr  string
		mustHide string // a secret the error must not repeat
	}{
		{name: "no scheme", cfg: Config{Endpoint: "127.0.0.1:9099"}, wantErr: "not a URL"},
		{name: "other scheme", cfg: Config{Endpoint: "ftp://127.0.0.1:9099"}, wantErr: "not an http or https base URL"},
		{name: "no host", cfg: Config{Endpoint: "http://"}, wantErr: "not an http or https base URL"},
		{name: "password", cfg: Config{Endpoint: "http://u:hunter2@127.0.0.1:9099"}, wantErr: "not an http or https base URL", mustHide: "hunter2"},
		{name: "query", cfg: Config{Endpoint: "http://127.0.0.1:9099?key=1"}, wantErr: "not an http or https base URL"},
		{name: "fragment", cfg: Config{Endpoint: "http://127.0.0.1:9099#x"}, wantErr: "not an http or https base URL"},
		{name: "with a credentials file", cfg: Config{Endpoint: "http://127.0.0.1:9099", CredentialsFile: "key.json"}, wantErr: "CredentialsFile must be empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.ProjectID = project
			_, err := New(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New(%+v) error = %v, want one containing %q", tc.cfg, err, tc.wantErr)
			}
			if tc.mustHide != "" && strings.Contains(err.Error(), tc.mustHide) {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}

// TestHTTPClientAlone keeps the older way working: a client that reaches the fake by itself
// (fcmtest's rewriting transport, test code only), with no Endpoint.
func TestHTTPClientAlone(t *testing.T) {
	t.Parallel()
	fake := fcmtest.New()
	t.Cleanup(fake.Close)
	s, err := New(context.Background(), Config{ProjectID: project, HTTPClient: fake.Client()})
	if err != nil {
		t.Fatal(err)
	}
	res := send(t, s, []push.Message{{Token: "tok", Kind: push.KindAlert, Ref: "r"}})
	if res[0].Outcome != push.Delivered || fake.Count() != 1 {
		t.Errorf("outcome %v (%s), fake count %d; want delivered, 1", res[0].Outcome, res[0].Reason, fake.Count())
	}
}
