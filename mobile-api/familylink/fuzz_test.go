package familylink

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The fuzz targets cover every parser of outside input. Their seed corpora run as unit
// tests; `go test -fuzz=FuzzAcceptLanguage ./mobile-api/familylink/` explores further.

func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{"", "nl", "en-GB,en;q=0.9", "ar;q=0.7, tr;q=0.5", "*", "en;q=NaN", "en;q=1e400",
		"pl;q=-1", ";;;,,,", "en;q=0.5;q=0.9", strings.Repeat("en,", 1000), "\x00", "ﬁ-ar;q=1", "ar_MA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := parseAcceptLanguage(h)
		if got != "" && texts[got] == nil {
			t.Fatalf("parseAcceptLanguage(%q) = %q, not supported", h, got)
		}
		if l := chooseLang("", h); texts[l] == nil {
			t.Fatalf("chooseLang = %q", l)
		}
	})
}

func FuzzTokenPath(f *testing.F) {
	tok, _ := NewToken()
	for _, s := range []string{"/c/" + tok, "/c/" + tok + "/", "/" + tok, tok, "/c/", "/c//" + tok, "/c/' OR 1=1 --",
		"/c/<script>alert(1)</script>", "/c/" + strings.Repeat("A", 10_000), "/c/" + tok[:42] + "=", "/c/" + tok + "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		token, ok := tokenFromPath(p)
		if ok && (!WellFormed(token) || strings.ContainsAny(token, "/<>'\" ") || !strings.HasSuffix(p, token)) {
			t.Fatalf("tokenFromPath(%q) = %q", p, token)
		}
	})
}

// FuzzHandlerPath sends made-up paths and queries through the whole handler: whatever comes
// in, the answer is a neutral page that echoes none of it.
func FuzzHandlerPath(f *testing.F) {
	e := newEnv(f, nil)
	tok, _ := e.link(linkOpts{})
	for _, s := range []string{"/c/" + tok, "/c/x", "/c/<b>bold</b>", "/c/%27%20OR%201=1", "/c/" + tok + "/../x"} {
		f.Add(s, "lang=en")
	}
	f.Add("/c/"+tok, "lang=<script>&lang=ar")
	f.Fuzz(func(t *testing.T, p, rawQuery string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path, r.URL.RawQuery = p, rawQuery
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusNotFound, http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d for %q", w.Code, p)
		}
		body := w.Body.String()
		if len(p) > 6 && strings.ContainsAny(p, "<>\"'") && strings.Contains(body, p) {
			t.Fatalf("path echoed into the page: %q", p)
		}
		if !strings.Contains(body, "<html lang=\"") || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatal("not our page")
		}
	})
}

func FuzzFormToken(f *testing.F) {
	now := t0
	good := newFormToken(testSecret, "hash", now)
	for _, s := range []string{good, "", ".", "1.", ".x", "99999999999999999999.x", "-1.abc", good + "x", strings.Repeat("9", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ft string) {
		if verifyFormToken(testSecret, "hash", ft, now) && ft != good {
			t.Fatalf("verifyFormToken accepted %q", ft) // a second spelling of a token would be a parser flaw
		}
		if verifyFormToken(testSecret, "other", ft, now) && ft == good {
			t.Fatal("a form token answers another link")
		}
		if verifyFormToken(testSecret, "hash", good, now.Add(FormTokenTTL+time.Second)) {
			t.Fatal("an old form token is accepted")
		}
	})
}

func FuzzClientAddress(f *testing.F) {
	for _, s := range []string{"192.0.2.1:80", "[2001:db8::1]:443", "2001:db8::1", "[::ffff:192.0.2.1]:1", "fe80::1%eth0",
		"garbage", "", "1.2.3.4, 5.6.7.8", strings.Repeat("9", 100)} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		for _, trust := range []bool{false, true} {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = remote
			r.Header.Set("X-Forwarded-For", xff)
			k := clientAddress(r, trust)
			if k == "" || len(k) > 64 {
				t.Fatalf("clientAddress(%q, %q) = %q", remote, xff, k)
			}
		}
	})
}

func FuzzQueryLang(f *testing.F) {
	for _, s := range []string{"lang=en", "a=b&lang=ar", "lang=%zz", "lang=", "&&&", "lang=nl&lang=en", "xlang=en"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{URL: &url.URL{RawQuery: raw}}
		if l := chooseLang(queryLang(r), ""); texts[l] == nil {
			t.Fatalf("chooseLang(queryLang(%q)) = %q", raw, l)
		}
	})
}
