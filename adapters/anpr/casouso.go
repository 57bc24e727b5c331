// Package anpr is the gateway's adapter for ANPR's E002 REST e-services on PDND: C030 (codice
// fiscale → idANPR), then C020 residenza, C021 stato di famiglia, C015 generalità, C018 cittadinanza
// and C019 esistenza in vita by idANPR.
//
// The package is pure: it builds request bodies (BuildRichiesta), interprets answers
// (InterpretResponse, ParseRisposta) into WelfareGOV's model (package contracts) and typed errors
// (*Error), and offers a thin Client over an injected Transport. It opens no connection, reads no
// clock except the one injected in Client, and keeps no global state. The upstream runtime (voucher,
// ModI INTEGRITY_REST_02 and AUDIT_REST_02 headers, breakers, caching) implements Transport and wraps
// the Client; see README.md.
package anpr

import (
	"fmt"
	"net/url"
	"strings"
)

// CasoUso is an ANPR use case, one PDND e-service each ("C021").
type CasoUso string

// The use cases the gateway calls.
const (
	C030 CasoUso = "C030" // accertamento identificativo unico nazionale: codice fiscale → idANPR
	C020 CasoUso = "C020" // accertamento residenza (with the death data when present)
	C021 CasoUso = "C021" // accertamento stato di famiglia
	C015 CasoUso = "C015" // accertamento generalità
	C018 CasoUso = "C018" // accertamento cittadinanza
	C019 CasoUso = "C019" // accertamento esistenza in vita
)

// CasiUso lists the supported use cases, C030 first (it is the first step of every chain).
var CasiUso = []CasoUso{C030, C020, C021, C015, C018, C019}

// servizi maps each use case to the name of its e-service (the path segment after the code, as in
// the PDND catalogue: "C021-servizioAccertamentoStatoFamiglia").
var servizi = map[CasoUso]string{
	C030: "servizioAccertamentoIdUnicoNazionale",
	C020: "servizioAccertamentoResidenza",
	C021: "servizioAccertamentoStatoFamiglia",
	C015: "servizioAccertamentoGeneralita",
	C018: "servizioAccertamentoCittadinanza",
	C019: "servizioAccertamentoEsistenzaVita",
}

// Valid reports whether c is one of the supported use cases.
func (c CasoUso) Valid() bool { _, ok := servizi[c]; return ok }

// Servizio is the e-service path segment, "C021-servizioAccertamentoStatoFamiglia". With enDash the
// separator is U+2013 EN DASH, the spelling of ANPR's own C001 spec ("C001–servizioNotifica"), which
// some deployments use for other services too.
func (c CasoUso) Servizio(enDash bool) string {
	sep := "-"
	if enDash {
		sep = EnDash
	}
	return string(c) + sep + servizi[c]
}

// EnDash is the separator ANPR's C001 spec puts between code and service name.
const EnDash = "\u2013"

// Hosts of ANPR's GovWay (payloads.md §2.2).
const (
	HostProduzione = "https://modipa.anpr.interno.it"
	HostCollaudo   = "https://modipa-val.anpr.interno.it" // "validazione", paired with PDND's UAT
)

// Path prefixes: the invocation URL carries -PDND, the ModI audience does not (italia/anpr#4496).
const (
	prefixInvocazione = "/govway/rest/in/MinInternoPortaANPR-PDND/"
	prefixAudience    = "/govway/rest/in/MinInternoPortaANPR/"
)

// OperationPath is the path of the E002 operation under a service's base URL.
const OperationPath = "/anpr-service-e002"

// BaseURL is the service's base URL on host, e.g.
// https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/C021-servizioAccertamentoStatoFamiglia/v1
// (not percent-encoded: the Client encodes it when it builds the request).
func BaseURL(host string, c CasoUso) string {
	return strings.TrimRight(host, "/") + prefixInvocazione + c.Servizio(false) + "/v1"
}

// Audience is the value ANPR expects in the aud claim of Agid-JWT-Signature and
// Agid-JWT-TrackingEvidence: the base URL without the -PDND segment.
func Audience(host string, c CasoUso) string {
	return strings.TrimRight(host, "/") + prefixAudience + c.Servizio(false) + "/v1"
}

// Endpoints returns the base URL of every supported use case on host.
func Endpoints(host string) map[CasoUso]string {
	m := make(map[CasoUso]string, len(CasiUso))
	for _, c := range CasiUso {
		m[c] = BaseURL(host, c)
	}
	return m
}

// EndpointsUnder returns the base URL of every supported use case under base, the common prefix of
// the invocation URLs (https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/):
// base + "C021-servizioAccertamentoStatoFamiglia/v1". The gateway's upstreams.anpr.base_url is that
// prefix, so its runtime sends the vouchers nowhere else.
func EndpointsUnder(base string) map[CasoUso]string {
	m := make(map[CasoUso]string, len(CasiUso))
	for _, c := range CasiUso {
		m[c] = strings.TrimRight(base, "/") + "/" + c.Servizio(false) + "/v1"
	}
	return m
}

// operationURL parses a configured base URL and appends OperationPath. The base may be written with
// the en dash in clear or percent-encoded; the result's String() is percent-encoded either way.
func operationURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("anpr: base URL %q: %w", base, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("anpr: base URL %q: the scheme must be https (http only for simulators)", base)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("anpr: base URL %q: want scheme://host/path without query, fragment or credentials", base)
	}
	op := *u
	op.Path = strings.TrimRight(u.Path, "/") + OperationPath
	op.RawPath = "" // re-encoded from Path: an en dash becomes %E2%80%93 however it was written
	return &op, nil
}
