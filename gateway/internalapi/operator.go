package internalapi

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/problem"
)

// The headers that name the operator and the case on every call (the contract's parameters).
// Hyphenated-Pascal-Case without the X- prefix (RFC 6648; the Italian guidelines' checker warns on
// X- headers).
const (
	HeaderOperatoreID         = "Operatore-Id"
	HeaderOperatorePostazione = "Operatore-Postazione"
	HeaderOperatoreLoA        = "Operatore-LoA"
	HeaderRiferimentoPratica  = "Riferimento-Pratica"
)

// OperatorIdentityInvalid: an operator or case header is missing or unusable; invalidParams names
// each header (never quoting its value).
var OperatorIdentityInvalid = problem.Type{Code: "operator-identity-invalid", Status: http.StatusBadRequest, Title: "Operator identity missing or invalid"}

// callerOf reads the four headers into a Caller, copying them (fasthttp reuses its buffers after
// the handler returns, and the Caller travels into detached cache loads). All four are required:
// ANPR's e-services require userID, userLocation and LoA in the tracking evidence, and its
// motivoRichiesta.
func callerOf(c *fiber.Ctx) (adapter.Caller, error) {
	var bad []problem.InvalidParam
	get := func(name string) string {
		v := strings.TrimSpace(string(c.Request().Header.Peek(name)))
		switch {
		case v == "":
			bad = append(bad, problem.InvalidParam{Name: name, Reason: "required"})
		case len(v) > adapter.MaxCallerField:
			bad = append(bad, problem.InvalidParam{Name: name, Reason: "longer than 256 bytes"})
		case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
			bad = append(bad, problem.InvalidParam{Name: name, Reason: "not printable UTF-8 text"})
		}
		return v
	}
	caller := adapter.Caller{UserID: get(HeaderOperatoreID), Workstation: get(HeaderOperatorePostazione),
		LoA: get(HeaderOperatoreLoA), CaseRef: get(HeaderRiferimentoPratica)}
	if len(bad) > 0 {
		e := problem.New(OperatorIdentityInvalid, "every call names the operator (%s, %s, %s) and the case (%s)",
			HeaderOperatoreID, HeaderOperatorePostazione, HeaderOperatoreLoA, HeaderRiferimentoPratica)
		e.Invalid = bad
		return adapter.Caller{}, e
	}
	return caller, nil
}
