package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func testPseudonymizer(t testing.TB) *Pseudonymizer {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	p, err := NewPseudonymizer(key, "test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// openLogger opens a FileSink-backed Logger in dir.
func openLogger(t testing.TB, dir string, o FileOptions) *Logger {
	t.Helper()
	o.Dir = dir
	if o.Instance == "" {
		o.Instance = "gw-1"
	}
	sink, err := OpenFileSink(o)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLogger(sink, testPseudonymizer(t), o.Instance, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// call is a fully filled Record; n varies it.
func call(n int) *Record {
	return &Record{
		Time:               time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond),
		EService:           "isee-prestazioni",
		Operation:          "POST /indicatori/ricerca",
		Method:             "POST",
		Status:             200,
		Outcome:            OutcomeOK,
		ClientID:           "6e0d3c7a-0a0e-4a59-9d6d-2f0b8f6c1a01",
		PurposeID:          "1cafea11-08a0-4eaf-a3ee-3e9839c8c2a9",
		VoucherJTI:         fmt.Sprintf("8f3e3665-5d89-4600-be2f-%012d", n),
		Tracking:           TrackingClaims{UserID: "operatore-17", UserLocation: "postazione-3", LoA: "SPID_L2"},
		RequestID:          fmt.Sprintf("req-%d", n),
		Latency:            1500 * time.Microsecond,
		RequestBodySHA256:  Digest([]byte(`{"codiceFiscale":"RSSMRA80A01H501U"}`)),
		ResponseBodySHA256: Digest([]byte(`{}`)),
		ClientIP:           "10.1.2.3",
	}
}

func appendN(t testing.TB, l *Logger, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := l.Append(context.Background(), call(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// chainFiles lists the audit files of dir in chain order.
func chainFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func verifyDir(t testing.TB, dir string) *Report {
	t.Helper()
	rep, err := Verify(chainFiles(t, dir)...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// editLines rewrites a file through f, which gets and returns its lines (without newlines).
func editLines(t testing.TB, path string, f func([][]byte) [][]byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	lines = f(lines)
	out := bytes.Join(lines, []byte("\n"))
	if len(lines) > 0 {
		out = append(out, '\n')
	}
	if err := os.WriteFile(path, out, 0o640); err != nil {
		t.Fatal(err)
	}
}
