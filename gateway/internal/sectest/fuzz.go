package sectest

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// CheckRefusal asserts what every refusal of foreign input must be: a *secerr.Error with a
// registered code whose message does not echo the input's signature (its last dot-separated part).
func CheckRefusal(t *testing.T, err error, input string) {
	t.Helper()
	if err == nil {
		return
	}
	var e *secerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("not a *secerr.Error: %v", err)
	}
	if _, ok := secerr.Lookup(e.Code()); !ok {
		t.Fatalf("unregistered code %s", e.Code())
	}
	if i := strings.LastIndexByte(input, '.'); i >= 0 && len(input)-i > 16 && strings.Contains(e.Error(), input[i+1:]) {
		t.Fatalf("the message echoes the signature: %s", e.Error())
	}
}

// StaticKeys is a pdnd.KeySet without network, for fuzzing and benchmarks.
type StaticKeys map[string]crypto.PublicKey

// Key implements pdnd.KeySet.
func (s StaticKeys) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, pdnd.ErrKidUnknown
}
