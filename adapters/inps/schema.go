package inps

import "github.com/welfaregov/gateway/contracts"

// The structure of ISEE_Attestazione.xsd v1.4 that translation (and the pasim simulator, which
// renders the same format) must know element by element. Names are copied from the XSD with its
// misspellings: ComponenteAgguntiva (everywhere but ISEEUniStudAttrattoCompAggiuntiva, which spells
// ComponenteAggiuntiva correctly), ModalitaCalcoloISEEMinAggr, ModalitaCalcoloIISEESocioSanResAgg,
// ModalitaCalcoloISEEUniStudAtt. TestSchemaMatchesXSD checks every name against the real schema.

// Modalità di calcolo of the two indicators that are not inside a choice.
const (
	ModalitaCalcoloOrdinario = "ModalitaCalcoloISEEOrdinario" // Ordinario/ISEEOrdinario
	ModalitaCalcoloRistretto = "ModalitaCalcoloISEERistretto" // Ridotto/ISEERistretto
)

// Rinvio says that a choice element carries no values of its own but stands for another indicator.
type Rinvio uint8

const (
	// RinvioNessuno: the element has its own Valori (or is ISEENonCalcolabile).
	RinvioNessuno Rinvio = iota
	// RinvioOrdinario: ISEEOrd, "same as the ordinario" (Ordinario/ISEEOrdinario).
	RinvioOrdinario
	// RinvioRistretto: ISEERistretto inside ISEESocioSanResRistretto, "same as the Ridotto's ISEERistretto".
	RinvioRistretto
)

// SchemaVariante is one element of the xs:choice inside a per-beneficiary entry.
type SchemaVariante struct {
	// Elemento is the XSD element name ("ISEEMinAgg").
	Elemento string
	Variante contracts.VarianteISEE
	// Componente is the child holding the componenti attratte or aggiuntive ("ComponenteAttratta",
	// "ComponenteAgguntiva", "ComponenteAggiuntiva"), "" when there is none; MoltiComponenti when the
	// XSD allows more than one (maxOccurs unbounded).
	Componente      string
	TipoComponente  contracts.TipoComponenteAggiuntiva
	MoltiComponenti bool
	// NucleoAttratto: the element starts with NucleoFamiliareAttratto/ElementoNucleoAttratto*.
	NucleoAttratto bool
	// ModalitaCalcolo is the breakdown's element name, "" for elements without values.
	ModalitaCalcolo string
	Rinvio          Rinvio
}

// HasValori reports whether the element carries Valori and a ModalitaCalcolo of its own.
func (v SchemaVariante) HasValori() bool { return v.ModalitaCalcolo != "" }

// Contenitore is a per-beneficiary entry whose indicator is an xs:choice.
type Contenitore uint8

const (
	// ContenitoreMinorenne is Ordinario/ISEEMin/ComponenteMinorenne.
	ContenitoreMinorenne Contenitore = iota + 1
	// ContenitoreUniversitario is Ordinario/ISEEUni/StudenteUniversitario.
	ContenitoreUniversitario
	// ContenitoreSocioSanRes is Ordinario/ISEESocioSanRes/ComponenteSocioSanitarieRes.
	ContenitoreSocioSanRes
	// ContenitoreSocioSanResRistretto is Ridotto/ISEESocioSanResRistretto/ComponenteSocioSanitarieRes
	// (exactly one per Ridotto).
	ContenitoreSocioSanResRistretto
)

type contenitoreSchema struct {
	lista, voce string // the list element and the per-person element
	tipo        contracts.TipoISEE
	varianti    []SchemaVariante
}

var (
	nonCalcolabile = SchemaVariante{Elemento: "ISEENonCalcolabile", Variante: contracts.VarianteNonCalcolabile}
	ordRinvio      = SchemaVariante{Elemento: "ISEEOrd", Variante: contracts.VarianteOrdinario, Rinvio: RinvioOrdinario}
	attratta       = contracts.ComponenteTipoAttratta
	aggiuntiva     = contracts.ComponenteTipoAggiuntiva
)

var contenitori = map[Contenitore]contenitoreSchema{
	ContenitoreMinorenne: {"ISEEMin", "ComponenteMinorenne", contracts.ISEEMinorenni, []SchemaVariante{
		ordRinvio,
		{Elemento: "ISEEMinAttr", Variante: contracts.VarianteComponenteAttratta, Componente: "ComponenteAttratta", TipoComponente: attratta, ModalitaCalcolo: "ModalitaCalcoloISEEMinAttr"},
		{Elemento: "ISEEMinAgg", Variante: contracts.VarianteComponenteAggiuntiva, Componente: "ComponenteAgguntiva", TipoComponente: aggiuntiva, ModalitaCalcolo: "ModalitaCalcoloISEEMinAggr"},
		nonCalcolabile,
	}},
	ContenitoreUniversitario: {"ISEEUni", "StudenteUniversitario", contracts.ISEEUniversitario, []SchemaVariante{
		ordRinvio,
		{Elemento: "ISEEUniAttr", Variante: contracts.VarianteComponenteAttratta, Componente: "ComponenteAttratta", TipoComponente: attratta, ModalitaCalcolo: "ModalitaCalcoloISEEUniAttr"},
		{Elemento: "ISEEUniAgg", Variante: contracts.VarianteComponenteAggiuntiva, Componente: "ComponenteAgguntiva", TipoComponente: aggiuntiva, ModalitaCalcolo: "ModalitaCalcoloISEEUniAgg"},
		{Elemento: "ISEEUniStudAttratto", Variante: contracts.VarianteStudenteAttratto, NucleoAttratto: true, ModalitaCalcolo: "ModalitaCalcoloISEEUniStudAtt"},
		{Elemento: "ISEEUniStudAttrattoCompAttratta", Variante: contracts.VarianteStudenteAttrattoComponenteAttratta, NucleoAttratto: true,
			Componente: "ComponenteAttratta", TipoComponente: attratta, ModalitaCalcolo: "ModalitaCalcoloISEEUniStudAttrattoCompAttratta"},
		{Elemento: "ISEEUniStudAttrattoCompAggiuntiva", Variante: contracts.VarianteStudenteAttrattoComponenteAggiuntiva, NucleoAttratto: true,
			Componente: "ComponenteAggiuntiva", TipoComponente: aggiuntiva, ModalitaCalcolo: "ModalitaCalcoloISEEUniStudAttrattoCompAggiuntiva"},
		nonCalcolabile,
	}},
	ContenitoreSocioSanRes: {"ISEESocioSanRes", "ComponenteSocioSanitarieRes", contracts.ISEESocioSanitarioResidenziale, []SchemaVariante{
		ordRinvio,
		{Elemento: "ISEESocioSanRes", Variante: contracts.VarianteResidenziale, ModalitaCalcolo: "ModalitaCalcoloISEESocioSanResRes"},
		{Elemento: "ISEEOrdAgg", Variante: contracts.VarianteOrdinarioComponentiAggiuntive, Componente: "ComponenteAgguntiva", TipoComponente: aggiuntiva, MoltiComponenti: true, ModalitaCalcolo: "ModalitaCalcoloISEEOrdAgg"},
		{Elemento: "ISEESocioSanResAgg", Variante: contracts.VarianteResidenzialeComponentiAggiuntive, Componente: "ComponenteAgguntiva", TipoComponente: aggiuntiva, MoltiComponenti: true, ModalitaCalcolo: "ModalitaCalcoloIISEESocioSanResAgg"},
		nonCalcolabile,
	}},
	ContenitoreSocioSanResRistretto: {"ISEESocioSanResRistretto", "ComponenteSocioSanitarieRes", contracts.ISEESocioSanitarioResidenziale, []SchemaVariante{
		{Elemento: "ISEERistretto", Variante: contracts.VarianteRistretto, Rinvio: RinvioRistretto},
		{Elemento: "ISEESocioSanResRistretto", Variante: contracts.VarianteResidenzialeRistretto, ModalitaCalcolo: "ModalitaCalcoloISEESocioSanResRistretto"},
		{Elemento: "ISEERistrettoAgg", Variante: contracts.VarianteRistrettoComponentiAggiuntive, Componente: "ComponenteAgguntiva", TipoComponente: aggiuntiva, MoltiComponenti: true, ModalitaCalcolo: "ModalitaCalcoloISEERistrettoAgg"},
		{Elemento: "ISEESocioSanResRistrettoAgg", Variante: contracts.VarianteResidenzialeRistrettoComponentiAggiuntive, Componente: "ComponenteAgguntiva", TipoComponente: aggiuntiva, MoltiComponenti: true, ModalitaCalcolo: "ModalitaCalcoloISEESocioSanResRistrettoAgg"},
		nonCalcolabile,
	}},
}

// Lista is the list element under Ordinario or Ridotto (ISEEMin, ISEEUni, ISEESocioSanRes,
// ISEESocioSanResRistretto).
func (c Contenitore) Lista() string { return contenitori[c].lista }

// Voce is the per-person element (ComponenteMinorenne, StudenteUniversitario, ComponenteSocioSanitarieRes).
func (c Contenitore) Voce() string { return contenitori[c].voce }

// Tipo is the TipoISEE of the indicators inside c.
func (c Contenitore) Tipo() contracts.TipoISEE { return contenitori[c].tipo }

// Varianti returns the choice's elements in the XSD's order (a fresh slice).
func (c Contenitore) Varianti() []SchemaVariante {
	return append([]SchemaVariante(nil), contenitori[c].varianti...)
}

// Variante returns the choice element named elemento inside c.
func (c Contenitore) Variante(elemento string) (SchemaVariante, bool) {
	for _, v := range contenitori[c].varianti {
		if v.Elemento == elemento {
			return v, true
		}
	}
	return SchemaVariante{}, false
}

// Contenitori lists the four per-beneficiary entries.
func Contenitori() []Contenitore {
	return []Contenitore{ContenitoreMinorenne, ContenitoreUniversitario, ContenitoreSocioSanRes, ContenitoreSocioSanResRistretto}
}
