package server

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/problem"
)

// TestProblemTypesDocumented keeps this package's problem types listed in gateway/problem/README.md.
func TestProblemTypesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../problem/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range []problem.Type{MethodNotImplemented, HeadersTooLarge} {
		row := "| `" + ty.Code + "` | " + strconv.Itoa(ty.Status) + " | " + ty.Title + " | `gateway/server` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("gateway/problem/README.md has no row %q", row)
		}
	}
}
