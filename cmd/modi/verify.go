package main

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// verdict is what `modi verify` prints.
type verdict struct {
	Valid  bool                       `json:"valid"`
	Errors []verdictError             `json:"errors"`
	Claims map[string]json.RawMessage `json:"claims"`
}

type verdictError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("verify", "--jwks URL|FILE --iss ISS --aud AUD [--keys FILE | --keys-url URL --keys-token TOKEN] [--trust FILE] [--profile LIST] [--body FILE] --header 'Name: value'...", stderr)
	jwksSrc := fs.String("jwks", "", "PDND voucher keys: the environment's JWKS URL (https://uat.interop.pagopa.it/.well-known/jwks.json) or a JWKS file")
	iss := fs.String("iss", "", "voucher issuer of the environment (interop.pagopa.it, uat.interop.pagopa.it ...)")
	aud := fs.String("aud", "", "the e-service audience, as published on its PDND descriptor")
	keysFile := fs.String("keys", "", "JWKS file of the consumer keys (kid of Agid-JWT-Signature and Agid-JWT-TrackingEvidence), instead of the PDND API")
	keysURL := fs.String("keys-url", "", "PDND API v2 base URL for GET /keys/{kid} (https://api.uat.interop.pagopa.it/v2)")
	keysToken := fs.String("keys-token", "", "voucher of a PDND-API client for --keys-url (modi voucher without --purpose-id)")
	trust := fs.String("trust", "", "PEM file of the X.509 roots trusted for x5c tokens (INTEGRITY_REST_01, AUDIT_REST_01, --id-auth-trust x509)")
	profile := fs.String("profile", "", "comma list of the e-service's patterns: ID_AUTH_REST_01|02, INTEGRITY_REST_01|02, AUDIT_REST_01|02, DPOP (default: the voucher, plus INTEGRITY_REST_02 and AUDIT_REST_02 when their headers are present)")
	idTrust := fs.String("id-auth-trust", "pdnd", "pdnd (a PDND voucher in Authorization) or x509 (a ModI token with x5c)")
	auditTrust := fs.String("audit-trust", "pdnd", "pdnd (kid of a PDND key) or x509 (x5c; AUDIT_REST_01 only)")
	auditClaims := fs.String("audit-claims", "", "comma list of the audit claims the e-service requires (default userID,userLocation)")
	body := fs.String("body", "", "file with the exact body bytes received, or - for stdin")
	method := fs.String("method", "", "request method (default POST with a body, GET without)")
	target := fs.String("url", "", "URL the consumer called (default --aud): DPoP htu and request_url audiences are checked against it")
	replayFile := fs.String("replay-file", "", "file that remembers the jtis seen, so a request verified twice is refused as a replay (as replicas sharing Redis would)")
	now := fs.String("now", "", "verify as of this RFC 3339 time instead of the clock")
	var headers headerList
	fs.Var(&headers, "header", "a request header 'Name: value' (repeatable): Authorization, Digest, Agid-JWT-Signature, Content-Type ...")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "jwks", "iss", "aud"); err != nil {
		return err
	}
	if len(headers) == 0 {
		return usagef("give the request headers with --header 'Name: value'")
	}
	clock, err := (&clientFlags{now: now}).clock()
	if err != nil {
		return err
	}
	h := http.Header{}
	for _, line := range headers {
		name, value, _ := strings.Cut(line, ":")
		h.Add(name, strings.TrimSpace(value))
	}
	var b []byte
	if *body != "" {
		if b, err = readInput(*body, stdin); err != nil {
			return fmt.Errorf("--body: %w", err)
		}
	}
	policy, err := verifyPolicy(*aud, *profile, *idTrust, *auditTrust, *auditClaims, *trust, h)
	if err != nil {
		return err
	}
	p, err := policy.Compile("modi-verify", modi.WithProfileClock(clock))
	if err != nil {
		return usagef("the profile does not compile: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	voucherKeys, closeKeys, err := voucherKeySet(ctx, *jwksSrc)
	if err != nil {
		return err
	}
	defer closeKeys()
	lookup, err := consumerKeys(*keysFile, *keysURL, *keysToken)
	if err != nil {
		return err
	}
	mem, err := memory.New(memory.Options{})
	if err != nil {
		return err
	}
	defer mem.Close()
	st, err := openReplayFile(*replayFile, mem, clock)
	if err != nil {
		return err
	}
	vouchers := pdnd.NewVoucherVerifier(*iss, voucherKeys, pdnd.WithClock(clock), pdnd.WithReplayStore(st))
	in := modi.NewInbound(vouchers, pdnd.NewDPoPVerifier(st, pdnd.WithDPoPClock(clock)), lookup, st, modi.WithInboundClock(clock))
	m := *method
	if m == "" {
		m = "GET"
		if len(b) > 0 {
			m = "POST"
		}
	}
	u := *target
	if u == "" {
		u = *aud
	}
	v := verdict{Errors: []verdictError{}, Claims: map[string]json.RawMessage{}}
	res, verr := in.Verify(ctx, &modi.Request{Method: m, URL: u, Header: h, Body: b}, p)
	if verr != nil {
		code, msg := "verify.error", verr.Error()
		if e := secerr.As(verr); e != nil {
			code, msg = e.Code(), e.Detail
		}
		v.Errors = append(v.Errors, verdictError{Code: code, Message: msg})
	} else {
		v.Valid = true
		collectClaims(v.Claims, res, h)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	if !v.Valid {
		return errFailed
	}
	return nil
}

// verifyPolicy builds the e-service policy the request is checked against.
func verifyPolicy(aud, profile, idTrust, auditTrust, auditClaims, trust string, h http.Header) (*modi.Policy, error) {
	p := &modi.Policy{Audience: aud, TrustStore: trust, Audit: modi.AuditPolicy{Trust: auditTrust}}
	if auditTrust != "pdnd" && auditTrust != "x509" {
		return nil, usagef("--audit-trust %q is not pdnd or x509", auditTrust)
	}
	switch idTrust {
	case "pdnd", "x509":
		p.IDAuth.Trust = idTrust
	default:
		return nil, usagef("--id-auth-trust %q is not pdnd or x509", idTrust)
	}
	if auditClaims != "" {
		p.Audit.RequiredClaims = strings.Split(auditClaims, ",")
	}
	if profile == "" {
		if h.Get(modi.SignatureHeader) != "" {
			p.Integrity.Pattern = modi.IntegrityREST02
		}
		if h.Get(modi.TrackingEvidenceHeader) != "" {
			p.Audit.Pattern = modi.AuditREST02
		}
		return p, nil
	}
	for _, item := range strings.Split(profile, ",") {
		switch it := strings.ToUpper(strings.TrimSpace(item)); it {
		case modi.IDAuthREST01, modi.IDAuthREST02:
			p.IDAuth.Pattern = it
		case modi.IntegrityREST01, modi.IntegrityREST02:
			p.Integrity.Pattern = it
		case modi.AuditREST01, modi.AuditREST02:
			p.Audit.Pattern = it
		case "DPOP":
			p.IDAuth.DPoP = "required"
		default:
			return nil, usagef("--profile: %q is not ID_AUTH_REST_01|02, INTEGRITY_REST_01|02, AUDIT_REST_01|02 or DPOP", item)
		}
	}
	return p, nil
}

// staticKeys is a key set read from a JWKS file.
type staticKeys map[string]crypto.PublicKey

func (s staticKeys) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, pdnd.ErrKidUnknown
}

func readJWKS(file string) (staticKeys, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	set, err := jwk.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s is not a JWKS: %w", file, err)
	}
	out := staticKeys{}
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, ok := k.KeyID()
		if !ok {
			return nil, fmt.Errorf("%s: key %d has no kid", file, i)
		}
		raw, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		pub, err := jose.ParsePublicJWK(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: key %s: %w", file, kid, err)
		}
		out[kid] = pub
	}
	return out, nil
}

// voucherKeySet is the PDND JWKS from a URL (fetched now) or a file.
func voucherKeySet(ctx context.Context, src string) (pdnd.KeySet, func(), error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		j, err := pdnd.NewJWKS(ctx, src)
		if err != nil {
			return nil, nil, err
		}
		if err := j.WaitReady(ctx); err != nil {
			_ = j.Close()
			return nil, nil, fmt.Errorf("--jwks: %w", err)
		}
		return j, func() { _ = j.Close() }, nil
	}
	keys, err := readJWKS(src)
	if err != nil {
		return nil, nil, fmt.Errorf("--jwks: %w", err)
	}
	return keys, func() {}, nil
}

// staticToken is the PDND-API voucher given on the command line.
type staticToken string

func (t staticToken) Token(context.Context) (string, error) { return string(t), nil }

// consumerKeys looks consumer keys up in a JWKS file or on the PDND API; without either, a lookup
// says how to provide them.
func consumerKeys(file, apiURL, token string) (modi.KeyLookup, error) {
	switch {
	case file != "" && apiURL != "":
		return nil, usagef("give --keys or --keys-url, not both")
	case file != "":
		keys, err := readJWKS(file)
		if err != nil {
			return nil, fmt.Errorf("--keys: %w", err)
		}
		return func(_ context.Context, kid string) (*pdnd.APIKey, error) {
			k, ok := keys[kid]
			if !ok {
				return nil, pdnd.ErrKidUnknown
			}
			return &pdnd.APIKey{KID: kid, Key: k}, nil
		}, nil
	case apiURL != "":
		if token == "" {
			return nil, usagef("--keys-url needs --keys-token (a PDND-API voucher: modi voucher without --purpose-id)")
		}
		return pdnd.NewKeyAPI(apiURL, staticToken(token)).ConsumerKey, nil
	}
	return func(context.Context, string) (*pdnd.APIKey, error) {
		return nil, &pdnd.UnavailableError{Source: "consumer keys", Err: errors.New("give --keys FILE or --keys-url URL --keys-token TOKEN")}
	}, nil
}

// collectClaims puts the decoded payload of each verified token in the verdict.
func collectClaims(out map[string]json.RawMessage, res *modi.Result, h http.Header) {
	put := func(name, raw string) {
		if t, err := jose.Parse(raw); err == nil {
			out[name] = json.RawMessage(t.Payload)
		}
	}
	if res.Voucher != nil {
		_, tok, _ := strings.Cut(h.Get("Authorization"), " ")
		put("voucher", strings.TrimSpace(tok))
	}
	if res.DPoP != nil {
		put("dpop", h.Get("DPoP"))
	}
	if res.Integrity != nil {
		put("integrity", h.Get(modi.SignatureHeader))
	}
	if res.Audit != nil {
		put("audit", h.Get(modi.TrackingEvidenceHeader))
	}
	if res.IDAuth != nil {
		_, tok, _ := strings.Cut(h.Get("Authorization"), " ")
		put("idAuth", strings.TrimSpace(tok))
	}
}
