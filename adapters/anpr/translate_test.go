package anpr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/anpr/anprtest"
	"github.com/welfaregov/gateway/contracts"
)

// TestRealSamplesTranslate translates ANPR's real answers (from pagopa/idpay's stubs) and the
// hand-made three-member family of the shared samples, asserting the values they carry.
func TestRealSamplesTranslate(t *testing.T) {
	dir := filepath.Join(anprtest.SamplesDir(t), "anpr")
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	r, err := ParseRisposta(C020, read("responses/C001_residenza_200.json"), Meta{Ricevuta: ricevuta})
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Soggetto()
	if err != nil {
		t.Fatal(err)
	}
	res := p.Residenze[0]
	if p.CodiceFiscale != "RSSMRA80A01L378S" || *p.CodiceFiscaleValidato || p.IDANPR != "AF41450AS" || p.Cognome != "SETTIMO" ||
		p.DataNascita != contracts.MustData(1990, 1, 1) || p.LuogoNascita.CodiceIstatComune != "058091" || r.IDOperazioneANPR != "58370927" ||
		res.TipoIndirizzo != "1" || res.CodiceIstatComune != "036030" || res.Comune != "PAVULLO NEL FRIGNANO" || res.CAP != "41026" ||
		res.Specie != "VIA" || res.Denominazione != "AMERIGO VESPUCCI" || res.Civico != "55" || res.Scala != "B4" || res.Interno != "3" ||
		r.InVita == nil || !*r.InVita || p.Decesso != nil || r.Provenienza.Incompleto {
		t.Fatalf("C001 sample: %+v %+v", p, res)
	}
	r, err = ParseRisposta(C021, read("responses/C021_stato_famiglia_200_single.json"), Meta{DataRiferimento: rif})
	if err != nil {
		t.Fatal(err)
	}
	// The stub has no legameSoggetto: the member is kept, its role is not guessed.
	if n := r.NucleoFamiliare; len(n.Componenti) != 1 || n.Componenti[0].Ruolo != contracts.RuoloNonDefinito ||
		n.Componenti[0].Persona.DataNascita != contracts.MustData(1790, 1, 1) || len(n.Componenti[0].Persona.Residenze) != 1 ||
		!r.Provenienza.Incompleto || !strings.Contains(strings.Join(r.Provenienza.Anomalie, ";"), "legameSoggetto") {
		t.Fatalf("C021 sample: %+v %+v", n, r.Provenienza)
	}
	r, err = ParseRisposta(C021, read("synthetic/C021_stato_famiglia_200_three_members.json"), Meta{DataRiferimento: rif})
	if err != nil {
		t.Fatal(err)
	}
	want := []contracts.Ruolo{contracts.RuoloIntestatarioDichiarante, contracts.RuoloConiuge, contracts.RuoloFiglio}
	n := r.NucleoFamiliare
	for i, m := range n.Componenti {
		if m.Ruolo != want[i] || m.Persona.IDANPR == "" || m.Persona.CodiceFiscaleValidato == nil || !*m.Persona.CodiceFiscaleValidato {
			t.Errorf("member %d: %+v", i, m)
		}
	}
	if len(n.Componenti) != 3 || n.Componenti[2].DataDecorrenzaLegame != contracts.MustData(2015, 3, 5) || r.Provenienza.Incompleto {
		t.Fatalf("three members: %+v", n)
	}
	_, err = InterpretResponse(C020, 404, nil, read("responses/E002_404_EN122.json"), Meta{})
	if e, ok := err.(*Error); !ok || e.Reason != ReasonNotFound || e.IDOperazioneANPR != "58438306" || e.Errori[0].Tipo != "E" {
		t.Fatalf("EN122 sample: %v", err)
	}
	_, err = InterpretResponse(C020, 400, nil, read("responses/E002_400_govway_problem.json"), Meta{})
	if e, ok := err.(*Error); !ok || e.Reason != ReasonGovWay || e.Code() != "InvalidRequestContent" ||
		e.GovWay.GovWayID != "2ee9edf2-61ed-11ee-bdb9-005056ae1884" || !strings.Contains(e.Error(), "body.datiRichiesta.casoUso: Null value is not allowed") ||
		e.Class() != ClassPermanent {
		t.Fatalf("GovWay sample: %v", err)
	}
	_, err = InterpretResponse(C020, 429, nil, read("responses/E002_429.json"), Meta{})
	if e, ok := err.(*Error); !ok || e.Reason != ReasonQuota || e.Class() != ClassRetryable {
		t.Fatalf("429 sample: %v", err)
	}
}

func TestTranslationDetails(t *testing.T) {
	tr := func(c CasoUso, body string) *Risultato {
		t.Helper()
		r, err := ParseRisposta(c, []byte(body), Meta{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	notes := func(r *Risultato) string { return strings.Join(r.Provenienza.Anomalie, "\n") }

	// "Data decesso" as DD/MM/YYYY (RegioneER/ScERPA reads both forms).
	r := tr(C019, `{"idOperazioneANPR":"1","listaSoggetti":{"datiSoggetto":[{"generalita":{"nome":"A"},"infoSoggettoEnte":[{"chiave":"Data decesso","valoreData":"02/11/2024"}]}]}}`)
	if p, _ := r.Soggetto(); p.Decesso == nil || p.Decesso.Data != contracts.MustData(2024, 11, 2) || r.InVita == nil || *r.InVita {
		t.Fatalf("Data decesso: %+v", p)
	}
	// C019 without any statement is incomplete; "A" is noted.
	r = tr(C019, `{"idOperazioneANPR":"1","listaSoggetti":{"datiSoggetto":[{"generalita":{"nome":"A"},"infoSoggettoEnte":[{"id":"1003","valore":"A"}]}]}}`)
	if r.InVita != nil || !r.Provenienza.Incompleto || !strings.Contains(notes(r), "cannot state") {
		t.Fatalf("C019 A: %+v", r.Provenienza)
	}
	// Contradiction: datiDecesso wins over "alive".
	r = tr(C020, `{"idOperazioneANPR":"1","listaSoggetti":{"datiSoggetto":[{"generalita":{"nome":"A"},"datiDecesso":{"dataEvento":"2020-00-00","senzaGiornoMese":"1"},"infoSoggettoEnte":[{"id":"1003","valore":"S"}]}]}}`)
	if p, _ := r.Soggetto(); *r.InVita || p.Decesso.Data.String() != "2020" || !strings.Contains(notes(r), "read as deceased") {
		t.Fatalf("contradiction: %+v %s", p.Decesso, notes(r))
	}
	// Unknown codes and values are noted, never guessed.
	r = tr(C015, `{"idOperazioneANPR":"1","listaSoggetti":{"datiSoggetto":[{"generalita":{"codiceFiscale":{"codFiscale":"XX","validitaCF":"5"},"sesso":"Q","soggettoAIRE":"Y","dataNascita":"1990-02-30","senzaGiorno":"S"}}]}}`)
	p, _ := r.Soggetto()
	for _, want := range []string{"validitaCF: unknown value \"5\"", "sesso: unknown value \"Q\"", "soggettoAIRE: unknown value", "senzaGiorno has value \"S\"", "dataNascita", "codFiscale"} {
		if !strings.Contains(notes(r), want) {
			t.Errorf("no note %q in\n%s", want, notes(r))
		}
	}
	if p.Sesso != "" || p.CodiceFiscaleValidato != nil || !p.DataNascita.IsZero() || p.SoggettoAIRE || !r.Provenienza.Incompleto {
		t.Fatalf("unknown values must be dropped: %+v", p)
	}
	// Family id: top-level block, then conflicting member ids are noted.
	r = tr(C021, `{"idOperazioneANPR":"1","datiFamigliaConvivenza":{"famigliaConvivenza":{"idFamigliaConvivenzaANPR":"F1"}},"listaSoggetti":{"datiSoggetto":[
		{"generalita":{"nome":"A"},"legameSoggetto":{"codiceLegame":"1"},"famigliaConvivenza":{"idFamigliaConvivenzaANPR":"F2","idFamigliaConvivenzaComune":{"idFamigliaConvivenzaComuneIstat":"022205","idFamigliaConvivenza":"9"}}}]}}`)
	if r.NucleoFamiliare.IDFamigliaANPR != "F1" || !strings.Contains(notes(r), "differs") {
		t.Fatalf("family id: %+v", r.NucleoFamiliare)
	}
	// An idFamigliaConvivenzaComune of the wrong type is a malformed answer, not a panic.
	if _, err := ParseRisposta(C021, []byte(`{"listaSoggetti":{"datiSoggetto":[{"famigliaConvivenza":{"idFamigliaConvivenzaComune":7}}]}}`), Meta{}); !hasReason(err, ReasonMalformed) {
		t.Fatalf("numeric idFamigliaConvivenzaComune: %v", err)
	}
	// No subject at all: incomplete, and Soggetto says so.
	r = tr(C020, `{"idOperazioneANPR":"1"}`)
	if _, err := r.Soggetto(); err == nil || !r.Provenienza.Incompleto {
		t.Fatal("an answer without subjects must be incomplete")
	}
	if _, err := tr(C030, `{"idOperazioneANPR":"1","listaSoggetti":{"datiSoggetto":[{}]}}`).IDANPR(); err == nil {
		t.Fatal("IDANPR of an answer without one")
	}
}
