package siuss_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/contracts"
)

// base flows for the rule table: a periodic and a one-off prestazione of the population, and our
// SINBA fixture.
type bases struct {
	periodic, oneOff populationFlow
	sinba            []byte
}

func ruleBases(t *testing.T) bases {
	t.Helper()
	var b bases
	for _, f := range populationFlows(t) {
		switch f.model.Carattere {
		case contracts.CaratterePeriodica:
			if b.periodic.xml == nil && !f.model.DataFine.IsZero() {
				b.periodic = f
			}
		case contracts.CarattereOccasionale:
			if b.oneOff.xml == nil {
				b.oneOff = f
			}
		}
	}
	if b.periodic.xml == nil || b.oneOff.xml == nil {
		t.Fatal("the population lacks a periodic benefit with an end date or a one-off benefit")
	}
	b.sinba = readTestdata(t, "sinba_full.xml")
	return b
}

// edit returns flow with change applied to its parsed document.
func edit(t *testing.T, flow []byte, change func(root *etree.Element)) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(flow); err != nil {
		t.Fatal(err)
	}
	change(doc.Root())
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func prestazioneOf(root *etree.Element) *etree.Element {
	return root.SelectElement("Beneficiario").SelectElement("PrestazioniSociali")
}

func setAttr(name, value string) func(*etree.Element) {
	return func(root *etree.Element) { prestazioneOf(root).CreateAttr(name, value) }
}

func dropAttr(name string) func(*etree.Element) {
	return func(root *etree.Element) { prestazioneOf(root).RemoveAttr(name) }
}

func both(fs ...func(*etree.Element)) func(*etree.Element) {
	return func(root *etree.Element) {
		for _, f := range fs {
			f(root)
		}
	}
}

// omocodeCF returns a valid codice fiscale with an omocodia substitution in position 8, which the
// SIUSS pattern (digits in 7-8 and 10-11) refuses.
func omocodeCF(t *testing.T) string {
	t.Helper()
	first15 := []byte("RSSMRA80A01H501")
	first15[7] = "LMNPQRSTUV"[first15[7]-'0']
	cf := string(first15) + string(contracts.CFCheckCharacter(string(first15)))
	if contracts.ValidateCodiceFiscalePersona(cf) != nil {
		t.Fatalf("%s is not a valid omocode", cf)
	}
	return cf
}

// TestSpecificationRules: for each rule of the SIUSS specification the XSD does not express, one
// or more flows that are schema-valid but break exactly that rule are refused with exactly that
// rule name; the unmodified flows pass.
func TestSpecificationRules(t *testing.T) {
	b := ruleBases(t)
	p, o := b.periodic, b.oneOff
	const sinbaID = "L378.SINBA.20260115.0000003"
	cases := []struct {
		name  string
		tipo  siuss.Tipo
		id    string // published under; "" means the flow's own @Nome
		ente  string // codice_ente; "" means L378
		flow  []byte
		rules []string // want exactly these (plus the XSD rule "pattern" when noted)
	}{
		{"ok/periodic", siuss.TipoPS, "", "", p.xml, nil},
		{"ok/one-off", siuss.TipoPS, "", "", o.xml, nil},
		{"ok/sinba", siuss.TipoSINBA, sinbaID, "", b.sinba, nil},

		{"nome/not-the-id", siuss.TipoPS, "L378.PS.20260115.0009999", "", p.xml, []string{siuss.RuleNome}},
		{"nome/not-a-date", siuss.TipoPS, "L378.PS.20260231.0000001", "", edit(t, p.xml, func(r *etree.Element) {
			r.SelectElement("IdentificazioneFlusso").CreateAttr("Nome", "L378.PS.20260231.0000001")
		}), []string{siuss.RuleNome}},
		{"nome/other-type", siuss.TipoPS, "L378.SINBA.20260115.0000001", "", edit(t, p.xml, func(r *etree.Element) {
			r.SelectElement("IdentificazioneFlusso").CreateAttr("Nome", "L378.SINBA.20260115.0000001")
		}), []string{siuss.RuleNome}},
		{"nome/other-ente", siuss.TipoPS, "H501.PS.20260115.0000001", "", edit(t, p.xml, func(r *etree.Element) {
			r.SelectElement("IdentificazioneFlusso").CreateAttr("Nome", "H501.PS.20260115.0000001")
		}), []string{siuss.RuleNome}},
		{"codice-ente", siuss.TipoPS, "", "H612", p.xml, []string{siuss.RuleCodiceEnte}},
		{"cooperazione/two-prestazioni", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			ben := r.SelectElement("Beneficiario")
			ben.AddChild(prestazioneOf(r).Copy())
		}), []string{siuss.RuleCooperazione}},
		{"cooperazione/two-beneficiari", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			r.AddChild(r.SelectElement("Beneficiario").Copy())
		}), []string{siuss.RuleCooperazione}},
		{"cooperazione/sinba-two-codes", siuss.TipoSINBA, sinbaID, "", edit(t, b.sinba, func(r *etree.Element) {
			pr := r.SelectElement("SINBA").SelectElement("Prestazioni")
			pr.AddChild(pr.SelectElement("CodicePrestazione").Copy())
		}), []string{siuss.RuleCooperazione}},
		{"codice-fiscale/check-character", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			ben := r.SelectElement("Beneficiario")
			cf := ben.SelectAttrValue("CodiceFiscale", "")
			wrong := byte('A')
			if cf[15] == 'A' {
				wrong = 'B'
			}
			ben.CreateAttr("CodiceFiscale", cf[:15]+string(wrong))
		}), []string{siuss.RuleCodiceFiscale}},
		{"codice-fiscale/operator", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			r.SelectElement("IdentificazioneFlusso").SelectElement("Ente").CreateAttr("CFOperatore", "00355870229")
		}), []string{siuss.RuleCodiceFiscale}},
		{"omocodia", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			r.SelectElement("Beneficiario").CreateAttr("CodiceFiscale", omocodeCF(t))
		}), []string{"pattern", siuss.RuleOmocodia}},
		{"carattere", siuss.TipoPS, "", "", edit(t, p.xml, dropAttr("CaratterePrestazione")), []string{siuss.RuleCarattere}},
		{"periodica/no-importo-mensile", siuss.TipoPS, "", "", edit(t, p.xml, both(dropAttr("ImportoMensile"), dropAttr("ImportoQuotaEnte"), dropAttr("ImportoQuotaUtente"), dropAttr("ImportoQuotaSSN"))), []string{siuss.RulePeriodica}},
		{"periodica/no-data-inizio", siuss.TipoPS, "", "", edit(t, p.xml, both(dropAttr("DataInizioPrestazione"), dropAttr("DataFinePrestazione"))), []string{siuss.RulePeriodica}},
		{"occasionale/no-importo", siuss.TipoPS, "", "", edit(t, o.xml, both(dropAttr("ImportoPrestazione"), dropAttr("ImportoQuotaEnte"), dropAttr("ImportoQuotaUtente"), dropAttr("ImportoQuotaSSN"))), []string{siuss.RuleOccasionale}},
		{"occasionale/no-data-erogazione", siuss.TipoPS, "", "", edit(t, o.xml, dropAttr("DataErogazionePrestazione")), []string{siuss.RuleOccasionale}},
		{"campi-carattere/periodic-with-erogazione", siuss.TipoPS, "", "", edit(t, p.xml, setAttr("DataErogazionePrestazione", "2025-03-01")), []string{siuss.RuleCampiCarattere}},
		{"campi-carattere/one-off-with-periodo", siuss.TipoPS, "", "", edit(t, o.xml, setAttr("PeriodoErogazione", "3")), []string{siuss.RuleCampiCarattere}},
		{"anno-fine/next-year", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			ps := prestazioneOf(r)
			ps.CreateAttr("DataFinePrestazione", nextYear(ps.SelectAttrValue("DataInizioPrestazione", ""))+"-01-31")
		}), []string{siuss.RuleAnnoFine}},
		{"anno-fine/before-start", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			ps := prestazioneOf(r)
			ps.CreateAttr("DataInizioPrestazione", ps.SelectAttrValue("DataInizioPrestazione", "")[:4]+"-12-31")
			ps.CreateAttr("DataFinePrestazione", ps.SelectAttrValue("DataInizioPrestazione", "")[:4]+"-01-01")
		}), []string{siuss.RuleAnnoFine}},
		{"importo-positivo/zero-quota", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			setQuotas(prestazioneOf(r), "ImportoMensile", "0.00")
		}), []string{siuss.RuleImportoPositivo}},
		{"importo-positivo/negative-quota-utente", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			ps := prestazioneOf(r)
			ps.RemoveAttr("ImportoQuotaEnte")
			ps.RemoveAttr("ImportoQuotaUtente")
			ps.RemoveAttr("ImportoQuotaSSN")
			ps.CreateAttr("ImportoQuotaRichiesta", "-1.00")
		}), []string{siuss.RuleImportoPositivo}},
		{"formato-importo/one-decimal", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			ps := prestazioneOf(r)
			for _, q := range []string{"ImportoQuotaEnte", "ImportoQuotaUtente", "ImportoQuotaSSN"} {
				ps.RemoveAttr(q)
			}
			ps.CreateAttr("ImportoMensile", "101.2")
		}), []string{siuss.RuleFormatoImporto}},
		{"formato-importo/minutes", siuss.TipoPS, "", "", edit(t, p.xml, setAttr("OreServizioMensile", "2.75")), []string{siuss.RuleFormatoImporto}},
		{"somma-quote", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			setQuotas(prestazioneOf(r), "ImportoMensile", "1.00")
		}), []string{siuss.RuleSommaQuote}},
		{"dsu/partial", siuss.TipoPS, "", "", edit(t, p.xml, both(setAttr("NumeroProtocolloDSU", "INPS-ISEE-2025-1"), setAttr("AnnoProtocolloDSU", "2025"), dropAttr("DataDSU"))), []string{siuss.RuleDSU}},
		{"area-utenza", siuss.TipoPS, "", "", edit(t, p.xml, both(setAttr("PresaCarico", "1"), dropAttr("AreaUtenza"))), []string{siuss.RuleAreaUtenza}},
		{"residenza-italia/ps", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			ind := r.SelectElement("Beneficiario").SelectElement("Indirizzo")
			ind.CreateAttr("CodiceNazione", "380")
			ind.CreateAttr("CodiceComune", "022205")
			ind.RemoveAttr("CodiceRegione")
		}), []string{siuss.RuleResidenzaItalia}},
		{"residenza-italia/sinba", siuss.TipoSINBA, sinbaID, "", edit(t, b.sinba, func(r *etree.Element) {
			r.SelectElement("SINBA").RemoveAttr("CodiceRegioneResidenza")
		}), []string{siuss.RuleResidenzaItalia}},
		{"iso3166/not-a-state", siuss.TipoPS, "", "", edit(t, p.xml, func(r *etree.Element) {
			// 001 is no state's ISO 3166-1 code (100, ISTAT's Italy, is ISO's Bulgaria: not detectable)
			r.SelectElement("Beneficiario").SelectElement("Anagrafica").CreateAttr("CodiceCittadinanza", "001")
		}), []string{siuss.RuleISO3166}},
		{"iso3166/sinba-father", siuss.TipoSINBA, sinbaID, "", edit(t, b.sinba, func(r *etree.Element) {
			r.SelectElement("SINBA").CreateAttr("CodiceCittadinanzaPadre", "999")
		}), []string{siuss.RuleISO3166}},
		{"pseudonimo/codice-fiscale", siuss.TipoSINBA, sinbaID, "", edit(t, b.sinba, func(r *etree.Element) {
			r.SelectElement("SINBA").CreateAttr("IDBeneficiario", "RSSLCU15C01L378Y")
		}), []string{siuss.RulePseudonimo}},
		{"pseudonimo/numeric-codice-fiscale", siuss.TipoSINBA, sinbaID, "", edit(t, b.sinba, func(r *etree.Element) {
			r.SelectElement("SINBA").CreateAttr("IDBeneficiario", "00355870221")
		}), []string{siuss.RulePseudonimo}},
		{"componenti-isee", siuss.TipoSINBA, sinbaID, "", edit(t, b.sinba, func(r *etree.Element) {
			r.SelectElement("SINBA").CreateAttr("NumeroComponentiISEE", "0")
		}), []string{siuss.RuleComponentiISEE}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := c.id
			if id == "" {
				id = idOf(t, c.flow)
			}
			ente := c.ente
			if ente == "" {
				ente = "L378"
			}
			if err := siuss.ValidateXSD(c.tipo, c.flow); err != nil && !slices.Contains(c.rules, "pattern") {
				t.Fatalf("the mutated flow is not schema-valid, so the rule is not what refuses it: %v", err)
			}
			err := siuss.Validate(c.tipo, id, ente, c.flow)
			var got []string
			if inv, ok := err.(*siuss.InvalidFlowError); ok {
				seen := map[string]bool{}
				for _, p := range inv.Problems {
					if !seen[p.Rule] {
						seen[p.Rule] = true
						got = append(got, p.Rule)
					}
				}
			} else if err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			want := slices.Clone(c.rules)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Fatalf("rules %v, want %v (%v)", got, want, err)
			}
			for _, r := range c.rules {
				covered[r] = true
			}
		})
	}
	for _, rule := range []string{siuss.RuleNome, siuss.RuleCodiceEnte, siuss.RuleCooperazione, siuss.RuleCodiceFiscale, siuss.RuleOmocodia,
		siuss.RuleCarattere, siuss.RulePeriodica, siuss.RuleOccasionale, siuss.RuleCampiCarattere, siuss.RuleAnnoFine,
		siuss.RuleImportoPositivo, siuss.RuleFormatoImporto, siuss.RuleSommaQuote, siuss.RuleDSU, siuss.RuleAreaUtenza,
		siuss.RuleResidenzaItalia, siuss.RuleISO3166, siuss.RuleComponentiISEE, siuss.RulePseudonimo} {
		if !covered[rule] {
			t.Errorf("rule %s has no case in the table", rule)
		}
	}
}

func idOf(t *testing.T, flow []byte) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(flow); err != nil {
		t.Fatal(err)
	}
	return doc.Root().SelectElement("IdentificazioneFlusso").SelectAttrValue("Nome", "")
}

func nextYear(date string) string {
	y := []byte(date[:4])
	for i := 3; i >= 0; i-- {
		if y[i] < '9' {
			y[i]++
			break
		}
		y[i] = '0'
	}
	return string(y)
}

// setQuotas makes the three quotas (ente 0.00 or given, utente and SSN 1.00 each) over the total.
func setQuotas(ps *etree.Element, total, ente string) {
	ps.CreateAttr("ImportoQuotaEnte", ente)
	ps.CreateAttr("ImportoQuotaUtente", "1.00")
	ps.CreateAttr("ImportoQuotaSSN", "1.00")
	if ente == "0.00" {
		// quotas that otherwise add up: only the zero quota is wrong
		ps.CreateAttr(total, "2.00")
	}
}
