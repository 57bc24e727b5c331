// Package icef simulates a provisional REST e-service for ICEF, the Provincia autonoma di Trento's
// means test. ICEF has NO public interface: openapi.yaml in this folder is our own contract, see
// README.md for what would change when Trentino Digitale publishes the real one.
package icef

import (
	_ "embed"
	"net/http"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/problem"
)

// OpenAPI is the provisional contract the simulator serves.
//
//go:embed openapi.yaml
var OpenAPI []byte

// BasePath prefixes every operation (RAC_GEN_002: technology and major version in the path).
const BasePath = "/rest/icef/v1"

// Options configure the simulator. Population is required.
type Options struct {
	Population *population.Population
	// Faults wraps every operation; nil means no fault injection.
	Faults *fault.Injector
	// Security verifies the inbound PDND security (voucher, ModI headers) before the handler runs.
	// Nil allows every request: the PDND simulator's verifier plugs in here.
	Security func(http.Handler) http.Handler
}

// Handler returns the ICEF e-service.
func Handler(o Options) http.Handler {
	secure := o.Security
	if secure == nil {
		secure = func(h http.Handler) http.Handler { return h }
	}
	s := &server{pop: o.Population}
	mux := http.NewServeMux()
	mux.Handle("POST "+BasePath+"/indicatori/ricerca", o.Faults.Wrap("icef.indicatori.ricerca", "POST "+BasePath+"/indicatori/ricerca", fault.Hooks{}, secure(http.HandlerFunc(s.ricerca))))
	mux.Handle("GET "+BasePath+"/politiche", o.Faults.Wrap("icef.politiche", "GET "+BasePath+"/politiche", fault.Hooks{}, secure(http.HandlerFunc(s.politiche))))
	mux.Handle("GET "+BasePath+"/status", o.Faults.Wrap("icef.status", "GET "+BasePath+"/status", fault.Hooks{}, http.HandlerFunc(status)))
	mux.HandleFunc("GET "+BasePath+"/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(OpenAPI)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		simhttp.WriteProblem(w, problem.New(problem.NotFound, "no ICEF operation %s %s", r.Method, r.URL.Path))
	})
	return mux
}

type server struct{ pop *population.Population }

func status(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", problem.ContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(problem.Problem{Type: problem.Healthy.URI(), Title: problem.Healthy.Title, Status: 200}.JSON())
}

// Richiesta is the body of POST /indicatori/ricerca.
type Richiesta struct {
	CodiceFiscale string `json:"codiceFiscale"` // of the applicant, any member of the household
	Politica      string `json:"politica"`
	Anno          int    `json:"anno"`
}

// Risposta is the indicator with its elements and the household it was computed on.
type Risposta struct {
	CodiceFiscaleRichiedente string       `json:"codiceFiscaleRichiedente"`
	Politica                 string       `json:"politica"`
	Anno                     int          `json:"anno"`
	Protocollo               string       `json:"protocollo"`
	DataCalcolo              string       `json:"dataCalcolo"`
	Valore                   string       `json:"valore"` // 0..1, 4 decimals
	Elementi                 Elementi     `json:"elementi"`
	Nucleo                   []Componente `json:"nucleo"`
}

// Elementi are the RF, PF and VF of the indicator.
type Elementi struct {
	RedditoFamiliare    string `json:"redditoFamiliare"`    // RF, euro, 2 decimals
	PatrimonioFamiliare string `json:"patrimonioFamiliare"` // PF, euro, 2 decimals
	PesoFamiliare       string `json:"pesoFamiliare"`       // VF, 2 decimals
}

// Componente is one member of the ICEF household.
type Componente struct {
	CodiceFiscale string `json:"codiceFiscale"`
	Cognome       string `json:"cognome"`
	Nome          string `json:"nome"`
	DataNascita   string `json:"dataNascita"`
	CodiceLegame  string `json:"codiceLegame"`
}

var notFound = problem.Type{Code: "icef-not-found", Status: http.StatusNotFound, Title: "ICEF indicator not found"}

func (s *server) ricerca(w http.ResponseWriter, r *http.Request) {
	var req Richiesta
	if err := simhttp.DecodeJSON(r, &req); err != nil {
		simhttp.WriteProblem(w, err)
		return
	}
	var bad []problem.InvalidParam
	cf := contracts.NormalizeCodiceFiscale(req.CodiceFiscale)
	if err := contracts.ValidateCodiceFiscalePersona(cf); err != nil {
		bad = append(bad, problem.InvalidParam{Name: "codiceFiscale", Reason: err.Error()})
	}
	if population.PoliticaByCodice(req.Politica) == nil {
		bad = append(bad, problem.InvalidParam{Name: "politica", Reason: "unknown policy; GET " + BasePath + "/politiche lists them"})
	}
	if req.Anno < 2000 || req.Anno > 2100 {
		bad = append(bad, problem.InvalidParam{Name: "anno", Reason: "must be a year such as 2025"})
	}
	if len(bad) > 0 {
		e := problem.New(problem.InvalidParameter, "invalid request")
		e.Invalid = bad
		simhttp.WriteProblem(w, e)
		return
	}
	ind := s.pop.ICEF(cf, req.Politica, req.Anno)
	if ind == nil {
		// The same answer whether the person is unknown or simply has no indicator.
		simhttp.WriteProblem(w, problem.New(notFound, "no ICEF indicator for this applicant, policy %q and year %d", req.Politica, req.Anno))
		return
	}
	out := Risposta{CodiceFiscaleRichiedente: cf, Politica: ind.Politica, Anno: ind.Anno, Protocollo: ind.Protocollo,
		DataCalcolo: ind.DataCalcolo.String(), Valore: ind.Valore.StringFixed(4),
		Elementi: Elementi{ind.RF.StringFixed(2), ind.PF.StringFixed(2), ind.VF.StringFixed(2)}}
	for _, m := range ind.Nucleo {
		out.Nucleo = append(out.Nucleo, Componente{m.CodiceFiscale, m.Cognome, m.Nome, m.DataNascita.String(), m.CodiceLegame})
	}
	simhttp.WriteJSON(w, http.StatusOK, out)
}

func (s *server) politiche(w http.ResponseWriter, _ *http.Request) {
	simhttp.WriteJSON(w, http.StatusOK, map[string]any{"politiche": population.Politiche})
}
