package sectest

import (
	"os"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/secerr"
)

// CheckCodeTable keeps a README's code table equal to the codes secerr registers for kinds. The
// table sits between the lines "<!-- codes:KIND,KIND -->" and "<!-- /codes -->". With update the
// file is rewritten (go test -run README -update); otherwise a difference fails the test, so a new
// code cannot ship undocumented.
func CheckCodeTable(t *testing.T, path string, update bool, kinds ...secerr.Kind) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	open := "<!-- codes:" + strings.Join(names, ",") + " -->\n"
	const close = "<!-- /codes -->"
	text := string(b)
	i := strings.Index(text, open)
	j := strings.Index(text, close)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q section", path, strings.TrimSpace(open), close)
	}
	want := secerr.MarkdownTable(kinds...)
	got := text[i+len(open) : j]
	if got == want {
		return
	}
	if update {
		if err := os.WriteFile(path, []byte(text[:i+len(open)]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("the code table in %s is out of date; run: go test -run README -update", path)
}
