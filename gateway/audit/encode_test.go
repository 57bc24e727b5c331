package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

// entryOf fills every string field of an Entry with s (and the numbers with n), so one input
// exercises the escaping of every member.
func entryOf(s string, n int64) *Entry {
	return &Entry{Seq: uint64(n), Kind: s, Time: s, Instance: s, EService: s, Operation: s, Method: s,
		Status: int(n % 1000), Outcome: s, ClientID: s, ConsumerID: s, PurposeID: s, VoucherJTI: s,
		SignatureJTI: s, TrackingJTI: s, UserID: s, UserLocation: s, LoA: s, RequestID: s, LatencyUs: n,
		RequestSHA256: s, ResponseSHA256: s, ClientIP: s, Prev: s}
}

func checkCanonical(t *testing.T, e *Entry) {
	t.Helper()
	want, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendCanonical(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendCanonical differs from json.Marshal:\n got %s\nwant %s", got, want)
	}
}

func TestAppendCanonicalIsJSONMarshal(t *testing.T) {
	l, err := NewLogger(&MemorySink{}, testPseudonymizer(t), "replica-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	logged, err := l.entry(call(1))
	if err != nil {
		t.Fatal(err)
	}
	logged.Prev = ZeroHash
	for name, e := range map[string]*Entry{
		"a call":               logged,
		"every member empty":   {Prev: ZeroHash},
		"zero status, latency": {Seq: 3, Kind: KindCall, Time: "2026-11-27T10:00:00.000Z", Instance: "r1", Prev: ZeroHash},
		"negative latency":     entryOf("x", -42),
		"escaped characters":   entryOf(`a"b\c<d>e&f'g/h`, 7),
		"only escapes":         entryOf(`"\<>&`, 1),
		"not ASCII: fallback":  entryOf("città\u2028", 2),
		"control: fallback":    entryOf("a\tb\x7f", 3),
		"start entry":          {Seq: 1, Kind: KindStart, Time: "2026-11-27T10:00:00.000Z", Instance: "r1", Start: &StartInfo{Version: "v1<2>"}, Prev: ZeroHash},
	} {
		t.Run(name, func(t *testing.T) { checkCanonical(t, e) })
	}
}

func FuzzAppendCanonical(f *testing.F) {
	for _, s := range []string{"", "abc", `"\<>&`, "città", "\x00\x1f\x7f", "sha256:0f"} {
		f.Add(s, int64(len(s)))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) { checkCanonical(t, entryOf(s, n)) })
}
