package app_test

import (
	"slices"
	"testing"

	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/mobile-api/careapi"
)

// TestCORSAllowsTheAppVersionHeader pins the server's CORS header list to the header the
// services read: package server cannot import careapi, so the name is written twice.
func TestCORSAllowsTheAppVersionHeader(t *testing.T) {
	for _, h := range []string{careapi.AppVersionHeader, "Authorization"} {
		if !slices.Contains(server.CORSAllowedHeaders(), h) {
			t.Errorf("a browser may not send %s: add it to backend/server/cors.go", h)
		}
	}
}
