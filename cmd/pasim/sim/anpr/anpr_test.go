package anpr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	anpr "github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/anpr/anprtest"
	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

var pop = population.Build(population.DefaultSeed)

var rifOggi = contracts.DataOf(population.ReferenceDate.Time())

// exchange is one answer of the simulator, recorded by the client's transport.
type exchange struct {
	casoUso anpr.CasoUso
	status  int
	body    []byte
}

// recorder is the gateway-side Transport of the tests: it adds the PDND and ModI headers (the
// default Security checks their presence) and keeps every answer for the schema checks.
type recorder struct {
	mu   sync.Mutex
	got  []exchange
	omit string // a header to leave out
}

func (rec *recorder) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	for h, v := range map[string]string{"Authorization": "Bearer test-voucher", "Digest": "SHA-256=test",
		"Agid-JWT-Signature": "test.jws.sig", "Agid-JWT-TrackingEvidence": "test.jws.audit"} {
		if h != rec.omit {
			req.Header.Set(h, v)
		}
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var sent struct {
		DatiRichiesta struct{ CasoUso string } `json:"datiRichiesta"`
	}
	if b, err := req.GetBody(); err == nil {
		_ = json.NewDecoder(b).Decode(&sent)
	}
	rec.mu.Lock()
	rec.got = append(rec.got, exchange{anpr.CasoUso(sent.DatiRichiesta.CasoUso), resp.StatusCode, body})
	rec.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func newSim(t testing.TB, o Options) (*httptest.Server, *anpr.Client, *recorder) {
	t.Helper()
	if o.Population == nil {
		o.Population = pop
	}
	srv := httptest.NewServer(Handler(o))
	t.Cleanup(srv.Close)
	rec := &recorder{}
	ids, err := anpr.NewIDGenerator("SIM", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	c := &anpr.Client{Transport: rec, Endpoints: anpr.Endpoints(srv.URL), IDs: ids, Now: time.Now}
	return srv, c, rec
}

// roundTrip calls every use case for every person of the population through the adapter, once per
// test binary; the answers feed the round-trip and the schema tests.
var roundTrip = sync.OnceValue(func() *roundTripResult {
	srv := httptest.NewServer(Handler(Options{Population: pop}))
	defer srv.Close()
	rec := &recorder{}
	ids, _ := anpr.NewIDGenerator("RT", time.Now)
	c := &anpr.Client{Transport: rec, Endpoints: anpr.Endpoints(srv.URL), IDs: ids, Now: time.Now}
	out := &roundTripResult{rec: rec, results: map[string]map[anpr.CasoUso]outcome{}}
	for _, p := range pop.People {
		out.results[p.CodiceFiscale] = map[anpr.CasoUso]outcome{}
		for _, uc := range anpr.CasiUso {
			r := anpr.Richiesta{IDANPR: p.IDANPR, MotivoRichiesta: "WGOV-RT-1", DataRiferimento: rifOggi}
			if uc == anpr.C030 {
				r = anpr.Richiesta{CodiceFiscale: p.CodiceFiscale, MotivoRichiesta: "WGOV-RT-1", DataRiferimento: rifOggi}
			}
			res, err := c.Do(context.Background(), uc, r)
			out.results[p.CodiceFiscale][uc] = outcome{res, err}
		}
	}
	return out
})

type outcome struct {
	r   *anpr.Risultato
	err error
}

type roundTripResult struct {
	rec     *recorder
	results map[string]map[anpr.CasoUso]outcome
}

// TestRoundTripEveryPersonEveryUseCase is the end-to-end proof of both sides of the format: every
// person of the population, through every use case, over HTTP, translated by the gateway's adapter,
// gives back the values the population holds.
func TestRoundTripEveryPersonEveryUseCase(t *testing.T) {
	rt := roundTrip()
	rif := population.ReferenceDate
	checked := map[anpr.CasoUso]int{}
	for _, p := range pop.People {
		for _, uc := range anpr.CasiUso {
			o := rt.results[p.CodiceFiscale][uc]
			name := p.CodiceFiscale[:6] + "/" + string(uc)
			dead := p.DataDecesso != nil && !rif.Before(*p.DataDecesso)
			if dead && (uc == anpr.C021 || uc == anpr.C018) {
				if !anpr.IsDeceased(o.err) {
					t.Errorf("%s: deceased subject: want EN148, got %v", name, o.err)
				}
				checked[uc]++
				continue
			}
			if o.err != nil {
				t.Errorf("%s: %v", name, o.err)
				continue
			}
			r := o.r
			if r.Provenienza.Incompleto || len(r.Provenienza.Anomalie) > 0 || r.IDOperazioneANPR == "" {
				t.Errorf("%s: the simulator's answer is not clean: %+v", name, r.Provenienza)
			}
			if uc == anpr.C021 {
				checkFamiglia(t, name, p, r)
				checked[uc]++
				continue
			}
			got, err := r.Soggetto()
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			checkPersona(t, name, p, got)
			if err := got.Validate(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			switch uc {
			case anpr.C020:
				checkResidenza(t, name, p, got)
				checkDecesso(t, name, p, dead, got, r)
			case anpr.C019:
				checkDecesso(t, name, p, dead, got, r)
			case anpr.C015:
				if got.StatoCivile == nil || got.StatoCivile.Codice != p.StatoCivile {
					t.Errorf("%s: statoCivile %+v, want %s", name, got.StatoCivile, p.StatoCivile)
				}
			case anpr.C018:
				if len(got.Cittadinanze) != len(p.Cittadinanze) {
					t.Errorf("%s: %d citizenships, want %d", name, len(got.Cittadinanze), len(p.Cittadinanze))
				}
				for i, st := range p.Cittadinanze {
					if i < len(got.Cittadinanze) && (got.Cittadinanze[i].CodiceStato != st.CodiceISTAT || got.Cittadinanze[i].Stato != st.Nome) {
						t.Errorf("%s: citizenship %d = %+v, want %s", name, i, got.Cittadinanze[i], st.CodiceISTAT)
					}
				}
			}
			checked[uc]++
		}
	}
	for _, uc := range anpr.CasiUso {
		if checked[uc] != len(pop.People) {
			t.Errorf("%s: %d of %d people checked", uc, checked[uc], len(pop.People))
		}
	}
	// The special cases were really exercised.
	if len(pop.Deceased()) == 0 || len(pop.HouseholdsTagged(population.TagAIRE)) == 0 || len(pop.HouseholdsTagged(population.TagDualCitizenship)) == 0 ||
		len(pop.HouseholdsTagged(population.TagPartialBirthDate)) == 0 {
		t.Fatal("the population lost a special case this test relies on")
	}
}

func wantData(p *population.Person) contracts.Data {
	d := p.DataNascita
	switch {
	case p.SenzaGiornoMese:
		v, _ := contracts.NewDataYear(d.Year)
		return v
	case p.SenzaGiorno:
		v, _ := contracts.NewDataMonth(d.Year, int(d.Month))
		return v
	}
	return contracts.MustData(d.Year, int(d.Month), d.Day)
}

func civil(d population.Date) contracts.Data { return contracts.MustData(d.Year, int(d.Month), d.Day) }

func checkPersona(t *testing.T, name string, p *population.Person, got contracts.Persona) {
	t.Helper()
	if got.CodiceFiscale != p.CodiceFiscale || got.IDANPR != p.IDANPR || got.Cognome != p.Cognome || got.Nome != p.Nome ||
		string(got.Sesso) != p.Sesso || got.DataNascita != wantData(p) || got.SoggettoAIRE != p.AIRE() ||
		got.CodiceFiscaleValidato == nil || !*got.CodiceFiscaleValidato {
		t.Errorf("%s: persona %+v does not match %+v", name, got, p)
	}
	l := got.LuogoNascita
	switch {
	case l == nil:
		t.Errorf("%s: no luogoNascita", name)
	case p.ComuneNascita != nil && (l.CodiceIstatComune != p.ComuneNascita.CodiceISTAT || l.SiglaProvincia != p.ComuneNascita.SiglaProvincia):
		t.Errorf("%s: luogoNascita %+v", name, l)
	case p.StatoNascita != nil && (l.CodiceStato != p.StatoNascita.CodiceISTAT || l.Stato != p.StatoNascita.Nome):
		t.Errorf("%s: luogoNascita %+v", name, l)
	}
}

func checkResidenza(t *testing.T, name string, p *population.Person, got contracts.Persona) {
	t.Helper()
	if len(got.Residenze) != 1 {
		t.Errorf("%s: %d residences", name, len(got.Residenze))
		return
	}
	r, in := got.Residenze[0], p.Residenza
	if r.TipoIndirizzo != in.TipoIndirizzo || r.DataDecorrenza != civil(in.DataDecorrenza) {
		t.Errorf("%s: residenza %+v", name, r)
	}
	if in.Comune != nil && (r.CodiceIstatComune != in.Comune.CodiceISTAT || r.CAP != in.CAP || r.Specie != in.Specie ||
		r.Denominazione != in.Denominazione || r.Civico != in.Civico || r.Estero != nil) {
		t.Errorf("%s: Italian address %+v, want %+v", name, r, in)
	}
	if e := in.Estero; e != nil && (r.Estero == nil || r.Estero.CodiceStato != e.Stato.CodiceISTAT || r.Estero.Localita != e.Localita ||
		r.Estero.Indirizzo != e.Indirizzo || r.Estero.CAP != e.CAP || r.Estero.CodiceConsolato != e.Consolato.Codice) {
		t.Errorf("%s: address abroad %+v, want %+v", name, r.Estero, e)
	}
}

func checkDecesso(t *testing.T, name string, p *population.Person, dead bool, got contracts.Persona, r *anpr.Risultato) {
	t.Helper()
	if r.InVita == nil || *r.InVita == dead {
		t.Errorf("%s: inVita %v, dead %v", name, r.InVita, dead)
	}
	switch {
	case dead && (got.Decesso == nil || got.Decesso.Data != civil(*p.DataDecesso)):
		t.Errorf("%s: decesso %+v, want %s", name, got.Decesso, p.DataDecesso)
	case !dead && got.Decesso != nil:
		t.Errorf("%s: alive but decesso %+v", name, got.Decesso)
	}
}

func checkFamiglia(t *testing.T, name string, p *population.Person, r *anpr.Risultato) {
	t.Helper()
	h := pop.HouseholdOf(p)
	n := r.NucleoFamiliare
	if n.IDFamigliaANPR != h.ID || n.DataRiferimento != rifOggi || n.Origine != contracts.NucleoANPR {
		t.Errorf("%s: nucleo %+v", name, n)
	}
	var want []*population.Person
	for _, m := range h.Members {
		if m.DataDecesso == nil || population.ReferenceDate.Before(*m.DataDecesso) {
			want = append(want, m)
		}
	}
	if len(n.Componenti) != len(want) {
		t.Errorf("%s: %d members, want %d", name, len(n.Componenti), len(want))
		return
	}
	for i, m := range want {
		c := n.Componenti[i]
		if c.Persona.IDANPR != m.IDANPR || c.CodiceLegameANPR != m.CodiceLegame || c.Ruolo != contracts.RuoloFromCodiceLegame(m.CodiceLegame) ||
			c.Ruolo == contracts.RuoloNonDefinito || c.Progressivo == "" {
			t.Errorf("%s: member %d %+v, want %s legame %s", name, i, c, m.IDANPR, m.CodiceLegame)
		}
		checkPersona(t, name, m, c.Persona)
	}
	if err := n.Validate(); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

// TestAnswersValidateAgainstRealOpenAPI validates every answer the round trip produced (200s, EN148
// RispostaKO) strictly against ANPR's real OpenAPI files merged with the sourced supplement, and as
// published against each file.
func TestAnswersValidateAgainstRealOpenAPI(t *testing.T) {
	v, err := anprtest.NewValidator(anprtest.SamplesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	rt := roundTrip()
	seen := map[int]int{}
	for i, x := range rt.rec.got {
		schema := "RispostaE002OK"
		if x.status != 200 {
			schema = "RispostaKO"
		}
		seen[x.status]++
		if err := v.Validate(schema, x.body); err != nil {
			t.Fatalf("answer %d (%s, HTTP %d): %v\n%s", i, x.casoUso, x.status, err, x.body)
		}
		for _, f := range anprtest.Files {
			if err := v.ValidateAs(f, schema, x.body); err != nil {
				t.Fatalf("answer %d as published in %s: %v", i, f, err)
			}
		}
	}
	if seen[200] < len(pop.People)*5 || seen[400] == 0 {
		t.Fatalf("answers by status: %v", seen)
	}
}

// TestReferenceDate: the answer describes the subject at dataRiferimentoRichiesta.
func TestReferenceDate(t *testing.T) {
	_, c, rec := newSim(t, Options{})
	ctx := context.Background()
	var morto *population.Person
	for _, p := range pop.Deceased() {
		if p.DataDecesso.Year == 2025 {
			morto = p
		}
	}
	if morto == nil {
		t.Fatal("no person died in 2025")
	}
	before := civil(morto.DataDecesso.AddDays(-1))
	r, err := c.AccertaEsistenzaInVita(ctx, morto.IDANPR, "P-1", before)
	if err != nil || r.InVita == nil || !*r.InVita || r.Soggetti[0].Decesso != nil {
		t.Fatalf("the day before the death: %+v %v", r, err)
	}
	if _, err := c.AccertaStatoFamiglia(ctx, morto.IDANPR, "P-1", before); err != nil {
		t.Fatalf("family the day before the death: %v", err)
	}
	if _, err := c.AccertaStatoFamiglia(ctx, morto.IDANPR, "P-1", civil(*morto.DataDecesso)); !anpr.IsDeceased(err) {
		t.Fatalf("family on the day of the death: %v", err)
	}
	r, err = c.AccertaResidenza(ctx, morto.IDANPR, "P-1", civil(*morto.DataDecesso))
	if err != nil || *r.InVita || r.Soggetti[0].Decesso.Data != civil(*morto.DataDecesso) {
		t.Fatalf("C020 reports the death: %+v %v", r, err)
	}

	// Before the residence began: no residence and a warning, the answer marked incomplete.
	p := pop.HouseholdsTagged(population.TagLargeFamily)[0].Members[0]
	r, err = c.AccertaResidenza(ctx, p.IDANPR, "P-1", civil(p.Residenza.DataDecorrenza.AddDays(-1)))
	if err != nil || len(r.Soggetti[0].Residenze) != 0 || len(r.Anomalie) != 1 || r.Anomalie[0].Codice != CodiceStoricoResidenza ||
		!r.Provenienza.Incompleto {
		t.Fatalf("before dataDecorrenza: %+v %v", r, err)
	}

	// A child born after the reference date is not in the family then, and is not found.
	var child *population.Person
	var h *population.Household
	for _, hh := range pop.Households {
		for _, m := range hh.Members[1:] {
			if m.CodiceLegame == population.LegameFiglio && hh.Members[0].DataNascita.Before(m.DataNascita.AddDays(-400)) {
				child, h = m, hh
			}
		}
	}
	at := civil(child.DataNascita.AddDays(-1))
	r, err = c.AccertaStatoFamiglia(ctx, h.Members[0].IDANPR, "P-1", at)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range r.NucleoFamiliare.Componenti {
		if m.Persona.IDANPR == child.IDANPR {
			t.Fatal("a child appears in the family before birth")
		}
	}
	if _, err := c.AccertaGeneralita(ctx, child.IDANPR, "P-1", at); !anpr.IsNotFound(err) {
		t.Fatalf("a subject before birth: %v", err)
	}
	if len(rec.got) != 7 {
		t.Fatalf("%d exchanges", len(rec.got))
	}
}

func post(t *testing.T, url, contentType, body string, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

var modi = map[string]string{"Authorization": "Bearer v", "Digest": "SHA-256=x", "Agid-JWT-Signature": "a.b.c", "Agid-JWT-TrackingEvidence": "a.b.c"}

func TestRequestValidation(t *testing.T) {
	srv, _, _ := newSim(t, Options{})
	someone := pop.People[0]
	url := srv.URL + DefaultBasePath(anpr.C021) + anpr.OperationPath
	body := func(id, criteri, dati string) string {
		return `{"idOperazioneClient":` + id + `,"criteriRicerca":` + criteri + `,"datiRichiesta":` + dati + `}`
	}
	okDati := `{"dataRiferimentoRichiesta":"2025-06-01","motivoRichiesta":"P-1","casoUso":"C021"}`
	okCriteri := `{"idANPR":"` + someone.IDANPR + `"}`
	type tc struct {
		body, ct string
		status   int
		reason   anpr.Reason
		want     string // GovWay detail line or ANPR code
	}
	cases := map[string]tc{
		"ok/by idANPR":                    {body("\"A1\"", okCriteri, okDati), "application/json", 200, 0, ""},
		"ok/by codice fiscale":            {body("\"A1\"", `{"codiceFiscale":"`+strings.ToLower(someone.CodiceFiscale)+`"}`, okDati), "application/json; charset=utf-8", 200, 0, ""},
		"ok/unknown members allowed":      {`{"x":1,` + body("\"A1\"", okCriteri, okDati)[1:], "application/json", 200, 0, ""},
		"fail/null casoUso":               {body("\"A1\"", okCriteri, `{"dataRiferimentoRichiesta":"2025-06-01","motivoRichiesta":"P","casoUso":null}`), "application/json", 400, anpr.ReasonGovWay, "body.datiRichiesta.casoUso: Null value is not allowed. (code: 1021)"},
		"fail/missing motivo":             {body("\"A1\"", okCriteri, `{"dataRiferimentoRichiesta":"2025-06-01","casoUso":"C021"}`), "application/json", 400, anpr.ReasonGovWay, "body.datiRichiesta.motivoRichiesta: Field 'motivoRichiesta' is required."},
		"fail/missing criteriRicerca":     {`{"idOperazioneClient":"A1","datiRichiesta":` + okDati + `}`, "application/json", 400, anpr.ReasonGovWay, "body.criteriRicerca: Field 'criteriRicerca' is required."},
		"fail/numeric id":                 {body("12", okCriteri, okDati), "application/json", 400, anpr.ReasonGovWay, "body.idOperazioneClient: Type expected 'string', found 'number'."},
		"fail/nested type":                {body("\"A1\"", `{"idANPR":"X","datiNascita":{"dataEvento":5}}`, okDati), "application/json", 400, anpr.ReasonGovWay, "body.criteriRicerca.datiNascita.dataEvento: Type expected 'string', found 'number'."},
		"fail/not JSON":                   {`{"idOperazioneClient":`, "application/json", 400, anpr.ReasonGovWay, "body: not a valid JSON document."},
		"fail/array":                      {`[]`, "application/json", 400, anpr.ReasonGovWay, "body: Type expected 'object', found 'array'."},
		"fail/content type":               {body("\"A1\"", okCriteri, okDati), "text/plain", 400, anpr.ReasonGovWay, "is not supported"},
		"fail/casoUso of another service": {body("\"A1\"", okCriteri, strings.Replace(okDati, "C021", "C020", 1)), "application/json", 400, anpr.ReasonRejected, CodiceCasoUso},
		"fail/id not alphanumeric":        {body("\"A-1\"", okCriteri, okDati), "application/json", 400, anpr.ReasonRejected, CodiceIDOperazione},
		"fail/bad date":                   {body("\"A1\"", okCriteri, strings.Replace(okDati, "2025-06-01", "01/06/2025", 1)), "application/json", 400, anpr.ReasonRejected, CodiceDataRiferimento},
		"fail/empty motivo":               {body("\"A1\"", okCriteri, strings.Replace(okDati, "P-1", " ", 1)), "application/json", 400, anpr.ReasonRejected, CodiceMotivo},
		"fail/no criterion":               {body("\"A1\"", `{}`, okDati), "application/json", 400, anpr.ReasonRejected, CodiceCriteri},
		"fail/unknown subject":            {body("\"A1\"", `{"idANPR":"ZZ99999ZZ"}`, okDati), "application/json", 404, anpr.ReasonNotFound, anpr.CodiceNonTrovato},
		"fail/cf and idANPR disagree":     {body("\"A1\"", `{"idANPR":"`+someone.IDANPR+`","codiceFiscale":"`+pop.People[1].CodiceFiscale+`"}`, okDati), "application/json", 404, anpr.ReasonNotFound, anpr.CodiceNonTrovato},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp, b := post(t, url, c.ct, c.body, modi)
			if resp.StatusCode != c.status {
				t.Fatalf("HTTP %d %s", resp.StatusCode, b)
			}
			if c.status == 200 {
				return
			}
			e := anpr.ErrorFromResponse(anpr.C021, resp.StatusCode, resp.Header, b)
			if e.Reason != c.reason {
				t.Fatalf("reason %s: %v", e.Reason, e)
			}
			switch c.reason {
			case anpr.ReasonGovWay:
				if e.GovWay.Title != GovWayInvalidRequestContent || !strings.Contains(e.GovWay.Detail, c.want) || e.GovWay.GovWayID == "" ||
					resp.Header.Get("GovWay-Transaction-ErrorType") != GovWayInvalidRequestContent {
					t.Fatalf("GovWay answer %+v, want %q", e.GovWay, c.want)
				}
			default:
				if e.Code() != c.want || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("code %s, want %s", e.Code(), c.want)
				}
			}
		})
	}
}

func TestSecurity(t *testing.T) {
	srv, _, _ := newSim(t, Options{})
	url := srv.URL + DefaultBasePath(anpr.C030) + anpr.OperationPath
	for header, want := range map[string]string{"Authorization": GovWayTokenRequired, "Digest": GovWayInteroperability,
		"Agid-JWT-Signature": GovWayInteroperability, "Agid-JWT-TrackingEvidence": GovWayInteroperability} {
		h := map[string]string{}
		for k, v := range modi {
			if k != header {
				h[k] = v
			}
		}
		resp, b := post(t, url, "application/json", `{}`, h)
		e := anpr.ErrorFromResponse(anpr.C030, resp.StatusCode, resp.Header, b)
		if e.Reason != anpr.ReasonGovWay || e.Code() != want || e.Class() != anpr.ClassPermanent ||
			(header != "Authorization" && !strings.Contains(e.GovWay.Detail, header)) {
			t.Errorf("without %s: HTTP %d %s", header, resp.StatusCode, b)
		}
	}
	// A plugged-in Security replaces the default; /status is never checked.
	deny := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			WriteGovWayProblem(w, http.StatusForbidden, "AuthorizationDeny", "denied")
		})
	}
	srv2, _, _ := newSim(t, Options{Security: deny})
	if resp, _ := post(t, srv2.URL+DefaultBasePath(anpr.C030)+anpr.OperationPath, "application/json", `{}`, modi); resp.StatusCode != 403 {
		t.Fatalf("Security hook not applied: %d", resp.StatusCode)
	}
	resp, err := http.Get(srv2.URL + DefaultBasePath(anpr.C030) + "/status")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/status: %v %v", resp, err)
	}
}

// TestBasePaths: the en-dash spelling is served (percent-encoded on the wire) and base paths can be
// configured.
func TestBasePaths(t *testing.T) {
	srv, c, _ := newSim(t, Options{BasePaths: map[anpr.CasoUso]string{anpr.C018: "/anpr/C018/v1/"}})
	p := pop.People[0]
	c.Endpoints[anpr.C015] = srv.URL + "/govway/rest/in/MinInternoPortaANPR-PDND/" + anpr.C015.Servizio(true) + "/v1"
	if _, err := c.AccertaGeneralita(context.Background(), p.IDANPR, "P", rifOggi); err != nil {
		t.Fatalf("en-dash path: %v", err)
	}
	c.Endpoints[anpr.C018] = srv.URL + "/anpr/C018/v1"
	if _, err := c.AccertaCittadinanza(context.Background(), p.IDANPR, "P", rifOggi); err != nil {
		t.Fatalf("configured path: %v", err)
	}
	resp, _ := post(t, srv.URL+DefaultBasePath(anpr.C018)+anpr.OperationPath, "application/json", `{}`, modi)
	if resp.StatusCode != 404 {
		t.Fatalf("the default path of a reconfigured service still answers: %d", resp.StatusCode)
	}
}

func TestFaults(t *testing.T) {
	in := fault.New(fault.Options{Seed: 1})
	_, c, _ := newSim(t, Options{Faults: in})
	ctx := context.Background()
	p := pop.People[0]
	names := map[string]bool{}
	for _, e := range in.Endpoints() {
		names[e.Name] = true
	}
	for _, uc := range anpr.CasiUso {
		if !names[faultName(uc)] || !names[faultName(uc)+".status"] {
			t.Fatalf("%s endpoints not registered for faults: %v", uc, names)
		}
	}
	set := func(s fault.Spec) {
		t.Helper()
		if err := in.Set("anpr.c020", s); err != nil {
			t.Fatal(err)
		}
	}
	call := func() error {
		_, err := c.AccertaResidenza(ctx, p.IDANPR, "P", rifOggi)
		return err
	}
	reasonOf := func(err error) anpr.Reason {
		var e *anpr.Error
		if errors.As(err, &e) {
			return e.Reason
		}
		return 0
	}
	set(fault.Spec{DailyQuota: 1})
	if err := call(); err != nil {
		t.Fatal(err)
	}
	err := call()
	var e *anpr.Error
	if !errors.As(err, &e) || e.Reason != anpr.ReasonQuota || e.RetryAfter <= 0 {
		t.Fatalf("quota: %v", err)
	}
	for spec, want := range map[string]anpr.Reason{"error=1/503": anpr.ReasonGovWay, "error=1/500": anpr.ReasonUnavailable,
		"error=1/429": anpr.ReasonQuota, "malformed=1": anpr.ReasonMalformed, "semantic=not-found": anpr.ReasonNotFound,
		"semantic=deceased": anpr.ReasonDeceased, "semantic=govway-invalid": anpr.ReasonGovWay, "semantic=ko-500": anpr.ReasonUnavailable,
		"truncate=1/40,truncate-honest": anpr.ReasonMalformed, "truncate=1/40": anpr.ReasonTransport} {
		_, s, err := fault.ParseFlag("anpr.c020=" + spec)
		if err != nil {
			t.Fatal(err)
		}
		set(s)
		if got := reasonOf(call()); got != want {
			t.Errorf("%s: reason %s, want %s", spec, got, want)
		}
	}
	set(fault.Spec{Semantic: SemanticAnomalia})
	r, err := c.AccertaResidenza(ctx, p.IDANPR, "P", rifOggi)
	if err != nil || len(r.Anomalie) != 1 || r.Anomalie[0].Codice != "SIM102" {
		t.Fatalf("anomalia: %+v %v", r, err)
	}
	// The empty 429 really is empty.
	set(fault.Spec{ErrorRate: 1, ErrorStatus: 429})
	srvURL := c.Endpoints[anpr.C020] + anpr.OperationPath
	resp, b := post(t, srvURL, "application/json", `{}`, modi)
	if resp.StatusCode != 429 || len(b) != 0 {
		t.Fatalf("429 with body %q", b)
	}
}

// TestChainByCodiceFiscale runs the adapter's C030-then-idANPR chain against the simulator for the
// special cases: AIRE, dual citizenship, partial birth dates, omocodia.
func TestChainByCodiceFiscale(t *testing.T) {
	_, c, rec := newSim(t, Options{})
	tags := []string{population.TagAIRE, population.TagDualCitizenship, population.TagPartialBirthDate, population.TagOmocodia}
	for _, tag := range tags {
		for _, h := range pop.HouseholdsTagged(tag) {
			p := h.Members[len(h.Members)-1]
			for _, uc := range anpr.CasiUso {
				before := len(rec.got)
				r, err := c.AccertaPerCodiceFiscale(context.Background(), uc, p.CodiceFiscale, "WGOV-CHAIN", rifOggi)
				if err != nil {
					t.Fatalf("%s %s: %v", tag, uc, err)
				}
				calls := len(rec.got) - before
				if (uc == anpr.C030 && calls != 1) || (uc != anpr.C030 && calls != 2) {
					t.Fatalf("%s %s: %d calls", tag, uc, calls)
				}
				if uc == anpr.C021 {
					continue
				}
				if got, _ := r.Soggetto(); got.IDANPR != p.IDANPR || got.CodiceFiscale != p.CodiceFiscale {
					t.Fatalf("%s %s: %+v", tag, uc, got)
				}
			}
		}
	}
}

// FuzzCheckRichiesta: any JSON body gets GovWay lines or decodes into a RichiestaE002; never a panic.
func FuzzCheckRichiesta(f *testing.F) {
	f.Add(`{"idOperazioneClient":"1","criteriRicerca":{"idANPR":"AB12345CD"},"datiRichiesta":{"dataRiferimentoRichiesta":"2025-06-01","motivoRichiesta":"x","casoUso":"C021"}}`)
	f.Add(`{"idOperazioneClient":null,"criteriRicerca":[],"datiRichiesta":{"casoUso":7}}`)
	f.Add(`[]`)
	f.Add(`"x"`)
	f.Fuzz(func(t *testing.T, body string) {
		var v any
		if json.Unmarshal([]byte(body), &v) != nil {
			return
		}
		lines := checkRichiesta(v)
		if len(lines) > 0 {
			return
		}
		var req e002.RichiestaE002
		var typ *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(body), &req); err != nil && !(errors.As(err, &typ) && strings.HasPrefix(typ.Field, "criteriRicerca.datiNascita")) {
			t.Fatalf("checkRichiesta accepted a body the decoder refuses: %v", err)
		}
	})
}

// TestErrorAnswersValidateAgainstRealOpenAPI: the simulator's refusals have ANPR's and GovWay's
// shapes (RispostaKO from the real files, the GovWay problem from the sourced supplement).
func TestErrorAnswersValidateAgainstRealOpenAPI(t *testing.T) {
	v, err := anprtest.NewValidator(anprtest.SamplesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	srv, _, _ := newSim(t, Options{})
	url := srv.URL + DefaultBasePath(anpr.C018) + anpr.OperationPath
	dead := pop.Deceased()[0]
	dati := `"datiRichiesta":{"dataRiferimentoRichiesta":"2025-06-01","motivoRichiesta":"P","casoUso":"C018"}`
	cases := []struct {
		body    string
		headers map[string]string
		status  int
		schema  string
	}{
		{`{"idOperazioneClient":"1","criteriRicerca":{"idANPR":"ZZ99999ZZ"},` + dati + `}`, modi, 404, "RispostaKO"},
		{`{"idOperazioneClient":"1","criteriRicerca":{"idANPR":"` + dead.IDANPR + `"},` + dati + `}`, modi, 400, "RispostaKO"},
		{`{"idOperazioneClient":"-","criteriRicerca":{},"datiRichiesta":{"dataRiferimentoRichiesta":"x","motivoRichiesta":"","casoUso":"C001"}}`, modi, 400, "RispostaKO"},
		{`{"idOperazioneClient":null}`, modi, 400, "GovWayProblem"},
		{`{}`, map[string]string{"Authorization": "Bearer v"}, 400, "GovWayProblem"},
		{`{}`, nil, 401, "GovWayProblem"},
	}
	for i, c := range cases {
		resp, b := post(t, url, "application/json", c.body, c.headers)
		if resp.StatusCode != c.status {
			t.Fatalf("case %d: HTTP %d %s", i, resp.StatusCode, b)
		}
		if err := v.Validate(c.schema, b); err != nil {
			t.Errorf("case %d: %v\n%s", i, err, b)
		}
		if c.schema == "RispostaKO" {
			for _, f := range anprtest.Files {
				if err := v.ValidateAs(f, c.schema, b); err != nil {
					t.Errorf("case %d as published in %s: %v", i, f, err)
				}
			}
		}
	}
}
