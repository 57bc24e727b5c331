package pdnd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/jose"
	gpdnd "github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
	"github.com/welfaregov/gateway/gateway/secerr"
	"gopkg.in/yaml.v3"
)

// startSim serves a simulator with the committed seed on a loopback port.
func startSim(t *testing.T, o Options) (*Simulator, *fault.Injector) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.BaseURL = "http://" + ln.Addr().String()
	o.RunDir = t.TempDir()
	if o.Faults == nil {
		o.Faults = fault.New(fault.Options{Seed: 1})
	}
	o.Hosts = map[string]string{"anpr": "http://anpr.test", "icef": "http://icef.test", "inps": "http://inps.test", "welfaregov": "https://wg.test"}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler()}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); _ = s.Close() })
	return s, o.Faults
}

// TestGeneratedCredentials: every seed key is on disk (private key 0600, public JWK with the RFC
// 7638 kid), the manifest names them, and the environment derives from the base URL.
func TestGeneratedCredentials(t *testing.T) {
	s, _ := startSim(t, Options{})
	var m Manifest
	b, err := os.ReadFile(s.ManifestFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "PRIVATE") || len(m.Clients) != len(DefaultSeed().Clients) {
		t.Fatalf("manifest: %s", b)
	}
	env := s.Environment()
	if m.Environment.TokenURL != env.TokenURL || !strings.HasSuffix(env.AssertionAudience, "/client-assertion") ||
		strings.Contains(env.AssertionAudience, "http") || env.Issuer != DefaultIssuer {
		t.Fatalf("environment %+v", env)
	}
	for _, c := range m.Clients {
		for _, k := range c.Keys {
			st, err := os.Stat(k.PrivateKeyFile)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("%s: %v %v", k.PrivateKeyFile, st.Mode(), err)
			}
			pem, _ := os.ReadFile(k.PrivateKeyFile)
			key, err := jose.ParsePrivateKey(pem)
			if err != nil {
				t.Fatal(err)
			}
			kid, _ := jose.Thumbprint(key.Public())
			raw, _ := os.ReadFile(k.PublicJWKFile)
			pub, err := jose.ParsePublicJWK(raw)
			if err != nil || kid != k.Kid || !jose.EqualPublicKeys(pub, key.Public()) || !strings.Contains(string(raw), `"kid": "`+kid+`"`) {
				t.Fatalf("%s: kid %s vs %s, jwk %s (%v)", k.Name, kid, k.Kid, raw, err)
			}
			if filepath.Dir(k.PrivateKeyFile) != filepath.Join(filepath.Dir(s.ManifestFile()), "keys") {
				t.Fatalf("key outside the run directory: %s", k.PrivateKeyFile)
			}
		}
	}
	p, ok := s.PurposeFor("welfaregov", "anpr-c030")
	if !ok || p.Audience[0] != "http://anpr.test/govway/rest/in/MinInternoPortaANPR/C030-servizioAccertamentoIdUnicoNazionale/v1" {
		t.Fatalf("purpose %+v", p)
	}
}

// voucherFor obtains a voucher for a seed client and purpose through the real token client.
func voucherFor(t *testing.T, s *Simulator, client, purpose string) (*gpdnd.TokenResponse, error) {
	t.Helper()
	c, _ := s.Credential(client)
	pc := &gpdnd.Client{ClientID: c.ClientID, TokenURL: s.env.TokenURL, AssertionAudience: s.env.AssertionAudience, Signer: c.Signer}
	req := gpdnd.TokenRequest{}
	if purpose != "" {
		p, _ := s.Purpose(purpose)
		req.PurposeID = p.ID
	}
	return pc.RequestToken(context.Background(), req)
}

// verifier verifies vouchers of the simulator like a producer (JWKS over HTTP).
func verifier(t *testing.T, s *Simulator) *gpdnd.VoucherVerifier {
	jwks, err := gpdnd.NewJWKS(context.Background(), s.env.JWKSURL, gpdnd.WithRefetchInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jwks.Close() })
	return gpdnd.NewVoucherVerifier(s.env.Issuer, jwks)
}

func TestVouchersOfTheSeed(t *testing.T) {
	s, faults := startSim(t, Options{})
	v := verifier(t, s)
	p, _ := s.Purpose("welfaregov-icef")
	expect := &gpdnd.Expect{Audience: p.Audience[0], ProducerID: p.ProducerID, EServiceID: p.EServiceID, DescriptorID: p.DescriptorID, RequireIDs: true}
	tr, err := voucherFor(t, s, "welfaregov-eservizi", "welfaregov-icef")
	if err != nil {
		t.Fatal(err)
	}
	if tr.ExpiresIn != 300*time.Second { // the icef descriptor's lifespan
		t.Fatalf("expires_in %s", tr.ExpiresIn)
	}
	got, err := v.Verify(context.Background(), tr.AccessToken, gpdnd.Bearer, expect)
	if err != nil {
		t.Fatal(err)
	}
	if got.PurposeID != p.ID || got.ClientID != s.manifest.Clients[0].ClientID {
		t.Fatalf("%+v", got)
	}

	t.Run("fail/purpose-of-another-client", func(t *testing.T) {
		_, err := voucherFor(t, s, "comune-trento", "welfaregov-icef")
		wantCodes(t, err, pdndtest.CodeKeyNotFound, pdndtest.CheckPurposeNotFound)
	})
	t.Run("ok/m2m", func(t *testing.T) {
		tr, err := voucherFor(t, s, "pat-api", "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(context.Background(), tr.AccessToken, gpdnd.Bearer, expect)
		if secerr.CodeOf(err) != "voucher.aud_mismatch" && secerr.CodeOf(err) != "voucher.m2m_not_allowed" {
			t.Fatalf("an m2m voucher passed as an e-service voucher: %v", err)
		}
	})
	t.Run("fail/suspended-purpose", func(t *testing.T) {
		adminDo(t, "PUT", s.env.TokenURL[:len(s.env.TokenURL)-len("/token.oauth2")]+"/admin/purposes/welfaregov-icef", `{"purposeState":"SUSPENDED"}`, 200)
		defer adminDo(t, "PUT", strings.TrimSuffix(s.env.TokenURL, "/token.oauth2")+"/admin/purposes/welfaregov-icef", `{"purposeState":"ACTIVE"}`, 200)
		_, err := voucherFor(t, s, "welfaregov-eservizi", "welfaregov-icef")
		wantCodes(t, err, pdndtest.CodePlatformState, pdndtest.CheckPurposeInactive)
	})
	for name, c := range map[string]struct{ semantic, code string }{
		"fail/semantic-bad-signature": {SemanticBadSignature, "voucher.signature_invalid"},
		"fail/semantic-expired":       {SemanticExpiredVoucher, "voucher.expired"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := faults.Set(EndpointToken, fault.Spec{Semantic: c.semantic}); err != nil {
				t.Fatal(err)
			}
			defer faults.Clear(EndpointToken)
			tr, err := voucherFor(t, s, "welfaregov-eservizi", "welfaregov-icef")
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background(), tr.AccessToken, gpdnd.Bearer, expect)
			if secerr.CodeOf(err) != c.code {
				t.Fatalf("%v, want %s", err, c.code)
			}
		})
	}
	t.Run("ok/rotation-keeps-old-vouchers-valid-during-grace", func(t *testing.T) {
		base := strings.TrimSuffix(s.env.TokenURL, "/token.oauth2")
		old, _ := voucherFor(t, s, "welfaregov-eservizi", "welfaregov-icef")
		var out struct {
			Kid         string
			VoucherKids []string
		}
		json.Unmarshal(adminDo(t, "POST", base+"/admin/voucher-key/rotate?grace=1h", "", 200), &out)
		if len(out.VoucherKids) != 2 || out.VoucherKids[0] != out.Kid {
			t.Fatalf("%+v", out)
		}
		fresh, _ := voucherFor(t, s, "welfaregov-eservizi", "welfaregov-icef")
		for _, tok := range []string{old.AccessToken, fresh.AccessToken} {
			if _, err := v.Verify(context.Background(), tok, gpdnd.Bearer, expect); err != nil {
				t.Fatal(err)
			}
		}
		json.Unmarshal(adminDo(t, "POST", base+"/admin/voucher-key/rotate?grace=0s", "", 200), &out)
		if len(out.VoucherKids) != 1 {
			t.Fatalf("without grace the old keys leave the JWKS: %+v", out)
		}
		adminDo(t, "POST", base+"/admin/voucher-key/rotate?grace=soon", "", 400)
	})
	t.Run("fail/revoked-key", func(t *testing.T) {
		base := strings.TrimSuffix(s.env.TokenURL, "/token.oauth2")
		adminDo(t, "DELETE", base+"/admin/keys/comune-trento", "", 204)
		adminDo(t, "DELETE", base+"/admin/keys/comune-trento", "", 404)
		_, err := voucherFor(t, s, "comune-trento", "comune-trento-prestazioni")
		wantCodes(t, err, pdndtest.CodeKeyNotFound, pdndtest.CheckPurposeNotFound)
	})
}

// TestKeyAPI: a producer's PDND-API client looks consumer and producer keys up; the lookups need
// an m2m voucher.
func TestKeyAPI(t *testing.T) {
	s, _ := startSim(t, Options{})
	api, _ := s.Credential("mininterno-api")
	client := &gpdnd.Client{ClientID: api.ClientID, TokenURL: s.env.TokenURL, AssertionAudience: s.env.AssertionAudience, Signer: api.Signer}
	keys := gpdnd.NewKeyAPI(s.env.APIURL, gpdnd.NewVoucherCache(client))
	consumer, _ := s.Credential("welfaregov-eservizi")
	k, err := keys.ConsumerKey(context.Background(), consumer.Kid)
	if err != nil || k.ClientID != consumer.ClientID || !jose.EqualPublicKeys(k.Key, consumer.Signer.Public()) {
		t.Fatalf("%+v %v", k, err)
	}
	kc, _ := s.Keychain("welfaregov-risposte")
	pk, err := keys.ProducerKey(context.Background(), kc.Keys[0].Kid)
	if err != nil || pk.ProducerKeychainID != kc.ID {
		t.Fatalf("%+v %v", pk, err)
	}
	if _, err := keys.ConsumerKey(context.Background(), kc.Keys[0].Kid); !errors.Is(err, gpdnd.ErrKidUnknown) {
		t.Fatalf("a producer key is not a consumer key: %v", err)
	}
	// An e-service voucher does not open the PDND API.
	tr, _ := voucherFor(t, s, "welfaregov-eservizi", "welfaregov-icef")
	req, _ := http.NewRequest("GET", s.env.APIURL+"/keys/"+consumer.Kid, nil)
	req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestRateLimitAndFaults(t *testing.T) {
	s, faults := startSim(t, Options{RateLimit: 1, RateInterval: time.Hour})
	if _, err := voucherFor(t, s, "welfaregov-eservizi", "welfaregov-icef"); err != nil {
		t.Fatal(err)
	}
	_, err := voucherFor(t, s, "welfaregov-eservizi", "welfaregov-anpr-c030")
	var te *gpdnd.TokenError
	if !errors.As(err, &te) || te.Status != 429 || te.RetryAfter < 59*time.Minute || te.Codes()[0] != pdndtest.CodeTooManyRequests {
		t.Fatalf("%v", err)
	}
	// Another tenant has its own window.
	if _, err := voucherFor(t, s, "comune-trento", "comune-trento-prestazioni"); err != nil {
		t.Fatal(err)
	}
	if err := faults.Set(EndpointJWKS, fault.Spec{ErrorRate: 1, ErrorStatus: 503}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.env.JWKSURL)
	if err != nil {
		t.Fatal(err)
	}
	var p gpdnd.Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 503 || p.Status != 503 {
		t.Fatalf("%d %+v", resp.StatusCode, p)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	if _, err := New(Options{BaseURL: "ftp://x", RunDir: t.TempDir()}); err == nil {
		t.Error("ftp base URL accepted")
	}
	if _, err := New(Options{BaseURL: "http://127.0.0.1:1"}); err == nil {
		t.Error("no run directory accepted")
	}
	if _, err := New(Options{BaseURL: "http://127.0.0.1:1", RunDir: t.TempDir(), Hosts: map[string]string{}}); err == nil ||
		!strings.Contains(err.Error(), "no host for {{") {
		t.Errorf("unresolved placeholders accepted: %v", err)
	}
}

func wantCodes(t *testing.T, err error, codes ...string) {
	t.Helper()
	var te *gpdnd.TokenError
	if !errors.As(err, &te) || te.Status != 400 {
		t.Fatalf("want a 400 token error, got %v", err)
	}
	got := strings.Join(te.Codes(), " ")
	if !strings.HasPrefix(got, pdndtest.CodeUnableToGenerate+" "+strings.Join(codes, " ")) {
		t.Fatalf("codes %q, want %v after %s", got, codes, pdndtest.CodeUnableToGenerate)
	}
}

func adminDo(t *testing.T, method, url, body string, want int) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&b)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return b
}

// TestGatewayConfig: gateway-pdnd.yaml is a valid pdnd section of the gateway (strict decoding,
// Check loads both keys) naming the simulator's endpoints and the gateway's two clients.
func TestGatewayConfig(t *testing.T) {
	s, _ := startSim(t, Options{})
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(s.ManifestFile()), "gateway-pdnd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		PDND gpdnd.Config `yaml:"pdnd"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	ck := config.NewChecker()
	doc.PDND.Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	client, _ := s.Credential(GatewayClient)
	api, _ := s.Credential(GatewayAPIClient)
	if doc.PDND.Resolved() != s.Environment() || doc.PDND.Client.ClientID != client.ClientID || doc.PDND.APIClient.ClientID != api.ClientID {
		t.Fatalf("%+v", doc.PDND)
	}
	signer, err := doc.PDND.Client.Key.Load()
	if err != nil || signer.Kid() != client.Kid {
		t.Fatalf("client key: %v", err)
	}
}
