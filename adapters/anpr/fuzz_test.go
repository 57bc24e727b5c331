package anpr

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func seedFixtures(f *testing.F, add func(name string, body []byte)) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		if filepath.Ext(p[:len(p)-len(".json")]) == ".golden" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		add(filepath.Base(p), b)
	}
}

// FuzzParseRisposta: any body gives a Risultato or an *Error, never a panic; a Risultato always
// encodes to JSON (no zero Data in a required field) and carries ANPR provenance.
func FuzzParseRisposta(f *testing.F) {
	seedFixtures(f, func(_ string, b []byte) {
		for _, c := range CasiUso {
			f.Add(string(c), b)
		}
	})
	f.Fuzz(func(t *testing.T, uc string, body []byte) {
		r, err := ParseRisposta(CasoUso(uc), body, Meta{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Reason != ReasonMalformed && e.Reason != ReasonTooLarge) {
				t.Fatalf("unexpected error type %T %v", err, err)
			}
			return
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("the translation does not encode: %v", err)
		}
		if r.Provenienza.Sistema != "ANPR" || (CasoUso(uc) == C021) != (r.NucleoFamiliare != nil) {
			t.Fatalf("inconsistent result %+v", r)
		}
	})
}

// FuzzInterpretResponse: any status and body give a result or a classified *Error.
func FuzzInterpretResponse(f *testing.F) {
	statuses := []int{200, 400, 404, 429, 500, 503, 302}
	seedFixtures(f, func(_ string, b []byte) {
		for _, s := range statuses {
			f.Add(s, b)
		}
	})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		r, err := InterpretResponse(C021, status, nil, body, Meta{})
		if err == nil {
			if status != 200 || r == nil {
				t.Fatalf("status %d gave a result", status)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Reason == 0 || e.Class() == 0 {
			t.Fatalf("unclassified error %v", err)
		}
		_ = e.Error()
	})
}
