package fcmtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// post sends body to the FCM send URL through the fake's client, as the SDK would.
func post(t *testing.T, c *http.Client, url, body string) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	return resp, m
}

const sendURL = "https://fcm.googleapis.com/v1/projects/p1/messages:send"

func TestFake(t *testing.T) {
	for _, start := range []struct {
		name string
		new  func(t *testing.T) *Server
	}{
		{"New", func(*testing.T) *Server { return New() }},
		{"Serve", func(t *testing.T) *Server {
			s, err := Serve("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(start.name, func(t *testing.T) {
			s := start.new(t)
			defer s.Close()
			c := s.Client()
			if start.name == "Serve" {
				var err error
				if c, err = ClientFor(s.URL); err != nil {
					t.Fatal(err)
				}
			}

			resp, m := post(t, c, sendURL, `{"message":{"token":"a","data":{"kind":"alert"}}}`)
			if resp.StatusCode != 200 || m["name"] != "projects/p1/messages/1" {
				t.Fatalf("send: %d %v", resp.StatusCode, m)
			}

			s.FailToken("b", http.StatusTooManyRequests, CodeQuotaExceeded, 1)
			resp, m = post(t, c, sendURL, `{"message":{"token":"b"}}`)
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
				t.Fatalf("scripted failure: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			e := m["error"].(map[string]any)
			d := e["details"].([]any)[0].(map[string]any)
			if e["status"] != "RESOURCE_EXHAUSTED" || d["errorCode"] != CodeQuotaExceeded {
				t.Errorf("error body = %v", m)
			}
			if resp, _ = post(t, c, sendURL, `{"message":{"token":"b"}}`); resp.StatusCode != 200 {
				t.Errorf("second request for b: %d, want 200 (times was 1)", resp.StatusCode)
			}

			if resp, _ = post(t, c, sendURL, `{"message":`); resp.StatusCode != 400 {
				t.Errorf("malformed body: %d, want 400", resp.StatusCode)
			}
			if resp, _ = post(t, c, "https://fcm.googleapis.com/v1/other", `{}`); resp.StatusCode != 404 {
				t.Errorf("other path: %d, want 404", resp.StatusCode)
			}

			if s.Count() != 2 || len(s.Requests()) != 5 || len(s.ByToken("b")) != 1 {
				t.Errorf("count %d, requests %d, by token b %d; want 2, 5, 1", s.Count(), len(s.Requests()), len(s.ByToken("b")))
			}
			if got := s.Messages()[0]; got.Token != "a" || got.Data["kind"] != "alert" || got.Project != "p1" {
				t.Errorf("first message = %+v", got)
			}
			s.Reset()
			if len(s.Requests()) != 0 {
				t.Error("Reset kept requests")
			}
		})
	}
}
