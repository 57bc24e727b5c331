package pdnd_test

import (
	"context"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
)

// fixture is a test PDND on loopback, a real pdnd.JWKS fetched from it, and a verifier on a fixed clock.
type fixture struct {
	srv      *pdndtest.Server
	jwks     *pdnd.JWKS
	v        *pdnd.VoucherVerifier
	clock    *sectest.Clock
	store    *sectest.FaultStore
	purpose  pdndtest.Purpose
	clientID string
	expect   pdnd.Expect
	// client is the consumer's e-service client (key 1), with a DPoP key.
	client *pdnd.Client
}

const (
	testAudience   = "https://api.welfaregov.example/rest/siuss/v1"
	testProducerID = "11111111-1111-4111-8111-111111111111"
	testEServiceID = "22222222-2222-4222-8222-222222222222"
	testDescriptor = "33333333-3333-4333-8333-333333333333"
	testConsumerID = "44444444-4444-4444-8444-444444444444"
	testPurposeID  = "55555555-5555-4555-8555-555555555555"
	testClientID   = "66666666-6666-4666-8666-666666666666"
	testAPIClient  = "77777777-7777-4777-8777-777777777777"
)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clock := sectest.NewClock(sectest.Epoch)
	st := sectest.NewFaultStore(sectest.NewMemory(t))
	srv, err := pdndtest.New(sectest.NewMemory(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.Now = clock.Now
	p := pdndtest.Purpose{ID: testPurposeID, EServiceID: testEServiceID, DescriptorID: testDescriptor,
		ProducerID: testProducerID, ConsumerID: testConsumerID, Audience: []string{testAudience, "https://other.example/v1"}}
	srv.AddClient(testClientID, testConsumerID, false)
	srv.AddPurpose(p, testClientID)
	signer, err := jose.NewSigner(sectest.RSAKey(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddClientKey(testClientID, signer.Public()); err != nil {
		t.Fatal(err)
	}
	dpopSigner, err := jose.NewSigner(sectest.ECKey(t))
	if err != nil {
		t.Fatal(err)
	}
	env := srv.Environment()
	jwks, err := pdnd.NewJWKS(context.Background(), env.JWKSURL, pdnd.WithJWKSClock(clock.Now), pdnd.WithRefetchInterval(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jwks.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := jwks.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		srv: srv, jwks: jwks, clock: clock, store: st, purpose: p, clientID: testClientID,
		v: pdnd.NewVoucherVerifier(pdndtest.Issuer, jwks, pdnd.WithClock(clock.Now), pdnd.WithReplayStore(st)),
		expect: pdnd.Expect{Audience: testAudience, ProducerID: testProducerID, EServiceID: testEServiceID,
			DescriptorID: testDescriptor, ReplayScope: "siuss"},
		client: &pdnd.Client{ClientID: testClientID, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience,
			Signer: signer, DPoP: dpopSigner, Now: clock.Now},
	}
	return f
}

// claims returns the claims of a valid consumer voucher at the fixture's time.
func (f *fixture) claims() map[string]any { return f.srv.VoucherClaims(f.purpose, f.clientID) }

// sign signs voucher claims with the test PDND's key.
func (f *fixture) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok, err := f.srv.SignVoucher(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
