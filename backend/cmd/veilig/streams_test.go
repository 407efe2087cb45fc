package main_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// TestServeStreamLimitConfiguration: a stream cap that would refuse every stream, or a
// malformed environment value, stops the server at start with an error naming the setting.
func TestServeStreamLimitConfiguration(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"a device cap of zero", nil, []string{"--max-streams-per-device", "0"}, "--max-streams-per-device"},
		{"a negative professional cap", nil, []string{"--max-streams-per-professional", "-1"}, "--max-streams-per-professional"},
		{"a malformed VEILIG_MAX_STREAMS_PER_DEVICE", []string{"VEILIG_MAX_STREAMS_PER_DEVICE=two"}, nil, "VEILIG_MAX_STREAMS_PER_DEVICE"},
		{"a malformed VEILIG_MAX_STREAMS_PER_PROFESSIONAL", []string{"VEILIG_MAX_STREAMS_PER_PROFESSIONAL=8.5"}, nil, "VEILIG_MAX_STREAMS_PER_PROFESSIONAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", freeAddr(t)}, tt.args...)
			_, stderr, err := run(t, t.TempDir(), tt.env, args...)
			if err == nil {
				t.Fatalf("serve started:\n%s", stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("the error does not name %s:\n%s", tt.want, stderr)
			}
		})
	}
}

// TestServeStreamLimitFlag: --max-streams-per-device reaches the Subscribe handler: with a cap
// of one, a device's second stream is refused.
func TestServeStreamLimitFlag(t *testing.T) {
	dir := t.TempDir()
	lead := userFlag.FindStringSubmatch(veilig(t, dir, "demo"))
	if lead == nil {
		t.Fatal("demo printed no usable commands")
	}
	s, _ := startServe(t, dir, "--max-streams-per-device", "1", "--log-format", "json")
	tok := strings.TrimSpace(veilig(t, dir, "token", "--user", lead[1], "--device", "phone-1"))
	client := veiligv1connect.NewSyncServiceClient(http.DefaultClient, "http://"+s.addr)
	subscribe := func() (*connect.ServerStreamForClient[veiligv1.SubscribeResponse], error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		req := connect.NewRequest(&veiligv1.SubscribeRequest{})
		req.Header().Set("Authorization", "Bearer "+tok)
		stream, err := client.Subscribe(ctx, req)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { stream.Close() })
		if !stream.Receive() {
			return nil, stream.Err()
		}
		return stream, nil
	}
	if _, err := subscribe(); err != nil {
		t.Fatalf("the first stream: %v", err)
	}
	_, err := subscribe()
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeResourceExhausted || !strings.Contains(ce.Message(), "at most 1") {
		t.Fatalf("a second stream of the device: %v; want resource_exhausted, at most 1", err)
	}
	s.stop(t)
	if logs := s.logs.String(); !strings.Contains(logs, `"max_streams_per_device":1`) {
		t.Errorf("the start line does not log the cap:\n%s", logs)
	}
}
