package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seedTrail is a valid three-entry file.
func seedTrail(f *testing.F) []byte {
	sink := &MemorySink{}
	l, err := NewLogger(sink, testPseudonymizer(f), "gw-1", nil)
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := l.Append(f.Context(), call(i)); err != nil {
			f.Fatal(err)
		}
	}
	return bytes.Join(sink.Lines(), nil)
}

// FuzzParseLine feeds arbitrary lines to the reader: it must not panic, and whatever it accepts must
// be exactly what sealing the decoded entry produces (no second encoding of the same entry passes).
func FuzzParseLine(f *testing.F) {
	for _, line := range bytes.Split(seedTrail(f), []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`{"seq":1,"kind":"call","hash":"00"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseLine(line)
		if err != nil {
			return
		}
		c := Chain{Seq: e.Seq - 1, Hash: e.Prev}
		if e.Prev == ZeroHash {
			c.Hash = ""
		}
		want := e.Hash
		sealed, serr := c.Seal(e)
		if serr != nil || !bytes.Equal(bytes.TrimSuffix(sealed, []byte("\n")), line) || e.Hash != want {
			t.Fatalf("accepted a line that is not the canonical sealing of its entry:\n%s\n%s", line, sealed)
		}
	})
}

// FuzzVerifyDetectsAnyByteChange changes one byte of a valid trail: Verify must not panic and must
// report a problem whenever the byte actually changed.
func FuzzVerifyDetectsAnyByteChange(f *testing.F) {
	trail := seedTrail(f)
	f.Add(uint(10), byte('x'))
	f.Add(uint(len(trail)-1), byte(' '))
	f.Add(uint(len(trail)/2), byte('\n'))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, pos uint, b byte) {
		data := append([]byte(nil), trail...)
		i := int(pos % uint(len(data)))
		changed := data[i] != b
		data[i] = b
		path := filepath.Join(dir, "audit-gw-1-20260131-00000000000000000001.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(path)
		if err != nil {
			t.Fatal(err)
		}
		if changed && rep.OK() {
			t.Fatalf("byte %d changed to %q and Verify found nothing", i, b)
		}
		if !changed && !rep.OK() {
			t.Fatalf("unchanged trail reported: %v", rep.Problems)
		}
	})
}

// FuzzVerifyArbitraryFile reads any bytes as an audit file without panicking.
func FuzzVerifyArbitraryFile(f *testing.F) {
	f.Add(seedTrail(f))
	f.Add([]byte("\n\n{}\n"))
	f.Add(bytes.Repeat([]byte("a"), MaxLineBytes+10))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "audit-x-20260131-00000000000000000001.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(path); err != nil {
			t.Fatal(err)
		}
	})
}
