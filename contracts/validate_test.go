package contracts

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// fields returns the Campo of every problem in err, failing the test if err is not a ValidationError.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	var out []string
	for _, p := range ve.Problemi {
		out = append(out, p.Campo)
	}
	return out
}

func TestFixturesAreValid(t *testing.T) {
	for name, v := range map[string]interface{ Validate() error }{
		"AttestazioneISEE":         fixtureAttestazione(),
		"NucleoFamiliare ANPR":     fixtureNucleoANPR(),
		"PrestazioneSociale":       fixturePrestazionePeriodica(),
		"PrestazioneSociale/una":   fixturePrestazioneOccasionale(),
		"IndicatoreICEF":           fixtureICEF(),
		"SelezioneISEE/minorenne":  fixtureSelezioneMinorenne(),
		"SelezioneISEE/dottorato":  fixtureSelezioneDottorato(),
		"SelezioneISEE/incompleta": fixtureSelezioneIncompleta(),
		"Provenienza":              fixtureProvenienza(SistemaANPR, "C030", "1"),
		"Persona ANPR":             fixturePersonaANPR(),
	} {
		if err := v.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestAttestazioneValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*AttestazioneISEE)
		want   []string // expected problem fields, in order
	}{
		{"fail/protocollo DSU without the -NN suffix", func(a *AttestazioneISEE) { a.ProtocolloDSU = "INPS-ISEE-2025-00012345A" },
			[]string{"/protocolloDSU"}},
		{"fail/protocollo DSU missing", func(a *AttestazioneISEE) { a.ProtocolloDSU = "" }, []string{"/protocolloDSU"}},
		{"fail/protocollo mittente too long", func(a *AttestazioneISEE) { a.ProtocolloMittente = strings.Repeat("X", 30) },
			[]string{"/protocolloMittente"}},
		{"fail/malformed codice fiscale", func(a *AttestazioneISEE) { a.CodiceFiscaleDichiarante = "RSSMRA" },
			[]string{"/codiceFiscaleDichiarante"}},
		{"ok/wrong check character is upstream's, not structural", func(a *AttestazioneISEE) { a.CodiceFiscaleDichiarante = "AAABBB39M66A351C" }, nil},
		{"fail/missing dates", func(a *AttestazioneISEE) { a.DataPresentazione, a.DataValidita = Data{}, Data{} },
			[]string{"/dataPresentazione", "/dataValidita"}},
		{"fail/partial date", func(a *AttestazioneISEE) { a.DataValidita, _ = NewDataMonth(2025, 12) }, []string{"/dataValidita"}},
		{"fail/valid before presented", func(a *AttestazioneISEE) { a.DataValidita = MustData(2025, 1, 1) }, []string{"/dataValidita"}},
		{"fail/variant of another tipo", func(a *AttestazioneISEE) { a.Indicatori[0].Variante = VarianteResidenziale },
			[]string{"/indicatori/0/variante"}},
		{"fail/unknown tipo", func(a *AttestazioneISEE) { a.Indicatori[0].Tipo = "FAMIGLIA" }, []string{"/indicatori/0/tipo"}},
		{"fail/non calcolabile with values", func(a *AttestazioneISEE) {
			i := indexOf(a, ISEEMinorenni, VarianteNonCalcolabile)
			a.Indicatori[i].Valori = fixtureValori("1.00", "1.00", "1.00")
		}, []string{"/indicatori/4/valori"}},
		{"fail/calcolato without values", func(a *AttestazioneISEE) { a.Indicatori[0].Valori = nil }, []string{"/indicatori/0/valori"}},
		{"fail/stato disagrees with variante", func(a *AttestazioneISEE) { a.Indicatori[0].Stato = IndicatoreNonCalcolabile },
			[]string{"/indicatori/0/stato", "/indicatori/0/valori"}},
		{"fail/minor indicator without beneficiary", func(a *AttestazioneISEE) { a.Indicatori[1].CodiceFiscaleBeneficiario = "" },
			[]string{"/indicatori/1/codiceFiscaleBeneficiario"}},
		{"fail/aggiuntiva variant without components", func(a *AttestazioneISEE) {
			a.Indicatori[indexOf(a, ISEEMinorenni, VarianteComponenteAggiuntiva)].ComponentiAggiuntive = nil
		}, []string{"/indicatori/3/componentiAggiuntive"}},
		{"fail/studente attratto without household", func(a *AttestazioneISEE) {
			a.Indicatori[indexOf(a, ISEEUniversitario, VarianteStudenteAttratto)].NucleoAttratto = nil
		}, []string{"/indicatori/8/nucleoAttratto"}},
		{"fail/zero scale", func(a *AttestazioneISEE) { a.Indicatori[0].Valori.ScalaEquivalenza = MustDecimal("0") },
			[]string{"/indicatori/0/valori/scalaEquivalenza"}},
		{"fail/modulo sostitutivo protocol", func(a *AttestazioneISEE) {
			a.Indicatori[indexOf(a, ISEESocioSanitario, VarianteRistretto)].ProtocolloDSUModuloSostitutivo = "X"
		}, []string{"/indicatori/12/protocolloDSUModuloSostitutivo"}},
		{"fail/household origin", func(a *AttestazioneISEE) { a.NucleoFamiliare.Origine = NucleoISEEAttratto }, []string{"/nucleoFamiliare/origine"}},
		{"fail/ANPR code in an ISEE household", func(a *AttestazioneISEE) { a.NucleoFamiliare.Componenti[0].CodiceLegameANPR = "1" },
			[]string{"/nucleoFamiliare/componenti/0/codiceLegameANPR"}},
		{"fail/unknown role", func(a *AttestazioneISEE) { a.NucleoFamiliare.Componenti[1].Ruolo = "ZIO" },
			[]string{"/nucleoFamiliare/componenti/1/ruolo"}},
		{"fail/restricted household without beneficiary", func(a *AttestazioneISEE) { a.NucleiRistretti[0].CodiceFiscaleBeneficiario = "" },
			[]string{"/nucleiRistretti/0/codiceFiscaleBeneficiario"}},
		{"fail/difformita", func(a *AttestazioneISEE) {
			a.Difformita[0].Tipo, a.Difformita[0].DataControlloAE = "ALTRO", Data{}
			a.Difformita[0].Rapporti[0].CodiceFiscaleOperatore = ""
		}, []string{"/difformita/0/tipo", "/difformita/0/dataControlloAE", "/difformita/0/rapporti/0/codiceFiscaleOperatore"}},
		{"fail/variazione", func(a *AttestazioneISEE) { a.Variazione.Tipo, a.Variazione.ProtocolloDSUVariata = "", "X" },
			[]string{"/variazione/tipo", "/variazione/protocolloDSUVariata"}},
		{"fail/provenienza", func(a *AttestazioneISEE) { a.Provenienza = Provenienza{Sistema: "SIUSS", EtaSecondi: -1} },
			[]string{"/provenienza/sistema", "/provenienza/cache", "/provenienza/dataOraAcquisizione", "/provenienza/etaSecondi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := fixtureAttestazione()
			tc.mutate(&a)
			err := a.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := fields(t, err); !slices.Equal(got, tc.want) {
				t.Fatalf("problems at %q, want %q (%v)", got, tc.want, err)
			}
		})
	}
}

func indexOf(a *AttestazioneISEE, tipo TipoISEE, v VarianteISEE) int {
	for i, ind := range a.Indicatori {
		if ind.Tipo == tipo && ind.Variante == v {
			return i
		}
	}
	panic("no such indicator")
}

func TestValidationErrorDoesNotLeakCodiceFiscale(t *testing.T) {
	a := fixtureAttestazione()
	a.CodiceFiscaleDichiarante = "RSSMRA85T10A562" // 15 characters: malformed
	err := a.Validate()
	if err == nil || strings.Contains(err.Error(), "RSSMRA85T10A562") {
		t.Fatalf("error %v", err)
	}
}

func TestPrestazioneValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		base   func() PrestazioneSociale
		mutate func(*PrestazioneSociale)
		want   []string
	}{
		{"fail/periodic without start and amount", fixturePrestazionePeriodica, func(p *PrestazioneSociale) {
			p.DataInizio, p.DataFine, p.ImportoMensile = Data{}, Data{}, nil
			p.QuotaEnte, p.QuotaUtente, p.QuotaSSN = nil, nil, nil
		}, []string{"/dataInizio", "/importoMensile"}},
		{"fail/periodic crossing the year", fixturePrestazionePeriodica, func(p *PrestazioneSociale) { p.DataFine = MustData(2026, 2, 28) },
			[]string{"/dataFine"}},
		{"fail/end before start", fixturePrestazionePeriodica, func(p *PrestazioneSociale) { p.DataFine = MustData(2025, 1, 31) },
			[]string{"/dataFine"}},
		{"fail/quotas do not add up", fixturePrestazionePeriodica, func(p *PrestazioneSociale) { p.QuotaSSN = DecimalPtr("0.01") },
			[]string{"/quotaEnte"}},
		{"fail/zero quota SSN", fixturePrestazionePeriodica, func(p *PrestazioneSociale) {
			p.QuotaSSN, p.QuotaEnte = DecimalPtr("0.00"), DecimalPtr("101.23")
		}, []string{"/quotaSSN"}},
		{"fail/negative quota utente", fixturePrestazionePeriodica, func(p *PrestazioneSociale) {
			p.QuotaUtente, p.QuotaEnte = DecimalPtr("-1.00"), DecimalPtr("53.54")
		}, []string{"/quotaUtente"}},
		{"fail/one-off without date and amount", fixturePrestazioneOccasionale, func(p *PrestazioneSociale) {
			p.DataErogazione, p.Importo, p.QuotaEnte, p.QuotaUtente = Data{}, DecimalPtr("0"), nil, nil
		}, []string{"/dataErogazione", "/importo"}},
		{"fail/short denominazione and long codice", fixturePrestazionePeriodica, func(p *PrestazioneSociale) {
			p.DenominazionePrestazione, p.CodicePrestazione = "Nido", "A1.07.00.001"
		}, []string{"/codicePrestazione", "/denominazionePrestazione"}},
		{"fail/incomplete DSU", fixturePrestazionePeriodica, func(p *PrestazioneSociale) { p.DSU.Protocollo, p.DSU.Anno = "", 0 },
			[]string{"/dsu/protocollo", "/dsu/anno"}},
		{"fail/presa in carico without area", fixturePrestazionePeriodica, func(p *PrestazioneSociale) { p.AreaUtenza = "" },
			[]string{"/areaUtenza"}},
		{"fail/unknown codes", fixturePrestazionePeriodica, func(p *PrestazioneSociale) {
			p.ProvaMezzi, p.TipoOperazione, p.PeriodoErogazione = "5", "U", 13
		}, []string{"/tipoOperazione", "/provaMezzi", "/periodoErogazione"}},
		{"fail/no carattere", fixturePrestazionePeriodica, func(p *PrestazioneSociale) { p.Carattere = "" }, []string{"/carattere"}},
		{"fail/beneficiary check character is strict for our own output", fixturePrestazionePeriodica, func(p *PrestazioneSociale) {
			p.Beneficiario.CodiceFiscale = "AAABBB39M66A351C"
		}, []string{"/beneficiario/codiceFiscale"}},
		{"fail/beneficiary without SIUSS data", fixturePrestazionePeriodica, func(p *PrestazioneSociale) {
			p.Beneficiario.Nome, p.Beneficiario.DataNascita, p.Beneficiario.Sesso, p.Beneficiario.LuogoNascita = "", Data{}, "", &Luogo{CodiceIstatComune: "022205"}
		}, []string{"/beneficiario/nome", "/beneficiario/dataNascita", "/beneficiario/sesso", "/beneficiario/luogoNascita/codiceBelfiore"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.base()
			tc.mutate(&p)
			if got := fields(t, p.Validate()); !slices.Equal(got, tc.want) {
				t.Fatalf("problems at %q, want %q (%v)", got, tc.want, p.Validate())
			}
		})
	}
}

func TestSmallValidators(t *testing.T) {
	i := fixtureICEF()
	i.Anno, i.Politica, i.CodiceFiscale = 25, "", "X"
	if got := fields(t, i.Validate()); !slices.Equal(got, []string{"/codiceFiscale", "/anno", "/politica"}) {
		t.Fatalf("ICEF: %q", got)
	}
	n := fixtureNucleoANPR()
	n.Componenti[0].RapportoConDichiarante = "D"
	n.Origine = "ALTRO"
	if got := fields(t, n.Validate()); !slices.Equal(got, []string{"/origine"}) {
		t.Fatalf("Nucleo: %q", got)
	}
	n = fixtureNucleoANPR()
	n.Componenti[0].RapportoConDichiarante = "D"
	if got := fields(t, n.Validate()); !slices.Equal(got, []string{"/componenti/0/rapportoConDichiarante"}) {
		t.Fatalf("Nucleo: %q", got)
	}
	s := fixtureSelezioneDottorato()
	s.Motivo, s.ProtocolloDSU, s.TipoRichiesto = "", "INPS", "X"
	if got := fields(t, s.Validate()); !slices.Equal(got, []string{"/motivo", "/tipoRichiesto", "/protocolloDSU"}) {
		t.Fatalf("Selezione: %q", got)
	}
}

func TestPersonaValidate(t *testing.T) {
	p := fixturePersonaANPR()
	p.Sesso = "X"
	p.LuogoNascita.CodiceBelfiore = "404"
	p.Cittadinanze[0].CodiceStato = "ITA"
	p.Residenze[1].CodiceIstatComune = "58091"
	p.Residenze[0].Estero.CodiceStato = "0536"
	p.Decesso.Luogo.CodiceIstatComune = "H501"
	p.Provenienza.Cache = ""
	err := p.Validate()
	want := []string{"/sesso", "/luogoNascita/codiceBelfiore", "/cittadinanze/0/codiceStato", "/residenze/0/estero/codiceStato",
		"/residenze/1/codiceIstatComune", "/decesso/luogo/codiceIstatComune", "/provenienza/cache"}
	if got := fields(t, err); !slices.Equal(got, want) {
		t.Fatalf("problems at %q, want %q (%v)", got, want, err)
	}
	if strings.Contains(err.Error(), "malformed code") {
		t.Errorf("details repeat the sentinel: %v", err)
	}
	// The members of a household are checked too.
	n := fixtureNucleoANPR()
	n.Componenti[2].Persona.LuogoNascita = &Luogo{CodiceIstatComune: "X"}
	if got := fields(t, n.Validate()); !slices.Equal(got, []string{"/componenti/2/persona/luogoNascita/codiceIstatComune"}) {
		t.Fatalf("Nucleo: %q", got)
	}
}
