package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"strconv"
	"sync"
	"time"
)

// MinKeySize is the least length of the configured cache secret.
const MinKeySize = 32

// sealVersion is the first byte of every shared-tier value, so a future format can coexist.
const sealVersion = 1

// headerSize is the plaintext header: fetchedAt, freshUntil, expiresAt (Unix milliseconds) and
// a flags byte.
const headerSize = 8*3 + 1

const flagNegative = 1

// sealer derives the shared tier's keys and values from one secret: an HMAC-SHA256 key for key
// names (no codice fiscale ever appears in a key) and an AES-256-GCM key for values (a fresh
// random nonce per value; the storage key is the additional data, so a value moved under another
// key does not decrypt).
type sealer struct {
	aead cipher.AEAD
	macs sync.Pool // hash.Hash of HMAC-SHA256 under the MAC key
}

func newSealer(secret []byte) (*sealer, error) {
	if len(secret) < MinKeySize {
		return nil, errors.New("cache: the key must be at least 32 bytes")
	}
	macKey, err := hkdf.Key(sha256.New, secret, nil, "welfaregov gateway cache v1 key names", 32)
	if err != nil {
		return nil, err
	}
	encKey, err := hkdf.Key(sha256.New, secret, nil, "welfaregov gateway cache v1 values", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &sealer{aead: aead}
	s.macs.New = func() any { return hmac.New(sha256.New, macKey) }
	return s, nil
}

// mac is HMAC-SHA256 over the parts, each followed by a zero byte (parts never contain one:
// Key.valid), in hex.
func (s *sealer) mac(parts ...string) string {
	h := s.macs.Get().(hash.Hash)
	defer s.macs.Put(h)
	h.Reset()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// storageKey names k's entry in the shared store: cache:<kind>:<hmac(kind, subject, variant)>.
func (s *sealer) storageKey(k Key) string {
	return "cache:" + k.Kind + ":" + s.mac("entry", k.Kind, k.Subject, k.Variant)
}

// subjectIndexKey names the index of the subject's entries written in window w (see Purge).
func (s *sealer) subjectIndexKey(subject string, w int64) string {
	return "cache:subject:" + s.mac("subject", subject) + ":" + strconv.FormatInt(w, 10)
}

func (s *sealer) seal(storageKey string, e entry) []byte {
	plain := make([]byte, headerSize, headerSize+len(e.data))
	binary.BigEndian.PutUint64(plain[0:], uint64(e.fetchedAt.UnixMilli()))
	binary.BigEndian.PutUint64(plain[8:], uint64(e.freshUntil.UnixMilli()))
	binary.BigEndian.PutUint64(plain[16:], uint64(e.expiresAt.UnixMilli()))
	if e.negative {
		plain[24] = flagNegative
	}
	plain = append(plain, e.data...)
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		panic("cache: the system's random source failed: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return s.aead.Seal(out, out[1:], plain, []byte(storageKey))
}

var errSealed = errors.New("cache: a shared-tier value does not decrypt (another key, or tampered)")

func (s *sealer) open(storageKey string, sealed []byte) (entry, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return entry{}, errSealed
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(storageKey))
	if err != nil || len(plain) < headerSize {
		return entry{}, errSealed
	}
	ms := func(i int) time.Time { return time.UnixMilli(int64(binary.BigEndian.Uint64(plain[i:]))) }
	return entry{
		fetchedAt: ms(0), freshUntil: ms(8), expiresAt: ms(16),
		negative: plain[24]&flagNegative != 0, data: plain[headerSize:],
	}, nil
}
