package modi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/modi"
)

// responseCase is a signed response tampered with one thing.
type responseCase struct {
	code  string
	build func(t *testing.T, e *env) (http.Header, []byte, *modi.ResponseExpect)
}

// signedResponse is a response of an upstream e-service, signed by its producer keychain key.
func (e *env) signedResponse(t *testing.T) http.Header {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("X-Correlation-ID", "corr-1")
	s := &modi.MessageSigner{Signer: e.producer, Issuer: producerID}
	if err := s.SignResponse(h, body, clientID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return h
}

func withResponseToken(t *testing.T, e *env, claims map[string]any) http.Header {
	return responseHeader(signAs(t, e.producer, false, claims, nil))
}

var required = &modi.ResponseExpect{Required: true, Audience: clientID}

var responseCases = map[string]responseCase{
	"fail/unsigned": {"response.missing", func(t *testing.T, e *env) (http.Header, []byte, *modi.ResponseExpect) {
		return http.Header{"Content-Type": {contentType}}, body, required
	}},
	"fail/signed-headers-object": {"response.signed_headers_invalid", func(t *testing.T, e *env) (http.Header, []byte, *modi.ResponseExpect) {
		return withResponseToken(t, e, merge(responseClaims(e), map[string]any{"signed_headers": map[string]string{"digest": modi.Digest(body)}})), body, required
	}},
	"fail/content-type-not-signed": {"response.header_not_signed", func(t *testing.T, e *env) (http.Header, []byte, *modi.ResponseExpect) {
		return withResponseToken(t, e, merge(responseClaims(e), map[string]any{"signed_headers": signedHeaders("digest", modi.Digest(body))})), body, required
	}},
	"fail/correlation-id-changed": {"response.signed_header_mismatch", func(t *testing.T, e *env) (http.Header, []byte, *modi.ResponseExpect) {
		h := e.signedResponse(t)
		h.Set("X-Correlation-ID", "corr-2")
		return h, body, required
	}},
	"fail/no-digest": {"response.digest_missing", func(t *testing.T, e *env) (http.Header, []byte, *modi.ResponseExpect) {
		h := withResponseToken(t, e, merge(responseClaims(e), map[string]any{"signed_headers": signedHeaders("content-type", contentType)}))
		h.Del("Digest")
		return h, body, required
	}},
	"fail/digest-without-prefix": {"response.digest_malformed", func(t *testing.T, e *env) (http.Header, []byte, *modi.ResponseExpect) {
		bare := modi.Digest(body)[len("SHA-256="):]
		h := withResponseToken(t, e, merge(responseClaims(e), map[string]any{"signed_headers": signedHeaders("digest", bare, "content-type", contentType)}))
		h.Set("Digest", bare)
		return h, body, required
	}},
	"fail/body-tampered": {"response.digest_mismatch", func(t *testing.T, e *env) (http.Header, []byte, *modi.ResponseExpect) {
		return e.signedResponse(t), []byte(`{"esito":"KO"}`), required
	}},
}

func TestResponseRejections(t *testing.T) {
	e := newEnv(t)
	for name, c := range responseCases {
		t.Run(name, func(t *testing.T) {
			h, b, expect := c.build(t, e)
			_, err := e.resp.Verify(context.Background(), h, b, expect)
			se := sectest.WantCode(t, err, c.code)
			if se.Status() != http.StatusBadGateway {
				t.Fatalf("status %d", se.Status())
			}
		})
	}
}

func TestResponseSignedAndVerified(t *testing.T) {
	e := newEnv(t)
	h := e.signedResponse(t)
	integrity, err := e.resp.Verify(context.Background(), h, body, required)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range integrity.SignedHeaders {
		names = append(names, s.Name)
	}
	if len(names) != 3 || names[0] != "digest" || names[1] != "content-type" || names[2] != "x-correlation-id" {
		t.Fatalf("signed headers %v", names)
	}
	if res, err := e.resp.Verify(context.Background(), http.Header{}, body, &modi.ResponseExpect{}); err != nil || res != nil {
		t.Fatalf("an unsigned response is accepted when not required: %v", err)
	}
}
