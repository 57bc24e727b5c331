// Package backend simulates the WelfareGOV backend the gateway reads granted benefits (prestazioni)
// from and writes SIUSS outcomes (esiti) to. See README.md in cmd/pasim for the endpoints.
//
// Every change to a prestazione gets the next value of one sequence (the cursor) under the same lock
// that publishes it, so a reader paging with ?since= never skips a change and never sees one twice,
// however many writers there are.
package backend

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/welfaregov/gateway/adapters/welfaregov/wire"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/problem"
)

// APIKeyHeader carries the backend API key.
const APIKeyHeader = "X-Api-Key"

// DefaultAPIKey is the key of the demo and of tests that do not choose one. Not a secret: the
// simulator holds synthetic data only.
const DefaultAPIKey = "pasim-backend-demo-key"

const (
	defaultLimit = 50
	maxLimit     = 500
	maxEsiti     = 100 // as SIUSS's ElencoEsiti
)

// Options configure the simulator. Population is required; nil Faults means no fault injection.
type Options struct {
	Population *population.Population
	Faults     *fault.Injector
	APIKey     string // DefaultAPIKey when empty
	Now        func() time.Time
}

// Server is the backend simulator. It is safe for concurrent use.
type Server struct {
	mu        sync.Mutex
	seq       int64
	log       []entry          // latest version of each prestazione, ascending cursor
	byID      map[string]int64 // id -> cursor of its latest version
	esiti     map[string]storedEsito
	esitiList []string
	apiKey    []byte
	now       func() time.Time
	faults    *fault.Injector
}

type entry struct {
	cursor int64
	p      *wire.Prestazione
}

type storedEsito struct {
	esito       Esito
	idRicezione string
}

// New loads the population's prestazioni in order, with cursors 1..n.
func New(o Options) *Server {
	s := &Server{byID: map[string]int64{}, esiti: map[string]storedEsito{}, apiKey: []byte(o.APIKey), now: o.Now, faults: o.Faults}
	if len(s.apiKey) == 0 {
		s.apiKey = []byte(DefaultAPIKey)
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, p := range o.Population.Prestazioni {
		s.upsert(p.Clone())
	}
	return s
}

// Upsert stores p (a new prestazione, or a new version of one with the same ID) and returns its
// cursor. p is kept: do not change it afterwards.
func (s *Server) Upsert(p *wire.Prestazione) int64 { return s.upsert(p) }

func (s *Server) upsert(p *wire.Prestazione) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byID[p.ID]; ok {
		i := sort.Search(len(s.log), func(i int) bool { return s.log[i].cursor >= old })
		s.log = slices.Delete(s.log, i, i+1)
	}
	s.seq++
	s.log = append(s.log, entry{s.seq, p})
	s.byID[p.ID] = s.seq
	return s.seq
}

// item is the stored prestazione with its cursor, as the answers carry it (a shallow copy: the
// stored record is never changed).
func (e entry) item() wire.Prestazione {
	it := *e.p
	it.Cursore = strconv.FormatInt(e.cursor, 10)
	return it
}

func (s *Server) since(since int64, limit int) wire.Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.log), func(i int) bool { return s.log[i].cursor > since })
	end := min(i+limit, len(s.log))
	page := wire.Page{Prestazioni: make([]wire.Prestazione, 0, end-i), Cursore: strconv.FormatInt(since, 10), AltriDisponibili: end < len(s.log)}
	for _, e := range s.log[i:end] {
		page.Prestazioni = append(page.Prestazioni, e.item())
		page.Cursore = strconv.FormatInt(e.cursor, 10)
	}
	return page
}

// Handler returns the simulator's routes, each wrapped with fault injection.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern, name, desc string, h http.HandlerFunc, auth bool) {
		var handler http.Handler = h
		if auth {
			handler = s.authenticate(handler)
		}
		mux.Handle(pattern, s.faults.Wrap(name, desc, fault.Hooks{}, handler))
	}
	route("GET /prestazioni", "backend.prestazioni.elenco", "GET /prestazioni?since=&limit=: changes after a cursor", s.list, true)
	route("POST /prestazioni/ricerca", "backend.prestazioni.ricerca", "POST /prestazioni/ricerca: a person's prestazioni", s.search, true)
	route("POST /esiti", "backend.esiti", "POST|PUT /esiti: idempotent SIUSS esiti sink", s.storeEsiti, true)
	route("PUT /esiti", "backend.esiti", "POST|PUT /esiti: idempotent SIUSS esiti sink", s.storeEsiti, true)
	route("GET /esiti", "backend.esiti.elenco", "GET /esiti: stored esiti", s.listEsiti, true)
	route("POST /admin/prestazioni", "backend.admin", "admin: create or change a prestazione", s.adminUpsert, true)
	route("PUT /admin/prestazioni/{id}", "backend.admin", "admin: create or change a prestazione", s.adminUpsert, true)
	route("GET /status", "backend.status", "GET /status", func(w http.ResponseWriter, _ *http.Request) {
		simhttp.WriteJSON(w, http.StatusOK, problem.Problem{Type: problem.Healthy.URI(), Title: problem.Healthy.Title, Status: 200})
	}, false)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		simhttp.WriteProblem(w, problem.New(problem.NotFound, "no backend operation %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(APIKeyHeader)
		if key == "" {
			simhttp.WriteProblem(w, problem.New(problem.Unauthorized, "the %s header is missing", APIKeyHeader))
			return
		}
		if subtle.ConstantTimeCompare([]byte(key), s.apiKey) != 1 {
			simhttp.WriteProblem(w, problem.New(problem.Unauthorized, "the %s header does not hold a valid key", APIKeyHeader))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("codiceFiscale") {
		simhttp.WriteProblem(w, problem.New(problem.BadRequest, "codici fiscali do not belong in URLs: use POST /prestazioni/ricerca"))
		return
	}
	since, limit := int64(0), defaultLimit
	var bad []problem.InvalidParam
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			bad = append(bad, problem.InvalidParam{Name: "since", Reason: "must be a cursor returned by this API (an integer >= 0)"})
		}
		since = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			bad = append(bad, problem.InvalidParam{Name: "limit", Reason: fmt.Sprintf("must be an integer between 1 and %d", maxLimit)})
		}
		limit = n
	}
	if len(bad) > 0 {
		e := problem.New(problem.InvalidParameter, "invalid query parameters")
		e.Invalid = bad
		simhttp.WriteProblem(w, e)
		return
	}
	simhttp.WriteJSON(w, http.StatusOK, s.since(since, limit))
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	var req wire.Ricerca
	if err := simhttp.DecodeJSON(r, &req); err != nil {
		simhttp.WriteProblem(w, err)
		return
	}
	cf := contracts.NormalizeCodiceFiscale(req.CodiceFiscale)
	if err := contracts.ValidateCodiceFiscale(cf); err != nil {
		e := problem.Wrap(problem.InvalidParameter, err, "codiceFiscale is not valid")
		e.Invalid = []problem.InvalidParam{{Name: "codiceFiscale", Reason: err.Error()}}
		simhttp.WriteProblem(w, e)
		return
	}
	s.mu.Lock()
	out := wire.RicercaRisposta{Prestazioni: []wire.Prestazione{}}
	for _, e := range s.log {
		if e.p.Beneficiario.CodiceFiscale == cf {
			out.Prestazioni = append(out.Prestazioni, e.item())
		}
	}
	s.mu.Unlock()
	// An unknown person gets an empty list, like a person with no benefits: no existence oracle.
	simhttp.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) adminUpsert(w http.ResponseWriter, r *http.Request) {
	var p wire.Prestazione
	if err := simhttp.DecodeJSON(r, &p); err != nil {
		simhttp.WriteProblem(w, err)
		return
	}
	if id := r.PathValue("id"); id != "" {
		if p.ID != "" && p.ID != id {
			simhttp.WriteProblem(w, problem.New(problem.InvalidParameter, "the body id %q differs from the path id %q", p.ID, id))
			return
		}
		p.ID = id
	}
	if p.AggiornatoIl.IsZero() {
		p.AggiornatoIl = s.now().UTC().Truncate(time.Millisecond)
	}
	// ?lenient=1 stores a prestazione that breaks SIUSS rules, to test the gateway's own validation.
	if r.URL.Query().Get("lenient") != "1" {
		if err := population.ValidatePrestazione(&p); err != nil {
			e := problem.Wrap(problem.Unprocessable, err, "the prestazione breaks SIUSS rules (add ?lenient=1 to store it anyway)")
			for _, one := range unwrapAll(err) {
				e.Invalid = append(e.Invalid, problem.InvalidParam{Name: "prestazione", Reason: one.Error()})
			}
			simhttp.WriteProblem(w, e)
			return
		}
	}
	p.Cursore = "" // the backend's to assign
	cursor := s.upsert(&p)
	simhttp.WriteJSON(w, http.StatusOK, entry{cursor, &p}.item())
}

func unwrapAll(err error) []error {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		return j.Unwrap()
	}
	return []error{err}
}

// Esito is a SIUSS outcome as the gateway forwards it.
type Esito = wire.Esito

func esitoKey(e Esito) string {
	return e.IDFlusso + "|" + e.TsAcquisizione.UTC().Format(time.RFC3339Nano)
}

// storeEsiti stores a batch all-or-nothing. Repeating a batch returns the same receipts; sending a
// different esito under a known (idFlusso, tsAcquisizione) is a conflict (409) and stores nothing.
func (s *Server) storeEsiti(w http.ResponseWriter, r *http.Request) {
	var req wire.Esiti
	if err := simhttp.DecodeJSON(r, &req); err != nil {
		simhttp.WriteProblem(w, err)
		return
	}
	for i := range req.ElencoEsiti {
		e := &req.ElencoEsiti[i]
		e.TsFlusso, e.TsAcquisizione = e.TsFlusso.UTC(), e.TsAcquisizione.UTC()
	}
	var bad []problem.InvalidParam
	if len(req.ElencoEsiti) > maxEsiti {
		bad = append(bad, problem.InvalidParam{Name: "elencoEsiti", Reason: fmt.Sprintf("at most %d esiti per call", maxEsiti)})
	}
	for i, e := range req.ElencoEsiti {
		at := func(f string) string { return fmt.Sprintf("elencoEsiti[%d].%s", i, f) }
		if e.IDFlusso == "" {
			bad = append(bad, problem.InvalidParam{Name: at("idFlusso"), Reason: "required"})
		}
		if e.TsAcquisizione.IsZero() {
			bad = append(bad, problem.InvalidParam{Name: at("tsAcquisizione"), Reason: "required (RFC 3339)"})
		}
		if e.Tipo != "PS_PSA_SINA" && e.Tipo != "SINBA" {
			bad = append(bad, problem.InvalidParam{Name: at("tipo"), Reason: "must be PS_PSA_SINA or SINBA"})
		}
		switch e.CodiceEsito {
		case "OK", "DATI_NON_TROVATI", "RICHIESTA_INVALIDA", "ERRORE_GENERICO":
		default:
			bad = append(bad, problem.InvalidParam{Name: at("codiceEsito"), Reason: "must be OK, DATI_NON_TROVATI, RICHIESTA_INVALIDA or ERRORE_GENERICO"})
		}
	}
	if len(bad) > 0 {
		e := problem.New(problem.InvalidParameter, "invalid esiti")
		e.Invalid = bad
		simhttp.WriteProblem(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inBatch := map[string]Esito{}
	for _, e := range req.ElencoEsiti {
		k := esitoKey(e)
		prev, stored := s.esiti[k]
		if other, dup := inBatch[k]; (stored && !sameEsito(prev.esito, e)) || (dup && !sameEsito(other, e)) {
			simhttp.WriteProblem(w, problem.New(problem.Type{Code: "esito-conflict", Status: http.StatusConflict, Title: "Conflicting esito"},
				"an esito for flow %q acquired at %s is already stored with different content", e.IDFlusso, e.TsAcquisizione.UTC().Format(time.RFC3339Nano)))
			return
		}
		inBatch[k] = e
	}
	out := make([]wire.Ricevuta, 0, len(req.ElencoEsiti))
	for _, e := range req.ElencoEsiti {
		k := esitoKey(e)
		st, ok := s.esiti[k]
		if !ok {
			st = storedEsito{esito: e, idRicezione: fmt.Sprintf("RIC-%08d", len(s.esitiList)+1)}
			s.esiti[k] = st
			s.esitiList = append(s.esitiList, k)
		}
		out = append(out, wire.Ricevuta{IDFlusso: e.IDFlusso, TsAcquisizione: e.TsAcquisizione, IDRicezione: st.idRicezione})
	}
	simhttp.WriteJSON(w, http.StatusOK, map[string]any{"ricevute": out})
}

func sameEsito(a, b Esito) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func (s *Server) listEsiti(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make([]Esito, 0, len(s.esitiList))
	for _, k := range s.esitiList {
		out = append(out, s.esiti[k].esito)
	}
	s.mu.Unlock()
	simhttp.WriteJSON(w, http.StatusOK, map[string]any{"esiti": out})
}
