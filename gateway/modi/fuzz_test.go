package modi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

func FuzzParseSignedHeaders(f *testing.F) {
	for _, s := range []string{`[{"digest":"SHA-256=x"},{"content-type":"application/json"}]`, `{"digest":"x"}`,
		`[{"a":"b","c":"d"}]`, `[{"digest":1}]`, `[]`, `[{"x":"\u00e9"}]`, `[{"digest":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := modi.ParseSignedHeaders(raw)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		var again []map[string]string
		for _, h := range got {
			if h.Name != strings.ToLower(h.Name) || seen[h.Name] || h.Name == "" {
				t.Fatalf("bad entry %+v in %s", h, raw)
			}
			seen[h.Name] = true
			again = append(again, map[string]string{h.Name: h.Value})
		}
		b, _ := json.Marshal(again)
		if again == nil {
			b = []byte("[]")
		}
		if round, err := modi.ParseSignedHeaders(b); err != nil || len(round) != len(got) {
			t.Fatalf("round trip of %s: %v", raw, err)
		}
	})
}

func FuzzParseDigest(f *testing.F) {
	for _, s := range []string{"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "sha-256=abc", "MD5=x,SHA-256=y", "", "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sum, err := modi.ParseDigest(v)
		if err == nil && modi.Digest(nil) == "" {
			t.Fatal("unreachable")
		}
		if err == nil && sum == [32]byte{} && !strings.Contains(v, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") {
			t.Fatalf("zero digest from %q", v)
		}
	})
}

// fuzzEnv is a provider without network: static PDND keys, a voucher signed by them.
type fuzzEnv struct {
	in      *modi.Inbound
	resp    *modi.ResponseVerifier
	voucher string
	profile *modi.Profile
	signer  *jose.Signer
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	clock := sectest.NewClock(sectest.Epoch)
	pdndKey, _ := jose.NewSigner(sectest.RSAKey(f, 0))
	consumer, _ := jose.NewSigner(sectest.RSAKey(f, 1))
	voucher, err := pdndKey.SignJSON(jose.SignHeader{Typ: "at+jwt", Kid: true}, map[string]any{
		"iss": "interop.pagopa.it", "aud": audience, "sub": clientID, "purposeId": purposeID,
		"iat": sectest.Epoch.Unix(), "exp": sectest.Epoch.Unix() + 600, "jti": "v1"})
	if err != nil {
		f.Fatal(err)
	}
	lookup := func(_ context.Context, kid string) (*pdnd.APIKey, error) {
		if kid == consumer.Kid() {
			return &pdnd.APIKey{KID: kid, ClientID: clientID, Key: consumer.Public()}, nil
		}
		return nil, pdnd.ErrKidUnknown
	}
	st := sectest.NewMemory(f)
	vv := pdnd.NewVoucherVerifier("interop.pagopa.it", sectest.StaticKeys{pdndKey.Kid(): pdndKey.Public()}, pdnd.WithClock(clock.Now))
	in := modi.NewInbound(vv, pdnd.NewDPoPVerifier(st, pdnd.WithDPoPClock(clock.Now)), lookup, st, modi.WithInboundClock(clock.Now))
	pol := modi.Policy{Audience: audience, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02}, Audit: modi.AuditPolicy{Pattern: modi.AuditREST02}}
	p, err := pol.Compile("fuzz")
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzEnv{in: in, resp: modi.NewResponseVerifier(lookup, nil, clock.Now), voucher: voucher, profile: p, signer: consumer}
}

func FuzzIntegrityToken(f *testing.F) {
	fe := newFuzzEnv(f)
	now := sectest.Epoch
	valid := signAs(f, fe.signer, false, merge(timeClaims(now), map[string]any{"iss": clientID, "aud": audience,
		"signed_headers": []map[string]string{{"digest": modi.Digest(body)}, {"content-type": contentType}}}), nil)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzaWduZWRfaGVhZGVycyI6e319.c2ln")
	f.Fuzz(func(t *testing.T, token string) {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+fe.voucher)
		h.Set("Content-Type", contentType)
		h.Set("Digest", modi.Digest(body))
		h.Set(modi.SignatureHeader, token)
		_, err := fe.in.Verify(context.Background(), &modi.Request{Method: "POST", URL: callURL, Header: h, Body: body}, fe.profile)
		sectest.CheckRefusal(t, err, token)
		_, err = fe.resp.Verify(context.Background(), h, body, &modi.ResponseExpect{Required: true})
		sectest.CheckRefusal(t, err, token)
	})
}

func FuzzTrackingEvidence(f *testing.F) {
	fe := newFuzzEnv(f)
	ev, _, err := (&modi.AuditSigner{Signer: fe.signer, ClientID: clientID}).SignEvidence(purposeID, audience, auditClaims, sectest.Epoch)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ev)
	f.Add(ev + "\n")
	f.Add("e30.e30.e30")
	pol := modi.Policy{Audience: audience, Audit: modi.AuditPolicy{Pattern: modi.AuditREST01}}
	p, err := pol.Compile("fuzz-audit")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, evidence string) {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+fe.voucher)
		h.Set(modi.TrackingEvidenceHeader, evidence)
		_, err := fe.in.Verify(context.Background(), &modi.Request{Method: "GET", URL: callURL, Header: h}, p)
		sectest.CheckRefusal(t, err, evidence)
	})
}

// plainIntegrityClaims is the integrity token's claims without their DecodeClaim: what
// encoding/json reads.
type plainIntegrityClaims modi.IntegrityClaims

// FuzzIntegrityClaims is differential: the integrity token's claims decoder without reflection
// reads any payload as encoding/json does (see sectest.DiffClaims).
func FuzzIntegrityClaims(f *testing.F) {
	for _, s := range []string{
		`{"iss":"c","sub":"c","aud":"https://e/v1","iat":1700000000,"nbf":1700000000,"exp":1700000300,"jti":"j",` +
			`"signed_headers":[{"digest":"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},{"content-type":"application/json"}]}`,
		`{"sub":1}`, `{"jti":null,"signed_headers":null}`, `{"aud":["a","b"],"exp":"1"}`, `{"jti":"a","jti":"b"}`, `{"Sub":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sectest.DiffClaims(t, data, &modi.IntegrityClaims{}, &plainIntegrityClaims{},
			"iat", "nbf", "exp", "iss", "sub", "aud", "jti", "signed_headers")
	})
}
