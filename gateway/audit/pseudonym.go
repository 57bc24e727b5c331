package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"sync"
)

// MinPseudonymKeyBytes is the shortest accepted pseudonymisation key: HMAC-SHA256 with fewer than 32
// bytes of key would make pseudonyms of low-entropy values (codici fiscali) easier to brute-force.
const MinPseudonymKeyBytes = 32

// PseudonymPrefix starts every pseudonym.
const PseudonymPrefix = "hmac-sha256:"

// Pseudonymizer turns identifying values into keyed pseudonyms:
//
//	hmac-sha256:<keyId>:<hex(HMAC-SHA256(key, claim || 0x00 || value))>
//
// The same value under the same claim and key always gives the same pseudonym, so an auditor holding
// the key recomputes the pseudonym of a candidate value (RunPseudonymCommand) and finds its records;
// without the key the pseudonym reveals nothing practical about the value. The claim name is part of
// the input so a userID and a userLocation with the same text do not link. The key id names the key
// generation, so records stay re-identifiable after a key rotation (keep old keys for the audit
// retention period). Safe for concurrent use.
type Pseudonymizer struct {
	key   []byte
	keyID string
	// macs holds keyed HMAC states: hmac.New hashes the key into fresh inner and outer states on
	// every call, which cost as much as the MAC itself on the audit path of every e-service call.
	macs sync.Pool // of *macState
}

// macState is a keyed HMAC with the buffers one pseudonym needs: bytes passed to a hash.Hash
// escape to the heap, so reusing them saves the allocations of the input and the sum.
type macState struct {
	mac hash.Hash
	in  []byte
	sum []byte
}

// NewPseudonymizer returns a Pseudonymizer. key must have at least MinPseudonymKeyBytes bytes; keyID
// must be 1 to 32 characters of [A-Za-z0-9._-].
func NewPseudonymizer(key []byte, keyID string) (*Pseudonymizer, error) {
	if len(key) < MinPseudonymKeyBytes {
		return nil, errors.New("audit: the pseudonymisation key must have at least 32 bytes")
	}
	if !validKeyID(keyID) {
		return nil, errors.New("audit: the pseudonymisation key id must be 1 to 32 characters of A-Z a-z 0-9 . _ -")
	}
	p := &Pseudonymizer{key: append([]byte(nil), key...), keyID: keyID}
	p.macs.New = func() any {
		return &macState{mac: hmac.New(sha256.New, p.key), sum: make([]byte, 0, sha256.Size)}
	}
	return p, nil
}

// KeyID is the key generation this Pseudonymizer writes.
func (p *Pseudonymizer) KeyID() string { return p.keyID }

// Pseudonym is the pseudonym of value under claim; "" stays "".
func (p *Pseudonymizer) Pseudonym(claim, value string) string {
	if value == "" {
		return ""
	}
	m := p.macs.Get().(*macState)
	m.mac.Reset()
	m.in = append(append(append(m.in[:0], claim...), 0), value...)
	m.mac.Write(m.in)
	m.sum = m.mac.Sum(m.sum[:0])
	var out [len(PseudonymPrefix) + 32 + 1 + 2*sha256.Size]byte // keyID has at most 32 bytes
	b := append(append(append(out[:0], PseudonymPrefix...), p.keyID...), ':')
	b = hex.AppendEncode(b, m.sum)
	if cap(m.in) <= 4<<10 { // a state is not kept holding an outsized value
		p.macs.Put(m)
	}
	return string(b)
}

// Claim names mixed into the pseudonyms (the AUDIT_REST_01 claim names).
const (
	ClaimUserID       = "userID"
	ClaimUserLocation = "userLocation"
	ClaimLoA          = "LoA"
)

func validKeyID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	return onlyIDChars(id)
}
