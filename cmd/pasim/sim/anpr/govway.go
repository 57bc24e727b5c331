package anpr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// GovWay error codes the simulator answers with (GovWay's handling-errors catalogue, pdnd-modi.md
// §9.14). The real GovWay in front of ANPR returns them before ANPR sees the request.
const (
	GovWayInvalidRequestContent = "InvalidRequestContent"          // 400: body not conform to the OpenAPI
	GovWayInteroperability      = "InteroperabilityInvalidRequest" // 400: ModI profile not respected
	GovWayTokenRequired         = "TokenAuthenticationRequired"    // 401: no PDND voucher
	GovWayAPIUnavailable        = "APIUnavailable"                 // 503
	GovWayTokenFailed           = "TokenAuthenticationFailed"      // 401: voucher invalid
	GovWayTokenExpired          = "TokenExpired"                   // 401
	GovWayTokenNotBefore        = "TokenNotBefore"                 // 401
	GovWayTokenInTheFuture      = "TokenInTheFuture"               // 401
	GovWayTokenClaimsNotFound   = "TokenRequiredClaimsNotFound"    // 401
	GovWayAuthorizationDeny     = "AuthorizationTokenDeny"         // 403: voucher for another e-service
	GovWayRequestTooLarge       = "RequestTooLarge"                // 413
)

// WriteGovWayError answers a refused request (a *secerr.Error from the real verification, or a
// problem for an unreadable body) the way ANPR's GovWay does (pdnd-modi.md §9.14): 401 Token* for
// the voucher, 403 AuthorizationTokenDeny for a voucher of another e-service or purpose, 400
// InteroperabilityInvalidRequest for the ModI headers, 503 APIUnavailable when a dependency is
// down. The detail keeps the gateway's stable code in brackets, so a test (or an integrator) can
// tell the failures apart.
func WriteGovWayError(w http.ResponseWriter, _ *http.Request, err error) {
	if e := secerr.As(err); e != nil {
		status := e.Status()
		code := GovWayInteroperability
		detail := e.Detail + " [" + e.Code() + "]"
		switch {
		case status == http.StatusServiceUnavailable:
			code = GovWayAPIUnavailable
		case status == http.StatusForbidden:
			code = GovWayAuthorizationDeny
		case status == http.StatusUnauthorized:
			code = govWay401(e.Reason)
		case status == http.StatusBadRequest:
			detail = "Received request is not conform to the required interoperability profile: " + detail
		}
		WriteGovWayProblem(w, status, code, detail)
		return
	}
	var p *problem.Error
	if errors.As(err, &p) && p.Type.Status == http.StatusRequestEntityTooLarge {
		WriteGovWayProblem(w, p.Type.Status, GovWayRequestTooLarge, p.Detail)
		return
	}
	WriteGovWayProblem(w, http.StatusBadRequest, GovWayInvalidRequestContent, "the request could not be read")
}

func govWay401(r secerr.Reason) string {
	switch r {
	case secerr.Missing:
		return GovWayTokenRequired
	case secerr.Expired:
		return GovWayTokenExpired
	case secerr.NotYetValid:
		return GovWayTokenNotBefore
	case secerr.IssuedInFuture:
		return GovWayTokenInTheFuture
	case secerr.ClaimMissing:
		return GovWayTokenClaimsNotFound
	}
	return GovWayTokenFailed
}

// WriteGovWayProblem answers like ANPR's GovWay: an RFC 7807 body with govway_id, and the
// GovWay-Transaction-ErrorType and GovWay-Transaction-ID headers. The PDND simulator's security
// hook uses it for the failures it detects.
func WriteGovWayProblem(w http.ResponseWriter, status int, code, detail string) {
	id := uuid.NewString()
	p := e002.GovWayProblem{Type: fmt.Sprintf("%s%d/%s.html", e002.GovWayTypeBase, status, code), Title: code,
		Status: status, Detail: detail, GovWayID: id}
	b, _ := json.Marshal(p)
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("GovWay-Transaction-ErrorType", code)
	h.Set("GovWay-Transaction-ID", id)
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="MinInternoPortaANPR-PDND"`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// RequireModIHeaders is the default Security: it checks only that the PDND voucher
// (Authorization: Bearer), INTEGRITY_REST_02 (Digest + Agid-JWT-Signature) and AUDIT_REST_02
// (Agid-JWT-TrackingEvidence) are present, and answers like GovWay when they are not: 401 without a
// voucher, 400 InteroperabilityInvalidRequest without the ModI headers. The PDND simulator replaces
// it with real verification (Options.Security).
func RequireModIHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if len(auth) < 8 || !strings.EqualFold(auth[:7], "Bearer ") || strings.TrimSpace(auth[7:]) == "" {
			WriteGovWayProblem(w, http.StatusUnauthorized, GovWayTokenRequired, "A PDND voucher is required (Authorization: Bearer)")
			return
		}
		var missing []string
		for _, h := range []string{"Digest", "Agid-JWT-Signature", "Agid-JWT-TrackingEvidence"} {
			if strings.TrimSpace(r.Header.Get(h)) == "" {
				missing = append(missing, h)
			}
		}
		if len(missing) > 0 {
			WriteGovWayProblem(w, http.StatusBadRequest, GovWayInteroperability,
				"Received request is not conform to the required interoperability profile (missing header "+strings.Join(missing, ", ")+")")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkRichiesta validates a decoded JSON body against RichiestaE002 as GovWay does with the
// OpenAPI (required members, no nulls, strings), returning GovWay-style lines ("body.x.y: ...").
// Members it does not know are allowed, as in OpenAPI 3.0.
func checkRichiesta(v any) []string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	top, ok := v.(map[string]any)
	if !ok {
		return []string{"body: Type expected 'object', found '" + jsonType(v) + "'."}
	}
	// member returns m[name] when it is present and not null, reporting absence and null.
	member := func(path string, m map[string]any, name string, required bool) (any, bool) {
		x, present := m[name]
		switch {
		case !present && required:
			add("%s.%s: Field '%s' is required.", path, name, name)
		case present && x == nil:
			add("%s.%s: Null value is not allowed. (code: 1021)", path, name)
		case present:
			return x, true
		}
		return nil, false
	}
	object := func(path string, m map[string]any, name string, required bool) map[string]any {
		x, ok := member(path, m, name, required)
		if !ok {
			return nil
		}
		o, isObject := x.(map[string]any)
		if !isObject {
			add("%s.%s: Type expected 'object', found '%s'.", path, name, jsonType(x))
		}
		return o
	}
	str := func(path string, m map[string]any, name string, required bool) {
		if x, ok := member(path, m, name, required); ok {
			if _, isString := x.(string); !isString {
				add("%s.%s: Type expected 'string', found '%s'.", path, name, jsonType(x))
			}
		}
	}
	str("body", top, "idOperazioneClient", true)
	if c := object("body", top, "criteriRicerca", true); c != nil {
		for _, n := range []string{"codiceFiscale", "idANPR", "cognome", "senzaCognome", "nome", "senzaNome", "sesso"} {
			str("body.criteriRicerca", c, n, false)
		}
		object("body.criteriRicerca", c, "datiNascita", false)
	}
	if d := object("body", top, "datiRichiesta", true); d != nil {
		for _, n := range []string{"dataRiferimentoRichiesta", "motivoRichiesta", "casoUso"} {
			str("body.datiRichiesta", d, n, true)
		}
	}
	sort.Strings(lines)
	return lines
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}

// govWayValidationDetail formats lines like GovWay's InvalidRequestContent detail.
func govWayValidationDetail(lines []string) string {
	return "Request content not conform to API specification: Validation error(s) :\n" + strings.Join(lines, "\n") + "\n"
}
