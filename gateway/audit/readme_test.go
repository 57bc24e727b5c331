package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeExample checks the record shown in README.md: it is a valid sealed entry, and its
// pseudonym is the one the documented key gives, so the re-identification example is true.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var line []byte
	for _, l := range bytes.Split(readme, []byte("\n")) {
		if bytes.HasPrefix(l, []byte(`{"seq":1,"kind":"call"`)) {
			line = l
		}
	}
	e, err := ParseLine(line)
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	p, _ := NewPseudonymizer([]byte("an-example-key-of-at-least-32-bytes!!"), "2026a")
	if e.UserID != p.Pseudonym(ClaimUserID, "RSSMRA80A01H501U") || !bytes.Contains(readme, []byte(e.UserID[:len("hmac-sha256:2026a:")+8])) {
		t.Fatal("the README's pseudonym does not come from the documented key")
	}
	go1, _ := filepath.Glob("*.go")
	for _, f := range go1 {
		if !strings.HasSuffix(f, "_test.go") && !strings.HasPrefix(f, "lock_") && !bytes.Contains(readme, []byte("`"+f+"`")) {
			t.Errorf("README.md does not describe %s", f)
		}
	}
}
