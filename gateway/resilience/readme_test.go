package resilience

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/problem"
)

// The problem types declared here are listed in the gateway's problem catalogue, with their
// status and title.
func TestProblemCatalogueListsOurTypes(t *testing.T) {
	readme, err := os.ReadFile("../problem/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range []problem.Type{UpstreamCircuitOpen, UpstreamBusy, UpstreamQuotaExhausted, UpstreamTimeout, UpstreamCredentials} {
		row := "| `" + ty.Code + "` | " + strconv.Itoa(ty.Status) + " | " + ty.Title + " | `gateway/resilience`"
		if !strings.Contains(string(readme), row) {
			t.Errorf("gateway/problem/README.md has no row starting %q", row)
		}
	}
}
