package problem

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWriteHTTP(t *testing.T) {
	rec := httptest.NewRecorder()
	e := New(TooManyRequests, "slow down")
	e.RetryAfter = 1500 * time.Millisecond
	WriteHTTP(rec, e)
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 429 || rec.Header().Get("Content-Type") != ContentType || rec.Header().Get("Cache-Control") != "no-store" ||
		rec.Header().Get("Retry-After") != "2" || p.Status != 429 || p.Detail != "slow down" || p.Type != TooManyRequests.URI() {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteHTTP(rec, errors.New("dial tcp 10.0.0.7:5432: secret internals"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "10.0.0.7") {
		t.Fatalf("an unknown error: %d %s", rec.Code, rec.Body)
	}
}
