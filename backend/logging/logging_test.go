package logging_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/veilig/veilig/backend/logging"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name, format, level string
		wantErr             bool
		wantJSON            bool
	}{
		{"json at info writes JSON lines", "json", "info", false, true},
		{"auto on a non-terminal writes JSON", "auto", "debug", false, true},
		{"console writes readable lines", "console", "info", false, false},
		{"an unknown format is an error", "xml", "info", true, false},
		{"an unknown level is an error", "json", "loud", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := logging.New(&buf, tt.format, tt.level)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			log.Info().Str("k", "v").Msg("hello")
			var m map[string]any
			isJSON := json.Unmarshal(buf.Bytes(), &m) == nil
			if isJSON != tt.wantJSON || !strings.Contains(buf.String(), "hello") {
				t.Fatalf("output %q, want JSON %v", buf.String(), tt.wantJSON)
			}
			if isJSON && m["time"] == nil {
				t.Fatal("no timestamp")
			}
		})
	}
}
