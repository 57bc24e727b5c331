package inps

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

func fixtureAttestazione(t *testing.T, name string) contracts.AttestazioneISEE {
	t.Helper()
	e, err := TranslateAttestazione(readFile(t, "testdata/attestazione/"+name+".xml"), fixtureMeta)
	if err != nil || e.Attestazione == nil {
		t.Fatalf("%s: %v", name, err)
	}
	return *e.Attestazione
}

func TestSelezionaISEE(t *testing.T) {
	ref := contracts.MustData(2025, 6, 1)
	type want struct {
		tipo     contracts.TipoISEE
		variante contracts.VarianteISEE
		stato    contracts.StatoIndicatore
		motivo   contracts.MotivoSelezione
		isee     string // "" for non calcolabile
		detail   string // a substring of DettaglioMotivo
	}
	cases := map[string]struct {
		fixture string
		req     RichiestaSelezione
		want    want
	}{
		"ok/minor_nursery_isee_ord": {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfNicolo, CodicePrestazione: "A1.07", DataRiferimento: ref},
			want{contracts.ISEEMinorenni, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoBeneficiarioMinorenne, "8882.35", "art. 7"}},
		"ok/minor_any_benefit": {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfNicolo, CodicePrestazione: "A1.04"},
			want{contracts.ISEEMinorenni, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoBeneficiarioMinorenne, "8882.35", "minor"}},
		"ok/adult_ordinario": {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfDannunzio, CodicePrestazione: "A1.04"},
			want{contracts.ISEEOrdinario, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoOrdinario, "8882.35", "ordinario"}},
		"ok/nursery_for_the_parent": {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfDannunzio, CodicePrestazione: "A1.07"},
			want{contracts.ISEEOrdinario, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoOrdinarioInAssenzaDiSpecifico, "8882.35", "check that the beneficiary is the child"}},
		"ok/explicit_tipo_wins": {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfNicolo, Tipo: contracts.ISEEOrdinario, CodicePrestazione: "A1.07"},
			want{contracts.ISEEOrdinario, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoOrdinario, "8882.35", ""}},
		"ok/minor_attratta": {"minorenni", RichiestaSelezione{CodiceFiscaleBeneficiario: "SPSPTR14M05H501K", CodicePrestazione: "A1.08"},
			want{contracts.ISEEMinorenni, contracts.VarianteComponenteAttratta, contracts.IndicatoreCalcolato, contracts.MotivoBeneficiarioMinorenne, "5765.88", ""}},
		"ok/minor_non_calcolabile": {"minorenni", RichiestaSelezione{CodiceFiscaleBeneficiario: "FRRTMS18R01H501Z", CodicePrestazione: "A1.07"},
			want{contracts.ISEEMinorenni, contracts.VarianteNonCalcolabile, contracts.IndicatoreNonCalcolabile, contracts.MotivoBeneficiarioMinorenne, "", "must not be replaced"}},
		"ok/student_attratto": {"universitario", RichiestaSelezione{CodiceFiscaleBeneficiario: "CLMDNI04H44F205T", CodicePrestazione: "A2.03"},
			want{contracts.ISEEUniversitario, contracts.VarianteStudenteAttratto, contracts.IndicatoreCalcolato, contracts.MotivoStudenteUniversitario, "7933.14", "art. 8"}},
		"ok/student_non_calcolabile": {"universitario", RichiestaSelezione{CodiceFiscaleBeneficiario: "CLMGRG04P07F205Y", CodicePrestazione: "A2.04"},
			want{contracts.ISEEUniversitario, contracts.VarianteNonCalcolabile, contracts.IndicatoreNonCalcolabile, contracts.MotivoStudenteUniversitario, "", ""}},
		"ok/university_for_the_parent": {"universitario", RichiestaSelezione{CodiceFiscaleBeneficiario: "CLMLRT65A01F205" + string(contracts.CFCheckCharacter("CLMLRT65A01F205")), CodicePrestazione: "A2.03"},
			want{contracts.ISEEOrdinario, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoOrdinarioInAssenzaDiSpecifico, "7297.14", "art. 8"}},
		"ok/residential_aggiuntive": {"residenziale", RichiestaSelezione{CodiceFiscaleBeneficiario: "MRNDNI37D04L378E", CodicePrestazione: "A3.02"},
			want{contracts.ISEESocioSanitarioResidenziale, contracts.VarianteResidenzialeComponentiAggiuntive, contracts.IndicatoreCalcolato, contracts.MotivoPrestazioneResidenziale, "9139.22", "art. 6 c.3"}},
		"ok/residential_isee_ord": {"residenziale", RichiestaSelezione{CodiceFiscaleBeneficiario: "BNCDAA40A41L378C", CodicePrestazione: "A1.14"},
			want{contracts.ISEESocioSanitarioResidenziale, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoPrestazioneResidenziale, "8561.04", ""}},
		"ok/residential_ristretto_first": {"ridotto", RichiestaSelezione{CodiceFiscaleBeneficiario: "MRTBCI56B42A662N", CodicePrestazione: "A1.14"},
			want{contracts.ISEESocioSanitarioResidenziale, contracts.VarianteResidenzialeRistretto, contracts.IndicatoreCalcolato, contracts.MotivoPrestazioneResidenziale, "", ""}},
		"ok/residential_isee_ristretto_reference": {"ridotto", RichiestaSelezione{CodiceFiscaleBeneficiario: "LMBLDA55A01A662B", CodicePrestazione: "A3.02"},
			want{contracts.ISEESocioSanitarioResidenziale, contracts.VarianteRistretto, contracts.IndicatoreCalcolato, contracts.MotivoPrestazioneResidenziale, "", ""}},
		"ok/residential_non_calcolabile": {"ridotto", RichiestaSelezione{CodiceFiscaleBeneficiario: "SNTNZE59E05A662T", CodicePrestazione: "A1.14"},
			want{contracts.ISEESocioSanitarioResidenziale, contracts.VarianteNonCalcolabile, contracts.IndicatoreNonCalcolabile, contracts.MotivoPrestazioneResidenziale, "", ""}},
		"ok/sociosanitario_ristretto": {"ridotto", RichiestaSelezione{CodiceFiscaleBeneficiario: "BRBCSR57C03A662C", CodicePrestazione: "A1.10"},
			want{contracts.ISEESocioSanitario, contracts.VarianteRistretto, contracts.IndicatoreCalcolato, contracts.MotivoPrestazioneSocioSanitaria, "", "art. 6 c.2"}},
		"ok/sociosanitario_without_ridotto": {"ridotto", RichiestaSelezione{CodiceFiscaleBeneficiario: "LMBNNA57H41A662M", CodicePrestazione: "A2.08"},
			want{contracts.ISEEOrdinario, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoOrdinarioInAssenzaDiSpecifico, "", "no restricted household"}},
		"ok/residential_everything_non_calcolabile": {"non_calcolabile", RichiestaSelezione{CodiceFiscaleBeneficiario: "PLMDLE45D44L736T", CodicePrestazione: "A3.02"},
			want{contracts.ISEESocioSanitarioResidenziale, contracts.VarianteNonCalcolabile, contracts.IndicatoreNonCalcolabile, contracts.MotivoPrestazioneResidenziale, "", ""}},
		"ok/corrente_valid": {"corrente", RichiestaSelezione{CodiceFiscaleBeneficiario: "GRCSMN84A01G452F", CodicePrestazione: "A1.04", DataRiferimento: contracts.MustData(2025, 10, 10)},
			want{contracts.ISEEOrdinario, contracts.VarianteOrdinario, contracts.IndicatoreCalcolato, contracts.MotivoOrdinario, "", "valid until 2025-10-10"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a := fixtureAttestazione(t, c.fixture)
			sel, err := SelezionaISEE(a, c.req)
			if err != nil {
				t.Fatalf("select: %v", err)
			}
			ind := sel.Indicatore
			w := c.want
			if ind.Tipo != w.tipo || ind.Variante != w.variante || ind.Stato != w.stato || sel.Motivo != w.motivo {
				t.Errorf("got %s/%s/%s motivo %s, want %s/%s/%s %s (%s)", ind.Tipo, ind.Variante, ind.Stato, sel.Motivo, w.tipo, w.variante, w.stato, w.motivo, sel.DettaglioMotivo)
			}
			if w.isee != "" && (ind.Valori == nil || ind.Valori.ISEE.String() != w.isee) {
				t.Errorf("ISEE %v, want %s", ind.Valori, w.isee)
			}
			if ind.Stato == contracts.IndicatoreCalcolato && ind.Valori == nil {
				t.Error("a computed indicator without values")
			}
			if ind.Tipo != contracts.ISEEOrdinario && ind.CodiceFiscaleBeneficiario != c.req.CodiceFiscaleBeneficiario {
				t.Errorf("indicator for %s, asked for %s", ind.CodiceFiscaleBeneficiario, c.req.CodiceFiscaleBeneficiario)
			}
			if !strings.Contains(sel.DettaglioMotivo, w.detail) {
				t.Errorf("DettaglioMotivo %q lacks %q", sel.DettaglioMotivo, w.detail)
			}
			if sel.ProtocolloDSU != a.ProtocolloDSU || sel.Attestazione == nil || sel.CodicePrestazione != c.req.CodicePrestazione {
				t.Errorf("selection context: %+v", sel)
			}
			if err := sel.Validate(); err != nil {
				t.Errorf("invalid selection: %v", err)
			}
			b, _ := json.Marshal(sel)
			if err := modelValidator(t).Validate("SelezioneISEE", b); err != nil {
				t.Errorf("schema: %v", err)
			}
		})
	}
}

func TestSelezionaISEEFailures(t *testing.T) {
	cases := map[string]struct {
		fixture string
		req     RichiestaSelezione
		reason  Reason
	}{
		"fail/expired":          {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfNicolo, CodicePrestazione: "A1.07", DataRiferimento: contracts.MustData(2026, 1, 10)}, ReasonAttestazioneNonValida},
		"fail/corrente_expired": {"corrente", RichiestaSelezione{CodiceFiscaleBeneficiario: "GRCSMN84A01G452F", CodicePrestazione: "A1.04", DataRiferimento: contracts.MustData(2025, 10, 11)}, ReasonCorrenteScaduta},
		"fail/stranger":         {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfMario, CodicePrestazione: "A1.04"}, ReasonBeneficiarioEstraneo},
		"fail/dottorato":        {"universitario", RichiestaSelezione{CodiceFiscaleBeneficiario: "CLMDNI04H44F205T", Tipo: contracts.ISEEDottorato}, ReasonIndicatoreAssente},
		"fail/no_ordinario":     {"solo_ricerca", RichiestaSelezione{CodiceFiscaleBeneficiario: cfMario, CodicePrestazione: "A1.04"}, ReasonIndicatoreAssente},
		"fail/bad_code":         {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfNicolo, CodicePrestazione: "B1.01"}, ReasonRichiestaNonValida},
		"fail/no_code":          {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfNicolo}, ReasonRichiestaNonValida},
		"fail/no_cf":            {"ordinario", RichiestaSelezione{CodicePrestazione: "A1.04"}, ReasonRichiestaNonValida},
		"fail/bad_tipo":         {"ordinario", RichiestaSelezione{CodiceFiscaleBeneficiario: cfNicolo, Tipo: "CORRENTE"}, ReasonRichiestaNonValida},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var a contracts.AttestazioneISEE
			if c.fixture == "solo_ricerca" {
				a = contracts.AttestazioneISEE{ProtocolloDSU: "INPS-ISEE-2025-00000001A-00"}
			} else {
				a = fixtureAttestazione(t, c.fixture)
			}
			_, err := SelezionaISEE(a, c.req)
			if ReasonOf(err) != c.reason {
				t.Fatalf("got %v, want %s", err, c.reason)
			}
			if want := classByReason[c.reason]; upstream.ClassOf(err) != want || BreakerFailure(err) {
				t.Errorf("class %s (breaker %v), want %s", upstream.ClassOf(err), BreakerFailure(err), want)
			}
			if strings.Contains(err.Error(), c.req.CodiceFiscaleBeneficiario) && c.req.CodiceFiscaleBeneficiario != "" {
				t.Errorf("the error quotes a codice fiscale: %v", err)
			}
		})
	}
}

// TestSelezionaTraAttestazioni: a valid corrente wins over the ordinary DSU of the same household;
// once it expires, the ordinary one applies; with nothing valid, the latest DSU's reason is returned.
func TestSelezionaTraAttestazioni(t *testing.T) {
	corr := fixtureAttestazione(t, "corrente")
	ord := fixtureAttestazione(t, "corrente")
	ord.ProtocolloDSU, ord.DataScadenzaDSUCorrente = "INPS-ISEE-2025-00060000A-00", contracts.Data{}
	ord.DataPresentazione = contracts.MustData(2025, 1, 15)
	ord.Indicatori = append([]contracts.IndicatoreISEE(nil), ord.Indicatori...)
	for i := range ord.Indicatori {
		ord.Indicatori[i].Corrente, ord.Indicatori[i].ProtocolloDSUModuloSostitutivo = false, ""
		ord.Indicatori[i].DataPresentazioneModuloSostitutivo = contracts.Data{}
	}
	req := RichiestaSelezione{CodiceFiscaleBeneficiario: "GRCSMN84A01G452F", CodicePrestazione: "A1.04", DataRiferimento: contracts.MustData(2025, 6, 1)}
	sel, err := SelezionaTraAttestazioni([]contracts.AttestazioneISEE{ord, corr}, req)
	if err != nil || sel.ProtocolloDSU != corr.ProtocolloDSU || !sel.Indicatore.Corrente {
		t.Fatalf("the valid corrente must win: %v %+v", err, sel)
	}
	req.DataRiferimento = contracts.MustData(2025, 11, 1)
	sel, err = SelezionaTraAttestazioni([]contracts.AttestazioneISEE{corr, ord}, req)
	if err != nil || sel.ProtocolloDSU != ord.ProtocolloDSU || sel.Indicatore.Corrente {
		t.Fatalf("after the corrente expires the ordinary DSU applies: %v %+v", err, sel)
	}
	if _, err = SelezionaTraAttestazioni([]contracts.AttestazioneISEE{corr}, req); ReasonOf(err) != ReasonCorrenteScaduta {
		t.Fatalf("only an expired corrente: %v", err)
	}
	req.DataRiferimento = contracts.MustData(2026, 2, 1)
	_, err = SelezionaTraAttestazioni([]contracts.AttestazioneISEE{ord, corr}, req)
	if ReasonOf(err) != ReasonAttestazioneNonValida || !strings.Contains(err.Error(), corr.ProtocolloDSU) {
		t.Fatalf("nothing valid: want the latest DSU's reason, got %v", err)
	}
	if _, err = SelezionaTraAttestazioni(nil, req); ReasonOf(err) != ReasonIndicatoreAssente {
		t.Fatalf("empty list: %v", err)
	}
}

func TestTipoPerPrestazione(t *testing.T) {
	for _, code := range PrestazioniDaErogare() {
		tipo, ok := TipoPerPrestazione(code)
		if !ok || !tipo.Valid() || tipo == contracts.ISEEDottorato {
			t.Errorf("%s: %s %v", code, tipo, ok)
		}
	}
	if _, ok := TipoPerPrestazione("A4.01"); ok {
		t.Error("unknown code accepted")
	}
	for code := range tipoByPrestazione {
		if !ValidPrestazioneDaErogare(code) {
			t.Errorf("%s is mapped but not a PrestazioneDaErogare code", code)
		}
	}
}
