package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
)

// ZeroHash is the Prev of the first entry of a chain.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// MaxLineBytes bounds one stored line. Entries are far smaller (every field is bounded by the
// Logger, about 2 KB in the worst case); the reader refuses longer lines instead of buffering them.
const MaxLineBytes = 16 << 10

// hashSuffixLen is len(`,"hash":"` + 64 hex + `"}`).
const hashSuffixLen = len(`,"hash":"`) + 64 + len(`"}`)

// Chain is the head of a hash chain: the last sequence number and hash. The zero value is an empty
// chain (the next entry is seq 1 with Prev ZeroHash). It is not safe for concurrent use: a Sink
// serialises Seal calls in the order it stores the lines.
type Chain struct {
	Seq  uint64
	Hash string
}

// Seal makes e the next entry of the chain: it sets Seq and Prev, computes Hash over the canonical
// encoding and returns the stored line, newline included. The canonical encoding is encoding/json's
// output for Entry (fields in declaration order, empty optional fields omitted, no whitespace); the
// hash is SHA-256 of that JSON object, and the line is the object with a last member
// "hash":"<64 lowercase hex>" added.
func (c *Chain) Seal(e *Entry) ([]byte, error) {
	e.Seq = c.Seq + 1
	e.Prev = c.Hash
	if e.Prev == "" {
		e.Prev = ZeroHash
	}
	scratch := encodeBuffers.Get().(*[]byte)
	defer encodeBuffers.Put(scratch)
	body, err := appendCanonical((*scratch)[:0], e)
	if cap(body) <= MaxLineBytes { // an oversized entry's buffer is not kept
		*scratch = body[:0]
	}
	if err != nil {
		return nil, fmt.Errorf("audit: encoding entry: %w", err)
	}
	if n := len(body) - 1 + hashSuffixLen + 1; n > MaxLineBytes {
		return nil, fmt.Errorf("audit: entry of %d bytes exceeds %d", n, MaxLineBytes)
	}
	sum := sha256.Sum256(body)
	e.Hash = hex.EncodeToString(sum[:])
	// The line is allocated at its exact size: it waits in the sink's queue until written, and an
	// encoding buffer grown by appends would be up to twice as big.
	line := make([]byte, 0, len(body)-1+hashSuffixLen+1)
	line = append(line, body[:len(body)-1]...) // the object stays open for the hash member
	line = append(line, `,"hash":"`...)
	line = append(line, e.Hash...)
	line = append(line, `"}`...)
	line = append(line, '\n')
	c.Seq, c.Hash = e.Seq, e.Hash
	return line, nil
}

// encodeBuffers hold the canonical encoding of an entry while Seal hashes it.
var encodeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// LineReason classifies a line that is not a valid entry.
type LineReason int

const (
	// LineMalformed: not an entry at all (no hash member at the end, not JSON, unknown members,
	// missing seq/kind/time/instance/prev).
	LineMalformed LineReason = iota + 1
	// LineNotCanonical: valid JSON whose bytes differ from the canonical encoding of its content
	// (reordered or duplicated members, whitespace, other escaping). The writer never produces it.
	LineNotCanonical
	// LineHashMismatch: the hash member is not the SHA-256 of the rest: a field was changed.
	LineHashMismatch
)

func (r LineReason) String() string {
	switch r {
	case LineMalformed:
		return "malformed"
	case LineNotCanonical:
		return "not-canonical"
	case LineHashMismatch:
		return "hash-mismatch"
	}
	return "unknown"
}

// LineError says why a line is not a valid entry.
type LineError struct {
	Reason LineReason
	Detail string
}

func (e *LineError) Error() string { return "audit: " + e.Reason.String() + ": " + e.Detail }

// ParseLine decodes one stored line (without its newline) and checks it on its own: shape, canonical
// encoding and hash. It does not check the chain (Seq and Prev against the previous entry): Verify
// does. On LineNotCanonical and LineHashMismatch the decoded entry is returned too, so the report can
// name its seq and follow the chain through it.
func ParseLine(line []byte) (*Entry, error) {
	if len(line) > MaxLineBytes {
		return nil, &LineError{LineMalformed, fmt.Sprintf("line of %d bytes exceeds %d", len(line), MaxLineBytes)}
	}
	if len(line) < hashSuffixLen+2 || !bytes.HasSuffix(line, []byte(`"}`)) ||
		!bytes.HasPrefix(line[len(line)-hashSuffixLen:], []byte(`,"hash":"`)) {
		return nil, &LineError{LineMalformed, `the line does not end with a "hash" member`}
	}
	stored := line[len(line)-hashSuffixLen+len(`,"hash":"`) : len(line)-2]
	if !isLowerHex(stored) {
		return nil, &LineError{LineMalformed, "the hash member is not 64 lowercase hex digits"}
	}
	body := make([]byte, 0, len(line)-hashSuffixLen+1)
	body = append(body, line[:len(line)-hashSuffixLen]...)
	body = append(body, '}')
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, &LineError{LineMalformed, "not a JSON entry: " + err.Error()}
	}
	if dec.More() {
		return nil, &LineError{LineMalformed, "data after the JSON entry"}
	}
	if e.Seq == 0 || (e.Kind != KindCall && e.Kind != KindStart) || e.Time == "" || e.Instance == "" || len(e.Prev) != 64 || !isLowerHex([]byte(e.Prev)) {
		return nil, &LineError{LineMalformed, "seq, kind, time, instance or prev missing or invalid"}
	}
	e.Hash = string(stored)
	canonical, err := json.Marshal(&e)
	if err != nil || !bytes.Equal(canonical, body) {
		return &e, &LineError{LineNotCanonical, fmt.Sprintf("seq %d: the bytes are not the canonical encoding of the entry (edited by hand?)", e.Seq)}
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != e.Hash {
		return &e, &LineError{LineHashMismatch, fmt.Sprintf("seq %d: the content does not match its hash (a field was changed)", e.Seq)}
	}
	return &e, nil
}

func isLowerHex(b []byte) bool {
	if len(b) != 64 {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
