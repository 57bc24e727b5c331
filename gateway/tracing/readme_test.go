package tracing

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeListsEveryFile keeps README.md's file table and the shared-state keys in step with the
// code.
func TestReadmeListsEveryFile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") && !bytes.Contains(readme, []byte("`"+f+"`")) {
			t.Errorf("README.md does not describe %s", f)
		}
	}
	for _, k := range []string{keyCounts, keyDay, keySince, keyChecked, keyLock} {
		if !bytes.Contains(readme, []byte("`"+k)) {
			t.Errorf("README.md does not list the key %s", k)
		}
	}
}
