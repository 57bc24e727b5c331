package contracts

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/contracts/openapi"
)

// The tests in this file keep openapi/model.yaml and the Go types in step: field by field (names,
// types, required), enum by enum (schema, Go constants, the values slices), and by validating real
// marshalled instances (and broken ones) against the schema.

// modelStructs are the Go types with a schema of the same name.
var modelStructs = []any{
	Provenienza{}, Persona{}, Luogo{}, Residenza{}, IndirizzoEstero{}, Cittadinanza{}, StatoCivile{}, Decesso{},
	NucleoFamiliare{}, Componente{}, AttestazioneISEE{}, IndicatoreISEE{}, ValoriISEE{}, ModalitaCalcolo{},
	ComponenteAggiuntiva{}, Difformita{}, RapportoFinanziario{}, RedditoAE{}, Variazione{}, DiscordanzaContestazione{},
	Incongruenza{}, SelezioneISEE{}, IndicatoreICEF{}, PrestazioneSociale{}, RiferimentoDSU{}, ValutazioneSINA{},
	SchedaSINBA{},
}

// modelEnums maps each enumeration type to the slice its Valid method uses.
var modelEnums = map[string][]string{
	"Sistema": strs(sistemaValues), "StatoCache": strs(statoCacheValues), "Sesso": strs(sessoValues),
	"OrigineNucleo": strs(origineNucleoValues), "Ruolo": strs(ruoloValues), "TipoISEE": strs(tipoISEEValues),
	"VarianteISEE": strs(varianteISEEValues), "StatoIndicatore": strs(statoIndicatoreValues),
	"TipoComponenteAggiuntiva": strs(tipoComponenteAggiuntivaValues), "TipoDifformita": strs(tipoDifformitaValues),
	"ModelloAE": strs(modelloAEValues), "TipoVariazione": strs(tipoVariazioneValues),
	"MotivoSelezione": strs(motivoSelezioneValues), "Equazione": strs(equazioneValues),
	"TipoOperazioneSIUSS": strs(tipoOperazioneSIUSSValues), "ProvaMezzi": strs(provaMezziValues),
	"Carattere": strs(carattereValues), "AreaUtenza": strs(areaUtenzaValues),
}

// stringSchemas are schemas of constrained strings that plain Go string fields may reference.
var stringSchemas = []string{"CodiceFiscale", "ProtocolloDSU", "CodiceIstatComune", "CodiceIstatStato", "CodiceBelfiore"}

func strs[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(x)
	}
	return out
}

func loadSchemas(t *testing.T) map[string]map[string]any {
	t.Helper()
	raw, err := openapi.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]map[string]any, len(raw))
	for name, s := range raw {
		out[name] = s.(map[string]any)
	}
	return out
}

// Every schema has a Go counterpart and vice versa.
func TestSchemaCoversTheModel(t *testing.T) {
	schemas := loadSchemas(t)
	known := map[string]bool{"Data": true, "Decimal": true}
	for _, s := range stringSchemas {
		known[s] = true
	}
	for _, v := range modelStructs {
		known[reflect.TypeOf(v).Name()] = true
	}
	for name := range modelEnums {
		known[name] = true
	}
	for name := range schemas {
		if !known[name] {
			t.Errorf("schema %s has no Go type in the test's registry", name)
		}
	}
	for name := range known {
		if _, ok := schemas[name]; !ok {
			t.Errorf("Go type %s has no schema", name)
		}
	}
	// Every exported struct of the package that has JSON tags is registered, so a new model type
	// cannot be added without a schema.
	structs, _ := declaredTypes(t)
	for _, name := range structs {
		if !known[name] {
			t.Errorf("struct %s has JSON tags but is not in modelStructs", name)
		}
	}
}

func TestSchemaMatchesGoFields(t *testing.T) {
	schemas := loadSchemas(t)
	for _, v := range modelStructs {
		typ := reflect.TypeOf(v)
		t.Run(typ.Name(), func(t *testing.T) {
			s := schemas[typ.Name()]
			if s["type"] != "object" || s["additionalProperties"] != false {
				t.Fatalf("schema must be an object with additionalProperties: false")
			}
			props, _ := s["properties"].(map[string]any)
			var required []string
			seen := map[string]bool{}
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				if !f.IsExported() {
					continue
				}
				name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "" || name == "-" {
					t.Errorf("field %s has no JSON name", f.Name)
					continue
				}
				seen[name] = true
				optional := opts == "omitempty" || opts == "omitzero"
				if err := checkOptionalTag(f.Type, opts); err != nil {
					t.Errorf("field %s: %v", f.Name, err)
				}
				if !optional {
					required = append(required, name)
				}
				p, ok := props[name].(map[string]any)
				if !ok {
					t.Errorf("field %s (%q) is not a schema property", f.Name, name)
					continue
				}
				if err := checkType(f.Type, p, schemas); err != nil {
					t.Errorf("field %s (%q): %v", f.Name, name, err)
				}
			}
			for name := range props {
				if !seen[name] {
					t.Errorf("schema property %q has no Go field", name)
				}
			}
			var schemaRequired []string
			for _, r := range asSlice(s["required"]) {
				schemaRequired = append(schemaRequired, r.(string))
			}
			sort.Strings(required)
			sort.Strings(schemaRequired)
			if !slices.Equal(required, schemaRequired) {
				t.Errorf("required: Go fields without omitempty/omitzero %v, schema %v", required, schemaRequired)
			}
		})
	}
}

// checkOptionalTag rejects tags that do not do what they say: omitempty never omits a struct
// (use omitzero for Data), and omitzero on Decimal would drop a legitimate 0.00.
func checkOptionalTag(t reflect.Type, opts string) error {
	switch {
	case opts != "" && opts != "omitempty" && opts != "omitzero":
		return fmt.Errorf("unexpected JSON options %q", opts)
	case t == reflect.TypeOf(Decimal{}) && opts != "":
		return fmt.Errorf("an optional Decimal must be *Decimal with omitempty")
	case t.Kind() == reflect.Struct && opts == "omitempty":
		return fmt.Errorf("omitempty does not omit a struct; use omitzero or a pointer")
	case opts == "omitzero" && t != reflect.TypeOf(Data{}):
		return fmt.Errorf("omitzero is for Data; use omitempty")
	}
	return nil
}

func refName(p map[string]any) string {
	if r, ok := p["$ref"].(string); ok {
		return strings.TrimPrefix(r, "#/components/schemas/")
	}
	if all := asSlice(p["allOf"]); len(all) == 1 {
		if m, ok := all[0].(map[string]any); ok {
			return refName(m)
		}
	}
	return ""
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func checkType(t reflect.Type, p map[string]any, schemas map[string]map[string]any) error {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ref := refName(p)
	expectRef := func(name string) error {
		if ref != name {
			return fmt.Errorf("want $ref to %s, schema has %v", name, p)
		}
		return nil
	}
	switch {
	case t == reflect.TypeOf(time.Time{}):
		if p["type"] != "string" || p["format"] != "date-time" {
			return fmt.Errorf("time.Time needs type string, format date-time; schema has %v", p)
		}
		return nil
	case t.Kind() == reflect.Struct:
		return expectRef(t.Name())
	case t.Kind() == reflect.Slice:
		items, ok := p["items"].(map[string]any)
		if p["type"] != "array" || !ok {
			return fmt.Errorf("a slice needs type array with items; schema has %v", p)
		}
		if _, ok := p["maxItems"]; !ok {
			return fmt.Errorf("arrays need maxItems")
		}
		return checkType(t.Elem(), items, schemas)
	case t.Kind() == reflect.String && t.Name() != "string":
		if err := expectRef(t.Name()); err != nil {
			return err
		}
		if _, ok := schemas[t.Name()]["enum"]; !ok {
			return fmt.Errorf("schema %s has no enum", t.Name())
		}
		return nil
	case t.Kind() == reflect.String:
		if ref != "" {
			if !slices.Contains(stringSchemas, ref) || schemas[ref]["type"] != "string" {
				return fmt.Errorf("a plain string may reference only a string schema of %v, got %s", stringSchemas, ref)
			}
			return nil
		}
		if p["type"] != "string" || p["enum"] != nil {
			return fmt.Errorf("want type string without enum, schema has %v", p)
		}
		return nil
	case t.Kind() == reflect.Bool:
		if p["type"] != "boolean" {
			return fmt.Errorf("want boolean, schema has %v", p)
		}
		return nil
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		want := []any{"int32", "int64"}
		if t.Kind() == reflect.Int64 {
			want = []any{"int64"}
		}
		if p["type"] != "integer" || !slices.Contains(want, p["format"]) {
			return fmt.Errorf("want integer with format %v, schema has %v", want, p)
		}
		return nil
	}
	return fmt.Errorf("no schema rule for Go type %s", t)
}

// declaredTypes parses the package's non-test files: the exported structs with JSON tags, and the
// string constants of every named type (type name -> values in declaration order).
func declaredTypes(t *testing.T) (structs []string, consts map[string][]string) {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	consts = map[string][]string{}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch s := n.(type) {
			case *ast.TypeSpec:
				if st, ok := s.Type.(*ast.StructType); ok && s.Name.IsExported() && hasJSONTag(st) {
					structs = append(structs, s.Name.Name)
				}
			case *ast.GenDecl:
				if s.Tok != token.CONST {
					return true
				}
				for _, spec := range s.Specs {
					vs := spec.(*ast.ValueSpec)
					id, ok := vs.Type.(*ast.Ident)
					if !ok || len(vs.Values) != 1 {
						continue
					}
					if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						consts[id.Name] = append(consts[id.Name], v)
					}
				}
			}
			return true
		})
	}
	return structs, consts
}

func hasJSONTag(st *ast.StructType) bool {
	for _, f := range st.Fields.List {
		if f.Tag != nil && strings.Contains(f.Tag.Value, `json:"`) {
			return true
		}
	}
	return false
}

// Schema enums, declared Go constants and the values slices agree, in the same order.
func TestEnumsMatch(t *testing.T) {
	schemas := loadSchemas(t)
	_, consts := declaredTypes(t)
	if len(consts) != len(modelEnums) {
		t.Errorf("found string constants of %d types, %d enums registered", len(consts), len(modelEnums))
	}
	for typ := range consts {
		if _, ok := modelEnums[typ]; !ok {
			t.Errorf("string constants of type %s are not a registered enum", typ)
		}
	}
	for typ, values := range modelEnums {
		if !slices.Equal(consts[typ], values) {
			t.Errorf("%s: constants %v, values slice %v", typ, consts[typ], values)
		}
		var schemaEnum []string
		for _, v := range asSlice(schemas[typ]["enum"]) {
			schemaEnum = append(schemaEnum, v.(string))
		}
		if !slices.Equal(schemaEnum, values) {
			t.Errorf("%s: schema enum %v, Go %v", typ, schemaEnum, values)
		}
	}
	// Valid agrees with the slices.
	if !RuoloNonDefinito.Valid() || Ruolo("ZIO").Valid() || Sistema("").Valid() || !VarianteNonSpecificata.Valid() {
		t.Error("Valid")
	}
}

// modelInstances are real values of the model, marshalled and checked against the schema.
func modelInstances() map[string]struct {
	schema string
	value  any
} {
	a := fixtureAttestazione()
	out := map[string]struct {
		schema string
		value  any
	}{
		"attestazione with every variant":      {"AttestazioneISEE", a},
		"persona AIRE with partial birth date": {"Persona", fixturePersonaANPR()},
		"nucleo ANPR with unknown legame":      {"NucleoFamiliare", fixtureNucleoANPR()},
		"prestazione periodica":                {"PrestazioneSociale", fixturePrestazionePeriodica()},
		"prestazione occasionale":              {"PrestazioneSociale", fixturePrestazioneOccasionale()},
		"scheda SINBA":                         {"SchedaSINBA", fixtureSchedaSINBA()},
		"indicatore ICEF":                      {"IndicatoreICEF", fixtureICEF()},
		"selezione minorenne":                  {"SelezioneISEE", fixtureSelezioneMinorenne()},
		"selezione dottorato":                  {"SelezioneISEE", fixtureSelezioneDottorato()},
		"selezione incompleta":                 {"SelezioneISEE", fixtureSelezioneIncompleta()},
	}
	for i, ind := range a.Indicatori {
		out[fmt.Sprintf("indicatore %d %s %s", i, ind.Tipo, ind.Variante)] = struct {
			schema string
			value  any
		}{"IndicatoreISEE", ind}
	}
	return out
}

func TestInstancesValidateAgainstSchema(t *testing.T) {
	v, err := openapi.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	for name, inst := range modelInstances() {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(inst.value)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Validate(inst.schema, b); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			// And back: unmarshalling gives the same value.
			back := reflect.New(reflect.TypeOf(inst.value))
			if err := json.Unmarshal(b, back.Interface()); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(back.Elem().Interface())
			if string(again) != string(b) {
				t.Fatalf("round trip differs:\n%s\n%s", b, again)
			}
		})
	}
}

func TestAttestazioneCoversEveryVariant(t *testing.T) {
	seen := map[VarianteISEE]bool{}
	for _, ind := range fixtureAttestazione().Indicatori {
		seen[ind.Variante] = true
	}
	seen[fixtureSelezioneDottorato().Indicatore.Variante] = true
	for _, v := range varianteISEEValues {
		if !seen[v] {
			t.Errorf("no fixture instance has variante %s", v)
		}
	}
}

func TestProvenienzaIsWrittenInUTC(t *testing.T) {
	p := fixtureProvenienza(SistemaANPR, "C021", "1")
	p.DataOraAcquisizione = time.Date(2025, 2, 12, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	b, _ := json.Marshal(p)
	if !strings.Contains(string(b), `"dataOraAcquisizione":"2025-02-12T09:30:00Z"`) {
		t.Fatalf("got %s", b)
	}
}

// Broken instances must not validate: each mutation breaks one rule of the schema.
func TestBrokenInstancesDoNotValidate(t *testing.T) {
	v, err := openapi.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	base, err := json.Marshal(fixtureSelezioneMinorenne())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		val  any // remove the member when val is deleteMember
	}{
		{"missing required indicatore", "/indicatore", deleteMember},
		{"missing required provenienza.cache", "/provenienza/cache", deleteMember},
		{"unknown property", "/indicatore/valoreISEE", "1.00"},
		{"unknown enum value", "/motivo", "PERCHE_SI"},
		{"lower-case enum value", "/indicatore/tipo", "minorenni"},
		{"decimal as a JSON number", "/indicatore/valori/isee", 12254.9},
		{"decimal not canonical", "/indicatore/valori/isee", "12254.9"},
		{"decimal with comma", "/indicatore/valori/isee", "12254,90"},
		{"date in Italian order", "/attestazione/dataValidita", "31-12-2025"},
		{"month 13", "/attestazione/dataValidita", "2025-13"},
		{"one-digit month", "/attestazione/dataValidita", "2025-2"},
		{"timestamp not RFC 3339", "/provenienza/dataOraAcquisizione", "12/02/2025 10:30"},
		{"null instead of omission", "/attestazione/variazione", nil},
		{"protocollo DSU without suffix", "/protocolloDSU", "INPS-ISEE-2025-00012345A"},
		{"lower-case codice fiscale", "/codiceFiscaleBeneficiario", "rsslcu15c01l378y"},
		{"negative cache age", "/provenienza/etaSecondi", -1},
		{"ISTAT comune with 5 digits", "/attestazione/nucleoFamiliare/componenti/0/persona/luogoNascita", map[string]any{"codiceIstatComune": "58091"}},
		{"string where boolean", "/difforme", "true"},
		{"componenti not an array", "/attestazione/nucleoFamiliare/componenti", map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal(base, &doc); err != nil {
				t.Fatal(err)
			}
			if err := setPath(doc, tc.path, tc.val); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(doc)
			if err := v.Validate("SelezioneISEE", b); err == nil {
				t.Fatalf("validated: %s", b)
			}
		})
	}
	t.Run("the unmutated base validates", func(t *testing.T) {
		if err := v.Validate("SelezioneISEE", base); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct{ name, schema, doc string }{
		{"SINA code out of range", "ValutazioneSINA", `{"mobilita":4,"attivitaVitaQuotidiana":1,"disturbiComportamentali":1,"areaReddituale":1,"areaSupporto":1,"fonteDerivazioneValutazione":1,"strumentoValutazione":1}`},
		{"denominazione too short", "PrestazioneSociale", strings.Replace(mustJSON(fixturePrestazionePeriodica()), "Contributo retta asilo nido", "Nido", 1)},
		{"periodoErogazione 13", "PrestazioneSociale", strings.Replace(mustJSON(fixturePrestazionePeriodica()), `"periodoErogazione":10`, `"periodoErogazione":13`, 1)},
		{"anno ICEF as string", "IndicatoreICEF", strings.Replace(mustJSON(fixtureICEF()), `"anno":2025`, `"anno":"2025"`, 1)},
		{"SINBA without famiglia", "SchedaSINBA", strings.Replace(mustJSON(fixtureSchedaSINBA()), `"famiglia":[1,3]`, `"famiglia":[]`, 1)},
		{"SINBA fonteSegnalazione 15", "SchedaSINBA", strings.Replace(mustJSON(fixtureSchedaSINBA()), `"fonteSegnalazione":2`, `"fonteSegnalazione":15`, 1)},
		{"SINBA idBeneficiario too long", "SchedaSINBA", strings.Replace(mustJSON(fixtureSchedaSINBA()), `"TN-MIN-000042"`, `"TN-MIN-000042-0000000"`, 1)},
		{"SINBA with a codiceFiscale", "SchedaSINBA", strings.Replace(mustJSON(fixtureSchedaSINBA()), `{`, `{"codiceFiscale":"RSSLCU15C01L378Y",`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := v.Validate(tc.schema, []byte(tc.doc)); err == nil {
				t.Fatalf("validated: %s", tc.doc)
			}
		})
	}
}

type deleteMarker struct{}

var deleteMember = deleteMarker{}

// setPath sets (or, with deleteMember, removes) the member at a JSON Pointer in a decoded JSON value.
func setPath(doc any, path string, val any) error {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	cur := doc
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if _, del := val.(deleteMarker); del {
					if _, ok := c[p]; !ok {
						return fmt.Errorf("%s: nothing to delete", path)
					}
					delete(c, p)
				} else {
					c[p] = val
				}
				return nil
			}
			cur = c[p]
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n >= len(c) {
				return fmt.Errorf("%s: bad index %q", path, p)
			}
			if last {
				c[n] = val
				return nil
			}
			cur = c[n]
		default:
			return fmt.Errorf("%s: cannot descend into %T at %q", path, cur, p)
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// The Go constants and the schema agree on the shared patterns.
func TestSchemaPatternsMatchGo(t *testing.T) {
	schemas := loadSchemas(t)
	for name, want := range map[string]string{"Decimal": DecimalPattern, "ProtocolloDSU": ProtocolloDSUPattern} {
		if got := schemas[name]["pattern"]; got != want {
			t.Errorf("%s: schema pattern %v, Go %s", name, got, want)
		}
	}
	if got := schemas["Decimal"]["maxLength"]; got != float64(maxDecimalText) {
		t.Errorf("Decimal maxLength %v, the longest canonical form is %d", got, maxDecimalText)
	}
}
