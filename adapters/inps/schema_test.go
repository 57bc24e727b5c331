package inps

import (
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/adapters/inps/inpsxsd"
	"github.com/welfaregov/gateway/contracts"
)

// These tests read INPS's real WSDL and XSDs and check that every name, code and action this package
// (and the simulator, through schema.go) writes or expects is exactly the schema's, misspellings included.

func readSchema(t *testing.T, dir, rel string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = charsetReader
	if err := doc.ReadFromFile(filepath.Join(dir, rel)); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return doc.Root()
}

// xsElement finds the first xs:element named name below e (depth first).
func xsElement(e *etree.Element, name string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == "element" && c.SelectAttrValue("name", "") == name {
			return c
		}
		if found := xsElement(c, name); found != nil {
			return found
		}
	}
	return nil
}

// xsChildren returns the xs:element children of e's complexType (its sequence or choice, one level).
func xsChildren(e *etree.Element, group string) []*etree.Element {
	ct := e.SelectElement("complexType")
	if ct == nil {
		return nil
	}
	g := ct.SelectElement(group)
	if g == nil {
		return nil
	}
	return g.SelectElements("element")
}

func enumeration(t *testing.T, root *etree.Element, typeName string) []string {
	t.Helper()
	for _, st := range root.FindElements("//simpleType") {
		if st.SelectAttrValue("name", "") != typeName {
			continue
		}
		var out []string
		for _, e := range st.FindElements("restriction/enumeration") {
			out = append(out, e.SelectAttrValue("value", ""))
		}
		return out
	}
	t.Fatalf("simpleType %s not found", typeName)
	return nil
}

func TestSchemaMatchesXSD(t *testing.T) {
	dir := inpsxsd.Dir(t)
	att := readSchema(t, dir, "isee-riforma/ISEE_Attestazione.xsd")
	if ns := att.SelectAttrValue("targetNamespace", ""); ns != NamespaceISEERiforma {
		t.Errorf("ISEE_Attestazione.xsd targetNamespace %q, we use %q", ns, NamespaceISEERiforma)
	}
	parents := map[Contenitore]string{ContenitoreMinorenne: "Ordinario", ContenitoreUniversitario: "Ordinario",
		ContenitoreSocioSanRes: "Ordinario", ContenitoreSocioSanResRistretto: "Ridotto"}
	for _, c := range Contenitori() {
		t.Run(c.Lista(), func(t *testing.T) {
			parent := xsElement(att, parents[c])
			lista := xsElement(parent, c.Lista())
			if lista == nil {
				t.Fatalf("%s/%s not in the XSD", parents[c], c.Lista())
			}
			voce := xsElement(lista, c.Voce())
			if voce == nil {
				t.Fatalf("%s/%s not in the XSD", c.Lista(), c.Voce())
			}
			choice := xsChildren(voce, "choice")
			var names []string
			for _, e := range choice {
				names = append(names, e.SelectAttrValue("name", ""))
			}
			var ours []string
			for _, v := range c.Varianti() {
				ours = append(ours, v.Elemento)
			}
			if !slices.Equal(names, ours) {
				t.Fatalf("choice of %s: XSD %v, ours %v", c.Voce(), names, ours)
			}
			for i, e := range choice {
				v := c.Varianti()[i]
				seq := xsChildren(e, "sequence")
				if !v.HasValori() {
					if e.SelectElement("complexType") != nil {
						t.Errorf("%s has content in the XSD, we read it as a reference or non calcolabile", v.Elemento)
					}
					continue
				}
				byName := map[string]*etree.Element{}
				for _, s := range seq {
					byName[s.SelectAttrValue("name", "")] = s
				}
				if byName["Valori"] == nil {
					t.Errorf("%s: no Valori in the XSD", v.Elemento)
				}
				if byName[v.ModalitaCalcolo] == nil {
					t.Errorf("%s: the XSD has no %s (it has %v)", v.Elemento, v.ModalitaCalcolo, keys(byName))
				}
				if (byName["NucleoFamiliareAttratto"] != nil) != v.NucleoAttratto {
					t.Errorf("%s: NucleoFamiliareAttratto in XSD %v, ours %v", v.Elemento, byName["NucleoFamiliareAttratto"] != nil, v.NucleoAttratto)
				}
				comp := 0
				for name, s := range byName {
					if name == "ComponenteAttratta" || name == "ComponenteAgguntiva" || name == "ComponenteAggiuntiva" {
						comp++
						if name != v.Componente {
							t.Errorf("%s: the XSD's component element is %s, ours %q", v.Elemento, name, v.Componente)
						}
						if many := s.SelectAttrValue("maxOccurs", "1") == "unbounded"; many != v.MoltiComponenti {
							t.Errorf("%s: %s unbounded in XSD %v, ours %v", v.Elemento, name, many, v.MoltiComponenti)
						}
						if s.SelectAttrValue("type", "") != "TypeCompAggiuntiva" {
							t.Errorf("%s/%s is not a TypeCompAggiuntiva", v.Elemento, name)
						}
					}
				}
				if (comp == 1) != (v.Componente != "") {
					t.Errorf("%s: %d component elements in the XSD, ours %q", v.Elemento, comp, v.Componente)
				}
			}
		})
	}
	for parent, want := range map[string]string{"ISEEOrdinario": ModalitaCalcoloOrdinario, "ISEERistretto": ModalitaCalcoloRistretto} {
		e := xsElement(att, parent)
		found := false
		for _, s := range xsChildren(e, "sequence") {
			found = found || s.SelectAttrValue("name", "") == want
		}
		if !found {
			t.Errorf("%s has no %s in the XSD", parent, want)
		}
	}
	// The misspellings the brief warns about, verified one by one (so a future schema that fixes
	// them fails here, and the tolerant reading in attestazione.go is known to be needed).
	for _, name := range []string{"ComponenteAgguntiva", "ModalitaCalcoloISEEMinAggr", "ModalitaCalcoloIISEESocioSanResAgg", "ModalitaCalcoloISEEUniStudAtt"} {
		if xsElement(att, name) == nil {
			t.Errorf("%s is not in the XSD", name)
		}
	}
}

func TestWSDLAndWrapperMatch(t *testing.T) {
	dir := inpsxsd.Dir(t)
	wsdl := readSchema(t, dir, "pdnd-consultazione-isee/ConsultazioneISEE_v2.8_PDND.wsdl")
	actions := map[string]string{}
	for _, op := range wsdl.FindElements("//binding/operation") {
		actions[op.SelectAttrValue("name", "")] = op.SelectElement("operation").SelectAttrValue("soapAction", "")
	}
	for _, op := range []Operazione{OpConsultazioneAttestazione, OpConsultazioneIndicatore} {
		if actions[string(op)] != op.SOAPAction() {
			t.Errorf("%s: WSDL soapAction %q, ours %q", op, actions[string(op)], op.SOAPAction())
		}
	}
	if len(actions) != 2 {
		t.Errorf("the WSDL binds %d operations, we implement 2: %v", len(actions), actions)
	}
	if addr := wsdl.FindElement("//service/port/address"); addr == nil || addr.SelectAttrValue("location", "") != DefaultEndpoint {
		t.Errorf("the WSDL's soap:address is not %s", DefaultEndpoint)
	}
	if ns := wsdl.SelectAttrValue("targetNamespace", ""); ns != NamespaceServizio {
		t.Errorf("WSDL targetNamespace %q, ours %q", ns, NamespaceServizio)
	}
	header := readSchema(t, dir, "pdnd-consultazione-isee/ConsultazioneISEE_IdentityHeader.xsd")
	if ns := header.SelectAttrValue("targetNamespace", ""); ns != NamespaceIdentity {
		t.Errorf("Identity header targetNamespace %q, ours %q", ns, NamespaceIdentity)
	}
	wrapper := readSchema(t, dir, "pdnd-consultazione-isee/ConsultazioneISEE_v2.8_PDND.xsd")
	if got := enumeration(t, wrapper, "PrestazioneDaErogareType"); !slices.Equal(got, PrestazioniDaErogare()) {
		t.Errorf("PrestazioneDaErogareType %v, ours %v", got, PrestazioniDaErogare())
	}
	tipi := readSchema(t, dir, "isee-riforma/ISEE_TipiComuni.xsd")
	if got := enumeration(t, tipi, "TypePrestazioneDaErogare"); !slices.Equal(got, PrestazioniDaErogare()) {
		t.Errorf("TypePrestazioneDaErogare %v, ours %v", got, PrestazioniDaErogare())
	}
	var esiti []string
	for _, e := range Esiti() {
		esiti = append(esiti, string(e))
	}
	if got := enumeration(t, wrapper, "EsitoEnum"); !slices.Equal(got, esiti) {
		t.Errorf("EsitoEnum %v, ours %v", got, esiti)
	}
	if got := enumeration(t, wrapper, "StatoDomandaPrestazioneType"); !slices.Equal(got, []string{string(StatoDaErogare), string(StatoErogata)}) {
		t.Errorf("StatoDomandaPrestazioneType %v", got)
	}
	for _, v := range enumeration(t, wrapper, "TipoIndicatoreSinteticoEnum") {
		if _, ok := contracts.TipoFromTipoIndicatore(v); !ok {
			t.Errorf("TipoIndicatore %q has no TipoISEE", v)
		}
	}
	// CodiceFiscaleType: our compiled shape must accept exactly what the XSD pattern accepts.
	pattern := ""
	for _, st := range wrapper.FindElements("//simpleType") {
		if st.SelectAttrValue("name", "") == "CodiceFiscaleType" {
			pattern = st.FindElement("restriction/pattern").SelectAttrValue("value", "")
		}
	}
	xsd := regexp.MustCompile("^(?:" + pattern + ")$")
	for _, cf := range []string{"RSSMRA80A01H501U", "RSSMRA80A01H50MU", "RSSMRA80A01H5MMU", "RSSMRA80A01HMMMU",
		"RSSMRA80A0MHMMMU", "RSSMRA80ALMHMMMU", "RSSMRA8LALMHMMMU", "RSSMRAULALMHMMMU", "12345678901", "rssmra80a01h501u", "RSSMRA80A01H501", ""} {
		if xsd.MatchString(cf) != wsdlCF.MatchString(cf) {
			t.Errorf("%q: XSD pattern %v, ours %v", cf, xsd.MatchString(cf), wsdlCF.MatchString(cf))
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
