// Package inps simulates INPS's ConsultazioneISEE SOAP e-service for enti erogatori on PDND (WSDL
// "ConsultazioneISEE_v2.8_PDND", service SvcConsultazione): ConsultazioneAttestazione (RicercaCF,
// RicercaProtDSU, RicercaProtMittente) and ConsultazioneIndicatore, answering from the pasim
// population with base64 ISO-8859-1 payloads valid against ISEE_Attestazione.xsd v1.4.
//
// Element names, namespaces and SOAP actions come from adapters/inps (the gateway's side of the same
// format), whose tests check them against the real schemas; the simulator's own tests validate
// every answer it gives for the whole population against those schemas and read it back with the
// adapter. See cmd/pasim/README.md for endpoints, Esito behaviours and faults.
package inps

import (
	"net/http"
	"strings"
	"sync/atomic"

	adapter "github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
)

// Path is the service's path, from the WSDL's soap:address.
const Path = "/pdnd/soap/ConsultazioneISEE/v1"

// Fault-injection endpoint names.
const (
	EndpointAttestazione = "inps.consultazioneAttestazione"
	EndpointIndicatore   = "inps.consultazioneIndicatore"
	// EndpointAltro receives every POST whose SOAPAction names no operation of the binding.
	EndpointAltro = "inps.soap"
)

// Semantic faults (fault.Spec.Semantic) the simulator interprets: the named Esito (or a SOAP Fault)
// replaces the answer the population would give.
const (
	SemanticDatabaseOffline    = "database-offline"     // Esito DATABASE_OFFLINE
	SemanticErroreInterno      = "errore-interno"       // Esito ERRORE_INTERNO
	SemanticRiscontroNonValido = "riscontro-non-valido" // Esito RISCONTRO_NON_VALIDO
	SemanticRichiestaInvalida  = "richiesta-invalida"   // Esito RICHIESTA_INVALIDA
	SemanticDatiNonTrovati     = "dati-non-trovati"     // Esito DATI_NON_TROVATI
	SemanticSOAPFault          = "soap-fault"           // HTTP 500 with a soap:Server Fault
)

// Options configure the simulator. Population is required.
type Options struct {
	Population *population.Population
	// Faults wraps every operation; nil means no fault injection.
	Faults *fault.Injector
	// Security verifies the inbound PDND security before the operation runs; the PDND simulator's
	// voucher verifier plugs in here and answers rejections itself (Unauthorized writes them the
	// INPS way). Nil means RequireBearer: an "Authorization: Bearer <token>" header must be present.
	Security func(http.Handler) http.Handler
	// Oggi is "today" for searches without DataValidita; zero means population.ReferenceDate, so that
	// answers do not change with the wall clock.
	Oggi population.Date
}

// Handler returns the SOAP service, served at Path.
func Handler(o Options) http.Handler {
	secure := o.Security
	if secure == nil {
		secure = RequireBearer
	}
	s := newServer(o)
	hooks := fault.Hooks{Error: s.injectedError, Quota: simhttp.QuotaExhausted, Malformed: s.malformed}
	ops := map[adapter.Operazione]http.Handler{
		adapter.OpConsultazioneAttestazione: o.Faults.Wrap(EndpointAttestazione, "POST "+Path+" SOAPAction ConsultazioneAttestazione", hooks,
			secure(s.operation(adapter.OpConsultazioneAttestazione))),
		adapter.OpConsultazioneIndicatore: o.Faults.Wrap(EndpointIndicatore, "POST "+Path+" SOAPAction ConsultazioneIndicatore", hooks,
			secure(s.operation(adapter.OpConsultazioneIndicatore))),
	}
	other := o.Faults.Wrap(EndpointAltro, "POST "+Path+" with a SOAPAction of no operation", hooks, http.HandlerFunc(actionNotSupported))
	mux := http.NewServeMux()
	mux.HandleFunc(Path, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeFault(w, http.StatusMethodNotAllowed, "Client", "Il servizio accetta solo POST di messaggi SOAP 1.1")
			return
		}
		if op, ok := adapter.OperazioneFromSOAPAction(r.Header.Get("SOAPAction")); ok {
			ops[op].ServeHTTP(w, r)
			return
		}
		other.ServeHTTP(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeFault(w, http.StatusNotFound, "Client", "Nessun servizio all'indirizzo "+truncate(r.URL.Path, 100)+": ConsultazioneISEE risponde a "+Path)
	})
	return mux
}

// actionNotSupported answers as a WCF endpoint does to a SOAPAction it does not know.
func actionNotSupported(w http.ResponseWriter, r *http.Request) {
	writeFault(w, http.StatusInternalServerError, "Client",
		"Il messaggio con Action '"+truncate(r.Header.Get("SOAPAction"), 200)+"' non può essere elaborato: le azioni ammesse sono "+
			adapter.OpConsultazioneAttestazione.SOAPAction()+" e "+adapter.OpConsultazioneIndicatore.SOAPAction())
}

// RequireBearer is the default Security: it checks only that a PDND voucher is presented
// ("Authorization: Bearer <token>"), not its signature or claims (the PDND simulator's verifier does
// that when plugged in).
func RequireBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		switch scheme, token, _ := strings.Cut(h, " "); {
		case h == "":
			Unauthorized(w, "invalid_request", "Voucher PDND assente: è richiesto l'header Authorization: Bearer")
		case !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "":
			Unauthorized(w, "invalid_token", "Voucher PDND non valido: l'header Authorization deve essere Bearer seguito dal voucher")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// Unauthorized rejects a call whose PDND voucher is missing or invalid, as the simulator models
// INPS's PDND front end: HTTP 401 with WWW-Authenticate (RFC 6750: code is invalid_request,
// invalid_token or insufficient_scope) and a soap:Client Fault body, so that both HTTP clients and
// SOAP stacks see why. (INPS publishes no example of this answer; the choice is documented in
// cmd/pasim/README.md.)
func Unauthorized(w http.ResponseWriter, code, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`"`)
	writeFault(w, http.StatusUnauthorized, "Client", message)
}

// injectedError renders the fault injector's error answers: 429 like the quota, 500 as a SOAP
// Server fault, 503 as the plain page of a front end whose back end is down.
func (s *server) injectedError(w http.ResponseWriter, r *http.Request, status int) {
	switch status {
	case http.StatusTooManyRequests:
		simhttp.QuotaExhausted(w, r)
	case http.StatusInternalServerError:
		writeFault(w, status, "Server", "Errore interno del servizio ConsultazioneISEE")
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><body><h1>" + http.StatusText(status) + "</h1></body></html>"))
	}
}

// malformed alternates the two malformations the gateway must survive: an envelope that is fine but
// whose base64 payload is not XML, and an envelope that is not XML at all.
func (s *server) malformed(w http.ResponseWriter, r *http.Request) {
	op, ok := adapter.OperazioneFromSOAPAction(r.Header.Get("SOAPAction"))
	if !ok {
		op = adapter.OpConsultazioneAttestazione
	}
	w.Header().Set("Content-Type", adapter.ContentType)
	if s.malformedCount.Add(1)%2 == 1 {
		payload := []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><EsitoAttestazione xmlns="` + adapter.NamespaceISEERiforma + `"><Attestazione CodiceFiscale`)
		_, _ = w.Write(envelope(op, s.nextID(), adapter.EsitoOK, "", payload))
		return
	}
	_, _ = w.Write([]byte(`<s:Envelope xmlns:s="` + adapter.NamespaceSOAP + `"><s:Body><` + op.ResponseElement() + `><IdRichiesta>1</IdR`))
}

type server struct {
	pop            *population.Population
	oggi           population.Date
	byMittente     map[string]*population.DSU
	ids            atomic.Int64
	malformedCount atomic.Int64
}

func newServer(o Options) *server {
	s := &server{pop: o.Population, oggi: o.Oggi, byMittente: map[string]*population.DSU{}}
	if s.oggi.IsZero() {
		s.oggi = population.ReferenceDate
	}
	for _, d := range o.Population.DSUs {
		s.byMittente[d.ProtocolloMittente] = d
	}
	s.ids.Store(100000)
	return s
}

// nextID is the IdRichiesta of the next answer (xs:int, increasing).
func (s *server) nextID() int64 { return s.ids.Add(1) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
