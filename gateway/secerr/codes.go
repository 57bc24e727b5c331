package secerr

import (
	"net/http"
	"strings"
)

// Reasons. Each constant's comment says when it is used; kindReasons says for which kinds.
const (
	// Missing: the header carrying the token is absent although the e-service requires it.
	Missing Reason = "missing"
	// SchemeInvalid: Authorization does not use the expected scheme (Bearer, or DPoP).
	SchemeInvalid Reason = "scheme_invalid"
	// Multiple: the header occurs more than once (RFC 9449 §4.3 for DPoP).
	Multiple Reason = "multiple"
	// Malformed: not a compact JWS (three base64url parts, JSON objects), too large, or with a
	// "crit" header the gateway does not understand.
	Malformed Reason = "malformed"
	// TypInvalid: the JOSE header "typ" is not the one this token must carry.
	TypInvalid Reason = "typ_invalid"
	// AlgNotAllowed: the JOSE "alg" is not pinned for this token and key ("none", HS256 ...).
	AlgNotAllowed Reason = "alg_not_allowed"
	// KidMissing: no "kid" in the JOSE header of a token whose key is found by kid.
	KidMissing Reason = "kid_missing"
	// KidUnknown: the kid is not in the JWKS or PDND does not know it.
	KidUnknown Reason = "kid_unknown"
	// JWKSUnavailable: the PDND JWKS could not be fetched and no copy is cached.
	JWKSUnavailable Reason = "jwks_unavailable"
	// KeyUnavailable: the PDND key API did not answer (not a 404).
	KeyUnavailable Reason = "key_unavailable"
	// KeyClientMismatch: the signing key is registered on PDND for another client than the voucher's.
	KeyClientMismatch Reason = "key_client_mismatch"
	// X5CMissing: an X.509 token without x5c.
	X5CMissing Reason = "x5c_missing"
	// ChainUntrusted: the x5c chain does not verify against the configured trust pool (unknown
	// root, expired, malformed certificate).
	ChainUntrusted Reason = "chain_untrusted"
	// CertUsageInvalid: the leaf certificate lacks the digitalSignature key usage.
	CertUsageInvalid Reason = "cert_usage_invalid"
	// X5TMismatch: x5t#S256 is not the thumbprint of the x5c leaf.
	X5TMismatch Reason = "x5t_mismatch"
	// SignatureInvalid: the signature does not verify with the key.
	SignatureInvalid Reason = "signature_invalid"
	// ClaimMissing: a required claim is absent.
	ClaimMissing Reason = "claim_missing"
	// ClaimInvalid: a claim has the wrong JSON type or shape (exp as a string, aud as an object ...).
	ClaimInvalid Reason = "claim_invalid"
	// IssMismatch: iss is not the expected issuer.
	IssMismatch Reason = "iss_mismatch"
	// SubMismatch: sub is not the expected subject.
	SubMismatch Reason = "sub_mismatch"
	// AudMismatch: aud does not contain the expected audience.
	AudMismatch Reason = "aud_mismatch"
	// Expired: exp is in the past (beyond the clock skew).
	Expired Reason = "expired"
	// NotYetValid: nbf is in the future (beyond the clock skew).
	NotYetValid Reason = "not_yet_valid"
	// IssuedInFuture: iat is in the future (beyond the clock skew).
	IssuedInFuture Reason = "issued_in_future"
	// TooOld: iat is older than the maximum age accepted.
	TooOld Reason = "too_old"
	// Replay: the token id (jti) was already used.
	Replay Reason = "replay"
	// ReplayUnavailable: the replay store did not answer, so uniqueness cannot be checked.
	ReplayUnavailable Reason = "replay_unavailable"

	// M2MNotAllowed: a PDND-API (m2m) voucher was presented to an e-service.
	M2MNotAllowed Reason = "m2m_not_allowed"
	// ProducerMismatch, EServiceMismatch, DescriptorMismatch: the voucher was issued for another
	// producer, e-service or e-service version.
	ProducerMismatch   Reason = "producer_mismatch"
	EServiceMismatch   Reason = "eservice_mismatch"
	DescriptorMismatch Reason = "descriptor_mismatch"
	// PurposeNotAllowed, ConsumerNotAllowed: the voucher's purposeId or consumerId is not in the
	// e-service's allow-list.
	PurposeNotAllowed  Reason = "purpose_not_allowed"
	ConsumerNotAllowed Reason = "consumer_not_allowed"
	// DPoPBoundAsBearer: a DPoP-bound voucher (cnf.jkt) was sent with the Bearer scheme.
	DPoPBoundAsBearer Reason = "dpop_bound_as_bearer"
	// DPoPRequired: the e-service requires DPoP and a Bearer voucher was sent.
	DPoPRequired Reason = "dpop_required"

	// JWKMissing, JWKPrivate, JWKInvalid: the DPoP proof's jwk header is absent, contains private
	// key members, or is not a usable public key.
	JWKMissing Reason = "jwk_missing"
	JWKPrivate Reason = "jwk_private"
	JWKInvalid Reason = "jwk_invalid"
	// HTMMismatch, HTUMismatch: the proof is for another method or URL.
	HTMMismatch Reason = "htm_mismatch"
	HTUMismatch Reason = "htu_mismatch"
	// ATHMismatch: the proof's ath is not the hash of the voucher sent with it.
	ATHMismatch Reason = "ath_mismatch"
	// JKTMismatch: the proof's key is not the key the voucher is bound to (cnf.jkt).
	JKTMismatch Reason = "jkt_mismatch"
	// NotBound: Authorization uses the DPoP scheme but the voucher has no cnf.jkt.
	NotBound Reason = "not_bound"

	// SignedHeadersInvalid: signed_headers is not an array of one-member objects with string values.
	SignedHeadersInvalid Reason = "signed_headers_invalid"
	// HeaderNotSigned: Digest, Content-Type or Content-Encoding is present but not in signed_headers.
	HeaderNotSigned Reason = "header_not_signed"
	// SignedHeaderMismatch: a header listed in signed_headers differs from (or is absent in) the
	// message.
	SignedHeaderMismatch Reason = "signed_header_mismatch"
	// DigestMissing: the Digest header is absent.
	DigestMissing Reason = "digest_missing"
	// DigestMalformed: the Digest header is not "SHA-256=" + standard base64 of 32 bytes.
	DigestMalformed Reason = "digest_malformed"
	// DigestMismatch: Digest is not the SHA-256 of the body (integrity), or the tracking evidence
	// is not the one the voucher's digest was computed over (audit).
	DigestMismatch Reason = "digest_mismatch"

	// PurposeMismatch: the tracking evidence's purposeId is not the voucher's.
	PurposeMismatch Reason = "purpose_mismatch"
	// VoucherDigestMissing: AUDIT_REST_02 requires the voucher to carry a digest claim.
	VoucherDigestMissing Reason = "voucher_digest_missing"
	// DigestAlgInvalid: the voucher's digest.alg is not SHA256.
	DigestAlgInvalid Reason = "digest_alg_invalid"
)

var kindOrder = []Kind{Voucher, DPoP, IDAuth, Integrity, Audit, Response}

// jwsChecks are the structural and signature checks shared by every JWS kind.
var jwsChecks = []Reason{Malformed, TypInvalid, AlgNotAllowed}

var x509Checks = []Reason{X5CMissing, ChainUntrusted, CertUsageInvalid, X5TMismatch}

var timeChecks = []Reason{Expired, NotYetValid, IssuedInFuture}

func join(parts ...[]Reason) []Reason {
	var out []Reason
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// kindReasons lists the valid reasons of each kind, in documentation order.
var kindReasons = map[Kind][]Reason{
	Voucher: join([]Reason{Missing, SchemeInvalid}, jwsChecks,
		[]Reason{KidMissing, KidUnknown, JWKSUnavailable, SignatureInvalid, ClaimMissing, ClaimInvalid, IssMismatch, AudMismatch},
		timeChecks,
		[]Reason{M2MNotAllowed, ProducerMismatch, EServiceMismatch, DescriptorMismatch, PurposeNotAllowed, ConsumerNotAllowed,
			DPoPBoundAsBearer, DPoPRequired, Replay, ReplayUnavailable}),
	DPoP: join([]Reason{Missing, Multiple}, jwsChecks,
		[]Reason{JWKMissing, JWKPrivate, JWKInvalid, SignatureInvalid, ClaimMissing, ClaimInvalid, HTMMismatch, HTUMismatch,
			IssuedInFuture, TooOld, ATHMismatch, JKTMismatch, NotBound, Replay, ReplayUnavailable}),
	IDAuth: join([]Reason{Missing, SchemeInvalid}, jwsChecks, x509Checks,
		[]Reason{SignatureInvalid, ClaimMissing, ClaimInvalid, AudMismatch}, timeChecks,
		[]Reason{TooOld, Replay, ReplayUnavailable}),
	Integrity: join([]Reason{Missing}, jwsChecks,
		[]Reason{KidMissing, KidUnknown, KeyUnavailable, KeyClientMismatch}, x509Checks,
		[]Reason{SignatureInvalid, ClaimMissing, ClaimInvalid, IssMismatch, SubMismatch, AudMismatch}, timeChecks,
		[]Reason{TooOld, SignedHeadersInvalid, HeaderNotSigned, SignedHeaderMismatch, DigestMissing, DigestMalformed,
			DigestMismatch, Replay, ReplayUnavailable}),
	Audit: join([]Reason{Missing}, jwsChecks,
		[]Reason{KidMissing, KidUnknown, KeyUnavailable}, x509Checks,
		[]Reason{SignatureInvalid, ClaimMissing, ClaimInvalid, AudMismatch}, timeChecks,
		[]Reason{PurposeMismatch, VoucherDigestMissing, DigestAlgInvalid, DigestMismatch, Replay, ReplayUnavailable}),
	Response: join([]Reason{Missing}, jwsChecks,
		[]Reason{KidMissing, KidUnknown, KeyUnavailable}, x509Checks,
		[]Reason{SignatureInvalid, ClaimMissing, ClaimInvalid, AudMismatch}, timeChecks,
		[]Reason{TooOld, SignedHeadersInvalid, HeaderNotSigned, SignedHeaderMismatch, DigestMissing, DigestMalformed, DigestMismatch}),
}

// StatusOf maps a code to its HTTP status, GovWay style (pdnd-modi.md §9.14):
//
//   - a dependency of the check (JWKS, PDND key API, replay store) is down: 503, the caller did
//     nothing wrong and may retry;
//   - the voucher, DPoP proof or X.509 ID_AUTH token does not authenticate the caller: 401 with a
//     WWW-Authenticate challenge (RFC 6750 invalid_token, RFC 9449 invalid_dpop_proof);
//   - the voucher authenticates the caller but is not valid for this e-service (another producer,
//     e-service or version, an m2m voucher, a purpose or consumer outside the allow-list): 403;
//   - the message does not conform to the ModI profile (Agid-JWT-Signature, Digest,
//     Agid-JWT-TrackingEvidence): 400, GovWay's InteroperabilityInvalidRequest;
//   - an upstream's signed response fails verification: 502, the upstream sent an invalid response.
func StatusOf(k Kind, r Reason) int {
	switch r {
	case JWKSUnavailable, KeyUnavailable, ReplayUnavailable:
		return http.StatusServiceUnavailable
	}
	switch k {
	case Voucher:
		switch r {
		case M2MNotAllowed, ProducerMismatch, EServiceMismatch, DescriptorMismatch, PurposeNotAllowed, ConsumerNotAllowed:
			return http.StatusForbidden
		}
		return http.StatusUnauthorized
	case DPoP, IDAuth:
		return http.StatusUnauthorized
	case Integrity, Audit:
		return http.StatusBadRequest
	case Response:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// reasonDoc is the generic documentation of a reason; %s is the token name.
type reasonDoc struct{ title, meaning, fix string }

var reasonDocs = map[Reason]reasonDoc{
	Missing:           {"missing", "the %s header is absent but the e-service requires it", "send the header; the e-service's interface documentation lists the ModI patterns it requires"},
	SchemeInvalid:     {"wrong Authorization scheme", "Authorization does not carry the %s with the expected scheme", "send `Authorization: Bearer <token>` (or `DPoP <voucher>` with a DPoP proof)"},
	Multiple:          {"header repeated", "the %s header occurs more than once", "send exactly one DPoP header"},
	Malformed:         {"malformed", "the %s is not a compact JWS with JSON header and payload, is too large, or has a crit header", "send the JWS exactly as produced (three base64url parts); do not add crit"},
	TypInvalid:        {"wrong typ", "the JOSE header typ of the %s is not the required one", "set typ as the pattern requires (at+jwt for vouchers, dpop+jwt for DPoP proofs, JWT for ModI tokens)"},
	AlgNotAllowed:     {"algorithm not allowed", "the %s is signed with an algorithm the gateway does not accept for it (none and HMAC never are)", "sign with RS256 (ES256 where allowed) and a key of the matching type"},
	KidMissing:        {"kid missing", "the %s has no kid in its JOSE header", "put the id of the signing key (as registered on PDND) in kid"},
	KidUnknown:        {"unknown kid", "the kid of the %s is not a key PDND knows", "sign with a key uploaded to PDND and use its kid; a deleted or rotated key is no longer accepted"},
	JWKSUnavailable:   {"PDND keys unavailable", "the PDND JWKS could not be fetched, so the %s cannot be verified", "retry later; operators: check the gateway's reachability of the PDND JWKS URL"},
	KeyUnavailable:    {"PDND key API unavailable", "the PDND key API did not answer, so the key of the %s cannot be fetched", "retry later; operators: check the PDND API client and its voucher"},
	KeyClientMismatch: {"key of another client", "the key that signed the %s is registered on PDND for another client than the voucher's", "sign with a key of the same PDND client that obtained the voucher"},
	X5CMissing:        {"certificate missing", "the %s has no x5c certificate chain", "put the signing certificate (and intermediates) in x5c"},
	ChainUntrusted:    {"certificate not trusted", "the x5c chain of the %s does not verify against the e-service's trust store (unknown authority, expired or malformed certificate)", "sign with a certificate issued by an authority the provider trusts, and still valid"},
	CertUsageInvalid:  {"certificate usage invalid", "the certificate of the %s lacks the digitalSignature key usage", "use a signing certificate with the digitalSignature key usage"},
	X5TMismatch:       {"x5t#S256 mismatch", "x5t#S256 of the %s is not the SHA-256 thumbprint of the x5c leaf", "compute x5t#S256 as base64url(SHA-256(DER of the leaf)) or omit it"},
	SignatureInvalid:  {"invalid signature", "the signature of the %s does not verify with its key", "sign the exact header and payload sent, with the private key matching kid or x5c"},
	ClaimMissing:      {"claim missing", "a claim the %s must carry is absent (the message names it)", "add the claim named in the detail"},
	ClaimInvalid:      {"claim invalid", "a claim of the %s has the wrong type or shape (the message names it)", "send the claim as the detail says (NumericDate claims are JSON numbers, strings are strings)"},
	IssMismatch:       {"issuer mismatch", "iss of the %s is not the expected issuer", "obtain the token from the right environment, or set iss to the expected value"},
	SubMismatch:       {"subject mismatch", "sub of the %s is not the voucher's client_id", "set sub to the client_id of the PDND client that obtained the voucher"},
	AudMismatch:       {"audience mismatch", "aud of the %s does not contain the e-service audience", "use the audience published on the e-service descriptor"},
	Expired:           {"expired", "the %s has expired (the detail gives exp, the gateway's time and the tolerance)", "obtain a fresh token; check the caller's clock if it expired by seconds"},
	NotYetValid:       {"not yet valid", "nbf of the %s is in the future beyond the clock skew", "check the caller's clock (NTP); do not set nbf ahead of iat"},
	IssuedInFuture:    {"issued in the future", "iat of the %s is in the future beyond the clock skew", "check the caller's clock (NTP)"},
	TooOld:            {"too old", "iat of the %s is older than the maximum age accepted", "sign a fresh token for every request"},
	Replay:            {"replayed", "the jti of the %s was already used", "generate a new token with a fresh jti for every request"},
	ReplayUnavailable: {"replay store unavailable", "the replay store did not answer, so the uniqueness of the %s cannot be checked", "retry later; operators: check the Redis the replicas share"},

	M2MNotAllowed:      {"m2m voucher not accepted", "the %s was issued to a PDND-API (m2m) client, not for an e-service purpose", "request the voucher with an e-service client and a purposeId"},
	ProducerMismatch:   {"voucher for another producer", "producerId of the %s is not this e-service's producer", "request the voucher for a purpose on this e-service"},
	EServiceMismatch:   {"voucher for another e-service", "eserviceId of the %s is not this e-service", "request the voucher for a purpose on this e-service"},
	DescriptorMismatch: {"voucher for another version", "descriptorId of the %s is not this e-service version", "request a new voucher after the agreement is upgraded to the published version"},
	PurposeNotAllowed:  {"purpose not allowed", "purposeId of the %s is not authorised for this e-service", "use an authorised purpose; ask the provider to authorise it"},
	ConsumerNotAllowed: {"consumer not allowed", "consumerId of the %s is not authorised for this e-service", "ask the provider to authorise your organisation"},
	DPoPBoundAsBearer:  {"DPoP voucher sent as Bearer", "the %s is bound to a DPoP key (cnf.jkt) but was sent with the Bearer scheme", "send `Authorization: DPoP <voucher>` with a DPoP proof header"},
	DPoPRequired:       {"DPoP required", "the e-service requires DPoP-bound vouchers and a Bearer %s was sent", "request the voucher with a DPoP proof and send it with the DPoP scheme"},

	JWKMissing:  {"jwk missing", "the %s has no jwk header", "put the public key that signs the proof in the jwk header"},
	JWKPrivate:  {"private key in jwk", "the jwk header of the %s contains private key members", "send only the public members of the key (never d, p, q ...)"},
	JWKInvalid:  {"jwk invalid", "the jwk header of the %s is not a usable RSA (2048 bits or more) or P-256 public key, or does not match alg", "send an RSA or EC P-256 public JWK that matches alg"},
	HTMMismatch: {"htm mismatch", "htm of the %s is not the request method", "set htm to the HTTP method of this request"},
	HTUMismatch: {"htu mismatch", "htu of the %s is not the request URL (without query and fragment)", "set htu to the URL called, without query and fragment"},
	ATHMismatch: {"ath mismatch", "ath of the %s is not base64url(SHA-256) of the voucher sent with it", "compute ath over the exact voucher in Authorization"},
	JKTMismatch: {"key not bound to the voucher", "the key of the %s is not the one the voucher is bound to (cnf.jkt)", "sign the proof with the key used when requesting the voucher"},
	NotBound:    {"voucher not DPoP-bound", "Authorization uses the DPoP scheme but the voucher has no cnf.jkt", "send a Bearer voucher with the Bearer scheme, or request a DPoP voucher"},

	SignedHeadersInvalid: {"signed_headers invalid", "signed_headers of the %s is not an array of one-member objects with string values", `send signed_headers as [{"digest":"SHA-256=..."},{"content-type":"..."}]`},
	HeaderNotSigned:      {"header not signed", "a header that must be signed (digest, content-type, content-encoding) is present but not listed in signed_headers of the %s", "list every present Digest, Content-Type and Content-Encoding header in signed_headers"},
	SignedHeaderMismatch: {"signed header differs", "a header listed in signed_headers of the %s differs from the one in the message, or is absent", "sign the exact header values sent (names are case-insensitive, values are compared exactly)"},
	DigestMissing:        {"Digest missing", "the Digest header that the %s requires is absent", "send Digest: SHA-256=<base64 of the SHA-256 of the exact body bytes>"},
	DigestMalformed:      {"Digest malformed", "the Digest header is not SHA-256= followed by the standard base64 of 32 bytes", "use the SHA-256= prefix and standard base64 with padding (not hex, not base64url)"},
	DigestMismatch:       {"digest mismatch", "the digest checked with the %s does not match", "hash the exact bytes sent"},

	PurposeMismatch:      {"purpose mismatch", "purposeId of the %s is not the voucher's purposeId", "build the tracking evidence for the same purpose as the voucher"},
	VoucherDigestMissing: {"voucher without digest", "AUDIT_REST_02 needs the voucher to carry the digest of the %s, and it has none", "put digest {alg: SHA256, value: hex SHA-256 of the tracking evidence} in the client assertion"},
	DigestAlgInvalid:     {"voucher digest algorithm invalid", "the voucher's digest.alg is not SHA256, so the %s cannot be bound to it", "put digest.alg SHA256 in the client assertion"},
}

// kindDocs overrides the generic documentation where a kind needs its own words.
var kindDocs = map[string]reasonDoc{
	"voucher.missing":           {"voucher missing", "no Authorization header", "obtain a voucher from the PDND token endpoint and send it as `Authorization: Bearer <voucher>`"},
	"voucher.typ_invalid":       {"", "the voucher's JOSE typ is not at+jwt", "send the access_token exactly as PDND issued it"},
	"voucher.alg_not_allowed":   {"", "the voucher is not signed RS256; PDND signs every voucher with RS256 and the gateway pins it", "send the access_token exactly as PDND issued it"},
	"voucher.kid_unknown":       {"", "the voucher's kid is not in the PDND JWKS of the configured environment, even after a refetch", "use a voucher from the environment the e-service runs in (UAT vouchers are not valid in production)"},
	"voucher.signature_invalid": {"", "the voucher's signature does not verify with the PDND key", "send the access_token exactly as PDND issued it"},
	"voucher.iss_mismatch":      {"", "the voucher was issued by another PDND environment", "use a voucher from the environment the e-service runs in"},
	"voucher.aud_mismatch":      {"", "the voucher's aud (a string, a comma-joined string or an array) does not contain the e-service audience", "request the voucher for a purpose on this e-service"},
	"voucher.replay":            {"voucher reused", "the e-service enforces ID_AUTH_REST_02 via PDND: each voucher (jti) may be used once", "request a new voucher for every call"},
	"dpop.missing":              {"DPoP proof missing", "Authorization uses the DPoP scheme but there is no DPoP header", "send a fresh DPoP proof with every request"},
	"dpop.typ_invalid":          {"", "the proof's typ is not dpop+jwt", "set typ dpop+jwt"},
	"dpop.alg_not_allowed":      {"", "the proof is not signed with RS256 or ES256", "sign the proof with RS256 or ES256"},
	"dpop.too_old":              {"", "iat of the DPoP proof is outside the accepted window (60 s plus the tolerance)", "create a fresh proof for every request"},
	"dpop.replay":               {"", "the jti of the DPoP proof was already used", "create a fresh proof (new jti) for every request"},
	"integrity.missing":         {"Agid-JWT-Signature missing", "the e-service requires INTEGRITY_REST_01/02 and there is no Agid-JWT-Signature header", "sign the request: Digest plus Agid-JWT-Signature with signed_headers"},
	"integrity.typ_invalid":     {"", "the Agid-JWT-Signature typ is not JWT", "set typ JWT (or omit it)"},
	"integrity.kid_unknown":     {"", "PDND does not know the kid of the Agid-JWT-Signature (GET /keys/{kid} gave 404)", "sign with a key uploaded to your PDND client and put its kid"},
	"integrity.digest_mismatch": {"", "the Digest header is not the SHA-256 of the received body bytes", "hash the exact bytes sent (after compression, if Content-Encoding is used)"},
	"integrity.replay":          {"", "the jti of the Agid-JWT-Signature was already used (on any replica)", "sign every request with a new jti"},
	"integrity.iss_mismatch":    {"", "iss of the Agid-JWT-Signature is not the voucher's client_id", "set iss to the client_id of the PDND client that obtained the voucher"},
	"audit.missing":             {"Agid-JWT-TrackingEvidence missing", "the e-service requires AUDIT_REST_01/02 and there is no Agid-JWT-TrackingEvidence header", "send the tracking evidence (and, for AUDIT_REST_02, its digest in the voucher)"},
	"audit.digest_mismatch":     {"", "the hex SHA-256 of the Agid-JWT-TrackingEvidence is not the voucher's digest.value", "send exactly the tracking evidence whose hash went into the client assertion (no added newline)"},
	"audit.replay":              {"", "the jti of the tracking evidence was already used with another voucher", "reuse a tracking evidence only with the voucher it was issued with"},
	"audit.claim_missing":       {"", "a claim the tracking evidence must carry (purposeId, or an agreed audit claim such as userID, userLocation) is absent", "add the claim named in the detail"},
	"response.missing":          {"response not signed", "the upstream e-service did not sign its response although the gateway requires it", "operators: check the upstream's INTEGRITY_REST_02 response signing, or stop requiring it"},
}

var registry = buildRegistry()

func buildRegistry() map[string]Info {
	m := map[string]Info{}
	for _, k := range kindOrder {
		for _, r := range kindReasons[k] {
			code := string(k) + "." + string(r)
			d, ok := reasonDocs[r]
			if !ok {
				panic("secerr: undocumented reason " + string(r))
			}
			if o, ok := kindDocs[code]; ok {
				if o.title != "" {
					d.title = o.title
				}
				d.meaning = o.meaning
				if o.fix != "" {
					d.fix = o.fix
				}
			}
			if k == Response && r != Missing && r != KeyUnavailable {
				// The caller of a response check is our own gateway: the fix is the upstream's.
				d.fix = "operators: the upstream e-service sent it; report the detail to its provider (the response was not used)"
			}
			name := k.TokenName()
			m[code] = Info{
				Code: code, Kind: k, Reason: r, Status: StatusOf(k, r),
				Title:   name + ": " + d.title,
				Meaning: strings.ReplaceAll(d.meaning, "%s", name),
				Fix:     d.fix,
			}
		}
	}
	for code := range kindDocs {
		if _, ok := m[code]; !ok {
			panic("secerr: documentation for unknown code " + code)
		}
	}
	return m
}
