package contracts

import "slices"

// AttestazioneISEE is an INPS ISEE attestation (ISEE_Attestazione.xsd v1.4, decoded from
// ConsultazioneAttestazione's XmlEsitoAttestazione), with every indicator it carries flattened into
// Indicatori: one entry per (tipo, beneficiary).
type AttestazioneISEE struct {
	// ProtocolloDSU is Attestazione@NumeroProtocolloDSU, pattern ProtocolloDSUPattern.
	ProtocolloDSU string `json:"protocolloDSU"`
	// ProtocolloMittente is the CAF's own protocol (at most 29 characters).
	ProtocolloMittente       string `json:"protocolloMittente,omitempty"`
	CodiceFiscaleDichiarante string `json:"codiceFiscaleDichiarante"`
	DataPresentazione        Data   `json:"dataPresentazione"`
	// DataValidita is the last day the attestation is valid ("valida fino al").
	DataValidita Data `json:"dataValidita"`
	// DataScadenzaDSUCorrente is the end of validity of an ISEE corrente.
	DataScadenzaDSUCorrente Data `json:"dataScadenzaDSUCorrente,omitzero"`
	// NucleoFamiliare is the DSU household (Ordinario/NucleoFamiliare, Origine ISEE_ORDINARIO);
	// absent when the attestation has only restricted households.
	NucleoFamiliare *NucleoFamiliare `json:"nucleoFamiliare,omitempty"`
	// NucleiRistretti are the restricted households of socio-sanitary ISEE (one per Ridotto,
	// Origine ISEE_RISTRETTO, CodiceFiscaleBeneficiario set).
	NucleiRistretti []NucleoFamiliare `json:"nucleiRistretti,omitempty"`
	Indicatori      []IndicatoreISEE  `json:"indicatori"`
	// Difformita are the omissions and discrepancies the Agenzia delle Entrate found
	// (OmissioneDifformita); any entry makes the attestation "difforme".
	Difformita  []Difformita `json:"difformita,omitempty"`
	Variazione  *Variazione  `json:"variazione,omitempty"`
	Provenienza Provenienza  `json:"provenienza"`
}

// Difforme reports whether the Agenzia delle Entrate found omissions or discrepancies.
func (a AttestazioneISEE) Difforme() bool { return len(a.Difformita) > 0 }

// TipoISEE is the kind of ISEE (DPCM 159/2013): which household and rules it is computed on.
type TipoISEE string

const (
	// ISEEOrdinario is the standard ISEE (Ordinario/ISEEOrdinario).
	ISEEOrdinario TipoISEE = "ORDINARIO"
	// ISEEMinorenni is the ISEE for benefits to a minor (Ordinario/ISEEMin/ComponenteMinorenne).
	ISEEMinorenni TipoISEE = "MINORENNI"
	// ISEEUniversitario is the ISEE for university benefits (Ordinario/ISEEUni/StudenteUniversitario).
	ISEEUniversitario TipoISEE = "UNIVERSITARIO"
	// ISEESocioSanitario is the socio-sanitary ISEE on the restricted household (Ridotto/ISEERistretto).
	ISEESocioSanitario TipoISEE = "SOCIOSANITARIO"
	// ISEESocioSanitarioResidenziale is the ISEE for residential care, on the DSU household
	// (Ordinario/ISEESocioSanRes) or the restricted one (Ridotto/ISEESocioSanResRistretto).
	ISEESocioSanitarioResidenziale TipoISEE = "SOCIOSANITARIO_RESIDENZIALE"
	// ISEEDottorato is the ISEE for doctoral scholarships; INPS returns it only through
	// ConsultazioneIndicatore (TipoIndicatore=Dottorato).
	ISEEDottorato TipoISEE = "DOTTORATO"
)

var tipoISEEValues = []TipoISEE{
	ISEEOrdinario, ISEEMinorenni, ISEEUniversitario, ISEESocioSanitario, ISEESocioSanitarioResidenziale, ISEEDottorato,
}

// Valid reports whether t is one of the declared constants.
func (t TipoISEE) Valid() bool { return isOneOf(t, tipoISEEValues) }

// VarianteISEE is how INPS computed an indicator of a given TipoISEE: the element of the XSD choice
// it came from. Each constant names its XSD elements; TipoISEE.Varianti lists which belong to which tipo.
type VarianteISEE string

const (
	// VarianteOrdinario: computed on the DSU household as the ordinario is. ISEEOrdinario itself,
	// and ISEEOrd inside ComponenteMinorenne, StudenteUniversitario, ComponenteSocioSanitarieRes
	// (the indicator's values are the ordinario's).
	VarianteOrdinario VarianteISEE = "ORDINARIO"
	// VarianteComponenteAttratta: ISEEMinAttr, ISEEUniAttr (a non-cohabiting parent is attracted).
	VarianteComponenteAttratta VarianteISEE = "COMPONENTE_ATTRATTA"
	// VarianteComponenteAggiuntiva: ISEEMinAgg, ISEEUniAgg (a non-cohabiting parent adds a
	// componente aggiuntiva).
	VarianteComponenteAggiuntiva VarianteISEE = "COMPONENTE_AGGIUNTIVA"
	// VarianteStudenteAttratto: ISEEUniStudAttratto (the student is attracted into a parent's household).
	VarianteStudenteAttratto VarianteISEE = "STUDENTE_ATTRATTO"
	// VarianteStudenteAttrattoComponenteAttratta: ISEEUniStudAttrattoCompAttratta.
	VarianteStudenteAttrattoComponenteAttratta VarianteISEE = "STUDENTE_ATTRATTO_COMPONENTE_ATTRATTA"
	// VarianteStudenteAttrattoComponenteAggiuntiva: ISEEUniStudAttrattoCompAggiuntiva.
	VarianteStudenteAttrattoComponenteAggiuntiva VarianteISEE = "STUDENTE_ATTRATTO_COMPONENTE_AGGIUNTIVA"
	// VarianteResidenziale: ISEESocioSanRes inside ComponenteSocioSanitarieRes (case 8).
	VarianteResidenziale VarianteISEE = "RESIDENZIALE"
	// VarianteOrdinarioComponentiAggiuntive: ISEEOrdAgg (case 10).
	VarianteOrdinarioComponentiAggiuntive VarianteISEE = "ORDINARIO_COMPONENTI_AGGIUNTIVE"
	// VarianteResidenzialeComponentiAggiuntive: ISEESocioSanResAgg (case 12).
	VarianteResidenzialeComponentiAggiuntive VarianteISEE = "RESIDENZIALE_COMPONENTI_AGGIUNTIVE"
	// VarianteRistretto: Ridotto/ISEERistretto, and ISEERistretto inside
	// ISEESocioSanResRistretto/ComponenteSocioSanitarieRes (case 7: the values are the ristretto's).
	VarianteRistretto VarianteISEE = "RISTRETTO"
	// VarianteResidenzialeRistretto: ISEESocioSanResRistretto (case 9).
	VarianteResidenzialeRistretto VarianteISEE = "RESIDENZIALE_RISTRETTO"
	// VarianteRistrettoComponentiAggiuntive: ISEERistrettoAgg (case 11).
	VarianteRistrettoComponentiAggiuntive VarianteISEE = "RISTRETTO_COMPONENTI_AGGIUNTIVE"
	// VarianteResidenzialeRistrettoComponentiAggiuntive: ISEESocioSanResRistrettoAgg (case 13).
	VarianteResidenzialeRistrettoComponentiAggiuntive VarianteISEE = "RESIDENZIALE_RISTRETTO_COMPONENTI_AGGIUNTIVE"
	// VarianteNonCalcolabile: ISEENonCalcolabile (case 14 for residential): INPS could not compute
	// this indicator. Its Stato is NON_CALCOLABILE and it has no Valori.
	VarianteNonCalcolabile VarianteISEE = "NON_CALCOLABILE"
	// VarianteNonSpecificata: the indicator came from ConsultazioneIndicatore, which returns values
	// without saying how they were computed.
	VarianteNonSpecificata VarianteISEE = "NON_SPECIFICATA"
)

var varianteISEEValues = []VarianteISEE{
	VarianteOrdinario, VarianteComponenteAttratta, VarianteComponenteAggiuntiva, VarianteStudenteAttratto,
	VarianteStudenteAttrattoComponenteAttratta, VarianteStudenteAttrattoComponenteAggiuntiva,
	VarianteResidenziale, VarianteOrdinarioComponentiAggiuntive, VarianteResidenzialeComponentiAggiuntive,
	VarianteRistretto, VarianteResidenzialeRistretto, VarianteRistrettoComponentiAggiuntive,
	VarianteResidenzialeRistrettoComponentiAggiuntive, VarianteNonCalcolabile, VarianteNonSpecificata,
}

// Valid reports whether v is one of the declared constants.
func (v VarianteISEE) Valid() bool { return isOneOf(v, varianteISEEValues) }

// variantiPerTipo lists the variants an indicator of each TipoISEE may have, following the XSD
// choices (ISEE_Attestazione.xsd v1.4); a test checks it against the real XSD.
var variantiPerTipo = map[TipoISEE][]VarianteISEE{
	ISEEOrdinario: {VarianteOrdinario, VarianteNonSpecificata},
	ISEEMinorenni: {VarianteOrdinario, VarianteComponenteAttratta, VarianteComponenteAggiuntiva,
		VarianteNonCalcolabile, VarianteNonSpecificata},
	ISEEUniversitario: {VarianteOrdinario, VarianteComponenteAttratta, VarianteComponenteAggiuntiva,
		VarianteStudenteAttratto, VarianteStudenteAttrattoComponenteAttratta,
		VarianteStudenteAttrattoComponenteAggiuntiva, VarianteNonCalcolabile, VarianteNonSpecificata},
	ISEESocioSanitario: {VarianteRistretto, VarianteNonSpecificata},
	ISEESocioSanitarioResidenziale: {VarianteOrdinario, VarianteResidenziale,
		VarianteOrdinarioComponentiAggiuntive, VarianteResidenzialeComponentiAggiuntive,
		VarianteRistretto, VarianteResidenzialeRistretto, VarianteRistrettoComponentiAggiuntive,
		VarianteResidenzialeRistrettoComponentiAggiuntive, VarianteNonCalcolabile, VarianteNonSpecificata},
	ISEEDottorato: {VarianteNonSpecificata},
}

// Varianti returns the variants an indicator of tipo t may have (a fresh slice; nil for an invalid t).
func (t TipoISEE) Varianti() []VarianteISEE { return slices.Clone(variantiPerTipo[t]) }

// StatoIndicatore says whether INPS could compute an indicator. "Non calcolabile" is a state of
// its own, never a zero value.
type StatoIndicatore string

const (
	IndicatoreCalcolato      StatoIndicatore = "CALCOLATO"
	IndicatoreNonCalcolabile StatoIndicatore = "NON_CALCOLABILE"
)

var statoIndicatoreValues = []StatoIndicatore{IndicatoreCalcolato, IndicatoreNonCalcolabile}

// Valid reports whether s is one of the declared constants.
func (s StatoIndicatore) Valid() bool { return isOneOf(s, statoIndicatoreValues) }

// IndicatoreISEE is one ISEE indicator: its kind, how it was computed, for whom, and its values.
type IndicatoreISEE struct {
	Tipo     TipoISEE        `json:"tipo"`
	Variante VarianteISEE    `json:"variante"`
	Stato    StatoIndicatore `json:"stato"`
	// CodiceFiscaleBeneficiario is the minor, student or assisted person the indicator is for
	// (required for MINORENNI, UNIVERSITARIO, SOCIOSANITARIO and SOCIOSANITARIO_RESIDENZIALE, also
	// when the indicator comes from ConsultazioneIndicatore: use the requested codice fiscale);
	// empty for the ordinario, which is the whole household's.
	CodiceFiscaleBeneficiario string `json:"codiceFiscaleBeneficiario,omitempty"`
	// Corrente is true for an ISEE corrente (Corrente="SI" on Ordinario or Ridotto).
	Corrente bool `json:"corrente,omitempty"`
	// ProtocolloDSUModuloSostitutivo and DataPresentazioneModuloSostitutivo identify the modulo
	// sostitutivo of an ISEE corrente.
	ProtocolloDSUModuloSostitutivo     string `json:"protocolloDSUModuloSostitutivo,omitempty"`
	DataPresentazioneModuloSostitutivo Data   `json:"dataPresentazioneModuloSostitutivo,omitzero"`
	DataRilascio                       Data   `json:"dataRilascio,omitzero"`
	// Valori are present when Stato is CALCOLATO.
	Valori *ValoriISEE `json:"valori,omitempty"`
	// ModalitaCalcolo is the calculation breakdown, when INPS gives it.
	ModalitaCalcolo *ModalitaCalcolo `json:"modalitaCalcolo,omitempty"`
	// ComponentiAggiuntive are the attracted or additional components the variant adds.
	ComponentiAggiuntive []ComponenteAggiuntiva `json:"componentiAggiuntive,omitempty"`
	// NucleoAttratto is the household a university student is attracted into
	// (NucleoFamiliareAttratto, Origine ISEE_ATTRATTO).
	NucleoAttratto *NucleoFamiliare `json:"nucleoAttratto,omitempty"`
}

// ValoriISEE are the values of an indicator (TypeValori): all decimals with two fraction digits.
type ValoriISEE struct {
	// ISEE = ISE / ScalaEquivalenza.
	ISEE Decimal `json:"isee"`
	// ISE = ISR + 0.2 × ISP.
	ISE              Decimal `json:"ise"`
	ISR              Decimal `json:"isr"`
	ISP              Decimal `json:"isp"`
	ScalaEquivalenza Decimal `json:"scalaEquivalenza"`
}

// ModalitaCalcolo is the calculation breakdown of an indicator (TypeModalitaCalcolo).
type ModalitaCalcolo struct {
	SommaRedditiComponenti Decimal `json:"sommaRedditiComponenti"`
	// SommaRedditiComponentiCorrente is the income sum of an ISEE corrente.
	SommaRedditiComponentiCorrente       *Decimal `json:"sommaRedditiComponentiCorrente,omitempty"`
	RedditoFigurativoPatrimonioMobiliare Decimal  `json:"redditoFigurativoPatrimonioMobiliare"`
	Detrazioni                           Decimal  `json:"detrazioni"`
	ISR                                  Decimal  `json:"isr"`
	PatrimonioMobiliare                  Decimal  `json:"patrimonioMobiliare"`
	DetrazionePatrimonioMobiliare        Decimal  `json:"detrazionePatrimonioMobiliare"`
	PatrimonioImmobiliare                Decimal  `json:"patrimonioImmobiliare"`
	DetrazionePatrimonioImmobiliare      Decimal  `json:"detrazionePatrimonioImmobiliare"`
	ISP                                  Decimal  `json:"isp"`
	ISE                                  Decimal  `json:"ise"`
	// ScalaEquivalenza = ParametroNucleo + Maggiorazioni.
	ParametroNucleo  Decimal `json:"parametroNucleo"`
	Maggiorazioni    Decimal `json:"maggiorazioni"`
	ScalaEquivalenza Decimal `json:"scalaEquivalenza"`
}

// TipoComponenteAggiuntiva tells an attracted component from an additional one.
type TipoComponenteAggiuntiva string

const (
	// ComponenteTipoAttratta: the parent is counted inside the household (ComponenteAttratta).
	ComponenteTipoAttratta TipoComponenteAggiuntiva = "ATTRATTA"
	// ComponenteTipoAggiuntiva: the parent adds a quota computed on their own situation
	// (ComponenteAgguntiva / ComponenteAggiuntiva).
	ComponenteTipoAggiuntiva TipoComponenteAggiuntiva = "AGGIUNTIVA"
)

var tipoComponenteAggiuntivaValues = []TipoComponenteAggiuntiva{ComponenteTipoAttratta, ComponenteTipoAggiuntiva}

// Valid reports whether t is one of the declared constants.
func (t TipoComponenteAggiuntiva) Valid() bool { return isOneOf(t, tipoComponenteAggiuntivaValues) }

// ComponenteAggiuntiva is an attracted or additional component (TypeCompAggiuntiva /
// ComponenteAttrattaAggiuntiva).
type ComponenteAggiuntiva struct {
	Tipo          TipoComponenteAggiuntiva `json:"tipo"`
	Cognome       string                   `json:"cognome"`
	Nome          string                   `json:"nome"`
	CodiceFiscale string                   `json:"codiceFiscale"`
	// ProtocolloDSURiferimento is the DSU the component is referred to.
	ProtocolloDSURiferimento string `json:"protocolloDSURiferimento,omitempty"`
	// Valore is ValoreComponenteAggiuntiva.
	Valore *Decimal `json:"valore,omitempty"`
	// ProtocolloDSU and ProtocolloMittente are the component's own DSU protocols.
	ProtocolloDSU      string `json:"protocolloDSU,omitempty"`
	ProtocolloMittente string `json:"protocolloMittente,omitempty"`
}

// TipoDifformita is the kind of omission or discrepancy (OmissioneDifformita@TipoOmissioneDifformita).
type TipoDifformita string

const (
	DifformitaPatrimoniMobiliari            TipoDifformita = "PATRIMONI_MOBILIARI"
	DifformitaRedditiScostamento            TipoDifformita = "REDDITI_SCOSTAMENTO"
	DifformitaPatrimoniMobiliariSottoSoglia TipoDifformita = "PATRIMONI_MOBILIARI_SOTTO_SOGLIA"
	DifformitaPatrimoniMobiliariSopraSoglia TipoDifformita = "PATRIMONI_MOBILIARI_SOPRA_SOGLIA"
)

var tipoDifformitaValues = []TipoDifformita{
	DifformitaPatrimoniMobiliari, DifformitaRedditiScostamento,
	DifformitaPatrimoniMobiliariSottoSoglia, DifformitaPatrimoniMobiliariSopraSoglia,
}

// Valid reports whether t is one of the declared constants.
func (t TipoDifformita) Valid() bool { return isOneOf(t, tipoDifformitaValues) }

// Difformita is one OmissioneDifformita: what the Agenzia delle Entrate found for a member.
type Difformita struct {
	Tipo            TipoDifformita `json:"tipo"`
	CodiceFiscale   string         `json:"codiceFiscale"`
	DataControlloAE Data           `json:"dataControlloAE"`
	// Rapporti are the financial accounts omitted or declared differently.
	Rapporti []RapportoFinanziario `json:"rapporti,omitempty"`
	// RedditoAE is the income as the Agenzia delle Entrate knows it.
	RedditoAE *RedditoAE `json:"redditoAE,omitempty"`
}

// RapportoFinanziario is a financial account (OmissioneDifformita/Rapporto).
type RapportoFinanziario struct {
	Sezione string `json:"sezione,omitempty"`
	// TipoRapporto is the account kind: 01 conto corrente, 02 deposito titoli, 03 deposito a
	// risparmio, 04 fiduciario, 05 gestione collettiva, 06 gestione patrimoniale, 07 certificati e
	// buoni fruttiferi, 09 conto terzi, 23 prodotti assicurativi, 99 altro.
	TipoRapporto           string `json:"tipoRapporto,omitempty"`
	Identificativo         string `json:"identificativo,omitempty"`
	CodiceFiscaleOperatore string `json:"codiceFiscaleOperatore"`
	DescrizioneOperatore   string `json:"descrizioneOperatore,omitempty"`
	// Saldo3112, ConsistenzaMedia and Valore are whole euros in the XSD (xs:unsignedInt).
	Saldo3112        *Decimal `json:"saldo3112,omitempty"`
	ConsistenzaMedia *Decimal `json:"consistenzaMedia,omitempty"`
	Valore           *Decimal `json:"valore,omitempty"`
	DataInizio       Data     `json:"dataInizio,omitzero"`
	DataFine         Data     `json:"dataFine,omitzero"`
}

// ModelloAE is the tax form the Agenzia delle Entrate's income figures come from.
type ModelloAE string

const (
	Modello730         ModelloAE = "MODELLO_730"          // TipoModelloAE 1
	ModelloUnico       ModelloAE = "MODELLO_UNICO"        // TipoModelloAE 2
	ModelloCU          ModelloAE = "CERTIFICAZIONE_UNICA" // TipoModelloAE 3
	ModelloNonDefinito ModelloAE = "NON_DEFINITO"         // any other code
)

var modelloAEValues = []ModelloAE{Modello730, ModelloUnico, ModelloCU, ModelloNonDefinito}

// Valid reports whether m is one of the declared constants.
func (m ModelloAE) Valid() bool { return isOneOf(m, modelloAEValues) }

// RedditoAE is the income of a member as the Agenzia delle Entrate knows it.
type RedditoAE struct {
	Modello                   ModelloAE `json:"modello,omitempty"`
	RedditoComplessivoIRPEF   *Decimal  `json:"redditoComplessivoIRPEF,omitempty"`
	RedditoLavoroDipendente   *Decimal  `json:"redditoLavoroDipendente,omitempty"`
	RedditoPensione           *Decimal  `json:"redditoPensione,omitempty"`
	RedditoAgrario            *Decimal  `json:"redditoAgrario,omitempty"`
	RedditiImpostaSostitutiva *Decimal  `json:"redditiImpostaSostitutiva,omitempty"`
}

// TipoVariazione is the kind of change an attestation records.
type TipoVariazione string

const (
	VariazioneContestazione TipoVariazione = "CONTESTAZIONE"
	VariazioneRicalcolo     TipoVariazione = "RICALCOLO"
	VariazioneIntegrazione  TipoVariazione = "INTEGRAZIONE"
)

var tipoVariazioneValues = []TipoVariazione{VariazioneContestazione, VariazioneRicalcolo, VariazioneIntegrazione}

// Valid reports whether t is one of the declared constants.
func (t TipoVariazione) Valid() bool { return isOneOf(t, tipoVariazioneValues) }

// Variazione says this attestation changes an earlier DSU (Attestazione/Variazione).
type Variazione struct {
	Tipo                         TipoVariazione             `json:"tipo"`
	ProtocolloDSUVariata         string                     `json:"protocolloDSUVariata"`
	DataPresentazioneDSUVariata  Data                       `json:"dataPresentazioneDSUVariata"`
	ProtocolloMittenteDSUVariata string                     `json:"protocolloMittenteDSUVariata,omitempty"`
	Note                         string                     `json:"note,omitempty"`
	Discordanze                  []DiscordanzaContestazione `json:"discordanze,omitempty"`
}

// DiscordanzaContestazione is one contested item (DiscordanzeContestazione).
type DiscordanzaContestazione struct {
	CodiceFiscale string `json:"codiceFiscale"`
	Tipologia     string `json:"tipologia"`
	Specifica     string `json:"specifica"`
}
