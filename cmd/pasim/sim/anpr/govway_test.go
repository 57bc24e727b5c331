package anpr

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// TestWriteGovWayError: each class of the gateway's verification failures becomes GovWay's
// answer for it, keeping the code in the detail.
func TestWriteGovWayError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{secerr.New(secerr.Voucher, secerr.Missing, "no voucher"), 401, GovWayTokenRequired},
		{secerr.New(secerr.Voucher, secerr.SignatureInvalid, "bad"), 401, GovWayTokenFailed},
		{secerr.New(secerr.Voucher, secerr.Expired, "old"), 401, GovWayTokenExpired},
		{secerr.New(secerr.Voucher, secerr.NotYetValid, "nbf"), 401, GovWayTokenNotBefore},
		{secerr.New(secerr.Voucher, secerr.IssuedInFuture, "iat"), 401, GovWayTokenInTheFuture},
		{secerr.New(secerr.Voucher, secerr.ClaimMissing, "no purposeId"), 401, GovWayTokenClaimsNotFound},
		{secerr.New(secerr.Voucher, secerr.EServiceMismatch, "other"), 403, GovWayAuthorizationDeny},
		{secerr.New(secerr.Integrity, secerr.DigestMismatch, "digest"), 400, GovWayInteroperability},
		{secerr.New(secerr.Audit, secerr.KeyUnavailable, "down"), 503, GovWayAPIUnavailable},
		{problem.New(problem.PayloadTooLarge, "too big"), 413, GovWayRequestTooLarge},
	} {
		rec := httptest.NewRecorder()
		WriteGovWayError(rec, nil, tc.err)
		var p e002.GovWayProblem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if rec.Code != tc.status || p.Title != tc.code || rec.Header().Get("GovWay-Transaction-ErrorType") != tc.code {
			t.Errorf("%v: %d %+v", tc.err, rec.Code, p)
		}
		if e := secerr.As(tc.err); e != nil && !strings.HasSuffix(p.Detail, "["+e.Code()+"]") {
			t.Errorf("%v: detail %q lacks the code", tc.err, p.Detail)
		}
	}
}
