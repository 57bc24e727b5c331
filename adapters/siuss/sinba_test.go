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

// schedaSINBA is a minor in care of Trento with every field the model carries.
func schedaSINBA() contracts.SchedaSINBA {
	segnalazione, _ := contracts.NewDataMonth(2024, 3)
	return contracts.SchedaSINBA{
		IDBeneficiario: "TN-MIN-000042", AnnoNascita: 2015, FasciaEta: 4, CodiceStatoResidenza: "100", CodiceIstatComuneResidenza: "022205",
		CodicePrestazione: "A1.02", Famiglia: []int{1, 3}, CondizioneMinore: 1, LuogoVita: 1, ScuolaFrequentata: 3, CondizioneLavoro: 1,
		Disabilita: true, TipoDisabilita: 2, DataPrimaSegnalazione: segnalazione, FonteSegnalazione: 2, ValutazioneMinore: 5,
		ValutazioneFamigliaMinore: 7, SegnalazioneAutoritaGiudiziaria: true, DataSegnalazione: contracts.MustData(2024, 5, 20),
		ProvvedimentoGiudiziario: false,
	}
}

const sinbaTestID = "L378.SINBA.20260115.0000003"

// TestBuildSINBA: one SINBA with one CodicePrestazione, the codes SIUSS wants (ISTAT Italy as ISO
// 380, the comune's region, yes/no as 1/2, months as MM/AAAA), no codice fiscale anywhere, and a
// flow that passes the full validation (XSD and rules).
func TestBuildSINBA(t *testing.T) {
	x, err := siuss.BuildSINBA(sinbaTestID, testEnte, schedaSINBA())
	if err != nil {
		t.Fatal(err)
	}
	if err := siuss.Validate(siuss.TipoSINBA, sinbaTestID, testEnte.Codice, x); err != nil {
		t.Fatalf("the built flow is refused: %v\n%s", err, x)
	}
	if !strings.HasPrefix(string(x), `<?xml version="1.0" encoding="UTF-8"?><Flusso xmlns="http://inps.it/Casellario"><IdentificazioneFlusso Nome="`+sinbaTestID+`">`) {
		t.Fatalf("not the declaration, the namespaced root and the @Nome: %.160s", x)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(x); err != nil {
		t.Fatal(err)
	}
	sinbas := doc.Root().SelectElements("SINBA")
	if len(sinbas) != 1 {
		t.Fatalf("%d SINBA elements, want 1", len(sinbas))
	}
	s := sinbas[0]
	for attr, want := range map[string]string{
		"IDBeneficiario": "TN-MIN-000042", "AnnoNascita": "2015", "FasciaEtaBeneficiario": "4",
		"CodiceNazioneResidenza": "380", "CodiceRegioneResidenza": "04", "MinoreStranieroNoAcc": "2", "Disabilita": "1",
		"TipoDisabilita": "2", "DataPrimaSegnalazione": "03/2024", "SegnalazioneAutoritaGiudiziaria": "1",
		"DataSegnalazione": "05/2024", "ProvvedimentoGiudiziario": "2", "FonteSegnalazione": "2",
	} {
		if got := s.SelectAttrValue(attr, "(absent)"); got != want {
			t.Errorf("@%s = %q, want %q", attr, got, want)
		}
	}
	if s.SelectAttr("DataProvvedimentoGiudiziario") != nil {
		t.Error("DataProvvedimentoGiudiziario written without a date")
	}
	codes := s.SelectElement("Prestazioni").SelectElements("CodicePrestazione")
	if len(codes) != 1 || codes[0].Text() != "A1.02" {
		t.Fatalf("Prestazioni %v: want the one code A1.02", codes)
	}
	var fam []string
	for _, c := range s.SelectElement("Famiglia").SelectElements("ComposizioneFamiglia") {
		fam = append(fam, c.Text())
	}
	if !slices.Equal(fam, []string{"1", "3"}) {
		t.Fatalf("Famiglia %v, want [1 3]", fam)
	}
	t.Run("ok/abroad-has-no-region", func(t *testing.T) {
		m := schedaSINBA()
		m.CodiceStatoResidenza, m.CodiceIstatComuneResidenza = "215", "" // ISTAT France
		x, err := siuss.BuildSINBA(sinbaTestID, testEnte, m)
		if err != nil || !strings.Contains(string(x), `CodiceNazioneResidenza="250"`) || strings.Contains(string(x), "CodiceRegioneResidenza") {
			t.Fatalf("a child living in France: %v\n%s", err, x)
		}
		if err := siuss.Validate(siuss.TipoSINBA, sinbaTestID, testEnte.Codice, x); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBuildSINBARefuses: what cannot become a SINBA flow is a BuildError naming the model field,
// and a codice fiscale in place of the pseudonym is refused without repeating it.
func TestBuildSINBARefuses(t *testing.T) {
	year, _ := contracts.NewDataYear(2024)
	for _, c := range []struct {
		name   string
		mutate func(*contracts.SchedaSINBA)
		path   string
	}{
		{"fail/pseudonym-is-a-codice-fiscale", func(s *contracts.SchedaSINBA) { s.IDBeneficiario = "RSSLCU15C01L378Y" }, "/idBeneficiario"},
		{"fail/pseudonym-is-a-lower-case-cf-with-a-wrong-check", func(s *contracts.SchedaSINBA) { s.IDBeneficiario = "rsslcu15c01l378a" }, "/idBeneficiario"},
		{"fail/pseudonym-is-an-11-digit-cf", func(s *contracts.SchedaSINBA) { s.IDBeneficiario = "00355870221" }, "/idBeneficiario"},
		{"fail/no-pseudonym", func(s *contracts.SchedaSINBA) { s.IDBeneficiario = "" }, "/idBeneficiario"},
		{"fail/no-first-referral", func(s *contracts.SchedaSINBA) { s.DataPrimaSegnalazione = contracts.Data{} }, "/dataPrimaSegnalazione"},
		{"fail/referral-without-month", func(s *contracts.SchedaSINBA) { s.DataSegnalazione = year }, "/dataSegnalazione"},
		{"fail/no-year-of-birth", func(s *contracts.SchedaSINBA) { s.AnnoNascita = 0 }, "/annoNascita"},
		{"fail/no-residence", func(s *contracts.SchedaSINBA) { s.CodiceStatoResidenza = "" }, "/codiceStatoResidenza"},
		{"fail/kosovo", func(s *contracts.SchedaSINBA) { s.CodiceStatoResidenza = "272" }, "/codiceStatoResidenza"},
		{"fail/italy-without-comune", func(s *contracts.SchedaSINBA) { s.CodiceIstatComuneResidenza = "" }, "/codiceIstatComuneResidenza"},
		{"fail/province-unknown", func(s *contracts.SchedaSINBA) { s.CodiceIstatComuneResidenza = "115001" }, "/codiceIstatComuneResidenza"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := schedaSINBA()
			c.mutate(&m)
			_, err := siuss.BuildSINBA(sinbaTestID, testEnte, m)
			var be *siuss.BuildError
			if !errors.As(err, &be) || be.Problems[0].Path != c.path {
				t.Fatalf("BuildSINBA = %v, want a BuildError at %s", err, c.path)
			}
			if m.IDBeneficiario != "" && strings.Contains(strings.ToUpper(err.Error()), strings.ToUpper(m.IDBeneficiario)) {
				t.Fatalf("the error repeats the identifier: %v", err)
			}
		})
	}
	t.Run("fail/out-of-range-codes-are-the-validators", func(t *testing.T) {
		m := schedaSINBA()
		m.FonteSegnalazione, m.Famiglia = 15, []int{7}
		x, err := siuss.BuildSINBA(sinbaTestID, testEnte, m)
		if err != nil {
			t.Fatal(err)
		}
		var inv *siuss.InvalidFlowError
		if err := siuss.Validate(siuss.TipoSINBA, sinbaTestID, testEnte.Codice, x); !errors.As(err, &inv) || len(inv.Problems) != 2 {
			t.Fatalf("Validate = %v, want the two enumeration problems", err)
		}
	})
}

// TestPopulationSINBAFlows: every SINBA record of the population (minors in care) becomes a valid
// SINBA flow that carries neither the child's codice fiscale nor its name, and a child keeps its
// IDBeneficiario across records.
func TestPopulationSINBAFlows(t *testing.T) {
	flows := populationSINBAFlows(t)
	if len(flows) < 3 {
		t.Fatalf("only %d SINBA flows from the population", len(flows))
	}
	ids := map[string]string{}
	for _, f := range flows {
		if err := siuss.Validate(siuss.TipoSINBA, f.id, testEnte.Codice, f.xml); err != nil {
			t.Errorf("%s: %v", f.id, err)
		}
		if strings.Contains(string(f.xml), f.cf) {
			t.Fatalf("%s carries the child's codice fiscale", f.id)
		}
		if prev, ok := ids[f.cf]; ok && prev != f.model.IDBeneficiario {
			t.Fatalf("%s: the child's IDBeneficiario changed from %s to %s", f.id, prev, f.model.IDBeneficiario)
		}
		ids[f.cf] = f.model.IDBeneficiario
	}
}
