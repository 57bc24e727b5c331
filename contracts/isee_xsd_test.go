package contracts

import (
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// These tests read INPS's real ISEE schemas (not committed: their licence is unclear) from
// $WGW_SAMPLES_DIR and check that the model's mappings cover every element and code in them.

type xsdFacts struct {
	choices      map[string][]string // container element -> elements of its xs:choice (all choices merged)
	elements     map[string]bool     // every declared element name
	enumerations map[string][]string // attribute or simpleType name -> enumeration values
	patterns     map[string]string   // simpleType name -> pattern
}

func readXSD(t *testing.T, name string) xsdFacts {
	t.Helper()
	dir := os.Getenv("WGW_SAMPLES_DIR")
	if dir == "" {
		t.Skipf("WGW_SAMPLES_DIR is not set: skipping the check of the model against INPS's %s", name)
	}
	f, err := os.Open(filepath.Join(dir, "inps", "isee-riforma", name))
	if err != nil {
		t.Fatalf("WGW_SAMPLES_DIR is set but the schema is missing: %v", err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if !strings.EqualFold(charset, "iso-8859-1") {
			return nil, errors.New("unexpected charset " + charset)
		}
		return latin1Reader{r}, nil
	}
	facts := xsdFacts{choices: map[string][]string{}, elements: map[string]bool{}, enumerations: map[string][]string{}, patterns: map[string]string{}}
	type node struct{ local, name string }
	var stack []node
	nearest := func(local string) string { // name of the nearest ancestor of that kind with a name
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].local == local && stack[i].name != "" {
				return stack[i].name
			}
		}
		return ""
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := func(n string) string {
				for _, a := range el.Attr {
					if a.Name.Local == n {
						return a.Value
					}
				}
				return ""
			}
			n := node{el.Name.Local, attr("name")}
			switch n.local {
			case "element":
				facts.elements[n.name] = true
				if len(stack) > 0 && stack[len(stack)-1].local == "choice" {
					c := nearest("element")
					facts.choices[c] = append(facts.choices[c], n.name)
				}
			case "enumeration":
				owner := nearest("attribute")
				if owner == "" {
					owner = nearest("simpleType")
				}
				facts.enumerations[owner] = append(facts.enumerations[owner], attr("value"))
			case "pattern":
				facts.patterns[nearest("simpleType")] = attr("value")
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	return facts
}

// latin1Reader decodes ISO-8859-1 (each byte is the code point) into UTF-8.
type latin1Reader struct{ r io.Reader }

func (l latin1Reader) Read(p []byte) (int, error) {
	buf := make([]byte, len(p)/2+1)
	n, err := l.r.Read(buf)
	out := p[:0]
	for _, b := range buf[:n] {
		out = utf8.AppendRune(out, rune(b))
	}
	return len(out), err
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return slices.Compact(c)
}

func TestVariantsCoverTheAttestationXSD(t *testing.T) {
	x := readXSD(t, "ISEE_Attestazione.xsd")
	if got := sortedKeys(x.choices); !slices.Equal(got, sortedKeys(tipoByContainer)) {
		t.Fatalf("the XSD has choices in %v; the model maps %v", got, sortedKeys(tipoByContainer))
	}
	fromXSD := map[TipoISEE][]VarianteISEE{}
	for container, elems := range x.choices {
		tipo, _ := TipoFromContainer(container)
		for _, e := range elems {
			v, ok := VarianteFromElement(e)
			if !ok {
				t.Errorf("%s/%s has no variant", container, e)
				continue
			}
			fromXSD[tipo] = append(fromXSD[tipo], v)
		}
	}
	for tipo, vs := range fromXSD {
		want := slices.DeleteFunc(slices.Clone(variantiPerTipo[tipo]), func(v VarianteISEE) bool { return v == VarianteNonSpecificata })
		if got := sortedCopy(strs(vs)); !slices.Equal(got, sortedCopy(strs(want))) {
			t.Errorf("%s: the XSD allows %v, variantiPerTipo says %v", tipo, got, sortedCopy(strs(want)))
		}
	}
	// The indicators outside the choices.
	for _, e := range []string{"ISEEOrdinario", "ISEERistretto", "Ridotto", "ISEESocioSanResRistretto"} {
		if !x.elements[e] {
			t.Errorf("the XSD has no element %s", e)
		}
	}
	// Every element VarianteFromElement knows exists in the XSD.
	for e := range varianteByElement {
		if !x.elements[e] {
			t.Errorf("VarianteFromElement knows %s, which the XSD does not declare", e)
		}
	}
}

func TestCodesCoverTheAttestationXSD(t *testing.T) {
	x := readXSD(t, "ISEE_Attestazione.xsd")
	for _, tc := range []struct {
		attribute string
		mapped    []string
	}{
		{"RapportoConDichiarante", sortedKeys(ruoloByRapportoConDichiarante)},
		{"RelazioneConBeneficiario", sortedKeys(ruoloByRelazioneConBeneficiario)},
		{"TipoOmissioneDifformita", sortedKeys(tipoDifformitaByCode)},
		{"TipoVariazione", sortedKeys(tipoVariazioneByCode)},
		{"TipoModelloAE", sortedKeys(modelloAEByCode)},
	} {
		got := sortedCopy(x.enumerations[tc.attribute])
		if len(got) == 0 || !slices.Equal(got, tc.mapped) {
			t.Errorf("%s: the XSD enumerates %v, the model maps %v", tc.attribute, got, tc.mapped)
		}
	}
}

func TestCodesCoverTipiComuniXSD(t *testing.T) {
	x := readXSD(t, "ISEE_TipiComuni.xsd")
	if got := sortedCopy(x.enumerations["TypeTipoIndicatore"]); !slices.Equal(got, sortedKeys(tipoByTipoIndicatore)) {
		t.Errorf("TypeTipoIndicatore: XSD %v, model %v", got, sortedKeys(tipoByTipoIndicatore))
	}
	// XSD patterns are implicitly anchored.
	if got := "^" + x.patterns["TypeProtocollo"] + "$"; got != ProtocolloDSUPattern {
		t.Errorf("TypeProtocollo: XSD %s, ProtocolloDSUPattern %s", got, ProtocolloDSUPattern)
	}
	for k, v := range tipoByTipoIndicatore {
		if v.TipoIndicatore() != k {
			t.Errorf("%s.TipoIndicatore() = %q, want %q", v, v.TipoIndicatore(), k)
		}
	}
}

func TestISEECodeMappings(t *testing.T) {
	if m := ModelloAEFromCode("9"); m != ModelloNonDefinito {
		t.Errorf("unknown TipoModelloAE gives %q", m)
	}
	if m := ModelloAEFromCode(""); m != "" {
		t.Errorf("empty TipoModelloAE gives %q", m)
	}
	if _, ok := VarianteFromElement("ISEEFamiglia"); ok { // seen in a client, not in XSD v1.4
		t.Error("unknown element mapped")
	}
	if _, ok := TipoFromTipoIndicatore("ordinario"); ok {
		t.Error("TipoIndicatore is case-sensitive in the XSD")
	}
	if _, ok := TipoDifformitaFromCode("Patrimoni"); ok {
		t.Error("unknown TipoOmissioneDifformita mapped")
	}
	if _, ok := TipoVariazioneFromCode(""); ok {
		t.Error("empty TipoVariazione mapped")
	}
	if TipoISEE("X").TipoIndicatore() != "" {
		t.Error("invalid TipoISEE has a TipoIndicatore")
	}
}
