package inps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	adapter "github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/adapters/inps/inpsxsd"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

// The end-to-end proof of both sides of the format: every answer the simulator gives, for every
// person of the population and every operation and filter, goes over real HTTP through the
// gateway's adapter (adapters/inps.Client) and must come back with exactly the values the population
// holds; with WGW_SAMPLES_DIR set, every envelope and payload is also validated against INPS's real
// schemas in a few xmllint batches.

var (
	popOnce sync.Once
	pop     *population.Population
)

func testPopulation() *population.Population {
	popOnce.Do(func() { pop = population.Build(population.DefaultSeed) })
	return pop
}

// recorder keeps every exchange, for the XSD batch.
type recorder struct {
	mu        sync.Mutex
	requests  map[string][]byte
	responses map[string][]byte
}

// harness is a simulator on loopback and an adapter client that records what goes over the wire.
type harness struct {
	url    string
	faults *fault.Injector
	client *adapter.Client
	rec    *recorder
}

var clientNow = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, o Options) *harness {
	t.Helper()
	if o.Population == nil {
		o.Population = testPopulation()
	}
	if o.Faults == nil {
		o.Faults = fault.New(fault.Options{Seed: 1})
	}
	srv := httptest.NewServer(Handler(o))
	t.Cleanup(srv.Close)
	rec := &recorder{requests: map[string][]byte{}, responses: map[string][]byte{}}
	hc := srv.Client()
	n := 0
	tr := adapter.TransportFunc(func(ctx context.Context, req *http.Request) (*http.Response, error) {
		req.Header.Set("Authorization", "Bearer voucher-di-prova")
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := hc.Do(req.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(data))
		rec.mu.Lock()
		n++
		name := fmt.Sprintf("%05d", n)
		rec.requests[name], rec.responses[name] = body, data
		rec.mu.Unlock()
		return resp, nil
	})
	return &harness{url: srv.URL + Path, faults: o.Faults, rec: rec,
		client: &adapter.Client{Transport: tr, Identity: adapter.Identity{UserID: "80012345678", CodiceUfficio: "001"},
			Endpoint: srv.URL + Path, Now: func() time.Time { return clientNow }}}
}

// expectedDSU is the DSU INPS should find for a person today (the population's reference date):
// the most recent one that is valid on that day.
func expectedDSU(p *population.Population, cf string) *population.DSU {
	for _, d := range p.DSUsFor(cf) {
		if !population.ReferenceDate.Before(d.DataPresentazione) && !d.DataValidita.Before(population.ReferenceDate) {
			return d
		}
	}
	return nil
}

func TestEveryPersonEveryOperation(t *testing.T) {
	h := newHarness(t, Options{})
	p := testPopulation()
	ctx := context.Background()
	var found, notFound, indicators, indicatorsNotFound int
	payloads := map[string][]byte{}
	indPayloads := map[string][]byte{}
	for _, person := range p.People {
		cf := person.CodiceFiscale
		d := expectedDSU(p, cf)
		res, err := h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf,
			Prestazione: adapter.Prestazione{PrestazioneDaErogare: "A1.04", ProtocolloDomandaEnteErogatore: "WGOV-" + person.IDANPR, StatodomandaPrestazione: adapter.StatoDaErogare}}})
		if err != nil {
			t.Fatalf("%s: RicercaCF: %v", contracts.MaskCodiceFiscale(cf), err)
		}
		payloads["cf-"+cf] = res.Payload
		if d == nil {
			notFound++
			if res.Trovata() || res.Esito != adapter.EsitoDatiNonTrovati || res.Ricerca == nil || res.Ricerca.CodiceFiscale != cf {
				t.Errorf("%s has no DSU: want DATI_NON_TROVATI with the echo, got %s %v", contracts.MaskCodiceFiscale(cf), res.Esito, res.Ricerca)
			}
			continue
		}
		found++
		checkAttestazione(t, d, res)
		if res.Ricerca.PrestazioneDaErogare != "A1.04" || res.Ricerca.ProtocolloDomandaEnteErogatore != "WGOV-"+person.IDANPR {
			t.Errorf("echo %+v", res.Ricerca)
		}
		for _, req := range []adapter.RichiestaAttestazione{
			{RicercaProtDSU: &adapter.RicercaProtDSU{ProtocolloDSU: d.Protocollo, CodiceFiscaleBeneficiario: cf}},
			{RicercaProtMittente: &adapter.RicercaProtMittente{ProtocolloMittente: d.ProtocolloMittente, CodiceFiscaleBeneficiario: cf,
				Prestazione: adapter.Prestazione{StatodomandaPrestazione: adapter.StatoErogata}}},
		} {
			res, err := h.client.ConsultazioneAttestazione(ctx, req)
			if err != nil {
				t.Fatalf("%s: %v", contracts.MaskCodiceFiscale(cf), err)
			}
			checkAttestazione(t, d, res)
			payloads[fmt.Sprintf("%s-%s", res.Ricerca.Filtro, cf)] = res.Payload
		}
		// Every kind of indicator: ConsultazioneIndicatore must agree with the attestation's indicator
		// that the gateway's selection rule picks for that kind (or answer DATI_NON_TROVATI when the
		// attestation has none of that kind for the person, or it is non calcolabile).
		for _, tipo := range []contracts.TipoISEE{contracts.ISEEOrdinario, contracts.ISEEMinorenni, contracts.ISEEUniversitario,
			contracts.ISEESocioSanitario, contracts.ISEESocioSanitarioResidenziale, contracts.ISEEDottorato} {
			ri, err := h.client.ConsultazioneIndicatore(ctx, adapter.RichiestaIndicatore{Tipo: tipo, RicercaCF: adapter.RicercaCF{CodiceFiscale: cf}})
			if err != nil {
				t.Fatalf("%s %s: %v", contracts.MaskCodiceFiscale(cf), tipo, err)
			}
			sel, selErr := adapter.SelezionaISEE(*res.Attestazione, adapter.RichiestaSelezione{CodiceFiscaleBeneficiario: cf, Tipo: tipo})
			want := selErr == nil && sel.Indicatore.Tipo == tipo && sel.Indicatore.Stato == contracts.IndicatoreCalcolato
			if ri.Selezione == nil {
				indicatorsNotFound++
				if want {
					t.Errorf("%s %s: DATI_NON_TROVATI, but the attestation has %+v", contracts.MaskCodiceFiscale(cf), tipo, sel.Indicatore.Valori)
				}
				continue
			}
			indicators++
			indPayloads[fmt.Sprintf("%s-%s", tipo, cf)] = ri.Payload
			got := ri.Selezione
			if !want {
				t.Errorf("%s %s: INPS answered %v, but the attestation has no such indicator", contracts.MaskCodiceFiscale(cf), tipo, got.Indicatore.Valori)
				continue
			}
			if !sameValori(*got.Indicatore.Valori, *sel.Indicatore.Valori) || got.ProtocolloDSU != d.Protocollo || got.DataPresentazione.String() != d.DataPresentazione.String() ||
				got.Provenienza.Incompleto || len(got.Provenienza.Anomalie) != 0 || len(got.Incongruenze) != 0 {
				t.Errorf("%s %s: indicator %+v differs from the attestation's %+v", contracts.MaskCodiceFiscale(cf), tipo, got, sel.Indicatore.Valori)
			}
		}
	}
	t.Logf("%d people: %d attestations found, %d not found; %d indicators, %d DATI_NON_TROVATI; %d HTTP exchanges",
		len(p.People), found, notFound, indicators, indicatorsNotFound, len(h.rec.responses))
	if found == 0 || notFound == 0 || indicators == 0 || indicatorsNotFound == 0 {
		t.Fatal("the sweep did not exercise both found and not-found answers")
	}
	t.Run("xsd", func(t *testing.T) {
		v := inpsxsd.New(t)
		v.MustValidate(inpsxsd.Envelope, h.rec.responses)
		v.MustValidate(inpsxsd.Envelope, h.rec.requests)
		v.MustValidate(inpsxsd.Attestazione, payloads)
		v.MustValidate(inpsxsd.Indicatore, indPayloads)
	})
}

// checkAttestazione compares the adapter's translation of the simulator's answer with the DSU.
func checkAttestazione(t *testing.T, d *population.DSU, res *adapter.RisultatoAttestazione) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("DSU %s: "+format, append([]any{d.Protocollo}, args...)...)
	}
	a := res.Attestazione
	if a == nil {
		fail("not found")
		return
	}
	if a.ProtocolloDSU != d.Protocollo || a.ProtocolloMittente != d.ProtocolloMittente || a.CodiceFiscaleDichiarante != d.Dichiarante.CodiceFiscale ||
		a.DataPresentazione.String() != d.DataPresentazione.String() || a.DataValidita.String() != d.DataValidita.String() {
		fail("header %s %s %s %s", a.ProtocolloDSU, a.ProtocolloMittente, a.DataPresentazione, a.DataValidita)
	}
	if d.Corrente != !a.DataScadenzaDSUCorrente.IsZero() || (d.Corrente && a.DataScadenzaDSUCorrente.String() != d.DataScadenzaCorrente.String()) {
		fail("DataScadenzaDSUCorrente %s", a.DataScadenzaDSUCorrente)
	}
	if p := a.Provenienza; p.Incompleto || len(p.Anomalie) != 0 || len(res.Incongruenze) != 0 || p.IDOperazione != res.IDRichiesta || !p.DataOraAcquisizione.Equal(clientNow) {
		fail("provenienza %+v, incongruenze %v", p, res.Incongruenze)
	}
	if err := a.Validate(); err != nil {
		fail("invalid model: %v", err)
	}
	checkNucleo(t, d.Protocollo+" nucleo", a.NucleoFamiliare, d.Nucleo, false)
	if len(a.NucleiRistretti) != len(d.Ridotti) {
		fail("%d nuclei ristretti, want %d", len(a.NucleiRistretti), len(d.Ridotti))
	}
	for i := range min(len(a.NucleiRistretti), len(d.Ridotti)) {
		if a.NucleiRistretti[i].CodiceFiscaleBeneficiario != d.Ridotti[i].Beneficiario.CodiceFiscale {
			fail("ridotto %d beneficiary", i)
		}
		checkNucleo(t, d.Protocollo+" ristretto", &a.NucleiRistretti[i], d.Ridotti[i].Nucleo, true)
	}
	want := expectedIndicatori(d)
	if len(a.Indicatori) != len(want) {
		fail("%d indicators, want %d", len(a.Indicatori), len(want))
		return
	}
	for i, w := range want {
		checkIndicatore(t, fmt.Sprintf("%s indicator %d", d.Protocollo, i), d, a.Indicatori[i], w)
	}
	checkVariazione(t, d, a.Variazione)
	if len(a.Difformita) != len(d.Difformita) {
		fail("%d difformità, want %d", len(a.Difformita), len(d.Difformita))
		return
	}
	for i, o := range d.Difformita {
		g := a.Difformita[i]
		tipo, _ := contracts.TipoDifformitaFromCode(o.Tipo)
		if g.Tipo != tipo || g.CodiceFiscale != o.Persona.CodiceFiscale || g.DataControlloAE.String() != o.DataControllo.String() || len(g.Rapporti) != len(o.Rapporti) {
			fail("difformità %d: %+v", i, g)
			continue
		}
		for j, r := range o.Rapporti {
			gr := g.Rapporti[j]
			if gr.TipoRapporto != r.TipoRapporto || gr.CodiceFiscaleOperatore != r.CodiceFiscaleOperatore || gr.DescrizioneOperatore != r.DescrizioneOperatore ||
				!gr.Saldo3112.Equal(contracts.NewDecimal(decimal.NewFromInt(r.Saldo3112))) || !gr.ConsistenzaMedia.Equal(contracts.NewDecimal(decimal.NewFromInt(r.ConsistenzaMedia))) {
				fail("rapporto %d.%d: %+v", i, j, gr)
			}
		}
		if (o.RedditoAE == nil) != (g.RedditoAE == nil) ||
			(o.RedditoAE != nil && (g.RedditoAE.Modello != contracts.ModelloAEFromCode(o.RedditoAE.TipoModello) || !g.RedditoAE.RedditoComplessivoIRPEF.Equal(contracts.NewDecimal(o.RedditoAE.RedditoComplessivo)))) {
			fail("redditoAE %d: %+v", i, g.RedditoAE)
		}
	}
}

func checkNucleo(t *testing.T, what string, got *contracts.NucleoFamiliare, want []population.Componente, ristretto bool) {
	t.Helper()
	if got == nil || len(got.Componenti) != len(want) {
		t.Errorf("%s: %v, want %d members", what, got, len(want))
		return
	}
	for i, c := range want {
		g := got.Componenti[i]
		code := g.RapportoConDichiarante
		if ristretto {
			code = g.RelazioneConBeneficiario
		}
		if g.Persona.CodiceFiscale != c.Persona.CodiceFiscale || g.Persona.Cognome != c.Persona.Cognome || g.Persona.Nome != c.Persona.Nome ||
			code != c.Rapporto || g.Ruolo == contracts.RuoloNonDefinito {
			t.Errorf("%s member %d: %+v, want %s %s %s", what, i, g, c.Persona.Cognome, c.Persona.Nome, c.Rapporto)
		}
	}
}

// wantIndicatore is one indicator the attestation must carry, in document order.
type wantIndicatore struct {
	tipo         contracts.TipoISEE
	variante     contracts.VarianteISEE
	cf           string // "" for the ordinario
	calc         *population.Calcolo
	rilascio     population.Date
	aggiuntivi   []population.ComponenteAggiuntiva
	tipoAgg      contracts.TipoComponenteAggiuntiva
	attratto     []population.Componente
	nucleoAttivo bool
}

func expectedIndicatori(d *population.DSU) []wantIndicatore {
	out := []wantIndicatore{{tipo: contracts.ISEEOrdinario, variante: contracts.VarianteOrdinario, calc: &d.Ordinario.Calcolo, rilascio: d.Ordinario.DataRilascio}}
	add := func(c adapter.Contenitore, list []population.IndicatoreBeneficiario, rinvio *population.Indicatore) {
		for _, e := range list {
			s, _ := c.Variante(string(e.Variante))
			w := wantIndicatore{tipo: c.Tipo(), variante: s.Variante, cf: e.Beneficiario.CodiceFiscale, aggiuntivi: e.Aggiuntivi,
				tipoAgg: s.TipoComponente, attratto: e.NucleoAttratto, nucleoAttivo: s.NucleoAttratto}
			switch {
			case e.Variante == population.VarNonCalcolabile:
			case e.Indicatore != nil:
				w.calc, w.rilascio = &e.Indicatore.Calcolo, e.Indicatore.DataRilascio
			default:
				w.calc, w.rilascio = &rinvio.Calcolo, rinvio.DataRilascio
			}
			out = append(out, w)
		}
	}
	add(adapter.ContenitoreMinorenne, d.Minorenni, &d.Ordinario)
	add(adapter.ContenitoreUniversitario, d.Universitari, &d.Ordinario)
	add(adapter.ContenitoreSocioSanRes, d.SocioSanitari, &d.Ordinario)
	for i := range d.Ridotti {
		r := &d.Ridotti[i]
		out = append(out, wantIndicatore{tipo: contracts.ISEESocioSanitario, variante: contracts.VarianteRistretto, cf: r.Beneficiario.CodiceFiscale,
			calc: &r.Ristretto.Calcolo, rilascio: r.Ristretto.DataRilascio})
		if r.SocioSanRes != nil {
			add(adapter.ContenitoreSocioSanResRistretto, []population.IndicatoreBeneficiario{*r.SocioSanRes}, &r.Ristretto)
		}
	}
	return out
}

func checkIndicatore(t *testing.T, what string, d *population.DSU, g contracts.IndicatoreISEE, w wantIndicatore) {
	t.Helper()
	if g.Tipo != w.tipo || g.Variante != w.variante || g.CodiceFiscaleBeneficiario != w.cf || g.Corrente != d.Corrente {
		t.Errorf("%s: %s/%s for %q corrente %v, want %s/%s for %q", what, g.Tipo, g.Variante, g.CodiceFiscaleBeneficiario, g.Corrente, w.tipo, w.variante, w.cf)
	}
	if d.Corrente && (g.ProtocolloDSUModuloSostitutivo != d.ProtocolloModuloSostitutivo || g.DataPresentazioneModuloSostitutivo.String() != d.DataModuloSostitutivo.String()) {
		t.Errorf("%s: modulo sostitutivo %s %s", what, g.ProtocolloDSUModuloSostitutivo, g.DataPresentazioneModuloSostitutivo)
	}
	if w.calc == nil {
		if g.Stato != contracts.IndicatoreNonCalcolabile || g.Valori != nil || g.ModalitaCalcolo != nil {
			t.Errorf("%s: want non calcolabile, got %+v", what, g)
		}
		return
	}
	c := w.calc
	v, m := g.Valori, g.ModalitaCalcolo
	if g.Stato != contracts.IndicatoreCalcolato || v == nil || m == nil || g.DataRilascio.String() != w.rilascio.String() {
		t.Errorf("%s: %+v", what, g)
		return
	}
	// INPS prints every amount with two decimals (TypeDecimal); the population keeps the exact
	// 0.2 x ISP, so its values are compared as printed.
	eq := func(name string, got contracts.Decimal, want decimal.Decimal) {
		if !got.Equal(contracts.NewDecimal(want.Round(2))) {
			t.Errorf("%s: %s %s, want %s", what, name, got, want.StringFixed(2))
		}
	}
	eq("ISEE", v.ISEE, c.ISEE)
	eq("ISE", v.ISE, c.ISE)
	eq("ISR", v.ISR, c.ISR)
	eq("ISP", v.ISP, c.ISP)
	eq("ScalaEquivalenza", v.ScalaEquivalenza, c.ScalaEquivalenza)
	eq("SommaRedditiComponenti", m.SommaRedditiComponenti, c.SommaRedditi)
	eq("RedditoFigurativo", m.RedditoFigurativoPatrimonioMobiliare, c.RedditoFigurativo)
	eq("Detrazioni", m.Detrazioni, c.Detrazioni)
	eq("PatrimonioMobiliare", m.PatrimonioMobiliare, c.PatrimonioMobiliare)
	eq("DetrazionePatrimonioMobiliare", m.DetrazionePatrimonioMobiliare, c.DetrazioneMobiliare)
	eq("PatrimonioImmobiliare", m.PatrimonioImmobiliare, c.PatrimonioImmobiliare)
	eq("DetrazionePatrimonioImmobiliare", m.DetrazionePatrimonioImmobiliare, c.DetrazioneImmobiliare)
	eq("ParametroNucleo", m.ParametroNucleo, c.ParametroNucleo)
	eq("Maggiorazioni", m.Maggiorazioni, c.Maggiorazioni)
	if (c.SommaRedditiCorrente == nil) != (m.SommaRedditiComponentiCorrente == nil) ||
		(c.SommaRedditiCorrente != nil && !m.SommaRedditiComponentiCorrente.Equal(contracts.NewDecimal(*c.SommaRedditiCorrente))) {
		t.Errorf("%s: SommaRedditiComponentiCorrente %v", what, m.SommaRedditiComponentiCorrente)
	}
	if len(g.ComponentiAggiuntive) != len(w.aggiuntivi) {
		t.Errorf("%s: %d componenti aggiuntive, want %d", what, len(g.ComponentiAggiuntive), len(w.aggiuntivi))
	}
	for i := range min(len(g.ComponentiAggiuntive), len(w.aggiuntivi)) {
		ga, wa := g.ComponentiAggiuntive[i], w.aggiuntivi[i]
		if ga.Tipo != w.tipoAgg || ga.CodiceFiscale != wa.Persona.CodiceFiscale || ga.Cognome != wa.Persona.Cognome ||
			ga.ProtocolloDSU != wa.ProtocolloDSU || ga.ProtocolloMittente != wa.ProtocolloMittente || ga.ProtocolloDSURiferimento != d.Protocollo ||
			(ga.Tipo == contracts.ComponenteTipoAggiuntiva && (ga.Valore == nil || !ga.Valore.Equal(contracts.NewDecimal(wa.Valore)))) {
			t.Errorf("%s: componente %d %+v", what, i, ga)
		}
	}
	if w.nucleoAttivo {
		checkNucleo(t, what+" nucleo attratto", g.NucleoAttratto, w.attratto, false)
	} else if g.NucleoAttratto != nil {
		t.Errorf("%s: unexpected nucleo attratto", what)
	}
}

func sameValori(a, b contracts.ValoriISEE) bool {
	return a.ISEE.Equal(b.ISEE) && a.ISE.Equal(b.ISE) && a.ISR.Equal(b.ISR) && a.ISP.Equal(b.ISP) && a.ScalaEquivalenza.Equal(b.ScalaEquivalenza)
}

func checkVariazione(t *testing.T, d *population.DSU, g *contracts.Variazione) {
	t.Helper()
	w := d.Variazione
	if (w == nil) != (g == nil) {
		t.Errorf("DSU %s: variazione %v, want %v", d.Protocollo, g, w)
		return
	}
	if w == nil {
		return
	}
	tipo, _ := contracts.TipoVariazioneFromCode(w.Tipo)
	if g.Tipo != tipo || g.ProtocolloDSUVariata != w.ProtocolloDSUVariata || g.DataPresentazioneDSUVariata.String() != w.DataPresentazioneDSUVariata.String() ||
		g.Note != w.Note || len(g.Discordanze) != len(w.Discordanze) {
		t.Errorf("DSU %s: variazione %+v", d.Protocollo, g)
		return
	}
	for i, x := range w.Discordanze {
		if gd := g.Discordanze[i]; gd.CodiceFiscale != x.Persona.CodiceFiscale || gd.Tipologia != x.Tipologia || gd.Specifica != x.Specifica {
			t.Errorf("DSU %s: discordanza %d %+v", d.Protocollo, i, gd)
		}
	}
}
