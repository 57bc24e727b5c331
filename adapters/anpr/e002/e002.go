// Package e002 is the wire format of ANPR's "E002" REST e-services on PDND (C015, C018, C019, C020,
// C021, C030 ...): the request RichiestaE002, the answers RispostaE002OK and RispostaKO, and the
// GovWay problem that ANPR's GovWay front end returns when it refuses a request. Type and field names
// follow the OpenAPI component schemas ANPR publishes (TipoDatiSoggettiEnte, TipoResidenza ...), so a
// reader can put this file next to the spec.
//
// Both sides of the format use these types: the gateway's adapter (adapters/anpr) decodes them and
// the pasim simulator (cmd/pasim/sim/anpr) encodes them. A test validates what each side produces or
// accepts against the real OpenAPI files, so a misspelt tag here cannot hide behind the round trip.
//
// Every field is a string, as in the spec (codes such as "1" or "S" included). Optional objects are
// pointers or omitzero values so that encoding leaves absent blocks out. Decoding tolerates unknown
// members (ANPR adds fields between versions). Members that the trimmed public specs lack but that
// ANPR's own data model (tipoDato.xsd) and client code show in the answers (cittadinanza,
// statoCivile, famigliaConvivenza, attoEvento) are declared here too; see the adapter's README.
package e002

import (
	"bytes"
	"encoding/json"
	"errors"
)

// RichiestaE002 is the request body of POST …/anpr-service-e002.
type RichiestaE002 struct {
	// IDOperazioneClient identifies the operation for the client; ANPR wants it unique and
	// alphanumeric.
	IDOperazioneClient string                 `json:"idOperazioneClient"`
	CriteriRicerca     TipoCriteriRicercaE002 `json:"criteriRicerca"`
	DatiRichiesta      TipoDatiRichiestaE002  `json:"datiRichiesta"`
}

// TipoCriteriRicercaE002 selects the subject: by codiceFiscale, by idANPR, or by personal data.
type TipoCriteriRicercaE002 struct {
	CodiceFiscale string               `json:"codiceFiscale,omitempty"`
	IDANPR        string               `json:"idANPR,omitempty"`
	Cognome       string               `json:"cognome,omitempty"`
	SenzaCognome  string               `json:"senzaCognome,omitempty"`
	Nome          string               `json:"nome,omitempty"`
	SenzaNome     string               `json:"senzaNome,omitempty"`
	Sesso         string               `json:"sesso,omitempty"`
	DatiNascita   *TipoDatiNascitaE000 `json:"datiNascita,omitempty"`
}

// TipoDatiNascitaE000 is a birth used as a search criterion.
type TipoDatiNascitaE000 struct {
	DataEvento      string                `json:"dataEvento,omitempty"`
	SenzaGiorno     string                `json:"senzaGiorno,omitempty"`
	SenzaGiornoMese string                `json:"senzaGiornoMese,omitempty"`
	LuogoNascita    *TipoLuogoNascita3000 `json:"luogoNascita,omitempty"`
}

// TipoLuogoNascita3000 is a place of birth used as a search criterion.
type TipoLuogoNascita3000 struct {
	LuogoEccezionale string        `json:"luogoEccezionale,omitempty"`
	Comune           *TipoComune   `json:"comune,omitempty"`
	Localita         *TipoLocalita `json:"localita,omitempty"`
}

// TipoDatiRichiestaE002 carries the three mandatory request data.
type TipoDatiRichiestaE002 struct {
	// DataRiferimentoRichiesta (YYYY-MM-DD) is the date the registry data must refer to.
	DataRiferimentoRichiesta string `json:"dataRiferimentoRichiesta"`
	// MotivoRichiesta is the mandatory reference of the administrative file (protocol, case number).
	MotivoRichiesta string `json:"motivoRichiesta"`
	// CasoUso is the use case ("C021"); it must match the e-service called.
	CasoUso string `json:"casoUso"`
}

// RispostaE002OK is the 200 answer.
type RispostaE002OK struct {
	IDOperazioneANPR string               `json:"idOperazioneANPR,omitempty"`
	ListaSoggetti    *TipoListaSoggetti   `json:"listaSoggetti,omitempty"`
	ListaAnomalie    []TipoErroriAnomalia `json:"listaAnomalie,omitempty"`
	// DatiFamigliaConvivenza is the household block some versions put at the top level (ScERPA's
	// client model); the adapter reads the family id from it when the subjects do not carry one.
	DatiFamigliaConvivenza *TipoDatiFamigliaConvivenza `json:"datiFamigliaConvivenza,omitempty"`
}

// RispostaKO is the answer of a refused or failed request (HTTP 400, 404, 500), with content type
// application/problem+json even though it is not an RFC 9457 problem.
type RispostaKO struct {
	IDOperazioneANPR string               `json:"idOperazioneANPR,omitempty"`
	ListaErrori      []TipoErroriAnomalia `json:"listaErrori,omitempty"`
}

// TipoErroriAnomalia is one error (listaErrori) or warning (listaAnomalie).
type TipoErroriAnomalia struct {
	CodiceErroreAnomalia  string `json:"codiceErroreAnomalia,omitempty"`
	TipoErroreAnomalia    string `json:"tipoErroreAnomalia,omitempty"`
	TestoErroreAnomalia   string `json:"testoErroreAnomalia,omitempty"`
	OggettoErroreAnomalia string `json:"oggettoErroreAnomalia,omitempty"`
	CampoErroreAnomalia   string `json:"campoErroreAnomalia,omitempty"`
	ValoreErroreAnomalia  string `json:"valoreErroreAnomalia,omitempty"`
}

// TipoListaSoggetti is the list of subjects of an answer (one per family member for C021).
type TipoListaSoggetti struct {
	DatiSoggetto []TipoDatiSoggettiEnte `json:"datiSoggetto,omitempty"`
}

// TipoDatiSoggettiEnte is one subject; each use case fills only its subset of blocks.
type TipoDatiSoggettiEnte struct {
	Generalita         *TipoGeneralita             `json:"generalita,omitempty"`
	Identificativi     *TipoIdentificativi         `json:"identificativi,omitempty"`
	Residenza          []TipoResidenza             `json:"residenza,omitempty"`
	Cittadinanza       []TipoCittadinanza          `json:"cittadinanza,omitempty"`
	StatoCivile        *TipoStatoCivile            `json:"statoCivile,omitempty"`
	LegameSoggetto     *TipoLegameSoggettoCompleto `json:"legameSoggetto,omitempty"`
	FamigliaConvivenza *TipoFamigliaConvivenza     `json:"famigliaConvivenza,omitempty"`
	DatiDecesso        *TipoDatiEvento             `json:"datiDecesso,omitempty"`
	InfoSoggettoEnte   []TipoInfoSoggettoEnte      `json:"infoSoggettoEnte,omitempty"`
}

// TipoGeneralita are the personal data.
type TipoGeneralita struct {
	CodiceFiscale *TipoCodiceFiscale `json:"codiceFiscale,omitempty"`
	Cognome       string             `json:"cognome,omitempty"`
	SenzaCognome  string             `json:"senzaCognome,omitempty"`
	Nome          string             `json:"nome,omitempty"`
	SenzaNome     string             `json:"senzaNome,omitempty"`
	// Sesso is M, F or N (not known), per tipoDato.xsd.
	Sesso string `json:"sesso,omitempty"`
	// DataNascita is always a full YYYY-MM-DD; SenzaGiorno / SenzaGiornoMese ("1") mark the day, or
	// the day and month, as filler.
	DataNascita     string           `json:"dataNascita,omitempty"`
	SenzaGiorno     string           `json:"senzaGiorno,omitempty"`
	SenzaGiornoMese string           `json:"senzaGiornoMese,omitempty"`
	LuogoNascita    *TipoLuogoEvento `json:"luogoNascita,omitempty"`
	// SoggettoAIRE is "S" for citizens registered as living abroad; AnnoEspatrio their year of
	// emigration.
	SoggettoAIRE           string                      `json:"soggettoAIRE,omitempty"`
	AnnoEspatrio           string                      `json:"annoEspatrio,omitempty"`
	IDSchedaSoggettoComune *TipoIdSchedaSoggettoComune `json:"idSchedaSoggettoComune,omitempty"`
	IDSchedaSoggettoANPR   string                      `json:"idSchedaSoggettoANPR,omitempty"`
	Note                   string                      `json:"note,omitempty"`
}

// TipoCodiceFiscale is a codice fiscale with its validation by the Agenzia delle Entrate.
type TipoCodiceFiscale struct {
	CodFiscale string `json:"codFiscale,omitempty"`
	// ValiditaCF is "1" (validated) or "9" (not validated).
	ValiditaCF               string `json:"validitaCF,omitempty"`
	DataAttribuzioneValidita string `json:"dataAttribuzioneValidita,omitempty"`
}

// TipoIdSchedaSoggettoComune is the comune's own id of the subject's record.
type TipoIdSchedaSoggettoComune struct {
	IDSchedaSoggettoComuneIstat string `json:"idSchedaSoggettoComuneIstat,omitempty"`
	IDSchedaSoggetto            string `json:"idSchedaSoggetto,omitempty"`
}

// TipoIdentificativi holds the national subject id.
type TipoIdentificativi struct {
	IDANPR string `json:"idANPR,omitempty"`
}

// TipoLuogoEvento is the place of an event: an Italian comune, a foreign locality or an
// exceptional place (at sea, in flight).
type TipoLuogoEvento struct {
	LuogoEccezionale string        `json:"luogoEccezionale,omitempty"`
	Comune           *TipoComune   `json:"comune,omitempty"`
	Localita         *TipoLocalita `json:"localita,omitempty"`
}

// TipoComune is an Italian comune.
type TipoComune struct {
	NomeComune          string `json:"nomeComune,omitempty"`
	CodiceIstat         string `json:"codiceIstat,omitempty"`
	SiglaProvinciaIstat string `json:"siglaProvinciaIstat,omitempty"`
	DescrizioneLocalita string `json:"descrizioneLocalita,omitempty"`
}

// TipoLocalita is a foreign locality.
type TipoLocalita struct {
	DescrizioneLocalita string `json:"descrizioneLocalita,omitempty"`
	DescrizioneStato    string `json:"descrizioneStato,omitempty"`
	CodiceStato         string `json:"codiceStato,omitempty"`
	ProvinciaContea     string `json:"provinciaContea,omitempty"`
}

// TipoResidenza is one address record. TipoIndirizzo: 1 residenza, 2 dimora abituale, 3 domicilio
// eletto, 4 residenza estera, 5/6 presso, 7 ultima residenza italiana, 8 temporanea, 9 altro,
// 10 revisione onomastica, 11 rettifica.
type TipoResidenza struct {
	TipoIndirizzo           string               `json:"tipoIndirizzo,omitempty"`
	NoteIndirizzo           string               `json:"noteIndirizzo,omitempty"`
	Indirizzo               *TipoIndirizzo       `json:"indirizzo,omitempty"`
	LocalitaEstera          *TipoLocalitaEstera1 `json:"localitaEstera,omitempty"`
	Presso                  string               `json:"presso,omitempty"`
	DataDecorrenzaResidenza string               `json:"dataDecorrenzaResidenza,omitempty"`
}

// TipoIndirizzo is an Italian address.
type TipoIndirizzo struct {
	Cap          string            `json:"cap,omitempty"`
	Comune       *TipoComune       `json:"comune,omitempty"`
	Frazione     string            `json:"frazione,omitempty"`
	Toponimo     *TipoToponimo     `json:"toponimo,omitempty"`
	NumeroCivico *TipoNumeroCivico `json:"numeroCivico,omitempty"`
}

// TipoToponimo is a street name and its kind (VIA, PIAZZA ...).
type TipoToponimo struct {
	CodSpecie             string `json:"codSpecie,omitempty"`
	Specie                string `json:"specie,omitempty"`
	SpecieFonte           string `json:"specieFonte,omitempty"`
	CodToponimo           string `json:"codToponimo,omitempty"`
	DenominazioneToponimo string `json:"denominazioneToponimo,omitempty"`
	ToponimoFonte         string `json:"toponimoFonte,omitempty"`
}

// TipoNumeroCivico is a house number.
type TipoNumeroCivico struct {
	CodiceCivico  string             `json:"codiceCivico,omitempty"`
	CivicoFonte   string             `json:"civicoFonte,omitempty"`
	Numero        string             `json:"numero,omitempty"`
	Metrico       string             `json:"metrico,omitempty"`
	ProgSNC       string             `json:"progSNC,omitempty"`
	Lettera       string             `json:"lettera,omitempty"`
	Esponente1    string             `json:"esponente1,omitempty"`
	Colore        string             `json:"colore,omitempty"`
	CivicoInterno *TipoCivicoInterno `json:"civicoInterno,omitempty"`
}

// TipoCivicoInterno locates a flat inside a building.
type TipoCivicoInterno struct {
	Corte        string `json:"corte,omitempty"`
	Scala        string `json:"scala,omitempty"`
	Interno1     string `json:"interno1,omitempty"`
	EspInterno1  string `json:"espInterno1,omitempty"`
	Interno2     string `json:"interno2,omitempty"`
	EspInterno2  string `json:"espInterno2,omitempty"`
	ScalaEsterna string `json:"scalaEsterna,omitempty"`
	Secondario   string `json:"secondario,omitempty"`
	Piano        string `json:"piano,omitempty"`
	Nui          string `json:"nui,omitempty"`
	Isolato      string `json:"isolato,omitempty"`
}

// TipoLocalitaEstera1 is an address abroad with the consulate that keeps the AIRE record.
type TipoLocalitaEstera1 struct {
	IndirizzoEstero *TipoIndirizzoEstero `json:"indirizzoEstero,omitempty"`
	Consolato       *TipoConsolato       `json:"consolato,omitempty"`
}

// TipoIndirizzoEstero is the street address abroad.
type TipoIndirizzoEstero struct {
	Cap      string                  `json:"cap,omitempty"`
	Localita *TipoDatoLocalitaEstera `json:"localita,omitempty"`
	Toponimo *TipoToponimoEstero     `json:"toponimo,omitempty"`
}

// TipoDatoLocalitaEstera is the locality and state of an address abroad.
type TipoDatoLocalitaEstera struct {
	DescrizioneLocalita string `json:"descrizioneLocalita,omitempty"`
	DescrizioneStato    string `json:"descrizioneStato,omitempty"`
	CodiceStato         string `json:"codiceStato,omitempty"`
	ProvinciaContea     string `json:"provinciaContea,omitempty"`
}

// TipoToponimoEstero is a foreign street and house number, free text.
type TipoToponimoEstero struct {
	Denominazione string `json:"denominazione,omitempty"`
	NumeroCivico  string `json:"numeroCivico,omitempty"`
}

// TipoConsolato is an Italian consular office.
type TipoConsolato struct {
	CodiceConsolato      string `json:"codiceConsolato,omitempty"`
	DescrizioneConsolato string `json:"descrizioneConsolato,omitempty"`
}

// TipoCittadinanza is one citizenship (tipoDato.xsd tipoCittadinanza; not in the trimmed specs).
type TipoCittadinanza struct {
	CodiceStato      string `json:"codiceStato,omitempty"`
	DescrizioneStato string `json:"descrizioneStato,omitempty"`
	NoteStato        string `json:"noteStato,omitempty"`
	DataValidita     string `json:"dataValidita,omitempty"`
}

// TipoStatoCivile is the civil status (tipoDato.xsd tipoStatoCivile; not in the trimmed specs).
type TipoStatoCivile struct {
	StatoCivile     string `json:"statoCivile,omitempty"`
	NoteStatoCivile string `json:"noteStatoCivile,omitempty"`
	// StatoCivileND is "S" when the civil status is not documented.
	StatoCivileND string `json:"statoCivileND,omitempty"`
}

// TipoLegameSoggettoCompleto is a member's relationship to the family's intestatario.
type TipoLegameSoggettoCompleto struct {
	// TipoLegame: the sources disagree on its codes (famiglia / convivenza / AIRE); never rely on it.
	TipoLegame            string `json:"tipoLegame,omitempty"`
	DataDecorrenza        string `json:"dataDecorrenza,omitempty"`
	CodiceLegame          string `json:"codiceLegame,omitempty"`
	ProgressivoComponente string `json:"progressivoComponente,omitempty"`
	DataDecorrenzaLegame  string `json:"dataDecorrenzaLegame,omitempty"`
}

// TipoFamigliaConvivenza identifies the family or cohabitation (tipoDato.xsd).
type TipoFamigliaConvivenza struct {
	// IDFamigliaConvivenzaComune is an object in tipoDato.xsd, a plain string in some clients.
	IDFamigliaConvivenzaComune *IDFamigliaComune `json:"idFamigliaConvivenzaComune,omitempty"`
	IDFamigliaConvivenzaANPR   string            `json:"idFamigliaConvivenzaANPR,omitempty"`
	FamigliaAire               string            `json:"famigliaAire,omitempty"`
	DataOrigine                string            `json:"dataOrigineFamigliaConvivenza,omitempty"`
	MotivoCostituzione         string            `json:"motivoCostituzione,omitempty"`
	DenominazioneConvivenza    string            `json:"denominazioneConvivenza,omitempty"`
	SpecieConvivenza           string            `json:"specieConvivenza,omitempty"`
	TipoMovimentazione         string            `json:"tipoMovimentazione,omitempty"`
	PresenzaFamigliaCoabitante string            `json:"presenzaFamigliaCoabitante,omitempty"`
	TipoScheda                 string            `json:"tipoScheda,omitempty"`
}

// IDFamigliaComune is the comune's id of a family. It decodes from the object of tipoDato.xsd
// {idFamigliaConvivenzaComuneIstat, idFamigliaConvivenza} and from a plain string (Flat), and encodes
// back to the form it was built in.
type IDFamigliaComune struct {
	ComuneIstat string `json:"idFamigliaConvivenzaComuneIstat,omitempty"`
	ID          string `json:"idFamigliaConvivenza,omitempty"`
	// Flat holds the value when it came as a plain string.
	Flat string `json:"-"`
}

// UnmarshalJSON accepts a JSON object or a JSON string.
func (f *IDFamigliaComune) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = IDFamigliaComune{Flat: s}
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("idFamigliaConvivenzaComune must be an object or a string")
	}
	type plain IDFamigliaComune
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*f = IDFamigliaComune(p)
	return nil
}

// MarshalJSON writes the string form when Flat is set, the object otherwise.
func (f IDFamigliaComune) MarshalJSON() ([]byte, error) {
	if f.Flat != "" {
		return json.Marshal(f.Flat)
	}
	type plain IDFamigliaComune
	return json.Marshal(plain(f))
}

// TipoDatiFamigliaConvivenza is the top-level household block (S4).
type TipoDatiFamigliaConvivenza struct {
	Residenza          []TipoResidenza         `json:"residenza,omitempty"`
	FamigliaConvivenza *TipoFamigliaConvivenza `json:"famigliaConvivenza,omitempty"`
}

// TipoDatiEvento is an event (death) with its date, place and act. AttoEvento is the v1 member,
// AttoEventoANPR the v2 one; both are decoded and neither is translated into the model.
type TipoDatiEvento struct {
	DataEvento      string           `json:"dataEvento,omitempty"`
	SenzaGiorno     string           `json:"senzaGiorno,omitempty"`
	SenzaGiornoMese string           `json:"senzaGiornoMese,omitempty"`
	LuogoEvento     *TipoLuogoEvento `json:"luogoEvento,omitempty"`
	AttoEvento      *TipoAtto        `json:"attoEvento,omitempty"`
	AttoEventoANPR  *TipoAttoANPR    `json:"attoEventoANPR,omitempty"`
}

// TipoAttoANPR is the v2 act: the paper-register act or the ANSC (digital civil registry) act.
type TipoAttoANPR struct {
	Atto     *TipoAtto     `json:"atto,omitempty"`
	AttoANSC *TipoAttoANSC `json:"attoANSC,omitempty"`
}

// TipoAtto is a civil-status act in the comune's registers.
type TipoAtto struct {
	ComuneRegistrazione *TipoComune `json:"comuneRegistrazione,omitempty"`
	UfficioMunicipio    string      `json:"ufficioMunicipio,omitempty"`
	Anno                string      `json:"anno,omitempty"`
	Parte               string      `json:"parte,omitempty"`
	Serie               string      `json:"serie,omitempty"`
	NumeroAtto          string      `json:"numeroAtto,omitempty"`
	Volume              string      `json:"volume,omitempty"`
	DataFormazioneAtto  string      `json:"dataFormazioneAtto,omitempty"`
	Trascritto          string      `json:"trascritto,omitempty"`
}

// TipoAttoANSC is an act of the national digital civil registry.
type TipoAttoANSC struct {
	IDANSC              string      `json:"idANSC,omitempty"`
	ComuneRegistrazione *TipoComune `json:"comuneRegistrazione,omitempty"`
	Anno                string      `json:"anno,omitempty"`
	UfficioMunicipio    string      `json:"ufficioMunicipio,omitempty"`
	NumeroComunale      string      `json:"numeroComunale,omitempty"`
	DataFormazioneAtto  string      `json:"dataFormazioneAtto,omitempty"`
	Trascritto          string      `json:"trascritto,omitempty"`
}

// TipoInfoSoggettoEnte is a keyed fact about the subject. ANPR uses it for "Verifica esistenza in
// vita" (id 1003, Valore S alive / N dead) and "Data decesso" (ValoreData).
type TipoInfoSoggettoEnte struct {
	ID     string `json:"id,omitempty"`
	Chiave string `json:"chiave,omitempty"`
	// Valore is A, N or S (TipoInfoValore).
	Valore      string `json:"valore,omitempty"`
	ValoreTesto string `json:"valoreTesto,omitempty"`
	ValoreData  string `json:"valoreData,omitempty"`
	Dettaglio   string `json:"dettaglio,omitempty"`
}

// GovWayProblem is the RFC 7807 body GovWay (ANPR's API gateway) returns when it refuses a request
// before ANPR sees it: Title is GovWay's error code (InvalidRequestContent,
// InteroperabilityInvalidRequest, TokenAuthenticationRequired ...), Type
// https://govway.org/handling-errors/<status>/<Title>.html.
type GovWayProblem struct {
	Type     string `json:"type,omitempty"`
	Title    string `json:"title,omitempty"`
	Status   int    `json:"status,omitempty"`
	Detail   string `json:"detail,omitempty"`
	GovWayID string `json:"govway_id,omitempty"`
}

// GovWayTypeBase prefixes GovWay's problem types.
const GovWayTypeBase = "https://govway.org/handling-errors/"
