package e2e

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/lookup"
)

// The happy path of every endpoint: the real simulators' data, translated, with provenance that
// says MISS the first time and HIT the second (no second upstream call).
func TestEveryEndpointAgainstTheSimulators(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "")
	who := withDSUAndICEF(t, w.pop)
	h := w.pop.HouseholdOf(who)

	t.Run("isee", func(t *testing.T) {
		a := g.get("/api/v1/soggetti/" + who.CodiceFiscale + "/isee?dataValidita=" + rif)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		var r lookup.RisultatoISEE
		a.decode(t, &r)
		want := h.DSU.Ordinario.Calcolo.ISEE
		if r.Selezione.Indicatore.Tipo != contracts.ISEEOrdinario || r.Selezione.Motivo != contracts.MotivoOrdinario ||
			r.Selezione.ProtocolloDSU != h.DSU.Protocollo || !r.Selezione.Indicatore.Valori.ISEE.Equal(contracts.NewDecimal(want)) {
			t.Fatalf("selection %+v, want the ordinario %s of %s", r.Selezione.Indicatore, want, h.DSU.Protocollo)
		}
		p := r.Provenienze[0]
		if p.Sistema != contracts.SistemaINPS || p.Operazione != "ConsultazioneAttestazione" || p.IDOperazione == "" || p.Cache != contracts.CacheMiss {
			t.Fatalf("provenienza %+v", p)
		}
		again := provenienze(t, g.get("/api/v1/soggetti/"+who.CodiceFiscale+"/isee?dataValidita="+rif))
		if again[0].Cache != contracts.CacheHit || again[0].IDOperazione != p.IDOperazione {
			t.Fatalf("second lookup %+v, want a HIT of the same INPS answer", again[0])
		}
	})

	t.Run("isee-di-prestazione-for-a-minor", func(t *testing.T) {
		var child *population.Person
		for _, m := range h.Members {
			if m.Minorenne() {
				child = m
			}
		}
		if child == nil {
			t.Skip("the chosen household has no minor")
		}
		a := g.get("/api/v1/soggetti/" + who.CodiceFiscale + "/isee?dataValidita=" + rif + "&prestazione=A1.07&beneficiario=" + child.CodiceFiscale)
		var r lookup.RisultatoISEE
		a.decode(t, &r)
		if a.status != 200 || r.Selezione.Indicatore.Tipo != contracts.ISEEMinorenni || r.Selezione.Motivo != contracts.MotivoBeneficiarioMinorenne ||
			r.Selezione.Indicatore.CodiceFiscaleBeneficiario != child.CodiceFiscale {
			t.Fatalf("%d %+v", a.status, r.Selezione.Indicatore)
		}
	})

	t.Run("soggetto", func(t *testing.T) {
		a := g.get("/api/v1/soggetti/" + who.CodiceFiscale + "?dataRiferimento=" + rif)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		var s lookup.Soggetto
		a.decode(t, &s)
		p := s.Persona
		if p.CodiceFiscale != who.CodiceFiscale || p.IDANPR != who.IDANPR || p.Cognome != who.Cognome || p.Nome != who.Nome ||
			len(p.Residenze) == 0 || len(p.Cittadinanze) != len(who.Cittadinanze) || s.InVita == nil || !*s.InVita || p.StatoCivile == nil {
			t.Fatalf("%+v", s)
		}
		ops := []string{}
		for _, pr := range s.Provenienze {
			ops = append(ops, pr.Operazione)
		}
		if strings.Join(ops, ",") != "C030,C015,C020,C018,C019" {
			t.Fatalf("provenienze %v", ops)
		}
	})

	t.Run("soggetto-deceased", func(t *testing.T) {
		dead := w.pop.Deceased()[0]
		a := g.get("/api/v1/soggetti/" + dead.CodiceFiscale + "?dataRiferimento=" + rif)
		var s lookup.Soggetto
		a.decode(t, &s)
		if a.status != 200 || s.InVita == nil || *s.InVita || s.Persona.Decesso == nil || len(s.Persona.Cittadinanze) != 0 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		f := g.get("/api/v1/soggetti/" + dead.CodiceFiscale + "/famiglia?dataRiferimento=" + rif)
		if f.status != 404 || f.code(t) != "anpr.deceased" {
			t.Fatalf("the family of the dead: %d %s", f.status, f.body)
		}
	})

	t.Run("famiglia", func(t *testing.T) {
		a := g.get("/api/v1/soggetti/" + who.CodiceFiscale + "/famiglia?dataRiferimento=" + rif)
		var f lookup.Famiglia
		a.decode(t, &f)
		if a.status != 200 || f.NucleoFamiliare.Origine != contracts.NucleoANPR || f.NucleoFamiliare.IDFamigliaANPR != h.ID {
			t.Fatalf("%d %s", a.status, a.body)
		}
		alive := 0
		for _, m := range h.Members {
			if !m.Deceduto() {
				alive++
			}
		}
		if len(f.NucleoFamiliare.Componenti) != alive {
			t.Fatalf("%d members, want %d", len(f.NucleoFamiliare.Componenti), alive)
		}
		if ops := f.Provenienze; len(ops) != 2 || ops[0].Operazione != "C030" || ops[1].Operazione != "C021" || ops[0].Cache != contracts.CacheHit {
			t.Fatalf("provenienze %+v: C030 was cached by the soggetto lookup", ops)
		}
	})

	t.Run("icef", func(t *testing.T) {
		ind := h.ICEF[0]
		a := g.get("/api/v1/soggetti/" + who.CodiceFiscale + "/icef?politica=" + ind.Politica + "&anno=" + strconv.Itoa(ind.Anno))
		var r lookup.RisultatoICEF
		a.decode(t, &r)
		if a.status != 200 || !r.Indicatore.Valore.Equal(contracts.NewDecimal(ind.Valore.Round(4))) || r.Indicatore.ProtocolloDomanda != ind.Protocollo {
			t.Fatalf("%d %s", a.status, a.body)
		}
	})

	t.Run("contract", func(t *testing.T) {
		resp, err := http.Get(g.url + "/api/v1/openapi.yaml")
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/yaml" {
			t.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	})
}

// Every refusal before any upstream call, and every business answer, with its problem type.
func TestRefusalsAndBusinessAnswers(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "")
	who := withDSUAndICEF(t, w.pop)
	wrongCheck := who.CodiceFiscale[:15] + string(rune('A'+(who.CodiceFiscale[15]-'A'+1)%26))
	for name, tc := range map[string]struct {
		method, path string
		body         any
		headers      map[string]string
		status       int
		code         string
		invalid      []string // the invalidParams names: the contract's parameters, headers and body fields
	}{
		"fail/cf-check-character": {path: "/api/v1/soggetti/" + wrongCheck, status: 400, code: "codice-fiscale.check_character", invalid: []string{"codiceFiscale"}},
		"fail/cf-format":          {path: "/api/v1/soggetti/NOTACODICE/isee", status: 400, code: "codice-fiscale.length", invalid: []string{"codiceFiscale"}},
		"fail/beneficiario-cf":    {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/isee?beneficiario=" + wrongCheck, status: 400, code: "codice-fiscale.check_character", invalid: []string{"beneficiario"}},
		"fail/unknown-param":      {path: "/api/v1/soggetti/" + who.CodiceFiscale + "?datariferimento=" + rif, status: 400, code: "invalid-parameter", invalid: []string{"datariferimento"}},
		"fail/param-twice":        {path: "/api/v1/soggetti/" + who.CodiceFiscale + "?dataRiferimento=" + rif + "&dataRiferimento=" + rif, status: 400, code: "invalid-parameter", invalid: []string{"dataRiferimento"}},
		"fail/bad-date":           {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/famiglia?dataRiferimento=2025-02-30", status: 400, code: "invalid-parameter", invalid: []string{"dataRiferimento"}},
		"fail/bad-tipo":           {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/isee?tipo=CORRENTE", status: 400, code: "invalid-parameter", invalid: []string{"tipo"}},
		"fail/bad-anno":           {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/icef?politica=x&anno=1999", status: 400, code: "invalid-parameter", invalid: []string{"anno"}},
		"fail/no-politica":        {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/icef", status: 400, code: "invalid-parameter", invalid: []string{"politica"}},
		"fail/no-operator":        {path: "/api/v1/soggetti/" + who.CodiceFiscale, headers: map[string]string{"Operatore-Id": ""}, status: 400, code: "operator-identity-invalid", invalid: []string{"Operatore-Id"}},
		"fail/control-in-case":    {path: "/api/v1/soggetti/" + who.CodiceFiscale, headers: map[string]string{"Riferimento-Pratica": "PRAT\tX"}, status: 400, code: "operator-identity-invalid", invalid: []string{"Riferimento-Pratica"}},
		"fail/invalid-utf8":       {path: "/api/v1/soggetti/" + who.CodiceFiscale, headers: map[string]string{"Operatore-Id": "mario\xff"}, status: 400, code: "operator-identity-invalid", invalid: []string{"Operatore-Id"}},
		"fail/no-key":             {path: "/api/v1/soggetti/" + who.CodiceFiscale, headers: map[string]string{"Api-Key": ""}, status: 401, code: "internal-api.credentials-missing"},
		"fail/wrong-key":          {path: "/api/v1/soggetti/" + who.CodiceFiscale, headers: map[string]string{"Api-Key": apiKey + "x"}, status: 401, code: "internal-api.api-key-invalid"},
		"fail/verifica-not-json":  {method: "POST", path: "/api/v1/verifiche", body: "x", status: 400, code: "bad-request"},
		"fail/verifica-invalid": {method: "POST", path: "/api/v1/verifiche", status: 400, code: "invalid-parameter",
			body:    map[string]any{"codiceFiscaleDichiarante": wrongCheck, "componenti": []map[string]string{{"codiceFiscale": who.CodiceFiscale, "rapportoConDichiarante": "X"}}},
			invalid: []string{"codiceFiscaleDichiarante", "componenti/0/rapportoConDichiarante"}},
		"fail/verifica-unknown-member": {method: "POST", path: "/api/v1/verifiche", status: 400, code: "bad-request",
			body: map[string]any{"codiceFiscaleDichiarante": who.CodiceFiscale, "componenti": []any{}, "reddito": 1}},
		"fail/verifica-media-type": {method: "POST", path: "/api/v1/verifiche", headers: map[string]string{"Content-Type": "text/plain"},
			body: map[string]any{"codiceFiscaleDichiarante": who.CodiceFiscale}, status: 415, code: "unsupported-media-type"},
		"business/subject-not-found": {path: "/api/v1/soggetti/" + unknownCF(t, w.pop) + "?dataRiferimento=" + rif, status: 404, code: "anpr.not-found"},
		"business/no-isee":           {path: "/api/v1/soggetti/" + withoutDSU(t, w.pop).CodiceFiscale + "/isee?dataValidita=" + rif, status: 404, code: "isee.dati-non-trovati"},
		"business/isee-expired":      {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/isee?dataValidita=2030-01-15", status: 404, code: "isee.dati-non-trovati"},
		"business/beneficiario-estraneo": {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/isee?dataValidita=" + rif + "&prestazione=A1.07&beneficiario=" + withoutDSU(t, w.pop).CodiceFiscale,
			status: 404, code: "isee.beneficiario-estraneo"},
		"business/no-dottorato": {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/isee?tipo=DOTTORATO&dataValidita=" + rif, status: 404, code: "isee.dati-non-trovati"},
		"business/no-icef":      {path: "/api/v1/soggetti/" + who.CodiceFiscale + "/icef?politica=assegno-unico-provinciale&anno=2001", status: 404, code: "icef.non-trovato"},
	} {
		t.Run(name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			a := g.do(method, tc.path, tc.body, tc.headers)
			if a.status != tc.status || a.code(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s", a.status, a.body, tc.status, tc.code)
			}
			if strings.Contains(string(a.body), who.CodiceFiscale) || strings.Contains(string(a.body), wrongCheck) {
				t.Fatalf("the problem quotes a codice fiscale: %s", a.body)
			}
			var names []string
			for _, p := range asList(a.problem(t)["invalidParams"]) {
				names = append(names, p.(map[string]any)["name"].(string))
			}
			if tc.invalid != nil && !slices.Equal(names, tc.invalid) {
				t.Fatalf("invalidParams names %q, want %q: %s", names, tc.invalid, a.body)
			}
		})
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// A codice fiscale with omocodia in its day digits is valid, but INPS's WSDL cannot carry it:
// 422 naming the field, nothing sent.
func TestINPSCannotCarryHighOmocodia(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "")
	who := withDSUAndICEF(t, w.pop)
	omocode, err := contracts.Omocode(who.CodiceFiscale, 5)
	if err != nil {
		t.Fatal(err)
	}
	a := g.get("/api/v1/soggetti/" + omocode + "/isee?dataValidita=" + rif)
	if a.status != 422 || a.code(t) != "unprocessable-content" || !strings.Contains(string(a.body), "RicercaCF/CodiceFiscale") {
		t.Fatalf("%d %s", a.status, a.body)
	}
}

// internal_api.rate_limit: X-RateLimit-* on every answer, 429 rate-limited with Retry-After past
// the limit, per client.
func TestRateLimitPerClient(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "", "WGW_INTERNAL_API__RATE_LIMIT__REQUESTS=2", "WGW_INTERNAL_API__RATE_LIMIT__PERIOD=1m")
	who := withDSUAndICEF(t, w.pop)
	path := "/api/v1/soggetti/" + who.CodiceFiscale + "/famiglia?dataRiferimento=" + rif
	for i, want := range []string{"1", "0"} {
		a := g.get(path)
		if a.status != 200 || a.header.Get("X-RateLimit-Limit") != "2" || a.header.Get("X-RateLimit-Remaining") != want {
			t.Fatalf("call %d: %d %v", i, a.status, a.header)
		}
	}
	a := g.get(path)
	if a.status != 429 || a.code(t) != "rate-limited" || a.header.Get("Retry-After") == "" || a.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("past the limit: %d %v %s", a.status, a.header, a.body)
	}
}
