// Package fixturetest is what the adapters' fixture tests share: the -update flag, the comparison
// of an output with its reviewed expected file (golden), and the listing and reading of fixtures.
// It is for tests only.
package fixturetest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Update is the -update flag: the comparisons rewrite the expected files from the current output
// (go test ./adapters/X -run TestY -update). Review every diff before committing: an expected file
// is what the adapter must produce, not a snapshot of what it does.
var Update = flag.Bool("update", false, "rewrite the expected files (testdata/**/*.golden.json ...) from the current output; review the diff")

// Compare checks got against the file path, or writes it there with -update. A difference, or a
// missing file, fails the test with the first differing lines.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run '%s' -update, then review the file)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the output differs from %s:\n%s", path, diffLines(string(want), string(got)))
	}
}

// Golden is Compare of v as indented JSON with a final newline; it returns those bytes.
func Golden(t testing.TB, path string, v any) []byte {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got = append(got, '\n')
	Compare(t, path, got)
	return got
}

// Files lists the files of dir matching any of patterns ("*.json", "lenient/*.xml"), in order,
// leaving out the expected files (*.golden.json). It fails the test when there is none.
func Files(t testing.TB, dir string, patterns ...string) []string {
	t.Helper()
	var out []string
	for _, p := range patterns {
		matches, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			if !strings.HasSuffix(m, ".golden.json") {
				out = append(out, m)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures matching %v in %s", patterns, dir)
	}
	return out
}

// Read returns the content of a file, failing the test when it cannot be read.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// diffLines shows the first differing lines of two texts.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 12; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl + "\n")
			shown++
		}
	}
	return b.String()
}
