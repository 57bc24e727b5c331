package pdnd_test

import (
	"flag"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/secerr"
)

var update = flag.Bool("update", false, "rewrite the README code tables")

// TestREADMECodes keeps the README's table equal to the registered voucher and DPoP codes.
func TestREADMECodes(t *testing.T) {
	sectest.CheckCodeTable(t, "README.md", *update, secerr.Voucher, secerr.DPoP)
}
