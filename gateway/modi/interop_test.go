package modi_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/welfaregov/gateway/certs"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// Cross-implementation vectors (testdata/interop/README.md): tokens made by npm jose verify here,
// and tokens made here verify with npm jose.

var updateInterop = flag.Bool("update-interop", false, "regenerate testdata/interop/go-vectors.json and go-verdicts.json (needs node and npm)")

const interopDir = "testdata/interop"

// interopEnv is the simulated setting of the vectors (the same on both sides).
type interopEnv struct {
	Issuer            string `json:"issuer"`
	Audience          string `json:"audience"`
	AssertionAudience string `json:"assertionAudience"`
	URL               string `json:"url"`
	Method            string `json:"method"`
	ClientID          string `json:"clientId"`
	PurposeID         string `json:"purposeId"`
	ConsumerID        string `json:"consumerId"`
	ProducerID        string `json:"producerId"`
	EServiceID        string `json:"eserviceId"`
	DescriptorID      string `json:"descriptorId"`
}

var goEnv = interopEnv{Issuer: "uat.interop.pagopa.it", Audience: "https://api.welfaregov.example/rest/siuss/v1",
	AssertionAudience: "auth.uat.interop.pagopa.it/client-assertion", URL: "https://api.welfaregov.example/rest/siuss/v1/prestazioni",
	Method: "POST", ClientID: "6b2f1c4e-3d5a-4e6f-8a7b-9c0d1e2f3a4b", PurposeID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
	ConsumerID: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", ProducerID: "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f",
	EServiceID: "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f8a", DescriptorID: "5e6f7a8b-9c0d-4e1f-8a3b-4c5d6e7f8a9b"}

type joseVectors struct {
	Generator    string          `json:"generator"`
	Time         int64           `json:"time"`
	Env          interopEnv      `json:"env"`
	PDNDJWKS     json.RawMessage `json:"pdndJwks"`
	ConsumerJWKS json.RawMessage `json:"consumerJwks"`
	DPoPJkt      string          `json:"dpopJkt"`
	X5CRoot      string          `json:"x5cRoot"`
	Thumbprints  []struct {
		JWK        json.RawMessage `json:"jwk"`
		Thumbprint string          `json:"thumbprint"`
	} `json:"thumbprints"`
	Digests []struct {
		Body     string `json:"body"`
		Digest   string `json:"digest"`
		AuditHex string `json:"auditHex"`
	} `json:"digests"`
	Vectors []struct {
		Name      string            `json:"name"`
		Profile   string            `json:"profile"`
		Headers   map[string]string `json:"headers"`
		Body      string            `json:"body"`
		Assertion string            `json:"assertion"`
		Expect    string            `json:"expect"`
	} `json:"vectors"`
}

func readJWKS(t *testing.T, raw json.RawMessage) sectest.StaticKeys {
	t.Helper()
	set, err := jwk.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := sectest.StaticKeys{}
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, _ := k.KeyID()
		b, _ := json.Marshal(k)
		pub, err := jose.ParsePublicJWK(b)
		if err != nil {
			t.Fatal(err)
		}
		out[kid] = pub
	}
	return out
}

// TestInteropJoseVectorsVerifyInGo: every vector npm jose made is accepted or refused here, at
// the vectors' fixed time, exactly as recorded (the refusals with their code).
func TestInteropJoseVectorsVerifyInGo(t *testing.T) {
	var f joseVectors
	raw, err := os.ReadFile(filepath.Join(interopDir, "jose-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) < 9 || f.Time == 0 {
		t.Fatalf("jose-vectors.json is incomplete: %d vectors", len(f.Vectors))
	}
	at := time.Unix(f.Time, 0)
	clock := func() time.Time { return at }
	pdndKeys, consumerKeys := readJWKS(t, f.PDNDJWKS), readJWKS(t, f.ConsumerJWKS)
	pool, err := poolOf([]byte(f.X5CRoot))
	if err != nil {
		t.Fatal(err)
	}
	ids := modi.IDAuthPolicy{ProducerID: f.Env.ProducerID, EServiceID: f.Env.EServiceID, DescriptorID: f.Env.DescriptorID, RequireIDs: true}
	audit := modi.AuditPolicy{Pattern: modi.AuditREST02, RequiredClaims: []string{"userID", "userLocation", "LoA"}}
	dpopIDs := ids
	dpopIDs.DPoP = "required"
	profiles := map[string]*modi.Profile{}
	for name, p := range map[string]modi.Policy{
		"pdnd": {Audience: f.Env.Audience, IDAuth: ids, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02}, Audit: audit},
		"dpop": {Audience: f.Env.Audience, IDAuth: dpopIDs, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02}, Audit: audit},
		"x509": {Audience: f.Env.Audience, IDAuth: ids, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST01}},
	} {
		if profiles[name], err = p.Compile(name, modi.WithTrustPool(pool), modi.WithProfileClock(clock)); err != nil {
			t.Fatal(err)
		}
	}
	lookup := func(_ context.Context, kid string) (*pdnd.APIKey, error) {
		k, ok := consumerKeys[kid]
		if !ok {
			return nil, pdnd.ErrKidUnknown
		}
		return &pdnd.APIKey{KID: kid, ClientID: f.Env.ClientID, Key: k}, nil
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			if v.Assertion != "" {
				checkJoseAssertion(t, &f, consumerKeys, v.Assertion, v.Expect)
				return
			}
			st := sectest.NewMemory(t) // each vector on its own: they share jtis
			vouchers := pdnd.NewVoucherVerifier(f.Env.Issuer, pdndKeys, pdnd.WithClock(clock), pdnd.WithReplayStore(st))
			in := modi.NewInbound(vouchers, pdnd.NewDPoPVerifier(st, pdnd.WithDPoPClock(clock)), lookup, st, modi.WithInboundClock(clock))
			h := http.Header{}
			for k, val := range v.Headers {
				h.Set(k, val)
			}
			_, err := in.Verify(context.Background(), &modi.Request{Method: f.Env.Method, URL: f.Env.URL, Header: h, Body: []byte(v.Body)}, profiles[v.Profile])
			switch {
			case v.Expect == "valid" && err != nil:
				t.Fatalf("a valid jose vector is refused: %v", err)
			case v.Expect != "valid" && secerr.CodeOf(err) != v.Expect:
				t.Fatalf("got %v, want %s", err, v.Expect)
			}
		})
	}
	t.Run("thumbprints", func(t *testing.T) {
		for _, tp := range f.Thumbprints {
			pub, err := jose.ParsePublicJWK(tp.JWK)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := jose.Thumbprint(pub); got != tp.Thumbprint {
				t.Errorf("RFC 7638 thumbprint: Go %s, jose %s", got, tp.Thumbprint)
			}
		}
	})
	t.Run("digests", func(t *testing.T) {
		for _, d := range f.Digests {
			if got := modi.Digest([]byte(d.Body)); got != d.Digest {
				t.Errorf("Digest of %q: Go %s, node %s", d.Body, got, d.Digest)
			}
			if got := pdnd.AuditDigest(d.Body).Value; got != d.AuditHex {
				t.Errorf("audit hex of %q: Go %s, node %s", d.Body, got, d.AuditHex)
			}
		}
		// pdnd-modi.md §6, on both sides.
		if f.Digests[0].Body != `{"testo": "ciao mondo"}` || f.Digests[0].Digest != "SHA-256=cFfTOCesrWTLVzxn8fmHl4AcrUs40Lv5D275FmAZ96E=" {
			t.Errorf("the §6 vector: %+v", f.Digests[0])
		}
	})
}

// checkJoseAssertion posts a jose-made client assertion to the test PDND (the token endpoint's
// rules), at the vectors' time, with the vectors' client, key and purpose registered.
func checkJoseAssertion(t *testing.T, f *joseVectors, consumerKeys sectest.StaticKeys, assertion, expect string) {
	t.Helper()
	srv, err := pdndtest.New(sectest.NewMemory(t))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Now = func() time.Time { return time.Unix(f.Time, 0) }
	srv.AssertionAudiences = []string{f.Env.AssertionAudience}
	srv.AddClient(f.Env.ClientID, f.Env.ConsumerID, false)
	for _, k := range consumerKeys {
		if _, err := srv.AddClientKey(f.Env.ClientID, k); err != nil {
			t.Fatal(err)
		}
	}
	srv.AddPurpose(pdndtest.Purpose{ID: f.Env.PurposeID, EServiceID: f.Env.EServiceID, DescriptorID: f.Env.DescriptorID,
		ProducerID: f.Env.ProducerID, ConsumerID: f.Env.ConsumerID, Audience: []string{f.Env.Audience}}, f.Env.ClientID)
	resp, err := http.PostForm(srv.TokenURL, url.Values{"client_id": {f.Env.ClientID}, "client_assertion": {assertion},
		"client_assertion_type": {pdnd.ClientAssertionType}, "grant_type": {"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if expect == "valid" {
		if resp.StatusCode != 200 {
			var p pdnd.Problem
			_ = json.NewDecoder(resp.Body).Decode(&p)
			t.Fatalf("the token endpoint refuses a jose assertion: %d %+v", resp.StatusCode, p)
		}
		return
	}
	var p pdnd.Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	for _, e := range p.Errors {
		if e.Code == expect {
			return
		}
	}
	t.Fatalf("want check %s, got %d %+v", expect, resp.StatusCode, p)
}

func poolOf(pemData []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("no certificate in the PEM")
	}
	return pool, nil
}

// goVectors is what the Go side makes for jose to verify (go-vectors.json).
type goVectors struct {
	Generator    string          `json:"generator"`
	Time         int64           `json:"time"`
	Env          interopEnv      `json:"env"`
	PDNDJWKS     json.RawMessage `json:"pdndJwks"`
	ConsumerJWKS json.RawMessage `json:"consumerJwks"`
	X5CRoot      string          `json:"x5cRoot"`
	Vectors      []goVector      `json:"vectors"`
}

type goVector struct {
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Token      string            `json:"token,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       string            `json:"body"`
	JWK        json.RawMessage   `json:"jwk,omitempty"`
	Thumbprint string            `json:"thumbprint,omitempty"`
	Digest     string            `json:"digest,omitempty"`
	// Expect is valid or invalid: what a correct verifier must say.
	Expect string `json:"expect"`
}

func jwksOf(t testing.TB, s *jose.Signer) json.RawMessage {
	k, err := jose.PublicJWK(s.Public(), s.Kid())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"keys": []any{k}})
	return b
}

func newRSASigner(t testing.TB) *jose.Signer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return newSigner(t, key)
}

func newSigner(t testing.TB, key crypto.Signer, opts ...jose.Option) *jose.Signer {
	s, err := jose.NewSigner(key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// makeGoVectors signs every kind of token with the Go code, at now, with fresh keys.
func makeGoVectors(t testing.TB, now time.Time) *goVectors {
	e := goEnv
	pdndKey, consumer := newRSASigner(t), newRSASigner(t)
	dpopKey := newSigner(t, sectest.ECKey(t))
	validity := certs.WithValidity(now.Add(-time.Hour), now.Add(365*24*time.Hour))
	root, err := certs.NewRoot(certs.WithKeyType(certs.ECDSAP256), validity)
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.NewIntermediate(certs.WithKeyType(certs.ECDSAP256), validity)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue(certs.WithCommonName("ente.example"), validity) // RSA-2048
	if err != nil {
		t.Fatal(err)
	}
	x5c := newSigner(t, leaf.Key, jose.WithCertificates(leaf.Chain))
	out := &goVectors{Generator: "github.com/welfaregov/gateway gateway/modi interop_test.go", Time: now.Unix(), Env: e,
		PDNDJWKS: jwksOf(t, pdndKey), ConsumerJWKS: jwksOf(t, consumer), X5CRoot: string(certs.CertPEM(root.Root()))}
	add := func(v goVector) { out.Vectors = append(out.Vectors, v) }

	evidence, _, err := (&modi.AuditSigner{Signer: consumer, ClientID: e.ClientID}).SignEvidence(e.PurposeID, e.Audience,
		map[string]any{"userID": "operatore-7", "userLocation": "postazione-3", "LoA": "LoA3"}, now)
	if err != nil {
		t.Fatal(err)
	}
	voucher := func(change func(map[string]any)) string {
		c := map[string]any{"iss": e.Issuer, "aud": e.Audience + ",https://other.example/v1", "sub": e.ClientID, "client_id": e.ClientID,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": "v-" + now.Format("150405.000"),
			"purposeId": e.PurposeID, "producerId": e.ProducerID, "consumerId": e.ConsumerID, "eserviceId": e.EServiceID,
			"descriptorId": e.DescriptorID, "digest": pdnd.AuditDigest(evidence)}
		if change != nil {
			change(c)
		}
		tok, err := pdndKey.SignJSON(jose.SignHeader{Typ: "at+jwt", Kid: true, Extra: map[string]any{"use": "sig"}}, c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := voucher(nil)
	add(goVector{Name: "voucher/pdnd-shape", Kind: "voucher", Token: good, Expect: "valid"})
	add(goVector{Name: "voucher/expired", Kind: "voucher", Expect: "invalid", Token: voucher(func(c map[string]any) {
		c["iat"], c["nbf"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix(), now.Add(-50*time.Minute).Unix()
	})})
	add(goVector{Name: "voucher/signature-tampered", Kind: "voucher", Token: tamperSignature(good), Expect: "invalid"})

	client := &pdnd.Client{ClientID: e.ClientID, AssertionAudience: e.AssertionAudience, Signer: consumer, Now: func() time.Time { return now }}
	assertion, err := client.ClientAssertion(e.PurposeID, pdnd.AuditDigest(evidence))
	if err != nil {
		t.Fatal(err)
	}
	add(goVector{Name: "assertion/client", Kind: "assertion", Token: assertion, Expect: "valid"})

	body := `{"codiceFiscale":"RSSMRA80A01H501U","prestazione":"assegno di inclusione","importo":"500.00"}`
	request := func(auth string, signer *modi.MessageSigner, extra map[string]string) map[string]string {
		h := http.Header{"Content-Type": {"application/json"}}
		if err := signer.SignRequest(h, []byte(body), e.Audience, now); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{"Authorization": auth, "Content-Type": h.Get("Content-Type"), "Digest": h.Get(modi.DigestHeader),
			"Agid-JWT-Signature": h.Get(modi.SignatureHeader)}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	pdndSigner := &modi.MessageSigner{Signer: consumer, Issuer: e.ClientID}
	bearer := request("Bearer "+good, pdndSigner, map[string]string{"Agid-JWT-TrackingEvidence": evidence})
	add(goVector{Name: "request/bearer-integrity-audit", Kind: "request", Headers: bearer, Body: body, Expect: "valid"})
	add(goVector{Name: "request/body-tampered", Kind: "request", Headers: bearer, Body: strings.Replace(body, "500.00", "900.00", 1), Expect: "invalid"})
	dpopVoucher := voucher(func(c map[string]any) { c["cnf"] = map[string]string{"jkt": dpopKey.JKT()} })
	proof, err := pdnd.NewDPoPProof(dpopKey, e.Method, e.URL, dpopVoucher, now)
	if err != nil {
		t.Fatal(err)
	}
	add(goVector{Name: "request/dpop", Kind: "request", Body: body, Expect: "valid",
		Headers: request("DPoP "+dpopVoucher, pdndSigner, map[string]string{"DPoP": proof, "Agid-JWT-TrackingEvidence": evidence})})
	add(goVector{Name: "request/x5c-integrity", Kind: "request", Body: body, Expect: "valid",
		Headers: request("Bearer "+good, &modi.MessageSigner{Signer: x5c, X509: true, Issuer: e.ClientID}, nil)})
	for name, s := range map[string]*jose.Signer{"thumbprint/rsa": consumer, "thumbprint/ec-p256": dpopKey} {
		k, _ := jose.PublicJWK(s.Public(), "")
		b, _ := json.Marshal(k)
		add(goVector{Name: name, Kind: "thumbprint", JWK: b, Thumbprint: s.JKT(), Expect: "valid"})
	}
	for i, b := range []string{`{"testo": "ciao mondo"}`, `{"hello": "world"}`, "", body} {
		add(goVector{Name: "digest/" + string(rune('a'+i)), Kind: "digest", Body: b, Digest: modi.Digest([]byte(b)), Expect: "valid"})
	}
	return out
}

// tamperSignature changes one signature byte (the token stays well-formed).
func tamperSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 5
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

type joseVerdicts struct {
	Verifier string            `json:"verifier"`
	Verdicts map[string]string `json:"verdicts"`
}

// checkVerdicts compares jose's verdicts with what each vector expects.
func checkVerdicts(t *testing.T, v *goVectors, got *joseVerdicts) {
	t.Helper()
	for _, vec := range v.Vectors {
		verdict, ok := got.Verdicts[vec.Name]
		switch {
		case !ok:
			t.Errorf("%s: no verdict from jose", vec.Name)
		case vec.Expect == "valid" && verdict != "valid":
			t.Errorf("%s: jose says %q", vec.Name, verdict)
		case vec.Expect == "invalid" && !strings.HasPrefix(verdict, "invalid"):
			t.Errorf("%s: jose accepts a vector that must be refused", vec.Name)
		}
	}
}

// TestInteropGoVectorsVerifyInJose: the committed Go vectors have jose's recorded verdicts; and,
// with node and npm, freshly signed Go tokens are verified by jose now.
func TestInteropGoVectorsVerifyInJose(t *testing.T) {
	if *updateInterop {
		v := makeGoVectors(t, time.Now())
		writeJSON(t, filepath.Join(interopDir, "go-vectors.json"), v)
		writeJSON(t, filepath.Join(interopDir, "go-verdicts.json"), runJose(t, filepath.Join(interopDir, "go-vectors.json")))
	}
	t.Run("recorded", func(t *testing.T) {
		var v goVectors
		var got joseVerdicts
		readJSON(t, filepath.Join(interopDir, "go-vectors.json"), &v)
		readJSON(t, filepath.Join(interopDir, "go-verdicts.json"), &got)
		if len(v.Vectors) < 10 || !strings.HasPrefix(got.Verifier, "jose ") {
			t.Fatalf("incomplete record: %d vectors, verifier %q", len(v.Vectors), got.Verifier)
		}
		checkVerdicts(t, &v, &got)
	})
	t.Run("live", func(t *testing.T) {
		v := makeGoVectors(t, time.Now())
		file := filepath.Join(t.TempDir(), "vectors.json")
		writeJSON(t, file, v)
		got := runJose(t, file)
		checkVerdicts(t, v, got)
	})
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// runJose runs verify.mjs on a vectors file with the pinned jose, installed once with npm ci into
// a cache directory. Without node or npm the test is skipped, saying so.
func runJose(t *testing.T, vectors string) *joseVerdicts {
	t.Helper()
	node, nerr := exec.LookPath("node")
	npm, perr := exec.LookPath("npm")
	if err := errors.Join(nerr, perr); err != nil {
		t.Skipf("SKIPPED: jose interoperability needs node and npm on the PATH (CI has them): %v", err)
	}
	abs, err := filepath.Abs(vectors)
	if err != nil {
		t.Fatal(err)
	}
	dir := joseCache(t, npm)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "verify.mjs", abs)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("node verify.mjs: %v\n%s", err, errb.String())
	}
	var v joseVerdicts
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("verify.mjs output %q: %v", out.String(), err)
	}
	return &v
}

// joseCache prepares a directory with package.json, package-lock.json and verify.mjs and the
// pinned jose installed by npm ci (kept between runs; reinstalled when the lock file changes).
func joseCache(t *testing.T, npm string) string {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	lock, err := os.ReadFile(filepath.Join(interopDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := pdnd.AuditDigest(string(lock)).Value[:16]
	dir := filepath.Join(base, "welfaregov-gateway", "interop-jose-"+sum)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"package.json", "package-lock.json", "verify.mjs"} {
		b, err := os.ReadFile(filepath.Join(interopDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jose", "package.json")); err == nil {
		return dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s (installing the pinned jose): %v\n%s", dir, err, out)
	}
	return dir
}
