package pdndtest

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// PDND's whitelists (ClientAssertionHeaderStrict / ClientAssertionPayloadStrict, §1.2).
var (
	allowedHeader = map[string]bool{"kid": true, "alg": true, "typ": true}
	allowedClaims = map[string]bool{"iss": true, "sub": true, "aud": true, "jti": true, "iat": true, "exp": true, "purposeId": true, "digest": true}
	// kidPattern is PDND's validateKid: a base64url SHA-256 JWK thumbprint.
	kidPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{43}$`)
	hex64      = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// maxTokenForm bounds the form the token endpoint reads.
const maxTokenForm = 64 << 10

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// TokenHandler serves POST /token.oauth2: the checks run in PDND's order (tokenService.ts): DPoP
// proof, request parameters, the client assertion (all its claim problems at once), the key
// registered for client, kid and purpose, the signature (and exp, nbf), the platform states, the
// per-consumer rate limit; then the voucher.
func (a *Authority) TokenHandler() http.Handler {
	return http.HandlerFunc(a.token)
}

func (a *Authority) token(w http.ResponseWriter, r *http.Request) {
	a.TokenRequests.Add(1)
	a.mu.Lock()
	if a.rateLimited > 0 {
		a.rateLimited--
		if a.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(a.retryAfter/time.Second)))
		}
		a.mu.Unlock()
		tooMany(w, "injected")
		return
	}
	a.mu.Unlock()
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
	if err := r.ParseForm(); err != nil {
		(&refusal{stage: stageParameters, checks: []check{{CheckParse, "the body is not an application/x-www-form-urlencoded form: " + err.Error()}}}).write(w, a.Opaque)
		return
	}
	clientID := r.PostForm.Get("client_id")
	var proof *pdnd.DPoPProof
	if proofs := r.Header.Values("DPoP"); len(proofs) > 0 {
		p, ref := a.checkDPoP(r, proofs, clientID)
		if ref != nil {
			ref.write(w, a.Opaque)
			return
		}
		proof = p
	}
	if ref := checkParameters(r, clientID); ref != nil {
		ref.write(w, a.Opaque)
		return
	}
	t, ca, ref := a.checkAssertion(r.PostForm.Get("client_assertion"), clientID)
	if ref != nil {
		ref.write(w, a.Opaque)
		return
	}
	c, key, purpose, ref := a.lookupKey(t, ca)
	if ref != nil {
		ref.write(w, a.Opaque)
		return
	}
	if ref := a.checkSignature(t, ca, key); ref != nil {
		ref.write(w, a.Opaque)
		return
	}
	if ref := checkPlatform(c, ca, purpose); ref != nil {
		ref.write(w, a.Opaque)
		return
	}
	if !a.admit(w, c.ConsumerID) {
		tooMany(w, c.ConsumerID)
		return
	}
	a.issue(w, r, c, purpose, ca, proof)
}

// checkDPoP verifies the proof of a DPoP token request: htu is the token endpoint, htm POST.
func (a *Authority) checkDPoP(r *http.Request, proofs []string, clientID string) (*pdnd.DPoPProof, *refusal) {
	htu := a.TokenURL
	if htu == "" {
		htu = "http://" + r.Host + r.URL.Path
	}
	p, err := a.dpop.Verify(r.Context(), proofs, http.MethodPost, htu, nil)
	if err == nil {
		return p, nil
	}
	st := stageDPoP
	switch secerr.CodeOf(err) {
	case "dpop.signature_invalid":
		st = stageDPoPSignature
	case "dpop.replay":
		st = stageDPoPReplay
	}
	detail := err.Error()
	if e := secerr.As(err); e != nil {
		detail = e.Detail
	}
	return nil, &refusal{stage: st, clientID: clientID, checks: []check{{st.code, detail}}}
}

// checkParameters is validateRequestParameters: the RFC 7523 form.
func checkParameters(r *http.Request, clientID string) *refusal {
	var checks []check
	if v := r.PostForm.Get("client_assertion_type"); v != pdnd.ClientAssertionType {
		checks = append(checks, check{CheckAssertionType, "Assertion type not valid: " + quote(v) + "; it must be " + pdnd.ClientAssertionType})
	}
	if v := r.PostForm.Get("grant_type"); v != "client_credentials" {
		checks = append(checks, check{CheckGrantType, "Grant type not valid: " + quote(v) + "; it must be client_credentials"})
	}
	if clientID != "" && !isUUID(clientID) {
		checks = append(checks, check{CheckClientIDFormat, "Client id " + quote(clientID) + " is not a valid UUID"})
	}
	if r.PostForm.Get("client_assertion") == "" {
		checks = append(checks, check{CheckParse, "client_assertion is missing"})
	}
	if len(checks) > 0 {
		return &refusal{stage: stageParameters, clientID: clientID, checks: checks}
	}
	return nil
}

func quote(s string) string { return strconv.Quote(secerr.Cut(s)) }

// assertionClaims are the client-assertion claims as PDND reads them; raw members are kept to
// tell an absent claim from one of the wrong type.
type assertionClaims struct {
	Iss       json.RawMessage `json:"iss"`
	Sub       json.RawMessage `json:"sub"`
	Aud       json.RawMessage `json:"aud"`
	JTI       json.RawMessage `json:"jti"`
	IssuedAt  json.RawMessage `json:"iat"`
	Expiry    json.RawMessage `json:"exp"`
	NotBefore json.RawMessage `json:"nbf"`
	PurposeID json.RawMessage `json:"purposeId"`
	Digest    json.RawMessage `json:"digest"`
}

// assertion is a client assertion that passed the claim checks.
type assertion struct {
	sub, purposeID string
	exp, nbf       time.Time
	digest         json.RawMessage
}

// checkAssertion is verifyClientAssertion: every claim problem is collected, as PDND reports them
// together.
func (a *Authority) checkAssertion(raw, clientID string) (*jose.Token, *assertion, *refusal) {
	fail := func(checks ...check) (*jose.Token, *assertion, *refusal) {
		return nil, nil, &refusal{stage: stageAssertion, clientID: clientID, checks: checks}
	}
	t, err := jose.Parse(raw)
	if err != nil {
		return fail(check{CheckParse, "Client assertion parse failure. Reason: " + err.Error()})
	}
	var header map[string]json.RawMessage
	encoded, _, _ := strings.Cut(t.Raw, ".")
	if b, err := base64.RawURLEncoding.DecodeString(encoded); err != nil || json.Unmarshal(b, &header) != nil {
		return fail(check{CheckParse, "the client assertion header is not a JSON object"})
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(t.Payload, &members); err != nil {
		return fail(check{CheckParse, "the client assertion payload is not a JSON object"})
	}
	var c assertionClaims
	_ = json.Unmarshal(t.Payload, &c)
	var checks []check
	add := func(code, format string, args ...any) {
		checks = append(checks, check{code, fmt.Sprintf(format, args...)})
	}

	if !a.LenientClaims {
		for _, name := range sortedKeys(header) {
			if !allowedHeader[name] {
				add(CheckInvalidClaims, "Invalid claims in client assertion header: %s is not allowed (only kid, alg, typ)", quote(name))
			}
		}
		for _, name := range sortedKeys(members) {
			if !allowedClaims[name] {
				why := "only iss, sub, aud, jti, iat, exp, purposeId, digest"
				switch name {
				case "nbf":
					why = "PDND's FAQ: do not send nbf"
				case "client_id":
					why = "the client id travels in iss, sub and the client_id form parameter"
				}
				add(CheckInvalidClaims, "Invalid claims in client assertion payload: %s is not allowed (%s)", quote(name), why)
			}
		}
	}
	switch {
	case t.Header.Alg == "":
		add(CheckAlgMissing, "ALG not found in client assertion")
	case t.Header.Alg != jose.RS256:
		add(CheckAlgorithmNotAllowed, "Algorithm %s is not allowed (only RS256)", quote(t.Header.Alg))
	}
	switch {
	case t.Header.Kid == "":
		add(CheckKidMissing, "Kid not found in header")
	case !kidPattern.MatchString(t.Header.Kid):
		add(CheckKidFormat, "Unexpected format for kid %s: it must be the 43-character base64url RFC 7638 thumbprint PDND shows for the key", quote(t.Header.Kid))
	}
	str := func(raw json.RawMessage, missingCode, name string) (string, bool) {
		if len(raw) == 0 || string(raw) == "null" {
			add(missingCode, "%s not found in client assertion", strings.ToUpper(name))
			return "", false
		}
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			add(CheckParse, "Client assertion parse failure. Reason: %s must be a non-empty string", name)
			return "", false
		}
		return s, true
	}
	_, _ = str(c.JTI, CheckJTIMissing, "jti")
	_, _ = str(c.Iss, CheckIssMissing, "iss")
	a2 := &assertion{digest: c.Digest}
	if sub, ok := str(c.Sub, CheckSubjectMissing, "sub"); ok {
		switch {
		case !isUUID(sub):
			add(CheckSubjectFormat, "Subject claim %s is not a valid UUID", quote(sub))
		case clientID != "" && sub != clientID:
			add(CheckSubjectClientID, "Subject claim value %s does not correspond to provided client_id parameter", quote(sub))
		}
		a2.sub = sub
	}
	if len(c.PurposeID) > 0 {
		var p string
		if json.Unmarshal(c.PurposeID, &p) != nil || !isUUID(p) {
			add(CheckPurposeIDFormat, "Purpose Id claim %s is not a valid UUID", quote(string(c.PurposeID)))
		}
		a2.purposeID = p
	}
	numeric := func(raw json.RawMessage, missingCode, name string) (time.Time, bool) {
		if len(raw) == 0 || string(raw) == "null" {
			if missingCode != "" {
				add(missingCode, "%s not found in client assertion", strings.ToUpper(name))
			}
			return time.Time{}, false
		}
		var d jose.NumericDate
		if err := json.Unmarshal(raw, &d); err != nil {
			add(CheckParse, "Client assertion parse failure. Reason: %s must be a JSON number of seconds (NumericDate), not %s", name, jsonKind(raw))
			return time.Time{}, false
		}
		return d.Time(), true
	}
	_, _ = numeric(c.IssuedAt, CheckIatMissing, "iat")
	a2.exp, _ = numeric(c.Expiry, CheckExpMissing, "exp")
	a2.nbf, _ = numeric(c.NotBefore, "", "nbf")
	a.checkAudience(c.Aud, add)
	if len(c.Digest) > 0 && string(c.Digest) != "null" {
		for _, ch := range checkDigest(c.Digest) {
			add(ch.code, "%s", ch.detail)
		}
	}
	if len(checks) > 0 {
		return fail(checks...)
	}
	return t, a2, nil
}

func (a *Authority) checkAudience(raw json.RawMessage, add func(code, format string, args ...any)) {
	if len(raw) == 0 || string(raw) == "null" {
		add(CheckAudience, "Audience not found in client assertion")
		return
	}
	var aud jose.Audience
	if err := json.Unmarshal(raw, &aud); err != nil {
		add(CheckAudience, "Invalid format for audience claim: a string or an array of strings is required")
		return
	}
	for _, want := range a.AssertionAudiences {
		if aud.Contains(want) {
			return
		}
	}
	add(CheckAudience, "Invalid audiences: %s; the client assertion aud must be %s", quote(aud.String()), strings.Join(a.AssertionAudiences, " or "))
}

// checkDigest enforces PDND's digest shape: exactly {alg: SHA256, value: 64 hexadecimal characters}.
func checkDigest(raw json.RawMessage) []check {
	var d map[string]json.RawMessage
	if err := json.Unmarshal(raw, &d); err != nil {
		return []check{{CheckDigestFormat, "Invalid format for digest claim: it must be an object {alg, value}"}}
	}
	var out []check
	if len(d) != 2 {
		out = append(out, check{CheckDigestClaims, fmt.Sprintf("Invalid digest claims number: %d members, exactly alg and value are required", len(d))})
	}
	var alg, value string
	if raw, ok := d["alg"]; !ok {
		out = append(out, check{CheckDigestClaimMissing, "Digest claim alg not found"})
	} else if json.Unmarshal(raw, &alg) != nil || alg != pdnd.DigestAlg {
		out = append(out, check{CheckHashAlgorithm, "Invalid hash algorithm " + quote(string(raw)) + ": it must be SHA256 (no hyphen)"})
	}
	if raw, ok := d["value"]; !ok {
		out = append(out, check{CheckDigestClaimMissing, "Digest claim value not found"})
	} else if json.Unmarshal(raw, &value) != nil || !hex64.MatchString(value) {
		why := "it must be the 64 hexadecimal characters of the SHA-256"
		if len(value) == 44 && strings.HasSuffix(value, "=") {
			why += " (this looks like base64: use hex)"
		}
		out = append(out, check{CheckHashLength, "Invalid hash length for algorithm SHA256: " + why})
	}
	return out
}

func jsonKind(b json.RawMessage) string {
	s := strings.TrimSpace(string(b))
	switch {
	case strings.HasPrefix(s, `"`):
		return "a string"
	case strings.HasPrefix(s, "{"):
		return "an object"
	case strings.HasPrefix(s, "["):
		return "an array"
	case s == "true" || s == "false":
		return "a boolean"
	}
	return "a number out of range"
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lookupKey is retrieveKey: the token-generation-states entry for client + kid (+ purpose).
func (a *Authority) lookupKey(t *jose.Token, ca *assertion) (*Client, crypto.PublicKey, Purpose, *refusal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fail := func(code, format string, args ...any) (*Client, crypto.PublicKey, Purpose, *refusal) {
		return nil, nil, Purpose{}, &refusal{stage: stageKey, clientID: ca.sub, checks: []check{{code, fmt.Sprintf(format, args...)}}}
	}
	c := a.clients[ca.sub]
	switch {
	case c == nil:
		return fail(CheckPurposeNotFound, "no client %s is registered", ca.sub)
	case c.keys[t.Header.Kid] == nil:
		return fail(CheckPurposeNotFound, "the key %s is not uploaded to client %s", t.Header.Kid, ca.sub)
	case ca.purposeID == "":
		return c, c.keys[t.Header.Kid], Purpose{}, nil
	case c.API:
		return fail(CheckPurposeNotFound, "client %s is a PDND-API client: send no purposeId", ca.sub)
	case !c.purposes[ca.purposeID]:
		return fail(CheckPurposeNotFound, "Purpose %s not found for client %s (not associated with it in the back office)", ca.purposeID, ca.sub)
	}
	return c, c.keys[t.Header.Kid], a.purposes[ca.purposeID], nil
}

// checkSignature is verifyClientAssertionSignature: RS256 with the registered key, then exp and
// nbf (jose.jwtVerify checks them there).
func (a *Authority) checkSignature(t *jose.Token, ca *assertion, key crypto.PublicKey) *refusal {
	fail := func(code, detail string) *refusal {
		return &refusal{stage: stageSignature, clientID: ca.sub, checks: []check{{code, detail}}}
	}
	if err := t.Verify(jose.RS256, key); err != nil {
		if errors.Is(err, jose.ErrSignature) {
			return fail(CheckSignatureInvalid, "Invalid client assertion signature")
		}
		return fail(CheckSignatureVerify, "Signature verification failed. Reason: "+err.Error())
	}
	now := a.now()
	if !now.Before(ca.exp) {
		return fail(CheckSignatureVerify, fmt.Sprintf("Token expired in client assertion signature validation (exp %s, PDND time %s)",
			ca.exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
	}
	if !ca.nbf.IsZero() && now.Before(ca.nbf) {
		return fail(CheckSignatureVerify, "Current time is before not before time in client assertion signature validation")
	}
	return nil
}

// checkPlatform is validateClientKindAndPlatformState.
func checkPlatform(c *Client, ca *assertion, p Purpose) *refusal {
	if c.API {
		return nil
	}
	var checks []check
	if ca.purposeID == "" {
		checks = append(checks, check{CheckPurposeIDMissing, "Claim purposeId does not exist in this assertion"})
	}
	if p.PurposeInactive {
		checks = append(checks, check{CheckPurposeInactive, "Purpose is not active"})
	}
	if p.DescriptorInactive {
		checks = append(checks, check{CheckEServiceInactive, "E-Service is not active"})
	}
	if p.AgreementInactive {
		checks = append(checks, check{CheckAgreementInactive, "Agreement is not active"})
	}
	if len(checks) > 0 {
		return &refusal{stage: stagePlatform, clientID: ca.sub, checks: checks}
	}
	return nil
}

// issue signs and sends the voucher.
func (a *Authority) issue(w http.ResponseWriter, r *http.Request, c *Client, p Purpose, ca *assertion, proof *pdnd.DPoPProof) {
	var claims map[string]any
	if c.API {
		claims = a.m2mClaims(c)
	} else {
		claims = a.VoucherClaims(p, c.ID)
		if len(ca.digest) > 0 && string(ca.digest) != "null" {
			claims["digest"] = ca.digest
		}
	}
	tokenType := "Bearer"
	if proof != nil {
		claims["cnf"] = map[string]string{"jkt": proof.JKT}
		tokenType = "DPoP"
	}
	draft := &VoucherDraft{Claims: claims}
	if a.VoucherHook != nil {
		a.VoucherHook(r, draft)
	}
	voucher, err := a.SignVoucher(draft.Claims)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "The request couldn't be fulfilled due to an internal error", "Internal server error",
			[]pdnd.ProblemError{{Code: CodeInternal, Detail: "Unable to generate a token for the given request due to an internal error"}})
		return
	}
	if draft.BreakSignature {
		voucher = breakSignature(voucher)
	}
	iat, _ := draft.Claims["iat"].(int64)
	exp, _ := draft.Claims["exp"].(int64)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": voucher, "token_type": tokenType, "expires_in": exp - iat})
}

// breakSignature flips bits in the signature so it no longer verifies (still valid base64url).
func breakSignature(token string) string {
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || len(sig) == 0 {
		return token
	}
	sig[len(sig)/2] ^= 0xFF
	return token[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// tooMany answers 429 with PDND's tooManyRequestsError.
func tooMany(w http.ResponseWriter, tenant string) {
	detail := "Too many requests: the rate limit of organization " + tenant + " is reached"
	writeProblem(w, http.StatusTooManyRequests, "Too Many Requests", detail, []pdnd.ProblemError{{Code: CodeTooManyRequests, Detail: detail}})
}
