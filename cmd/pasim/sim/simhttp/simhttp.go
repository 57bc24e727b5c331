// Package simhttp holds the few HTTP helpers the pasim simulators share: problem+json answers, JSON
// answers and strict JSON request decoding. Simulators use net/http (not Fiber) because fault
// injection needs http.Hijacker.
package simhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/welfaregov/gateway/gateway/problem"
)

// MaxBody bounds every JSON request body a simulator reads (the largest legitimate one, a batch of
// 100 esiti, is a few tens of KB).
const MaxBody = 1 << 20

// WriteProblem writes err as application/problem+json (RFC 9457) with the status of its class
// (problem.WriteHTTP).
func WriteProblem(w http.ResponseWriter, err error) { problem.WriteHTTP(w, err) }

// QuotaExhausted answers an exhausted daily quota as the INPS and ANPR front ends do: 429 and no
// body (clients recognise it by the status alone); the fault injector adds Retry-After.
func QuotaExhausted(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusTooManyRequests)
}

// WriteJSON writes v as application/json with status. Simulated answers carry personal data, hence
// Cache-Control: no-store.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteProblem(w, problem.Wrap(problem.Internal, err, "the simulator could not encode its answer"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// DecodeJSON reads a JSON body of at most MaxBody bytes into v, refusing unknown fields, trailing data
// and a Content-Type other than application/json. The error is a *problem.Error naming what is wrong.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return problem.New(problem.UnsupportedMedia, "the body must be application/json, got %q", ct)
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return problem.New(problem.PayloadTooLarge, "the body exceeds %d bytes", MaxBody)
		}
		if errors.Is(err, io.EOF) {
			return problem.New(problem.BadRequest, "the body is empty; a JSON object is required")
		}
		return problem.Wrap(problem.BadRequest, err, "the body is not valid JSON for this operation: %s", describe(err))
	}
	if dec.More() {
		return problem.New(problem.BadRequest, "the body has data after the JSON object")
	}
	return nil
}

func describe(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type)
	}
	return err.Error()
}
