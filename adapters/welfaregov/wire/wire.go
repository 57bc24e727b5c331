// Package wire is the JSON format of the WelfareGOV backend's API (GET /prestazioni, POST
// /prestazioni/ricerca, PUT /esiti): the messages, with the backend's own field names (Italian
// camelCase, SIUSS codes as strings, ISO 3166 nation codes, dates "YYYY-MM-DD" and amounts as
// decimal strings).
//
// Both sides of the format use these types: the gateway's client (adapters/welfaregov) decodes them
// and the pasim backend simulator (cmd/pasim/sim/backend, with the population's records) encodes
// them, so the format is written once. The end-to-end tests (the SIUSS feed, the consultazione and
// estrazione e-services, the client against the simulator) check what crosses it against INPS's
// XSDs and our contracts, so a misspelt tag here cannot hide behind the round trip.
//
// Dates are plain strings on purpose: the client judges them record by record (a malformed date
// makes that record unpublishable, not the whole page unreadable). Amounts are contracts.Decimal:
// exact, and written in canonical form ("101.20").
package wire

import (
	"encoding/json"
	"time"

	"github.com/welfaregov/gateway/contracts"
)

// Importo is an amount in euro (or hours, for OreServizioMensile): a JSON string or number, kept
// exact, written with two decimals at least.
type Importo = contracts.Decimal

// Prestazione is one benefit record as the backend sends it: the PS_PSA_SINA data (siuss-waas.md §4)
// with SIUSS codes as strings.
type Prestazione struct {
	ID           string       `json:"id"`
	Ente         Ente         `json:"ente"`
	Beneficiario Beneficiario `json:"beneficiario"`
	// TipoOperazione: "I" inserimento, "C" cancellazione of an earlier record (same identifying data).
	TipoOperazione string `json:"tipoOperazione"`
	// PresenzaProvaMezzi: "1" ISEE, "2" other means test, "3" ISEE-type but exempt, "4" none.
	PresenzaProvaMezzi string `json:"presenzaProvaMezzi"`
	// CaratterePrestazione: "1" periodica, "2" occasionale.
	CaratterePrestazione string `json:"caratterePrestazione"`
	// DSU reference: all three or none.
	NumeroProtocolloDSU      string `json:"numeroProtocolloDSU,omitempty"`
	AnnoProtocolloDSU        string `json:"annoProtocolloDSU,omitempty"`
	DataDSU                  string `json:"dataDSU,omitempty"`
	CodicePrestazione        string `json:"codicePrestazione"`
	DenominazionePrestazione string `json:"denominazionePrestazione"`
	ProtocolloDomanda        string `json:"protocolloDomanda"`
	DataEvento               string `json:"dataEvento,omitempty"`
	// Periodic benefits: DataInizioPrestazione and ImportoMensile; DataFinePrestazione in the same year.
	DataInizioPrestazione string   `json:"dataInizioPrestazione,omitempty"`
	DataFinePrestazione   string   `json:"dataFinePrestazione,omitempty"`
	ImportoMensile        *Importo `json:"importoMensile,omitempty"`
	PeriodoErogazione     int      `json:"periodoErogazione,omitempty"` // months, 1..12
	// One-off benefits: DataErogazionePrestazione and ImportoPrestazione.
	DataErogazionePrestazione string   `json:"dataErogazionePrestazione,omitempty"`
	ImportoPrestazione        *Importo `json:"importoPrestazione,omitempty"`
	// Quotas: when any is present they add up to ImportoMensile (periodic) or ImportoPrestazione.
	ImportoQuotaEnte      *Importo `json:"importoQuotaEnte,omitempty"`
	ImportoQuotaUtente    *Importo `json:"importoQuotaUtente,omitempty"`
	ImportoQuotaSSN       *Importo `json:"importoQuotaSSN,omitempty"`
	ImportoQuotaRichiesta *Importo `json:"importoQuotaRichiesta,omitempty"`
	ImportoSogliaISEE     *Importo `json:"importoSogliaISEE,omitempty"`
	OreServizioMensile    *Importo `json:"oreServizioMensile,omitempty"` // H.MM
	// PresaCarico: "1" sì, "2" no. AreaUtenza ("1" famiglia e minori, "2" disabilità e non
	// autosufficienza, "3" povertà) is required when PresaCarico is "1".
	PresaCarico string `json:"presaCarico"`
	AreaUtenza  string `json:"areaUtenza,omitempty"`
	SINA        *SINA  `json:"sina,omitempty"`
	// SINBA, for a minor in care, is what the SINBA register needs besides the child's year of
	// birth and residence (Beneficiario) and the service (CodicePrestazione); the gateway publishes
	// it as a separate, pseudonymous flow.
	SINBA *SINBA `json:"sinba,omitempty"`
	// AnnullaID names the prestazione a "C" record cancels.
	AnnullaID string `json:"annullaId,omitempty"`
	// AggiornatoIl is when WelfareGOV last changed the record (RFC 3339, UTC).
	AggiornatoIl time.Time `json:"aggiornatoIl"`
	// Cursore is the change's position in the backend's feed (a decimal integer), in the answers
	// that list changes (Page, RicercaRisposta, the admin upsert); empty elsewhere.
	Cursore string `json:"cursore,omitempty"`
}

// Clone returns a deep copy, so a caller can change it without touching the original.
func (p *Prestazione) Clone() *Prestazione {
	b, _ := json.Marshal(p) // a Prestazione always marshals
	var c Prestazione
	_ = json.Unmarshal(b, &c)
	return &c
}

// Ente is the administration that granted the benefit.
type Ente struct {
	Codice        string `json:"codice"`        // Belfiore code of the comune
	Denominazione string `json:"denominazione"` // "COMUNE DI TRENTO"
	Indirizzo     string `json:"indirizzo"`     // Belfiore code of the seat
	CFOperatore   string `json:"cfOperatore"`
}

// Beneficiario is the SIUSS Anagrafica and Indirizzo of the beneficiary.
type Beneficiario struct {
	CodiceFiscale             string `json:"codiceFiscale"`
	Cognome                   string `json:"cognome"`
	Nome                      string `json:"nome"`
	AnnoNascita               int    `json:"annoNascita"`
	LuogoNascita              string `json:"luogoNascita"`       // Belfiore (Z-code when born abroad)
	Genere                    string `json:"genere"`             // "1" maschio, "2" femmina
	CodiceCittadinanza        string `json:"codiceCittadinanza"` // ISO 3166 numeric; "990" none on record
	CodiceSecondaCittadinanza string `json:"codiceSecondaCittadinanza,omitempty"`
	CodiceRegione             string `json:"codiceRegione,omitempty"` // required when CodiceNazione is 380
	CodiceComune              string `json:"codiceComune,omitempty"`  // ISTAT, required when CodiceNazione is 380
	CodiceNazione             string `json:"codiceNazione"`           // ISO 3166 numeric of the residence
}

// SINA is the non-self-sufficiency assessment block (siuss-waas.md §4.9), SIUSS codes as strings.
type SINA struct {
	Mobilita                    string   `json:"mobilita"`
	AttivitaVitaQuotidiana      string   `json:"attivitaVitaQuotidiana"`
	DisturbiAreaCognitiva       string   `json:"disturbiAreaCognitiva,omitempty"`
	DisturbiComportamentali     string   `json:"disturbiComportamentali"`
	NecessitaCureSanitarie      string   `json:"necessitaCureSanitarie,omitempty"`
	AreaReddituale              string   `json:"areaReddituale"`
	AreaSupporto                string   `json:"areaSupporto"`
	FonteDerivazioneValutazione string   `json:"fonteDerivazioneValutazione"`
	StrumentoValutazione        string   `json:"strumentoValutazione"`
	FonteDerivazioneInvalidita  string   `json:"fonteDerivazioneInvalidita,omitempty"`
	NecessitaInterventiSociali  []string `json:"necessitaInterventiSociali,omitempty"`
	InvaliditaCivile            []string `json:"invaliditaCivile,omitempty"`
}

// SINBA is the SINBA block of a prestazione for a minor in care (siuss-waas.md §5): SIUSS codes as
// strings, months as "YYYY-MM".
type SINBA struct {
	// IDBeneficiario is WelfareGOV's pseudonym of the child (1-20 characters): the same in every
	// record about the child, never the codice fiscale.
	IDBeneficiario string `json:"idBeneficiario"`
	// FasciaEtaBeneficiario: "1" 0-3 years ... "6" 15-18.
	FasciaEtaBeneficiario string `json:"fasciaEtaBeneficiario"`
	// MinoreStranieroNoAcc, Disabilita, SegnalazioneAutoritaGiudiziaria, ProvvedimentoGiudiziario:
	// "1" sì, "2" no.
	MinoreStranieroNoAcc            string `json:"minoreStranieroNoAcc"`
	CondizioneMinore                string `json:"condizioneMinore"`
	LuogoVita                       string `json:"luogoVita"`
	ScuolaFrequentata               string `json:"scuolaFrequentata"`
	CondizioneLavoro                string `json:"condizioneLavoro"`
	Disabilita                      string `json:"disabilita"`
	TipoDisabilita                  string `json:"tipoDisabilita,omitempty"`
	DataPrimaSegnalazione           string `json:"dataPrimaSegnalazione"`
	FonteSegnalazione               string `json:"fonteSegnalazione"`
	ValutazioneMinore               string `json:"valutazioneMinore"`
	ValutazioneFamigliaMinore       string `json:"valutazioneFamigliaMinore"`
	SegnalazioneAutoritaGiudiziaria string `json:"segnalazioneAutoritaGiudiziaria"`
	DataSegnalazione                string `json:"dataSegnalazione,omitempty"`
	ProvvedimentoGiudiziario        string `json:"provvedimentoGiudiziario"`
	DataProvvedimentoGiudiziario    string `json:"dataProvvedimentoGiudiziario,omitempty"`
	// ComposizioneFamiglia is whom the child lives with: "1" madre, "2" padre, "3" fratelli/sorelle,
	// "4" nonno/a, "5" compagno/a della madre o del padre, "6" altri conviventi.
	ComposizioneFamiglia []string `json:"composizioneFamiglia"`
}

// Page is the answer of GET /prestazioni?since=&limit=.
type Page struct {
	// Prestazioni are the changes after since, ascending by Cursore (the latest version of each).
	Prestazioni []Prestazione `json:"prestazioni"`
	// Cursore is what to pass as since for the next page: the last item's, or the request's since
	// when the page is empty.
	Cursore string `json:"cursore"`
	// AltriDisponibili reports whether more changes follow this page right now.
	AltriDisponibili bool `json:"altriDisponibili"`
}

// Ricerca is the body of POST /prestazioni/ricerca: the codice fiscale travels in the body, never
// in a URL, so it reaches no access log.
type Ricerca struct {
	CodiceFiscale string `json:"codiceFiscale"`
}

// RicercaRisposta is the answer of POST /prestazioni/ricerca: every prestazione of the person
// (latest versions, cancellations included); an unknown person has an empty list.
type RicercaRisposta struct {
	Prestazioni []Prestazione `json:"prestazioni"`
}

// Esito is a SIUSS outcome as the backend's sink takes it (siuss-waas.md §3.1, in camelCase).
type Esito struct {
	IDFlusso            string    `json:"idFlusso"`
	Tipo                string    `json:"tipo"`
	TsFlusso            time.Time `json:"tsFlusso"`
	TsAcquisizione      time.Time `json:"tsAcquisizione"`
	CodiceEsito         string    `json:"codiceEsito"`
	DescrizioneEsito    string    `json:"descrizioneEsito,omitempty"`
	IDAcquisizioneSiuss string    `json:"idAcquisizioneSiuss,omitempty"`
}

// Esiti is the body of PUT (or POST) /esiti: a batch the backend stores all or nothing,
// idempotently by (idFlusso, tsAcquisizione).
type Esiti struct {
	ElencoEsiti []Esito `json:"elencoEsiti"`
}

// Ricevuta acknowledges one esito in the answer of PUT /esiti ({"ricevute": [...]}); the same
// esito always gets the same IDRicezione.
type Ricevuta struct {
	IDFlusso       string    `json:"idFlusso"`
	TsAcquisizione time.Time `json:"tsAcquisizione"`
	IDRicezione    string    `json:"idRicezione"`
}
