package inps

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/adapters/inps/inpsxsd"
	"github.com/welfaregov/gateway/adapters/internal/fixturetest"
	"github.com/welfaregov/gateway/contracts"
)

var testIdentity = Identity{UserID: "80012345678", CodiceUfficio: "001"}

// cfTest returns a valid personal codice fiscale from its first 15 characters.
func cfTest(first15 string) string { return first15 + string(contracts.CFCheckCharacter(first15)) }

var (
	cfMario = cfTest("RSSMRA80A01L378")
	cfLuca  = cfTest("RSSLCU15C01L378")
)

// requestCases are the requests whose envelopes are frozen in testdata/richiesta/<name>.xml.
func requestCases() map[string]func() ([]byte, error) {
	prest := Prestazione{PrestazioneDaErogare: "A1.07", ProtocolloDomandaEnteErogatore: "WGOV-2025-000123", StatodomandaPrestazione: StatoDaErogare}
	omocode, _ := contracts.Omocode(cfMario, 2)
	att := func(r RichiestaAttestazione) func() ([]byte, error) {
		return func() ([]byte, error) { return BuildConsultazioneAttestazione(testIdentity, r) }
	}
	ind := func(r RichiestaIndicatore) func() ([]byte, error) {
		return func() ([]byte, error) { return BuildConsultazioneIndicatore(testIdentity, r) }
	}
	return map[string]func() ([]byte, error){
		"attestazione_cf_completa":  att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfLuca, DataValidita: contracts.MustData(2025, 6, 1), Prestazione: prest}}),
		"attestazione_cf_minima":    att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario}}),
		"attestazione_cf_numerico":  att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: "12345678903"}}),
		"attestazione_cf_omocodico": att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: omocode}}),
		"attestazione_prot_dsu": att(RichiestaAttestazione{RicercaProtDSU: &RicercaProtDSU{ProtocolloDSU: "INPS-ISEE-2025-00012345A-00",
			CodiceFiscaleBeneficiario: cfLuca, Prestazione: Prestazione{PrestazioneDaErogare: "A2.12", StatodomandaPrestazione: StatoErogata}}}),
		"attestazione_prot_mittente": att(RichiestaAttestazione{RicercaProtMittente: &RicercaProtMittente{ProtocolloMittente: "CAF-TN-2025-000999",
			CodiceFiscaleBeneficiario: cfMario, Prestazione: Prestazione{ProtocolloDomandaEnteErogatore: "pratica 42/2025 - è urgente & <prioritaria>"}}}),
		"indicatore_ordinario":    ind(RichiestaIndicatore{Tipo: contracts.ISEEOrdinario, RicercaCF: RicercaCF{CodiceFiscale: cfMario, Prestazione: prest}}),
		"indicatore_dottorato":    ind(RichiestaIndicatore{Tipo: contracts.ISEEDottorato, RicercaCF: RicercaCF{CodiceFiscale: cfLuca, DataValidita: contracts.MustData(2025, 1, 31)}}),
		"indicatore_residenziale": ind(RichiestaIndicatore{Tipo: contracts.ISEESocioSanitarioResidenziale, RicercaCF: RicercaCF{CodiceFiscale: cfMario}}),
	}
}

// TestBuildRequests compares every built envelope with its frozen copy and validates them all
// against the real wrapper and Identity header XSDs.
func TestBuildRequests(t *testing.T) {
	built := map[string][]byte{}
	for name, build := range requestCases() {
		t.Run("ok/"+name, func(t *testing.T) {
			got, err := build()
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			built[name] = got
			path := filepath.Join("testdata", "richiesta", name+".xml")
			fixturetest.Compare(t, path, got)
		})
	}
	t.Run("xsd", func(t *testing.T) { inpsxsd.New(t).MustValidate(inpsxsd.Envelope, built) })
}

// TestBuildMatchesSyntheticSample builds the request of the shared synthetic sample and compares the
// two element by element (namespaces, names and text; prefixes and whitespace aside).
func TestBuildMatchesSyntheticSample(t *testing.T) {
	dir := inpsxsd.Dir(t)
	sample := readFile(t, filepath.Join(dir, "synthetic", "ConsultazioneAttestazione_request_envelope.xml"))
	got, err := BuildConsultazioneAttestazione(Identity{UserID: "00000000000", CodiceUfficio: "001"}, RichiestaAttestazione{RicercaCF: &RicercaCF{
		CodiceFiscale: "RSSLCU15C01L378Y", DataValidita: contracts.MustData(2025, 6, 1),
		Prestazione: Prestazione{PrestazioneDaErogare: "A1.07", ProtocolloDomandaEnteErogatore: "WGOV-2025-000123", StatodomandaPrestazione: StatoDaErogare}}})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := canonical(t, sample), canonical(t, got); !slices.Equal(a, b) {
		t.Errorf("built request differs from the sample:\nsample %v\nbuilt  %v", a, b)
	}
}

// canonical lists every element as {namespace}name=text in document order.
func canonical(t *testing.T, b []byte) []string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		out = append(out, "{"+e.NamespaceURI()+"}"+e.Tag+"="+strings.TrimSpace(e.Text()))
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(doc.Root())
	return out
}

func TestBuildRequestsFail(t *testing.T) {
	wrongCheck := cfMario[:15] + string(rune('A'+(cfMario[15]-'A'+1)%26))
	omocode5, _ := contracts.Omocode(cfMario, 5)
	cf := func(s string) *RicercaCF { return &RicercaCF{CodiceFiscale: s} }
	att := func(r RichiestaAttestazione) error {
		_, err := BuildConsultazioneAttestazione(testIdentity, r)
		return err
	}
	cases := map[string]struct {
		err   error
		field string
	}{
		"fail/no_filter":        {att(RichiestaAttestazione{}), "request"},
		"fail/two_filters":      {att(RichiestaAttestazione{RicercaCF: cf(cfMario), RicercaProtMittente: &RicercaProtMittente{ProtocolloMittente: "X", CodiceFiscaleBeneficiario: cfMario}}), "request"},
		"fail/cf_empty":         {att(RichiestaAttestazione{RicercaCF: cf("")}), "RicercaCF/CodiceFiscale"},
		"fail/cf_check":         {att(RichiestaAttestazione{RicercaCF: cf(wrongCheck)}), "RicercaCF/CodiceFiscale"},
		"fail/cf_lower":         {att(RichiestaAttestazione{RicercaCF: cf(strings.ToLower(cfMario))}), "RicercaCF/CodiceFiscale"},
		"fail/cf_omocode_wsdl":  {att(RichiestaAttestazione{RicercaCF: cf(omocode5)}), "RicercaCF/CodiceFiscale"},
		"fail/data_partial":     {att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario, DataValidita: mustParseData("2025-06")}}), "RicercaCF/DataValidita"},
		"fail/prestazione_code": {att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario, Prestazione: Prestazione{PrestazioneDaErogare: "A9.99"}}}), "RicercaCF/PrestazioneDaErogare"},
		"fail/stato":            {att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario, Prestazione: Prestazione{StatodomandaPrestazione: "Erogato"}}}), "RicercaCF/StatodomandaPrestazione"},
		"fail/protocollo_domanda_long": {att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario,
			Prestazione: Prestazione{ProtocolloDomandaEnteErogatore: strings.Repeat("x", 257)}}}), "RicercaCF/ProtocolloDomandaEnteErogatore"},
		"fail/protocollo_domanda_control": {att(RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario,
			Prestazione: Prestazione{ProtocolloDomandaEnteErogatore: "a\x00b"}}}), "RicercaCF/ProtocolloDomandaEnteErogatore"},
		"fail/protocollo_dsu": {att(RichiestaAttestazione{RicercaProtDSU: &RicercaProtDSU{ProtocolloDSU: "INPS-ISEE-25-1", CodiceFiscaleBeneficiario: cfMario}}), "RicercaProtDSU/ProtocolloDSU"},
		"fail/prot_dsu_cf":    {att(RichiestaAttestazione{RicercaProtDSU: &RicercaProtDSU{ProtocolloDSU: "INPS-ISEE-2025-00012345A-00"}}), "RicercaProtDSU/CodiceFiscaleBeneficiario"},
		"fail/protocollo_mittente_long": {att(RichiestaAttestazione{RicercaProtMittente: &RicercaProtMittente{ProtocolloMittente: strings.Repeat("9", 30),
			CodiceFiscaleBeneficiario: cfMario}}), "RicercaProtMittente/ProtocolloMittente"},
		"fail/identity_user": {func() error {
			_, err := BuildConsultazioneAttestazione(Identity{CodiceUfficio: "001"}, RichiestaAttestazione{RicercaCF: cf(cfMario)})
			return err
		}(), "Identity/UserId"},
		"fail/identity_ufficio": {func() error {
			_, err := BuildConsultazioneIndicatore(Identity{UserID: "x", CodiceUfficio: " 001"}, RichiestaIndicatore{Tipo: contracts.ISEEOrdinario, RicercaCF: *cf(cfMario)})
			return err
		}(), "Identity/CodiceUfficio"},
		"fail/tipo_indicatore": {func() error {
			_, err := BuildConsultazioneIndicatore(testIdentity, RichiestaIndicatore{Tipo: "CORRENTE", RicercaCF: *cf(cfMario)})
			return err
		}(), "TipoIndicatore"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var e *Error
			if !errors.As(c.err, &e) || e.Reason != ReasonRichiestaNonValida || e.Class() != ClassPermanent {
				t.Fatalf("want a ReasonRichiestaNonValida *Error, got %v", c.err)
			}
			found := false
			for _, p := range e.Campi {
				found = found || p.Campo == c.field
			}
			if !found {
				t.Errorf("no problem for %s in %+v", c.field, e.Campi)
			}
			if strings.Contains(e.Error(), cfMario) || strings.Contains(e.Error(), wrongCheck) {
				t.Errorf("the error quotes a codice fiscale: %s", e.Error())
			}
		})
	}
}

func mustParseData(s string) contracts.Data {
	d, err := contracts.ParseData(s)
	if err != nil {
		panic(err)
	}
	return d
}
