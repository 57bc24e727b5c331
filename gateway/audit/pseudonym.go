package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
	return &Pseudonymizer{key: append([]byte(nil), key...), keyID: keyID}, nil
}

// KeyID is the key generation this Pseudonymizer writes.
func (p *Pseudonymizer) KeyID() string { return p.keyID }

// Pseudonym is the pseudonym of value under claim; "" stays "".
func (p *Pseudonymizer) Pseudonym(claim, value string) string {
	if value == "" {
		return ""
	}
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(claim))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return PseudonymPrefix + p.keyID + ":" + hex.EncodeToString(m.Sum(nil))
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
