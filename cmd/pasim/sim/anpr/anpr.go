// Package anpr simulates ANPR's E002 e-services on PDND (C030, C020, C021, C015, C018, C019) as the
// gateway sees them through ANPR's GovWay: the real base paths (the en-dash spelling too), GovWay's
// schema and ModI checks with its problem bodies, RispostaE002OK per use case from the population,
// RispostaKO with listaErrori (EN122, EN148), an empty 429 on the daily quota, and fault injection on
// every endpoint. The wire format is package adapters/anpr/e002, shared with the gateway's adapter;
// the tests hold both sides to ANPR's real OpenAPI files.
package anpr

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	anpr "github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
	"github.com/welfaregov/gateway/gateway/problem"
)

// Options configure the simulator. Population is required.
type Options struct {
	Population *population.Population
	// Faults wraps every operation; nil means no fault injection.
	Faults *fault.Injector
	// Security verifies the inbound PDND voucher and ModI headers of the E002 operations (not of
	// /status). Nil means RequireModIHeaders (presence only); the PDND simulator plugs real checks in.
	Security func(http.Handler) http.Handler
	// SecurityFor, when set, gives each use case its own Security (each is a separate e-service on
	// PDND, with its own audience and purposes); a nil result falls back to Security.
	SecurityFor func(c anpr.CasoUso) func(http.Handler) http.Handler
	// BasePaths overrides the base path of a use case (default DefaultBasePath). The en-dash
	// spelling of each base path is served too.
	BasePaths map[anpr.CasoUso]string
}

// DefaultBasePath is ANPR's path for use case c:
// /govway/rest/in/MinInternoPortaANPR-PDND/{Cxxx-servizio…}/v1.
func DefaultBasePath(c anpr.CasoUso) string {
	return "/govway/rest/in/MinInternoPortaANPR-PDND/" + c.Servizio(false) + "/v1"
}

// Fault endpoint names: "anpr.c021" (the E002 operation) and "anpr.c021.status".
func faultName(c anpr.CasoUso) string { return "anpr." + strings.ToLower(string(c)) }

// Semantic faults the simulator interprets (fault.Spec.Semantic).
const (
	SemanticNotFound      = "not-found"      // EN122 for any subject
	SemanticDeceased      = "deceased"       // EN148 for any subject
	SemanticGovWayInvalid = "govway-invalid" // GovWay 400 InvalidRequestContent
	SemanticKO500         = "ko-500"         // RispostaKO with HTTP 500
	SemanticAnomalia      = "anomalia"       // a listaAnomalie warning on a 200
)

// Handler returns the simulator.
func Handler(o Options) http.Handler {
	secure := o.Security
	if secure == nil {
		secure = RequireModIHeaders
	}
	s := &server{pop: o.Population}
	s.opSeq.Store(80000000)
	mux := http.NewServeMux()
	for _, c := range anpr.CasiUso {
		base := o.BasePaths[c]
		if base == "" {
			base = DefaultBasePath(c)
		}
		base = strings.TrimRight(base, "/")
		hooks := fault.Hooks{Error: s.injectedError, Quota: simhttp.QuotaExhausted, Malformed: s.malformed}
		sec := secure
		if o.SecurityFor != nil {
			if f := o.SecurityFor(c); f != nil {
				sec = f
			}
		}
		op := o.Faults.Wrap(faultName(c), "POST "+base+anpr.OperationPath+" (E002 "+string(c)+")", hooks, sec(s.e002(c)))
		st := o.Faults.Wrap(faultName(c)+".status", "GET "+base+"/status", fault.Hooks{}, http.HandlerFunc(status))
		paths := []string{base}
		if dash := strings.Replace(base, c.Servizio(false), c.Servizio(true), 1); dash != base {
			paths = append(paths, dash)
		}
		for _, p := range paths {
			mux.Handle("POST "+p+anpr.OperationPath, op)
			mux.Handle("GET "+p+"/status", st)
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		simhttp.WriteProblem(w, problem.New(problem.NotFound, "no ANPR e-service at %s %s", r.Method, r.URL.Path))
	})
	return mux
}

type server struct {
	pop   *population.Population
	opSeq atomic.Int64
}

func (s *server) nextOp() string { return strconv.FormatInt(s.opSeq.Add(1), 10) }

// status answers GET …/status: 200 with an empty RispostaKO, as the spec describes.
func status(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("{}"))
}

// injectedError renders an injected error status as ANPR/GovWay would.
func (s *server) injectedError(w http.ResponseWriter, r *http.Request, st int) {
	switch st {
	case http.StatusTooManyRequests:
		simhttp.QuotaExhausted(w, r)
	case http.StatusServiceUnavailable:
		WriteGovWayProblem(w, st, GovWayAPIUnavailable, "The API Implementation is temporary unavailable")
	default:
		s.writeKO(w, st, koServerError)
	}
}

// malformed answers 200 with JSON whose shape is wrong (datiSoggetto an object, generalita a string).
func (s *server) malformed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"idOperazioneANPR":"` + s.nextOp() + `","listaSoggetti":{"datiSoggetto":{"generalita":"non un oggetto"}}}`))
}

func (s *server) writeKO(w http.ResponseWriter, st int, errs ...e002.TipoErroriAnomalia) {
	b, _ := json.Marshal(e002.RispostaKO{IDOperazioneANPR: s.nextOp(), ListaErrori: errs})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(st)
	_, _ = w.Write(b)
}

func (s *server) writeOK(w http.ResponseWriter, r e002.RispostaE002OK) {
	r.IDOperazioneANPR = s.nextOp()
	simhttp.WriteJSON(w, http.StatusOK, r)
}

// e002 serves POST …/anpr-service-e002 for use case c.
func (s *server) e002(c anpr.CasoUso) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sem, ok := fault.SemanticFrom(r.Context()); ok {
			switch sem {
			case SemanticNotFound:
				s.writeKO(w, http.StatusNotFound, koNotFound)
				return
			case SemanticDeceased:
				s.writeKO(w, http.StatusBadRequest, koDeceased)
				return
			case SemanticGovWayInvalid:
				WriteGovWayProblem(w, http.StatusBadRequest, GovWayInvalidRequestContent,
					govWayValidationDetail([]string{"body.datiRichiesta.casoUso: Null value is not allowed. (code: 1021)"}))
				return
			case SemanticKO500:
				s.writeKO(w, http.StatusInternalServerError, koServerError)
				return
			}
		}
		req, lines := decodeRichiesta(r)
		if len(lines) > 0 {
			WriteGovWayProblem(w, http.StatusBadRequest, GovWayInvalidRequestContent, govWayValidationDetail(lines))
			return
		}
		resp, st, errs := s.answer(c, req)
		if errs != nil {
			s.writeKO(w, st, errs...)
			return
		}
		if sem, _ := fault.SemanticFrom(r.Context()); sem == SemanticAnomalia {
			resp.ListaAnomalie = append(resp.ListaAnomalie, anomaliaSemantica)
		}
		s.writeOK(w, resp)
	})
}

// decodeRichiesta reads the body as GovWay validates it: JSON, then the RichiestaE002 schema.
func decodeRichiesta(r *http.Request) (e002.RichiestaE002, []string) {
	var req e002.RichiestaE002
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return req, []string{"Content-Type '" + r.Header.Get("Content-Type") + "' is not supported: application/json is required."}
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, simhttp.MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return req, []string{"body: larger than " + strconv.Itoa(simhttp.MaxBody) + " bytes."}
		}
		return req, []string{"body: unreadable."}
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return req, []string{"body: not a valid JSON document."}
	}
	if lines := checkRichiesta(generic); len(lines) > 0 {
		return req, lines
	}
	if err := json.Unmarshal(b, &req); err != nil {
		// checkRichiesta does not descend into criteriRicerca.datiNascita; its type errors land here.
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return req, []string{"body." + typ.Field + ": Type expected '" + jsonKind(typ.Type.Kind().String()) + "', found '" + typ.Value + "'."}
		}
		return req, []string{"body: not a valid RichiestaE002."}
	}
	return req, nil
}

// jsonKind names the JSON type a Go kind decodes from.
func jsonKind(k string) string {
	switch k {
	case "struct", "map", "ptr":
		return "object"
	case "slice", "array":
		return "array"
	}
	return k
}
