package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/cmd/pasim/sim/icef"
	"github.com/welfaregov/gateway/gateway/jose"
)

// The tests run the real binary, built once, against pasim started in-process (PDND with the
// committed seed, and the ICEF e-service verifying for real).
var (
	binary string
	pasim  *sim.Running
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return m.Run() // fuzzing runs in-process code only: no binary, no pasim
	}
	dir, err := os.MkdirTemp("", "modi-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "modi")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building modi: %v\n%s", err, out)
		return 1
	}
	pasim, err = sim.Start(context.Background(), sim.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pasim.Shutdown(context.Background())
	return m.Run()
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

func modiRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := modiRun(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("modi %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func TestUsage(t *testing.T) {
	if r := modiRun(t, ""); r.code != exitUsage || !strings.Contains(r.stderr, "Commands:") {
		t.Fatalf("no arguments: %+v", r)
	}
	if r := modiRun(t, "", "bogus"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "bogus"`) {
		t.Fatalf("unknown command: %+v", r)
	}
	for _, cmd := range []string{"keygen", "assertion", "voucher", "sign", "verify", "inspect", "call"} {
		if r := modiRun(t, "", cmd, "--help"); r.code != exitOK || !strings.Contains(r.stderr, "Usage: modi "+cmd) {
			t.Errorf("%s --help: %+v", cmd, r)
		}
		if r := modiRun(t, "", cmd); r.code != exitUsage || !strings.Contains(r.stderr, "modi "+cmd+": ") {
			t.Errorf("%s without flags: %+v", cmd, r)
		}
	}
	for _, args := range [][]string{
		{"keygen", "--out"},
		{"sign", "--method", "post", "--url", "https://x/y", "--key", "k", "--aud", "a"},
		{"sign", "--method", "POST", "--url", "relative/path", "--key", "k", "--aud", "a"},
		{"verify", "--jwks", "f", "--iss", "i", "--aud", "a", "--header", "no-colon"},
		{"verify", "--jwks", "f", "--iss", "i", "--aud", "a", "--header", "X: y", "--profile", "INTEGRITY_REST_03"},
		{"inspect", "--kind", "nope", "x.y.z"},
		{"voucher", "--token-url", "http://x/t", "--client-id", "c", "--key", "k", "--audit", "userID=1"},
	} {
		if r := modiRun(t, "", args...); r.code != exitUsage {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "", "keygen", "--out", dir, "--name", "ente")
	st, err := os.Stat(filepath.Join(dir, "ente.key.pem"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", st, err)
	}
	pem, _ := os.ReadFile(filepath.Join(dir, "ente.key.pem"))
	key, err := jose.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := jose.Thumbprint(key.Public())
	raw, _ := os.ReadFile(filepath.Join(dir, "ente.jwk.json"))
	var jwk map[string]any
	_ = json.Unmarshal(raw, &jwk)
	if jwk["kid"] != kid || jwk["d"] != nil || !strings.Contains(out, kid) || len(kid) != 43 {
		t.Fatalf("kid %s, jwk %s, out %s", kid, raw, out)
	}
	if r := modiRun(t, "", "keygen", "--out", dir, "--name", "ente"); r.code != exitFail || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("overwrote a key: %+v", r)
	}
}

// setup is a consumer made with keygen and registered on the simulated PDND.
type setup struct {
	dir, key, kid, clientID, purposeID, aud, tokenURL string
	apiToken                                          string
	icefURL                                           string
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	s := &setup{dir: t.TempDir()}
	mustRun(t, "", "keygen", "--out", s.dir, "--name", "client")
	s.key = filepath.Join(s.dir, "client.key.pem")
	pem, _ := os.ReadFile(s.key)
	key, _ := jose.ParsePrivateKey(pem)
	cred, _ := pasim.PDND.Credential("welfaregov-eservizi")
	var err error
	if s.kid, err = pasim.PDND.Authority().AddClientKey(cred.ClientID, key.Public()); err != nil {
		t.Fatal(err)
	}
	p, _ := pasim.PDND.Purpose("welfaregov-icef")
	s.clientID, s.purposeID, s.aud, s.tokenURL = cred.ClientID, p.ID, p.Audience[0], pasim.PDND.Environment().TokenURL
	s.icefURL = pasim.URLs["icef"] + icef.BasePath + "/indicatori/ricerca"
	api, _ := pasim.PDND.Credential("pat-api")
	var v voucherOutput
	_ = json.Unmarshal([]byte(mustRun(t, "", "voucher", "--token-url", s.tokenURL, "--client-id", api.ClientID, "--key", api.KeyFile)), &v)
	s.apiToken = v.AccessToken
	return s
}

// request is the headers and body of a consumer request made with voucher + sign.
type request struct {
	headers []string
	body    string
}

func (s *setup) request(t *testing.T, body string, signArgs ...string) request {
	t.Helper()
	var v voucherOutput
	out := mustRun(t, "", "voucher", "--token-url", s.tokenURL, "--client-id", s.clientID, "--purpose-id", s.purposeID,
		"--key", s.key, "--kid", s.kid, "--audit", "userID=operatore-1,userLocation=postazione-2", "--audit-aud", s.aud)
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.TokenType != "Bearer" || v.TrackingEvidence == "" {
		t.Fatalf("voucher output %s: %v", out, err)
	}
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	_ = os.WriteFile(bodyFile, []byte(body), 0o644)
	args := append([]string{"sign", "--method", "POST", "--url", s.icefURL, "--body", bodyFile, "--key", s.key,
		"--aud", s.aud, "--client-id", s.clientID}, signArgs...)
	signed := strings.Split(strings.TrimSpace(mustRun(t, "", args...)), "\n")
	headers := append([]string{"Authorization: Bearer " + v.AccessToken, "Agid-JWT-TrackingEvidence: " + v.TrackingEvidence}, signed...)
	return request{headers: headers, body: body}
}

// verify runs modi verify on a request as the ICEF e-service would check it, with AUDIT_REST_02.
func (s *setup) verify(t *testing.T, req request, extra ...string) (result, verdict) {
	t.Helper()
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	_ = os.WriteFile(bodyFile, []byte(req.body), 0o644)
	env := pasim.PDND.Environment()
	args := []string{"verify", "--jwks", env.JWKSURL, "--iss", env.Issuer, "--aud", s.aud, "--keys-url", env.APIURL,
		"--keys-token", s.apiToken, "--profile", "INTEGRITY_REST_02,AUDIT_REST_02", "--body", bodyFile, "--url", s.icefURL}
	for _, h := range req.headers {
		args = append(args, "--header", h)
	}
	r := modiRun(t, "", append(args, extra...)...)
	var v verdict
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("verdict %q: %v (%s)", r.stdout, err, r.stderr)
	}
	return r, v
}

const icefBody = `{"codiceFiscale":"RSSMRA80A01H501U","politica":"assegno-unico-provinciale","anno":2025}`

// TestKeygenVoucherSignVerify: a request made with the CLI verifies; each single tampering fails
// with its own code.
func TestKeygenVoucherSignVerify(t *testing.T) {
	s := newSetup(t)
	good := s.request(t, icefBody)
	r, v := s.verify(t, good)
	if r.code != exitOK || !v.Valid || len(v.Claims) != 3 {
		t.Fatalf("exit %d verdict %+v %s", r.code, v, r.stderr)
	}
	var vc map[string]any
	_ = json.Unmarshal(v.Claims["voucher"], &vc)
	if vc["purposeId"] != s.purposeID || vc["digest"] == nil {
		t.Fatalf("voucher claims %v", vc)
	}

	replace := func(req request, name, value string) request {
		out := request{body: req.body}
		for _, h := range req.headers {
			if strings.HasPrefix(h, name+": ") {
				h = name + ": " + value
			}
			out.headers = append(out.headers, h)
		}
		return out
	}
	other := s.request(t, icefBody, "--audit", "userID=x,userLocation=y", "--purpose-id", s.purposeID)
	var otherEvidence string
	for _, h := range other.headers {
		if v, ok := strings.CutPrefix(h, "Agid-JWT-TrackingEvidence: "); ok {
			otherEvidence = v // the one sign made, not bound to the voucher
		}
	}
	if otherEvidence == "" {
		t.Fatalf("sign --audit made no evidence: %v", other.headers)
	}
	replay := filepath.Join(t.TempDir(), "replay")
	for name, tc := range map[string]struct {
		req   request
		extra []string
		code  string
	}{
		"fail/body":           {request{headers: good.headers, body: strings.Replace(icefBody, "2025", "2024", 1)}, nil, "integrity.digest_mismatch"},
		"fail/signed-header":  {replace(good, "Content-Type", "application/json; charset=utf-8"), nil, "integrity.signed_header_mismatch"},
		"fail/integrity-aud":  {s.request(t, icefBody, "--aud", "https://other.example/v1"), nil, "integrity.aud_mismatch"},
		"fail/expired":        {s.request(t, icefBody, "--now", "2020-01-01T00:00:00Z"), nil, "integrity.expired"},
		"fail/voucher-aud":    {good, []string{"--aud", "https://other.example/v1"}, "voucher.aud_mismatch"},
		"fail/digest-binding": {replace(good, "Agid-JWT-TrackingEvidence", otherEvidence), nil, "audit.digest_mismatch"},
		"fail/unknown-issuer": {good, []string{"--iss", "interop.pagopa.it"}, "voucher.iss_mismatch"},
		"fail/replay":         {good, []string{"--replay-file", replay}, "integrity.replay"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "fail/replay" {
				if r, v := s.verify(t, tc.req, tc.extra...); r.code != exitOK {
					t.Fatalf("first verification: %+v", v)
				}
			}
			r, v := s.verify(t, tc.req, tc.extra...)
			if r.code != exitFail || v.Valid || len(v.Errors) != 1 || v.Errors[0].Code != tc.code {
				t.Fatalf("exit %d verdict %+v", r.code, v)
			}
		})
	}
}

// TestAssertion: the client assertion holds PDND's whitelist and the evidence digest, without the
// trailing newline of the file.
func TestAssertion(t *testing.T) {
	s := newSetup(t)
	ev := filepath.Join(t.TempDir(), "evidence.jwt")
	_ = os.WriteFile(ev, []byte("eyJhbGciOiJIUzI1NiIsImtpZCI6IlptWXhaR0UyWWpRdE16WTJZeTAwTldJNUxUaGpOR0l0TURKbVltUXlaR0l5TW1aaCIsInR5cCI6ImF0K2p3dCJ9.eyJqdGkiOiJkc2Zkc2Zkc2ZkcyIsImEiOiJiIn0.2QcY5UpoE2PgJhe1FKnHx-SZZq_NS6AKDTlfFdpVP9Q\n"), 0o644)
	a := strings.TrimSpace(mustRun(t, "", "assertion", "--client-id", s.clientID, "--purpose-id", s.purposeID, "--key", s.key, "--audit-jwt", ev))
	tok, err := jose.Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	_ = json.Unmarshal(tok.Payload, &c)
	d, _ := c["digest"].(map[string]any)
	// pdnd-modi.md §6: the hex SHA-256 of exactly these bytes, no newline.
	if d["value"] != "79ba8c02000c582fbd1631197e83640d0fb0ecb33f1ef641e7c633ac3df556e5" || d["alg"] != "SHA256" ||
		c["aud"] != "auth.interop.pagopa.it/client-assertion" || c["nbf"] != nil || tok.Header.Kid != s.kid {
		t.Fatalf("claims %v header %+v", c, tok.Header)
	}
	if r := modiRun(t, "", "inspect", "--json", a); r.code != exitOK {
		t.Fatalf("inspect finds problems in a good assertion: %s", r.stdout)
	}
}

// TestCall: a complete call to the ICEF simulator, which verifies for real.
func TestCall(t *testing.T) {
	s := newSetup(t)
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	_ = os.WriteFile(bodyFile, []byte(icefBody), 0o644)
	base := []string{"call", "--url", s.icefURL, "--body", bodyFile, "--token-url", s.tokenURL, "--client-id", s.clientID,
		"--purpose-id", s.purposeID, "--key", s.key, "--audience", s.aud}
	r := modiRun(t, "", append(base, "--integrity")...)
	// 404 is ICEF's answer for a person without an indicator: the call passed the security checks.
	if !strings.Contains(r.stdout, "404 Not Found") || !strings.Contains(r.stdout, "icef") {
		t.Fatalf("%+v", r)
	}
	r = modiRun(t, "", base...)
	if r.code != exitFail || !strings.Contains(r.stdout, "400 Bad Request") || !strings.Contains(r.stdout, "integrity.missing") {
		t.Fatalf("without --integrity: %+v", r)
	}
}
