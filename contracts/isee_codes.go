package contracts

// Mappings from the names and codes of the INPS ISEE schemas (ISEE_Attestazione.xsd v1.4,
// ISEE_TipiComuni.xsd v1.0.4) to the model. A test reads the real XSDs (WGW_SAMPLES_DIR) and checks
// that every element and enumeration value there has a mapping here.

// varianteByElement maps the elements of the XSD choices (inside ComponenteMinorenne,
// StudenteUniversitario, ComponenteSocioSanitarieRes) and the two top-level indicators to variants.
var varianteByElement = map[string]VarianteISEE{
	"ISEEOrdinario":                     VarianteOrdinario,
	"ISEEOrd":                           VarianteOrdinario,
	"ISEEMinAttr":                       VarianteComponenteAttratta,
	"ISEEUniAttr":                       VarianteComponenteAttratta,
	"ISEEMinAgg":                        VarianteComponenteAggiuntiva,
	"ISEEUniAgg":                        VarianteComponenteAggiuntiva,
	"ISEEUniStudAttratto":               VarianteStudenteAttratto,
	"ISEEUniStudAttrattoCompAttratta":   VarianteStudenteAttrattoComponenteAttratta,
	"ISEEUniStudAttrattoCompAggiuntiva": VarianteStudenteAttrattoComponenteAggiuntiva,
	"ISEESocioSanRes":                   VarianteResidenziale,
	"ISEEOrdAgg":                        VarianteOrdinarioComponentiAggiuntive,
	"ISEESocioSanResAgg":                VarianteResidenzialeComponentiAggiuntive,
	"ISEERistretto":                     VarianteRistretto,
	"ISEESocioSanResRistretto":          VarianteResidenzialeRistretto,
	"ISEERistrettoAgg":                  VarianteRistrettoComponentiAggiuntive,
	"ISEESocioSanResRistrettoAgg":       VarianteResidenzialeRistrettoComponentiAggiuntive,
	"ISEENonCalcolabile":                VarianteNonCalcolabile,
}

// VarianteFromElement returns the variant an attestation element stands for: ISEEOrdinario and
// Ridotto/ISEERistretto, or a child of the choice inside ComponenteMinorenne, StudenteUniversitario
// or ComponenteSocioSanitarieRes (where ISEESocioSanRes is the residential variant, not the
// container of the same name under Ordinario). ok is false for any other name.
func VarianteFromElement(name string) (v VarianteISEE, ok bool) {
	v, ok = varianteByElement[name]
	return v, ok
}

// tipoByContainer maps the per-person entries of an attestation to the TipoISEE of their indicator.
var tipoByContainer = map[string]TipoISEE{
	"ComponenteMinorenne":         ISEEMinorenni,
	"StudenteUniversitario":       ISEEUniversitario,
	"ComponenteSocioSanitarieRes": ISEESocioSanitarioResidenziale,
}

// TipoFromContainer returns the TipoISEE of the indicators inside a per-person attestation entry
// (ComponenteMinorenne, StudenteUniversitario, ComponenteSocioSanitarieRes). ok is false otherwise.
func TipoFromContainer(name string) (t TipoISEE, ok bool) {
	t, ok = tipoByContainer[name]
	return t, ok
}

// tipoByTipoIndicatore maps TypeTipoIndicatore (ConsultazioneIndicatore) to TipoISEE.
var tipoByTipoIndicatore = map[string]TipoISEE{
	"Ordinario":      ISEEOrdinario,
	"Minorenne":      ISEEMinorenni,
	"Universitario":  ISEEUniversitario,
	"SocioSanitario": ISEESocioSanitario,
	"Dottorato":      ISEEDottorato,
	"Residenziale":   ISEESocioSanitarioResidenziale,
}

// TipoFromTipoIndicatore maps INPS TipoIndicatore (Ordinario, Minorenne, Universitario,
// SocioSanitario, Dottorato, Residenziale) to a TipoISEE. ok is false for other values.
func TipoFromTipoIndicatore(s string) (t TipoISEE, ok bool) {
	t, ok = tipoByTipoIndicatore[s]
	return t, ok
}

// TipoIndicatore returns the INPS TipoIndicatore to ask ConsultazioneIndicatore for t, or "" for an
// invalid t.
func (t TipoISEE) TipoIndicatore() string {
	for k, v := range tipoByTipoIndicatore {
		if v == t {
			return k
		}
	}
	return ""
}

var tipoDifformitaByCode = map[string]TipoDifformita{
	"PatrimoniMobiliari":            DifformitaPatrimoniMobiliari,
	"RedditiScostamento":            DifformitaRedditiScostamento,
	"PatrimoniMobiliariSottoSoglia": DifformitaPatrimoniMobiliariSottoSoglia,
	"PatrimoniMobiliariSopraSoglia": DifformitaPatrimoniMobiliariSopraSoglia,
}

// TipoDifformitaFromCode maps OmissioneDifformita@TipoOmissioneDifformita. ok is false for unknown values.
func TipoDifformitaFromCode(s string) (t TipoDifformita, ok bool) {
	t, ok = tipoDifformitaByCode[s]
	return t, ok
}

var tipoVariazioneByCode = map[string]TipoVariazione{
	"Contestazione": VariazioneContestazione,
	"Ricalcolo":     VariazioneRicalcolo,
	"Integrazione":  VariazioneIntegrazione,
}

// TipoVariazioneFromCode maps Variazione@TipoVariazione. ok is false for unknown values.
func TipoVariazioneFromCode(s string) (t TipoVariazione, ok bool) {
	t, ok = tipoVariazioneByCode[s]
	return t, ok
}

var modelloAEByCode = map[string]ModelloAE{"1": Modello730, "2": ModelloUnico, "3": ModelloCU}

// ModelloAEFromCode maps RedditoAE@TipoModelloAE (1 730, 2 Unico, 3 CU); other codes give
// ModelloNonDefinito and an empty code gives "".
func ModelloAEFromCode(code string) ModelloAE {
	if code == "" {
		return ""
	}
	if m, ok := modelloAEByCode[trimCode(code)]; ok {
		return m
	}
	return ModelloNonDefinito
}
