package siuss_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/contracts"
)

// Every prestazione of the population becomes a flow that passes the full validation (XSD and the
// specification's rules) and carries exactly what the model says.
func TestPopulationFlowsAreValid(t *testing.T) {
	flows := populationFlows(t)
	if len(flows) < 50 {
		t.Fatalf("only %d flows from the population", len(flows))
	}
	for _, f := range flows {
		if err := siuss.Validate(siuss.TipoPS, f.id, testEnte.Codice, f.xml); err != nil {
			t.Errorf("%s: %v", f.id, err)
		}
	}
}

func TestBuildPSShape(t *testing.T) {
	var withSINA, foreign, oneOff bool
	for _, f := range populationFlows(t) {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(f.xml); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(f.xml), `<?xml version="1.0" encoding="UTF-8"?><Flusso xmlns="http://inps.it/Casellario">`) {
			t.Fatalf("%s does not start with the declaration and the namespaced root: %.120s", f.id, f.xml)
		}
		if strings.Contains(string(f.xml), "schemaLocation") {
			t.Fatalf("%s carries an xsi:schemaLocation", f.id)
		}
		root := doc.Root()
		if got := root.FindElement("IdentificazioneFlusso").SelectAttrValue("Nome", ""); got != f.id {
			t.Fatalf("@Nome %q, want the id_flusso %q", got, f.id)
		}
		ben := root.FindElement("Beneficiario")
		if ben.SelectAttrValue("CodiceFiscale", "") != f.model.Beneficiario.CodiceFiscale {
			t.Fatalf("%s: CodiceFiscale differs from the model", f.id)
		}
		ps := ben.SelectElement("PrestazioniSociali")
		if len(ben.SelectElements("PrestazioniSociali")) != 1 || len(root.SelectElements("Beneficiario")) != 1 {
			t.Fatalf("%s: not one beneficiary with one prestazione", f.id)
		}
		if m := f.model.ImportoMensile; m != nil && ps.SelectAttrValue("ImportoMensile", "") != m.StringFixed(2) {
			t.Fatalf("%s: ImportoMensile %q, model %s", f.id, ps.SelectAttrValue("ImportoMensile", ""), m)
		}
		if ps.SelectElement("SINA") != nil {
			withSINA = true
		}
		if n := ben.SelectElement("Indirizzo").SelectAttrValue("CodiceNazione", ""); n != "380" {
			foreign = true
			if ben.SelectElement("Indirizzo").SelectAttr("CodiceComune") != nil {
				t.Fatalf("%s: a residence abroad with a CodiceComune", f.id)
			}
		}
		oneOff = oneOff || ps.SelectAttrValue("CaratterePrestazione", "") == "2"
		if c := ben.SelectElement("Anagrafica").SelectAttrValue("CodiceCittadinanza", ""); c == "100" {
			t.Fatalf("%s: ISTAT code 100 for Italy instead of ISO 380", f.id)
		}
	}
	if !withSINA || !oneOff {
		t.Fatalf("the population does not exercise SINA blocks (%v) and one-off benefits (%v)", withSINA, oneOff)
	}
	_ = foreign // the population may or may not hold a SIUSS beneficiary resident abroad
}

func TestBuildPSRefusesWhatItCannotMap(t *testing.T) {
	base := populationModels(t)[0]
	cases := []struct {
		name   string
		mutate func(m *contracts.PrestazioneSociale)
		path   string
	}{
		{"fail/kosovo-citizenship", func(m *contracts.PrestazioneSociale) {
			m.Beneficiario.Cittadinanze = []contracts.Cittadinanza{{CodiceStato: "272"}}
		}, "/beneficiario/cittadinanze/0/codiceStato"},
		{"fail/territory-residence", func(m *contracts.PrestazioneSociale) {
			m.Beneficiario.Residenze = []contracts.Residenza{{TipoIndirizzo: "4", Estero: &contracts.IndirizzoEstero{CodiceStato: "908"}}}
		}, "/beneficiario/residenze/0/estero/codiceStato"},
		{"fail/no-residence", func(m *contracts.PrestazioneSociale) { m.Beneficiario.Residenze = nil }, "/beneficiario/residenze"},
		{"fail/province-unknown", func(m *contracts.PrestazioneSociale) {
			m.Beneficiario.Residenze = []contracts.Residenza{{TipoIndirizzo: "1", CodiceIstatComune: "115001"}}
		}, "/beneficiario/residenze/0/codiceIstatComune"},
		{"fail/three-decimals", func(m *contracts.PrestazioneSociale) { m.SogliaISEE = contracts.DecimalPtr("100.005") }, "/sogliaISEE"},
		{"fail/ore-minutes", func(m *contracts.PrestazioneSociale) { m.OreServizioMensile = contracts.DecimalPtr("2.75") }, "/oreServizioMensile"},
		{"fail/partial-date", func(m *contracts.PrestazioneSociale) { d, _ := contracts.NewDataMonth(2026, 1); m.DataEvento = d }, "/dataEvento"},
		{"fail/no-sex", func(m *contracts.PrestazioneSociale) { m.Beneficiario.Sesso = "" }, "/beneficiario/sesso"},
		{"fail/no-birthplace", func(m *contracts.PrestazioneSociale) { m.Beneficiario.LuogoNascita = nil }, "/beneficiario/luogoNascita/codiceBelfiore"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base
			m.Beneficiario.Cittadinanze = slices.Clone(base.Beneficiario.Cittadinanze)
			c.mutate(&m)
			_, err := siuss.BuildPS("L378.PS.20260115.0000001", testEnte, m)
			var be *siuss.BuildError
			if !errors.As(err, &be) || be.Problems[0].Path != c.path {
				t.Fatalf("BuildPS = %v, want a BuildError at %s", err, c.path)
			}
			if strings.Contains(err.Error(), m.Beneficiario.CodiceFiscale) || strings.Contains(err.Error(), m.Beneficiario.Cognome) {
				t.Fatalf("the error repeats personal data: %v", err)
			}
		})
	}
	t.Run("ok/no-citizenship-is-990", func(t *testing.T) {
		m := base
		m.Beneficiario.Cittadinanze = nil
		x, err := siuss.BuildPS("L378.PS.20260115.0000001", testEnte, m)
		if err != nil || !strings.Contains(string(x), `CodiceCittadinanza="990"`) {
			t.Fatalf("BuildPS without citizenship = %v; want CodiceCittadinanza 990", err)
		}
	})
	t.Run("ok/ore-h-mm", func(t *testing.T) {
		m := base
		m.OreServizioMensile = contracts.DecimalPtr("2.3")
		x, err := siuss.BuildPS("L378.PS.20260115.0000001", testEnte, m)
		if err != nil || !strings.Contains(string(x), `OreServizioMensile="2.30"`) {
			t.Fatalf("BuildPS with 2.3 hours = %v; want OreServizioMensile 2.30", err)
		}
	})
}
