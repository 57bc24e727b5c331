package modi_test

import (
	"flag"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/secerr"
)

var update = flag.Bool("update", false, "rewrite the README code tables")

// TestREADMECodes keeps the README's tables equal to the registered ModI codes.
func TestREADMECodes(t *testing.T) {
	sectest.CheckCodeTable(t, "README.md", *update, secerr.IDAuth, secerr.Integrity, secerr.Audit, secerr.Response)
}
