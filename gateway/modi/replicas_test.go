package modi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/store"
)

// TestReplayAcrossReplicas: two gateway replicas, each with its own client of the shared store
// (the memory store of one process, and a real Redis with two connections): a signed request, a
// DPoP proof and an ID_AUTH_REST_02 voucher accepted by one are replays on the other.
func TestReplayAcrossReplicas(t *testing.T) {
	for name, stores := range map[string]func(t *testing.T) (store.Store, store.Store){
		"memory": func(t *testing.T) (store.Store, store.Store) { s := sectest.NewMemory(t); return s, s },
		"redis":  func(t *testing.T) (store.Store, store.Store) { a, b := sectest.NewRedisPair(t); return a, b },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			sa, sb := stores(t)
			a, b := e.replica(sa), e.replica(sb)
			ctx := context.Background()

			r := e.call(t, true, true)
			if _, err := a.Verify(ctx, r, e.profiles["pdnd"]); err != nil {
				t.Fatal(err)
			}
			_, err := b.Verify(ctx, r, e.profiles["pdnd"])
			sectest.WantCode(t, err, "integrity.replay")
			if _, err := b.Verify(ctx, e.call(t, true, true), e.profiles["pdnd"]); err != nil {
				t.Fatalf("a fresh signature on the other replica: %v", err)
			}

			c := &modi.Call{Method: "GET", URL: callURL, Header: http.Header{}, PurposeID: purposeID, Audience: audience, DPoP: true}
			if _, err := e.out.Prepare(ctx, c); err != nil {
				t.Fatal(err)
			}
			dr := &modi.Request{Method: "GET", URL: callURL, Header: c.Header}
			if _, err := b.Verify(ctx, dr, e.profiles["dpopreq"]); err != nil {
				t.Fatal(err)
			}
			_, err = a.Verify(ctx, dr, e.profiles["dpopreq"])
			sectest.WantCode(t, err, "dpop.replay")

			vr := request(e.voucherWith(t, e.client, nil), "")
			if _, err := a.Verify(ctx, vr, e.profiles["voucherjti"]); err != nil {
				t.Fatal(err)
			}
			_, err = b.Verify(ctx, vr, e.profiles["voucherjti"])
			sectest.WantCode(t, err, "voucher.replay")
		})
	}
}
