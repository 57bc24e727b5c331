package fixturetest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps Errorf's messages instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestGoldenAndUpdate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "case.golden.json")
	v := map[string]any{"a": 1, "b": []string{"x"}}

	*Update = true
	Golden(t, path, v)
	*Update = false
	if b, _ := os.ReadFile(path); string(b) != "{\n  \"a\": 1,\n  \"b\": [\n    \"x\"\n  ]\n}\n" {
		t.Fatalf("-update wrote %q", b)
	}
	Golden(t, path, v) // the same value passes

	r := &recorder{TB: t}
	Golden(r, path, map[string]any{"a": 2, "b": []string{"x"}})
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "line 2:\n  want   \"a\": 1,\n  got    \"a\": 2,") {
		t.Fatalf("a different value reported %q", r.errors)
	}
}

func TestFilesLeavesTheGoldensOut(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.json", "a.golden.json", "b.json", "c.xml"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := Files(t, dir, "*.json", "*.xml")
	want := []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.xml")}
	if !slices.Equal(got, want) {
		t.Fatalf("Files = %v, want %v", got, want)
	}
}
