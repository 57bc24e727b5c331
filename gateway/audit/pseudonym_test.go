package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
)

// The pooled MAC states must give exactly HMAC-SHA256(key, claim || 0x00 || value), whatever MAC a
// call gets from the pool and whatever ran on it before, also under concurrent use.
func TestPseudonymIsTheDocumentedHMACUnderConcurrentUse(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef-pool")
	p, err := NewPseudonymizer(key, "k1")
	if err != nil {
		t.Fatal(err)
	}
	want := func(claim, value string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(claim + "\x00" + value))
		return "hmac-sha256:k1:" + hex.EncodeToString(m.Sum(nil))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				claim := []string{ClaimUserID, ClaimUserLocation, ClaimLoA}[i%3]
				value := fmt.Sprintf("operatore-%d-%d", g, i)
				if got := p.Pseudonym(claim, value); got != want(claim, value) {
					errs <- fmt.Sprintf("Pseudonym(%s, %s) = %s, want %s", claim, value, got, want(claim, value))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
