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
	macs sync.Pool
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
	p.macs.New = func() any { return hmac.New(sha256.New, p.key) }
	return p, nil
}

// KeyID is the key generation this Pseudonymizer writes.
func (p *Pseudonymizer) KeyID() string { return p.keyID }

// Pseudonym is the pseudonym of value under claim; "" stays "".
func (p *Pseudonymizer) Pseudonym(claim, value string) string {
	if value == "" {
		return ""
	}
	m := p.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(claim))
	m.Write([]byte{0})
	m.Write([]byte(value))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	p.macs.Put(m)
	out := make([]byte, 0, len(PseudonymPrefix)+len(p.keyID)+1+2*sha256.Size)
	out = append(append(append(out, PseudonymPrefix...), p.keyID...), ':')
	return string(hex.AppendEncode(out, sum[:]))
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
