// Package modi implements the AgID ModI security patterns for REST over PDND, in both directions:
// verifying what consumers send to our e-services (ID_AUTH_REST_01/02 via PDND or X.509,
// INTEGRITY_REST_01/02, AUDIT_REST_01/02, DPoP) and producing what we send to others (Digest,
// Agid-JWT-Signature, Agid-JWT-TrackingEvidence, DPoP proofs), plus signing our responses and
// verifying signed responses from upstreams.
//
// [Inbound.Verify] runs the provider checklist of pdnd-modi.md §7 for one request and one
// e-service [Profile]; [Outbound.Prepare] adds the consumer headers of §8 to a call. Both take
// plain inputs (method, URL, http.Header, raw body bytes) so the HTTP framework stays outside.
// Every failure is a *secerr.Error; README.md lists the codes.
package modi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/welfaregov/gateway/gateway/secerr"
)

// DigestHeader is the RFC 3230 header ModI uses (not RFC 9530's Content-Digest, pdnd-modi.md §5).
const DigestHeader = "Digest"

// Digest is the Digest header value for body: "SHA-256=" and the standard base64 (with padding)
// of the SHA-256 of the exact bytes.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// ParseDigest extracts the SHA-256 digest from a Digest header value. RFC 3230 allows a list of
// algorithm=value pairs with case-insensitive algorithm names; the value must be standard base64 of
// 32 bytes. The error says what is wrong in the terms integrators get wrong most (hex instead of
// base64, a missing prefix; italia/anpr#4211, #4933).
func ParseDigest(value string) ([32]byte, error) {
	var out [32]byte
	for part := range strings.SplitSeq(value, ",") {
		alg, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(alg, "SHA-256") {
			continue
		}
		v = strings.TrimSpace(v)
		b, err := base64.StdEncoding.Strict().DecodeString(v)
		switch {
		case err == nil && len(b) == 32:
			copy(out[:], b)
			return out, nil
		case len(v) == 64 && isHex(v):
			return out, fmt.Errorf("the SHA-256 value is hexadecimal; ModI requires standard base64 (SHA-256=%s)", hexToBase64(v))
		case err != nil:
			return out, fmt.Errorf("the SHA-256 value is not standard base64 with padding")
		}
		return out, fmt.Errorf("the SHA-256 value decodes to %d bytes, not 32", len(b))
	}
	if _, _, ok := strings.Cut(value, "="); !ok && len(value) > 0 {
		return out, fmt.Errorf("it has no algorithm prefix; write SHA-256=<base64>")
	}
	return out, fmt.Errorf("it has no SHA-256= digest")
}

// checkDigest verifies the Digest header of a message against its body. kind is Integrity or
// Response.
func checkDigest(kind secerr.Kind, values []string, body []byte) error {
	switch len(values) {
	case 0:
		return secerr.New(kind, secerr.DigestMissing,
			"the message has no Digest header; send Digest: SHA-256=<base64 of the SHA-256 of the body> and sign it in signed_headers")
	case 1:
	default:
		return secerr.New(kind, secerr.DigestMalformed, "the message has %d Digest headers; send one", len(values))
	}
	want, err := ParseDigest(values[0])
	if err != nil {
		e := secerr.New(kind, secerr.DigestMalformed, "the Digest header %s is not usable: %s", secerr.Quote(values[0]), err.Error())
		e.Claim, e.Got = DigestHeader, secerr.Cut(values[0])
		return e
	}
	got := sha256.Sum256(body)
	if !bytes.Equal(got[:], want[:]) {
		computed := "SHA-256=" + base64.StdEncoding.EncodeToString(got[:])
		e := secerr.New(kind, secerr.DigestMismatch, "the Digest header %s is not the SHA-256 of the %d body bytes received (%s)",
			secerr.Quote(values[0]), len(body), computed)
		e.Claim, e.Got, e.Want = DigestHeader, secerr.Cut(values[0]), computed
		return e
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func hexToBase64(h string) string {
	b, _ := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b)
}
