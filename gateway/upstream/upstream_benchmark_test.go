package upstream

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// The runtime's whole overhead (breaker, bulkhead, quota check of an upstream without a budget,
// the attempt's context, a cloned request, the Authorizer, reading and re-wrapping the body,
// the answer check) around a loopback call, against a bare http.Client doing the same POST to the
// same server with an equally sized connection pool.
func BenchmarkRuntimeOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"esito":"OK"}`))
	}))
	defer srv.Close()
	st, _ := memory.New(memory.Options{})
	defer st.Close()
	r, err := New(Config{"bench": {BaseURL: srv.URL + "/", Auth: AuthNone}}, Deps{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	u, _ := r.Upstream("bench")
	bare := newHTTPClient(32, nil)
	body := []byte(`{"idOperazioneClient":"1","criteriRicerca":{"codiceFiscale":"RSSMRA80A01H501U"}}`)
	ctx := adapter.WithOperation(context.Background(), &adapter.Operation{Name: "C030", Idempotent: true})
	roundTrip := func(b *testing.B, do func(*http.Request) (*http.Response, error)) {
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/x", bytes.NewReader(body))
			resp, err := do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	benchcmp.Compare(b,
		func(b *testing.B) { roundTrip(b, bare.Do) },
		func(b *testing.B) {
			roundTrip(b, func(req *http.Request) (*http.Response, error) { return u.Do(ctx, req) })
		},
		1.3)
}
