// Package sectest holds what the tests of gateway/pdnd and gateway/modi share: RSA and EC keys
// generated once per test binary (RSA-2048 generation is slow), fixed clocks, and assertions on
// *secerr.Error codes. It is imported only by _test.go files.
package sectest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/secerr"
)

var (
	rsaMu   sync.Mutex
	rsaKeys []*rsa.PrivateKey
)

// RSAKey returns the i-th RSA-2048 key of this test binary, generating it on first use. Keys are
// never written anywhere.
func RSAKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaMu.Lock()
	defer rsaMu.Unlock()
	for len(rsaKeys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		rsaKeys = append(rsaKeys, k)
	}
	return rsaKeys[i]
}

// ECKey returns a fresh EC P-256 key (cheap to generate).
func ECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Epoch is the fixed "now" of the tests: 2026-03-02T10:00:00Z.
var Epoch = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// Clock is a settable clock for code that takes a func() time.Time. Safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// WantCode fails the test unless err is a *secerr.Error with code, and returns it.
func WantCode(t testing.TB, err error, code string) *secerr.Error {
	t.Helper()
	var e *secerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("want %s, got %v (%T)", code, err, err)
	}
	if e.Code() != code {
		t.Fatalf("want %s, got %s: %s", code, e.Code(), e.Detail)
	}
	if _, ok := secerr.Lookup(code); !ok {
		t.Fatalf("code %s is not registered in secerr", code)
	}
	return e
}
