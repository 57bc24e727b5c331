package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// Token kinds inspect recognises. The secerr kinds name the codes; a client assertion has no
// secerr kind (the gateway never receives one), its codes are assertion.*.
const (
	kindAssertion = "assertion"
	kindVoucher   = "voucher"
	kindIntegrity = "integrity"
	kindAudit     = "audit"
	kindDPoP      = "dpop"
	kindIDAuth    = "idauth"
	kindDigest    = "digest"
)

var kindNames = map[string]string{
	kindAssertion: "PDND client assertion", kindVoucher: "PDND voucher", kindIntegrity: "Agid-JWT-Signature",
	kindAudit: "Agid-JWT-TrackingEvidence", kindDPoP: "DPoP proof", kindIDAuth: "ModI ID_AUTH token (X.509)",
	kindDigest: "Digest header",
}

// Severities: an error makes the token fail where it is checked; a warning is likely a mistake.
const (
	sevError   = "error"
	sevWarning = "warning"
)

type problemItem struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// inspection is one token (or Digest value) as inspect saw it.
type inspection struct {
	Source   string         `json:"source"`
	Kind     string         `json:"kind"`
	Header   map[string]any `json:"header,omitempty"`
	Claims   map[string]any `json:"claims,omitempty"`
	Problems []problemItem  `json:"problems"`

	raw string
}

func (in *inspection) add(sev, reason, format string, args ...any) {
	code := in.Kind + "." + reason
	if strings.Contains(reason, ".") {
		code = reason
	}
	in.Problems = append(in.Problems, problemItem{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

func (in *inspection) errorf(reason, format string, args ...any) {
	in.add(sevError, reason, format, args...)
}
func (in *inspection) warnf(reason, format string, args ...any) {
	in.add(sevWarning, reason, format, args...)
}

// inspectContext is what the cross-checks know about the request.
type inspectContext struct {
	now      time.Time
	skew     time.Duration
	aud, iss string
	body     []byte
	hasBody  bool
	headers  http.Header
	voucher  *inspection
	evidence string
}

func runInspect(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "[TOKEN|-] [--kind KIND] [--body FILE] [--voucher TOKEN] [--evidence TOKEN] [--header 'Name: value'...] [--json]", stderr)
	kind := fs.String("kind", "", "force the kind of TOKEN: assertion, voucher, integrity, audit, dpop, idauth, digest (default: guessed)")
	body := fs.String("body", "", "file with the exact body bytes sent, or - for stdin: checked against Digest and signed_headers")
	voucher := fs.String("voucher", "", "the voucher sent with the token: cross-checks (evidence digest, purposeId, ath, cnf.jkt, iss/sub)")
	evidence := fs.String("evidence", "", "the tracking evidence a client assertion's digest is for")
	aud := fs.String("aud", "", "the e-service audience the tokens should carry")
	iss := fs.String("iss", "", "the PDND issuer the voucher should carry")
	now := fs.String("now", "", "inspect as of this RFC 3339 time instead of the clock")
	skew := fs.Duration("skew", modi.DefaultClockSkew, "clock tolerance for iat, nbf and exp")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	var headers headerList
	fs.Var(&headers, "header", "a request header 'Name: value' (repeatable): each token header is inspected, and they are checked against each other")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("give one token (or -), and the others with --header")
	}
	if fs.NArg() == 0 && len(headers) == 0 {
		return usagef("give a token, - for stdin, or --header 'Name: value'")
	}
	if *kind != "" && kindNames[*kind] == "" {
		return usagef("--kind %q is not one of assertion, voucher, integrity, audit, dpop, idauth, digest", *kind)
	}
	clock, err := (&clientFlags{now: now}).clock()
	if err != nil {
		return err
	}
	ic := &inspectContext{now: clock(), skew: *skew, aud: *aud, iss: *iss, headers: http.Header{}, evidence: strings.TrimSpace(*evidence)}
	if *body != "" {
		if ic.body, err = readInput(*body, stdin); err != nil {
			return fmt.Errorf("--body: %w", err)
		}
		ic.hasBody = true
	}
	for _, line := range headers {
		name, value, _ := strings.Cut(line, ":")
		ic.headers.Add(name, strings.TrimSpace(value))
	}
	var items []*inspection
	if *voucher != "" {
		ic.voucher = decodeToken("--voucher", kindVoucher, strings.TrimSpace(*voucher))
	}
	if auth := ic.headers.Get("Authorization"); auth != "" {
		scheme, tok, _ := strings.Cut(auth, " ")
		k := kindVoucher
		if t := decodeToken("", "", strings.TrimSpace(tok)); t.Header["x5c"] != nil {
			k = kindIDAuth
		}
		it := decodeToken("Authorization", k, strings.TrimSpace(tok))
		if k == kindVoucher && ic.voucher == nil {
			ic.voucher = it
		}
		if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "DPoP") {
			it.errorf("scheme_invalid", "Authorization scheme %q: send 'Bearer <voucher>' (or 'DPoP <voucher>' with a DPoP proof)", scheme)
		}
		if k == kindVoucher && it.Claims["cnf"] != nil && strings.EqualFold(scheme, "Bearer") {
			it.errorf("dpop_bound_as_bearer", "the voucher is DPoP-bound (cnf.jkt) but sent with the Bearer scheme: send Authorization: DPoP <voucher> and a DPoP proof")
		}
		items = append(items, it)
	}
	for _, h := range []struct{ name, kind string }{{"DPoP", kindDPoP}, {modi.SignatureHeader, kindIntegrity}, {modi.TrackingEvidenceHeader, kindAudit}, {modi.DigestHeader, kindDigest}} {
		for _, v := range ic.headers.Values(h.name) {
			items = append(items, decodeToken(h.name, h.kind, strings.TrimSpace(v)))
		}
	}
	if fs.NArg() == 1 {
		raw := fs.Arg(0)
		if raw == "-" {
			b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
			if err != nil {
				return err
			}
			raw = string(b)
		}
		raw = strings.TrimSpace(raw)
		if s, t, ok := strings.Cut(raw, " "); ok && (strings.EqualFold(s, "Bearer") || strings.EqualFold(s, "DPoP")) {
			raw = strings.TrimSpace(t)
		}
		items = append(items, decodeToken("argument", *kind, raw))
	}
	for _, it := range items {
		ic.check(it)
	}
	return report(stdout, items, *asJSON)
}

// decodeToken decodes a compact JWS without verifying it, guessing its kind when not given. A
// structural problem is recorded and decoding stops.
func decodeToken(source, kind, raw string) *inspection {
	in := &inspection{Source: source, Kind: kind, raw: raw}
	if kind == kindDigest || (kind == "" && looksLikeDigest(raw)) {
		in.Kind = kindDigest
		return in
	}
	parts := strings.Split(raw, ".")
	if in.Kind == "" {
		in.Kind = "token"
	}
	switch {
	case len(parts) == 5:
		in.errorf("malformed", "five parts: this is a JWE (encrypted); PDND and ModI tokens are JWS (three parts)")
		return in
	case len(parts) != 3:
		in.errorf("malformed", "%d part(s): a compact JWS has three base64url parts separated by dots", len(parts))
		return in
	}
	for i, name := range []string{"header", "payload"} {
		b, err := decodeB64URL(parts[i])
		if err != nil {
			in.errorf("malformed", "the %s is not base64url: %v", name, err)
			return in
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			in.errorf("malformed", "the %s is not a JSON object: %v", name, err)
			return in
		}
		if i == 0 {
			in.Header = m
		} else {
			in.Claims = m
		}
	}
	if in.Kind == "token" {
		in.Kind = guessKind(in.Header, in.Claims)
	}
	if parts[2] == "" {
		in.errorf("malformed", "the signature is empty: the token is unsigned and is never accepted")
	} else if _, err := decodeB64URL(parts[2]); err != nil {
		in.errorf("malformed", "the signature is not base64url: %v", err)
	}
	return in
}

// decodeB64URL decodes unpadded base64url, and says what is wrong when the text is standard
// base64 or padded (a frequent mistake of hand-made tokens).
func decodeB64URL(s string) ([]byte, error) {
	if b, err := base64.RawURLEncoding.Strict().DecodeString(s); err == nil {
		return b, nil
	}
	switch {
	case strings.HasSuffix(s, "="):
		return nil, fmt.Errorf("it is padded with '='; JWS uses base64url without padding")
	case strings.ContainsAny(s, "+/"):
		return nil, fmt.Errorf("it contains '+' or '/' (standard base64); JWS uses base64url ('-' and '_')")
	}
	return nil, fmt.Errorf("invalid characters or length")
}

func looksLikeDigest(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "sha-256=") || strings.HasPrefix(l, "sha256=") || strings.HasPrefix(l, "sha-256:")
}

// guessKind tells the token's kind from its header and claims.
func guessKind(h, c map[string]any) string {
	typ := strings.ToLower(str(h["typ"]))
	_, hasJWK := h["jwk"]
	switch {
	case typ == "dpop+jwt" || (hasJWK && c["htm"] != nil):
		return kindDPoP
	case typ == "at+jwt":
		return kindVoucher
	}
	for _, a := range audList(c["aud"]) {
		if strings.HasSuffix(a, "/client-assertion") {
			return kindAssertion
		}
	}
	switch {
	case c["client_id"] != nil || c["organizationId"] != nil:
		return kindVoucher
	case c["signed_headers"] != nil:
		return kindIntegrity
	case c["dnonce"] != nil || c["userID"] != nil || c["userLocation"] != nil:
		return kindAudit
	}
	switch {
	case h["x5c"] != nil:
		return kindIDAuth
	case c["purposeId"] != nil && c["iss"] != nil && c["iss"] == c["sub"]:
		return kindAssertion
	case c["purposeId"] != nil:
		return kindAudit
	}
	return kindIntegrity
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// audList returns aud as a list (a string, comma-joined or not, or an array of strings).
func audList(v any) []string {
	switch a := v.(type) {
	case string:
		return strings.Split(a, ",")
	case []any:
		var out []string
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// check runs every check that applies to the token's kind.
func (ic *inspectContext) check(in *inspection) {
	if in.Kind == kindDigest {
		ic.checkDigestHeader(in, in.raw)
		return
	}
	if in.Header == nil || in.Claims == nil {
		return
	}
	ic.checkHeader(in)
	ic.checkTimes(in)
	ic.checkAudience(in)
	switch in.Kind {
	case kindAssertion:
		ic.checkAssertion(in)
	case kindVoucher:
		ic.checkVoucher(in)
	case kindIntegrity:
		ic.checkIntegrity(in)
	case kindAudit:
		ic.checkAudit(in)
	case kindDPoP:
		ic.checkDPoP(in)
	}
}

var kidThumbprint = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func (ic *inspectContext) checkHeader(in *inspection) {
	alg := str(in.Header["alg"])
	allowed := map[string][]string{kindAssertion: {"RS256"}, kindVoucher: {"RS256"}, kindDPoP: {"RS256", "ES256"}}[in.Kind]
	if allowed == nil {
		allowed = []string{"RS256", "ES256"}
	}
	switch {
	case alg == "":
		in.errorf("alg_not_allowed", "no alg in the header")
	case strings.EqualFold(alg, "none"):
		in.errorf("alg_not_allowed", "alg none: the token is unsigned; it is never accepted")
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		in.errorf("alg_not_allowed", "alg %s is HMAC (a shared secret): PDND and ModI tokens are signed with the sender's private key (%s)", alg, strings.Join(allowed, " or "))
	case !contains(allowed, alg):
		in.errorf("alg_not_allowed", "alg %s: the %s must be signed with %s", alg, kindNames[in.Kind], strings.Join(allowed, " or "))
	}
	if in.Header["crit"] != nil {
		in.errorf("malformed", "the header has crit: no PDND or ModI token uses critical extensions, so it is refused")
	}
	typ := str(in.Header["typ"])
	switch in.Kind {
	case kindVoucher:
		if !strings.EqualFold(typ, "at+jwt") {
			in.errorf("typ_invalid", "typ %q: a PDND voucher has typ at+jwt (send the access_token exactly as PDND issued it)", typ)
		}
	case kindDPoP:
		if !strings.EqualFold(typ, "dpop+jwt") {
			in.errorf("typ_invalid", "typ %q: a DPoP proof has typ dpop+jwt", typ)
		}
	default:
		if typ != "" && !strings.EqualFold(typ, "JWT") {
			in.errorf("typ_invalid", "typ %q: the %s has typ JWT", typ, kindNames[in.Kind])
		}
	}
	_, hasX5C := in.Header["x5c"]
	kid := str(in.Header["kid"])
	switch in.Kind {
	case kindAssertion, kindVoucher:
		if kid == "" {
			in.errorf("kid_missing", "no kid in the header: put the id PDND shows for the key")
		}
	case kindIntegrity, kindAudit:
		if kid == "" && !hasX5C {
			in.errorf("kid_missing", "neither kid (PDND trust, INTEGRITY_REST_02/AUDIT_REST_02) nor x5c (X.509 trust) in the header")
		}
	case kindIDAuth:
		if !hasX5C {
			in.errorf("x5c_missing", "no x5c: an X.509 ModI token carries its certificate chain")
		}
	}
	if in.Kind == kindAssertion && kid != "" && !kidThumbprint.MatchString(kid) {
		hint := ""
		if _, err := uuid.Parse(kid); err == nil {
			hint = " (a UUID: older PDND keys had UUID kids; re-upload the key and use the thumbprint PDND now shows)"
		}
		in.errorf("kid_format", "kid %q is not the 43-character base64url RFC 7638 thumbprint PDND requires (PDND 8033)%s", kid, hint)
	}
}

// numericDate reads a time claim: a JSON number of seconds. A string or milliseconds are recorded.
func (in *inspection) numericDate(name string) (time.Time, bool) {
	v, ok := in.Claims[name]
	if !ok {
		return time.Time{}, false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		in.errorf("claim_invalid", "%s is %s: NumericDate claims are JSON numbers of seconds, not strings", name, jsonTypeOf(v))
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || f < 0 {
		in.errorf("claim_invalid", "%s %s is not a usable number of seconds", name, n)
		return time.Time{}, false
	}
	if f > 1e11 {
		in.errorf("claim_invalid", "%s %s looks like milliseconds: NumericDate is seconds since 1970", name, n)
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

func jsonTypeOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return "a number"
}

func (ic *inspectContext) checkTimes(in *inspection) {
	iat, hasIat := in.numericDate("iat")
	nbf, hasNbf := in.numericDate("nbf")
	exp, hasExp := in.numericDate("exp")
	_, expPresent := in.Claims["exp"]
	_, iatPresent := in.Claims["iat"]
	if !expPresent && in.Kind != kindDPoP {
		in.errorf("claim_missing", "no exp: every %s must expire", kindNames[in.Kind])
	}
	if !iatPresent && in.Kind != kindVoucher {
		sev := sevError
		if in.Kind == kindAudit {
			sev = sevWarning
		}
		in.add(sev, "claim_missing", "no iat")
	}
	now := ic.now
	when := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	if hasExp && !now.Before(exp.Add(ic.skew)) {
		in.errorf("expired", "expired %s ago (exp %s, now %s, tolerance %s)", now.Sub(exp).Round(time.Second), when(exp), when(now), ic.skew)
	}
	if hasNbf && nbf.After(now.Add(ic.skew)) {
		in.errorf("not_yet_valid", "nbf %s is %s in the future (now %s): check the sender's clock", when(nbf), nbf.Sub(now).Round(time.Second), when(now))
	}
	if hasIat && iat.After(now.Add(ic.skew)) {
		in.errorf("issued_in_future", "iat %s is %s in the future (now %s): check the sender's clock (NTP)", when(iat), iat.Sub(now).Round(time.Second), when(now))
	}
	if hasIat {
		switch in.Kind {
		case kindIntegrity, kindIDAuth:
			if now.Sub(iat) > modi.DefaultMaxAge {
				in.errorf("too_old", "iat %s is %s old: e-services refuse ModI tokens older than %s (sign every request anew)", when(iat), now.Sub(iat).Round(time.Second), modi.DefaultMaxAge)
			}
		case kindDPoP:
			if now.Sub(iat) > pdnd.DefaultDPoPWindow+pdnd.DefaultDPoPSkew {
				in.errorf("too_old", "iat %s is %s old: a DPoP proof is accepted for %s (make a fresh proof per request)", when(iat), now.Sub(iat).Round(time.Second), pdnd.DefaultDPoPWindow+pdnd.DefaultDPoPSkew)
			}
		}
	}
	if hasIat && hasExp && exp.Before(iat) {
		in.errorf("claim_invalid", "exp %s is before iat %s", when(exp), when(iat))
	}
}

func (ic *inspectContext) checkAudience(in *inspection) {
	v, ok := in.Claims["aud"]
	if !ok {
		if in.Kind != kindDPoP {
			in.errorf("claim_missing", "no aud: the %s must name its audience", kindNames[in.Kind])
		}
		return
	}
	switch a := v.(type) {
	case string:
	case []any:
		for _, x := range a {
			if _, ok := x.(string); !ok {
				in.errorf("claim_invalid", "aud is an array with a non-string member: use a string or an array of strings")
				return
			}
		}
	default:
		in.errorf("claim_invalid", "aud is %s: use a string or an array of strings", jsonTypeOf(v))
		return
	}
	auds := audList(v)
	if in.Kind == kindAssertion {
		for _, a := range auds {
			if strings.HasSuffix(a, "/client-assertion") {
				return
			}
		}
		hint := ""
		for _, a := range auds {
			if strings.Contains(a, "token.oauth2") || strings.HasPrefix(a, "http") {
				hint = " (it looks like the token URL; some libraries put it there)"
			}
		}
		in.errorf("aud_mismatch", "aud %q: PDND wants the client-assertion audience shown in the back office, e.g. auth.interop.pagopa.it/client-assertion (PDND 8010)%s", strings.Join(auds, ","), hint)
		return
	}
	if ic.aud != "" && in.Kind != kindDPoP && !contains(auds, ic.aud) {
		hint := ""
		if strings.Contains(strings.Join(auds, ","), "-PDND/") {
			hint = " (ANPR's audience has no -PDND segment, unlike its URL)"
		}
		in.errorf("aud_mismatch", "aud %q does not contain the e-service audience %q%s", strings.Join(auds, ","), ic.aud, hint)
	}
}

// PDND's client-assertion whitelist (§1.2).
var (
	assertionHeader = map[string]bool{"kid": true, "alg": true, "typ": true}
	assertionClaims = map[string]bool{"iss": true, "sub": true, "aud": true, "jti": true, "iat": true, "exp": true, "purposeId": true, "digest": true}
)

func (ic *inspectContext) checkAssertion(in *inspection) {
	for _, name := range sortedNames(in.Header) {
		if !assertionHeader[name] {
			in.errorf("claim_forbidden", "header member %s is not allowed: PDND accepts only kid, alg, typ (PDND 8005, strict claims)", name)
		}
	}
	for _, name := range sortedNames(in.Claims) {
		if assertionClaims[name] {
			continue
		}
		why := "PDND accepts only iss, sub, aud, jti, iat, exp, purposeId, digest (PDND 8005, strict claims)"
		switch name {
		case "nbf":
			why = "PDND's FAQ: nbf is not an allowed claim; remove it"
		case "client_id":
			why = "the client id goes in iss, sub and the client_id form parameter, not in a claim"
		}
		in.errorf("claim_forbidden", "claim %s is not allowed: %s", name, why)
	}
	for _, name := range []string{"iss", "sub", "jti"} {
		if str(in.Claims[name]) == "" {
			in.errorf("claim_missing", "no %s (a non-empty string)", name)
		}
	}
	if sub := str(in.Claims["sub"]); sub != "" && !isUUID(sub) {
		in.errorf("claim_invalid", "sub %q is not a UUID: it is the client_id (PDND 8006)", sub)
	}
	if iss, sub := str(in.Claims["iss"]), str(in.Claims["sub"]); iss != "" && sub != "" && iss != sub {
		in.warnf("claim_invalid", "iss %q differs from sub %q: both are the client_id", iss, sub)
	}
	if p, ok := in.Claims["purposeId"]; !ok {
		in.warnf("claim_missing", "no purposeId: e-service clients must send it (PDND 8024); only PDND-API clients omit it")
	} else if !isUUID(str(p)) {
		in.errorf("claim_invalid", "purposeId %v is not a UUID (PDND 8009)", p)
	}
	if d, ok := in.Claims["digest"]; ok {
		ic.checkAssertionDigest(in, d)
	}
}

// checkAssertionDigest checks the AUDIT_REST_02 digest claim: {alg: SHA256, value: 64 hex}.
func (ic *inspectContext) checkAssertionDigest(in *inspection, d any) {
	m, ok := d.(map[string]any)
	if !ok {
		in.errorf("digest_invalid", "digest is %s: it must be {\"alg\":\"SHA256\",\"value\":\"<64 hex>\"} (PDND 8032)", jsonTypeOf(d))
		return
	}
	if len(m) != 2 {
		in.errorf("digest_invalid", "digest has %d members: exactly alg and value (PDND 8020)", len(m))
	}
	if alg := str(m["alg"]); alg != pdnd.DigestAlg {
		in.errorf("digest_invalid", "digest.alg %q: it must be SHA256, without a hyphen (PDND 8012)", alg)
	}
	value := str(m["value"])
	switch {
	case hex64.MatchString(value):
	case isBase64Of32(value):
		in.errorf("digest_invalid", "digest.value is base64: PDND wants the 64 hexadecimal characters of the SHA-256 (PDND 8011; pdnd-interop-frontend#633)")
	default:
		in.errorf("digest_invalid", "digest.value %q is not 64 hexadecimal characters (PDND 8011)", value)
	}
	if ev := ic.evidenceFor(); ev != "" && hex64.MatchString(value) {
		checkEvidenceHash(in, "audit.digest_mismatch", ev, value)
	}
}

// evidenceFor is the tracking evidence to compare with a digest: --evidence or the header.
func (ic *inspectContext) evidenceFor() string {
	if ic.evidence != "" {
		return ic.evidence
	}
	return strings.TrimSpace(ic.headers.Get(modi.TrackingEvidenceHeader))
}

// checkEvidenceHash compares hex(SHA-256(evidence)) with value, and recognises the usual mistakes.
func checkEvidenceHash(in *inspection, code, evidence, value string) {
	sum := sha256.Sum256([]byte(evidence))
	if strings.EqualFold(hex.EncodeToString(sum[:]), value) {
		return
	}
	withNL := sha256.Sum256([]byte(evidence + "\n"))
	hint := ""
	if strings.EqualFold(hex.EncodeToString(withNL[:]), value) {
		hint = ": it is the hash of the evidence followed by a newline (echo without -n); hash the exact header value"
	}
	in.errorf(code, "digest.value %s is not the hex SHA-256 of the tracking evidence (%s)%s", value, hex.EncodeToString(sum[:]), hint)
}

var hex64 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

func isBase64Of32(s string) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return true
		}
	}
	return false
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

func (ic *inspectContext) checkVoucher(in *inspection) {
	m2m := in.Claims["organizationId"] != nil || in.Claims["role"] != nil
	required := []string{"iss", "sub", "jti", "client_id"}
	if !m2m {
		required = append(required, "purposeId")
	}
	for _, name := range required {
		if str(in.Claims[name]) == "" {
			in.errorf("claim_missing", "no %s (PDND puts it in every %svoucher)", name, map[bool]string{true: "PDND-API ", false: "e-service "}[m2m])
		}
	}
	if m2m && in.Claims["purposeId"] == nil {
		in.warnf("m2m_not_allowed", "a PDND-API (m2m) voucher (organizationId, role %v): it opens the PDND API, and every e-service refuses it", in.Claims["role"])
	}
	if ic.iss != "" && str(in.Claims["iss"]) != ic.iss {
		in.errorf("iss_mismatch", "iss %q is not %q: a voucher of another PDND environment", str(in.Claims["iss"]), ic.iss)
	}
	if d, ok := in.Claims["digest"].(map[string]any); ok {
		if alg := str(d["alg"]); alg != pdnd.DigestAlg {
			in.errorf("audit.digest_alg_invalid", "the voucher's digest.alg %q is not SHA256", alg)
		}
		value := str(d["value"])
		switch {
		case isBase64Of32(value) && !hex64.MatchString(value):
			in.errorf("audit.digest_mismatch", "the voucher's digest.value is base64; it must be the 64 hex characters of the SHA-256 of the tracking evidence")
		case !hex64.MatchString(value):
			in.errorf("audit.digest_mismatch", "the voucher's digest.value %q is not 64 hexadecimal characters", value)
		}
	}
	if cnf, ok := in.Claims["cnf"].(map[string]any); ok {
		if jkt := str(cnf["jkt"]); !kidThumbprint.MatchString(jkt) {
			in.errorf("claim_invalid", "cnf.jkt %q is not a base64url RFC 7638 thumbprint (43 characters)", jkt)
		}
	}
}

func (ic *inspectContext) checkIntegrity(in *inspection) {
	if str(in.Claims["jti"]) == "" {
		in.errorf("claim_missing", "no jti: e-services refuse an Agid-JWT-Signature without one (they remember each jti to refuse replays)")
	}
	raw, ok := in.Claims["signed_headers"]
	if !ok {
		in.errorf("claim_missing", "no signed_headers: list the Digest (and Content-Type, Content-Encoding) signed")
		return
	}
	list, ok := raw.([]any)
	if !ok {
		in.errorf("signed_headers_invalid", "signed_headers is %s: it must be an array of one-member objects, [{\"digest\":\"SHA-256=...\"},{\"content-type\":\"...\"}] (italia/anpr#4763)", jsonTypeOf(raw))
		return
	}
	signed := map[string]string{}
	for i, e := range list {
		obj, ok := e.(map[string]any)
		if !ok || len(obj) != 1 {
			in.errorf("signed_headers_invalid", "signed_headers[%d] is not an object with exactly one member", i)
			continue
		}
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				in.errorf("signed_headers_invalid", "signed_headers[%d].%s is %s, not a string", i, k, jsonTypeOf(v))
				continue
			}
			signed[strings.ToLower(k)] = s
		}
	}
	d, ok := signed["digest"]
	if !ok {
		in.errorf("header_not_signed", "signed_headers has no digest: Digest must be signed")
	} else {
		ic.checkDigestValue(in, d, "the signed digest")
	}
	for name, value := range signed {
		got := ic.headers.Values(http.CanonicalHeaderKey(name))
		if len(ic.headers) > 0 && len(got) > 0 && strings.Join(got, ", ") != value {
			in.errorf("signed_header_mismatch", "signed_headers %s %q differs from the %s header sent %q", name, value, http.CanonicalHeaderKey(name), strings.Join(got, ", "))
		}
	}
	for _, name := range []string{"Digest", "Content-Type", "Content-Encoding"} {
		if ic.headers.Get(name) != "" && signed[strings.ToLower(name)] == "" {
			in.errorf("header_not_signed", "the request has %s but signed_headers does not list it", name)
		}
	}
	if ic.voucher != nil && ic.voucher.Claims != nil {
		client := str(ic.voucher.Claims["client_id"])
		for _, c := range []string{"iss", "sub"} {
			if v := str(in.Claims[c]); v != "" && client != "" && v != client {
				in.errorf(c+"_mismatch", "%s %q is not the voucher's client_id %q", c, v, client)
			}
		}
	}
}

// checkDigestValue checks a "SHA-256=<base64>" value (the Digest header or its signed copy), and
// compares it with the body when one was given.
func (ic *inspectContext) checkDigestValue(in *inspection, v, what string) {
	algo, enc, found := strings.Cut(v, "=")
	switch {
	case hex64.MatchString(v) || isBase64Of32(v):
		in.errorf("integrity.digest_malformed", "%s %q has no algorithm: the SHA-256= prefix is missing (italia/anpr#4211)", what, v)
		return
	case !found:
		in.errorf("integrity.digest_malformed", "%s %q is not SHA-256=<base64>", what, v)
		return
	case !strings.EqualFold(algo, "SHA-256"):
		in.errorf("integrity.digest_malformed", "%s uses algorithm %q: ModI uses SHA-256 (with the hyphen)", what, algo)
		return
	}
	sum, err := base64.StdEncoding.Strict().DecodeString(enc)
	switch {
	case hex64.MatchString(enc):
		in.errorf("integrity.digest_malformed", "%s is hex: the Digest header is SHA-256=<standard base64 with padding> (italia/anpr#4933)", what)
		return
	case err != nil && isBase64Of32(enc):
		in.errorf("integrity.digest_malformed", "%s is base64url or unpadded: the Digest header uses standard base64 with padding", what)
		return
	case err != nil || len(sum) != 32:
		in.errorf("integrity.digest_malformed", "%s %q is not the base64 of 32 bytes", what, enc)
		return
	}
	if ic.hasBody {
		got := sha256.Sum256(ic.body)
		if !bytes.Equal(got[:], sum) {
			in.errorf("integrity.digest_mismatch", "%s %s is not the SHA-256 of the %d body bytes (%s)", what, v, len(ic.body), modi.Digest(ic.body))
		}
	}
}

// checkDigestHeader inspects a Digest header value given alone or with --header.
func (ic *inspectContext) checkDigestHeader(in *inspection, v string) {
	in.Claims = map[string]any{"value": v}
	ic.checkDigestValue(in, v, "Digest")
}

func (ic *inspectContext) checkAudit(in *inspection) {
	if str(in.Claims["jti"]) == "" {
		in.errorf("claim_missing", "no jti")
	}
	if str(in.Claims["purposeId"]) == "" {
		in.errorf("claim_missing", "no purposeId: the tracking evidence carries the purpose of the voucher")
	}
	for _, c := range modi.DefaultAuditClaims {
		if _, ok := in.Claims[c]; !ok {
			in.warnf("claim_missing", "no %s: e-services require it unless they agreed otherwise", c)
		}
	}
	if d, ok := in.Claims["dnonce"]; ok {
		if n, isNum := d.(json.Number); !isNum || len(n.String()) != 13 {
			in.warnf("claim_invalid", "dnonce %v: GovWay and ModI send a random 13-digit number (a JSON number)", d)
		}
	}
	if v := ic.voucher; v != nil && v.Claims != nil {
		if p := str(v.Claims["purposeId"]); p != "" && str(in.Claims["purposeId"]) != "" && p != str(in.Claims["purposeId"]) {
			in.errorf("purpose_mismatch", "purposeId %q is not the voucher's %q", str(in.Claims["purposeId"]), p)
		}
		d, ok := v.Claims["digest"].(map[string]any)
		if !ok {
			in.warnf("voucher_digest_missing", "the voucher has no digest: AUDIT_REST_02 e-services refuse it (put the evidence's hex SHA-256 in the client assertion)")
		} else if value := str(d["value"]); hex64.MatchString(value) {
			checkEvidenceHash(in, "digest_mismatch", in.raw, value)
		}
	}
}

func (ic *inspectContext) checkDPoP(in *inspection) {
	jwk, ok := in.Header["jwk"].(map[string]any)
	if !ok {
		in.errorf("jwk_missing", "no jwk in the header: a DPoP proof carries its public key")
	} else {
		for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, bad := jwk[m]; bad {
				in.errorf("jwk_private", "the jwk has the private member %q: send only the public key (and replace this key: it is exposed)", m)
			}
		}
	}
	for _, c := range []string{"htm", "htu", "jti"} {
		if str(in.Claims[c]) == "" {
			in.errorf("claim_missing", "no %s", c)
		}
	}
	if htu := str(in.Claims["htu"]); strings.ContainsAny(htu, "?#") {
		in.errorf("htu_mismatch", "htu %q has a query or fragment: RFC 9449 compares the URL without them", htu)
	}
	if v := ic.voucher; v != nil && v.Claims != nil && ok {
		if ath := str(in.Claims["ath"]); ath == "" {
			in.errorf("claim_missing", "no ath: a proof sent with a voucher carries base64url(SHA-256(voucher))")
		} else if ath != pdnd.TokenHash(v.raw) {
			in.errorf("ath_mismatch", "ath %s is not the hash of the voucher sent (%s)", ath, pdnd.TokenHash(v.raw))
		}
		if cnf, isMap := v.Claims["cnf"].(map[string]any); isMap {
			raw, _ := json.Marshal(jwk)
			if pub, err := jose.ParsePublicJWK(raw); err == nil {
				if jkt, _ := jose.Thumbprint(pub); jkt != str(cnf["jkt"]) {
					in.errorf("jkt_mismatch", "the proof's key thumbprint %s is not the voucher's cnf.jkt %s", jkt, str(cnf["jkt"]))
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// report prints the inspections; errFailed when any has an error.
func report(w io.Writer, items []*inspection, asJSON bool) error {
	errors := 0
	for _, it := range items {
		for _, p := range it.Problems {
			if p.Severity == sevError {
				errors++
			}
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"tokens": items, "errors": errors}); err != nil {
			return err
		}
	} else {
		for _, it := range items {
			fmt.Fprintf(w, "== %s: %s\n", it.Source, kindNames[it.Kind])
			for _, part := range []struct {
				name string
				v    map[string]any
			}{{"header", it.Header}, {"claims", it.Claims}} {
				if part.v != nil {
					b, _ := json.MarshalIndent(part.v, "   ", "  ")
					fmt.Fprintf(w, "   %s %s\n", part.name, b)
				}
			}
			if len(it.Problems) == 0 {
				fmt.Fprintln(w, "   no problem found (the signature is not checked: use modi verify)")
			}
			for _, p := range it.Problems {
				fmt.Fprintf(w, "   %-7s %s: %s\n", strings.ToUpper(p.Severity), p.Code, p.Message)
			}
		}
	}
	if errors > 0 {
		return errFailed
	}
	return nil
}
