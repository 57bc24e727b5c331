package console

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestProblemTypesDocumented keeps this package's problem types listed in gateway/problem/README.md.
func TestProblemTypesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../problem/README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := "| `" + Conflict.Code + "` | " + strconv.Itoa(Conflict.Status) + " | " + Conflict.Title + " | `gateway/console` |"
	if !strings.Contains(string(readme), row) {
		t.Errorf("gateway/problem/README.md has no row %q", row)
	}
}
