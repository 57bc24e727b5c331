package contracts

// PrestazioneSociale is a social benefit WelfareGOV granted, cancelled or paid, as SIUSS must receive
// it (PS_PSA_SINA PrestazioniSociali; siuss-waas.md §4.4–4.9). The SIUSS builder turns one
// PrestazioneSociale into one flow (one beneficiary, one prestazione). Validate checks the rules of
// the SIUSS technical specification that the XSD does not express.
type PrestazioneSociale struct {
	// TipoOperazione is INSERIMENTO (I, the default) or CANCELLAZIONE (C, repeating the original).
	TipoOperazione TipoOperazioneSIUSS `json:"tipoOperazione"`
	// Beneficiario needs, for SIUSS: codiceFiscale, cognome, nome, dataNascita (the year is
	// enough), luogoNascita.codiceBelfiore, sesso, cittadinanze, and a residenza.
	Beneficiario Persona `json:"beneficiario"`
	// CodicePrestazione is the SIUSS nomenclatore code (5-10 characters, e.g. A1.16). It is not the
	// INPS PrestazioneDaErogare list: same shape, different meanings.
	CodicePrestazione string `json:"codicePrestazione"`
	// DenominazionePrestazione is the benefit's name, 10-200 characters.
	DenominazionePrestazione string `json:"denominazionePrestazione"`
	// ProtocolloDomanda is the Comune's protocol or case number of the application (1-32 characters).
	ProtocolloDomanda string     `json:"protocolloDomanda"`
	ProvaMezzi        ProvaMezzi `json:"provaMezzi"`
	Carattere         Carattere  `json:"carattere"`
	// DSU is the ISEE declaration the benefit was granted on: all three parts or none.
	DSU *RiferimentoDSU `json:"dsu,omitempty"`
	// DataEvento is SIUSS DataEvento (not defined further by the specification).
	DataEvento Data `json:"dataEvento,omitzero"`
	// DataInizio (required for a periodic benefit) and DataFine (same calendar year) bound a
	// periodic benefit.
	DataInizio Data `json:"dataInizio,omitzero"`
	DataFine   Data `json:"dataFine,omitzero"`
	// DataErogazione is the payment or delivery date of a one-off benefit (required for it).
	DataErogazione Data `json:"dataErogazione,omitzero"`
	// Importo is the amount of a one-off benefit (> 0, required for it).
	Importo *Decimal `json:"importo,omitempty"`
	// ImportoMensile is the monthly amount of a periodic benefit (> 0, required for it).
	ImportoMensile *Decimal `json:"importoMensile,omitempty"`
	// PeriodoErogazione is SIUSS PeriodoErogazione, 1-12 (probably months of provision in the year).
	PeriodoErogazione int `json:"periodoErogazione,omitempty"`
	// QuotaEnte, QuotaUtente and QuotaSSN split the amount; when any is present they must add up to
	// ImportoMensile (periodic) or Importo (one-off). QuotaEnte and QuotaSSN are > 0, QuotaUtente >= 0.
	QuotaEnte   *Decimal `json:"quotaEnte,omitempty"`
	QuotaUtente *Decimal `json:"quotaUtente,omitempty"`
	QuotaSSN    *Decimal `json:"quotaSSN,omitempty"`
	// QuotaRichiesta is the most a generic user is charged for the benefit (statistical).
	QuotaRichiesta *Decimal `json:"quotaRichiesta,omitempty"`
	// SogliaISEE is the maximum (or only) ISEE threshold for access (statistical).
	SogliaISEE *Decimal `json:"sogliaISEE,omitempty"`
	// OreServizioMensile is SIUSS OreServizioMensile, written H.MM (e.g. 2.30); whether .30 means
	// thirty minutes or half an hour is an open question with INPS.
	OreServizioMensile *Decimal `json:"oreServizioMensile,omitempty"`
	// PresaInCarico is SIUSS PresaCarico: the person is formally taken into care.
	PresaInCarico bool `json:"presaInCarico"`
	// AreaUtenza is required when PresaInCarico.
	AreaUtenza AreaUtenza `json:"areaUtenza,omitempty"`
	// SINA is the non-self-sufficiency assessment, for disability benefits.
	SINA        *ValutazioneSINA `json:"sina,omitempty"`
	Provenienza *Provenienza     `json:"provenienza,omitempty"`
}

// RiferimentoDSU identifies the ISEE declaration (SIUSS NumeroProtocolloDSU, AnnoProtocolloDSU, DataDSU).
type RiferimentoDSU struct {
	Protocollo string `json:"protocollo"`
	Anno       int    `json:"anno"`
	Data       Data   `json:"data"`
}

// TipoOperazioneSIUSS is SIUSS TipoOperazione.
type TipoOperazioneSIUSS string

const (
	OperazioneInserimento   TipoOperazioneSIUSS = "INSERIMENTO"   // I
	OperazioneCancellazione TipoOperazioneSIUSS = "CANCELLAZIONE" // C
)

var tipoOperazioneSIUSSValues = []TipoOperazioneSIUSS{OperazioneInserimento, OperazioneCancellazione}

// Valid reports whether t is one of the declared constants.
func (t TipoOperazioneSIUSS) Valid() bool { return isOneOf(t, tipoOperazioneSIUSSValues) }

// CodiceSIUSS returns the SIUSS code (I, C), or "" for an invalid value.
func (t TipoOperazioneSIUSS) CodiceSIUSS() string {
	return codeOf(t, tipoOperazioneSIUSSValues, "I", "C")
}

// ProvaMezzi is SIUSS PresenzaProvaMezzi: whether and how the benefit is means-tested.
type ProvaMezzi string

const (
	ProvaMezziISEE       ProvaMezzi = "ISEE"              // 1: means-tested through ISEE
	ProvaMezziAltra      ProvaMezzi = "ALTRA_PROVA_MEZZI" // 2: means-tested, not through ISEE
	ProvaMezziISEEEsente ProvaMezzi = "ISEE_ESENTE"       // 3: normally ISEE-tested, exempt for this beneficiary
	ProvaMezziNessuna    ProvaMezzi = "NESSUNA"           // 4: no economic criteria
)

var provaMezziValues = []ProvaMezzi{ProvaMezziISEE, ProvaMezziAltra, ProvaMezziISEEEsente, ProvaMezziNessuna}

// Valid reports whether p is one of the declared constants.
func (p ProvaMezzi) Valid() bool { return isOneOf(p, provaMezziValues) }

// CodiceSIUSS returns the SIUSS code (1..4), or "" for an invalid value.
func (p ProvaMezzi) CodiceSIUSS() string { return codeOf(p, provaMezziValues, "1", "2", "3", "4") }

// Carattere is SIUSS CaratterePrestazione.
type Carattere string

const (
	CaratterePeriodica   Carattere = "PERIODICA"   // 1
	CarattereOccasionale Carattere = "OCCASIONALE" // 2
)

var carattereValues = []Carattere{CaratterePeriodica, CarattereOccasionale}

// Valid reports whether c is one of the declared constants.
func (c Carattere) Valid() bool { return isOneOf(c, carattereValues) }

// CodiceSIUSS returns the SIUSS code (1, 2), or "" for an invalid value.
func (c Carattere) CodiceSIUSS() string { return codeOf(c, carattereValues, "1", "2") }

// AreaUtenza is SIUSS AreaUtenza.
type AreaUtenza string

const (
	AreaFamigliaMinori               AreaUtenza = "FAMIGLIA_MINORI"                // 1
	AreaDisabilitaNonAutosufficienza AreaUtenza = "DISABILITA_NON_AUTOSUFFICIENZA" // 2
	AreaPovertaEsclusioneSociale     AreaUtenza = "POVERTA_ESCLUSIONE_SOCIALE"     // 3
)

var areaUtenzaValues = []AreaUtenza{AreaFamigliaMinori, AreaDisabilitaNonAutosufficienza, AreaPovertaEsclusioneSociale}

// Valid reports whether a is one of the declared constants.
func (a AreaUtenza) Valid() bool { return isOneOf(a, areaUtenzaValues) }

// CodiceSIUSS returns the SIUSS code (1..3), or "" for an invalid value.
func (a AreaUtenza) CodiceSIUSS() string { return codeOf(a, areaUtenzaValues, "1", "2", "3") }

// codeOf returns the code at v's position in values.
func codeOf[T ~string](v T, values []T, codes ...string) string {
	for i, x := range values {
		if x == v {
			return codes[i]
		}
	}
	return ""
}

// ValutazioneSINA is the SIUSS SINA block: the non-self-sufficiency assessment. Values are the
// SIUSS codes (siuss-waas.md §4.9); 0 means absent for the optional ones.
type ValutazioneSINA struct {
	// Mobilita: 1 si sposta da solo, 2 assistito, 3 non si sposta.
	Mobilita int `json:"mobilita"`
	// AttivitaVitaQuotidiana: 1 autonomo, 2 parzialmente dipendente, 3 totalmente dipendente.
	AttivitaVitaQuotidiana int `json:"attivitaVitaQuotidiana"`
	// DisturbiAreaCognitiva: 1 lievi, 2 moderati, 3 gravi.
	DisturbiAreaCognitiva int `json:"disturbiAreaCognitiva,omitempty"`
	// DisturbiComportamentali: 1 assenti, 2 presenti.
	DisturbiComportamentali int `json:"disturbiComportamentali"`
	// NecessitaCureSanitarie: 1 bassa, 2 media, 3 alta.
	NecessitaCureSanitarie int `json:"necessitaCureSanitarie,omitempty"`
	// AreaReddituale: 1 autosufficiente, 2 aiutato da parenti o altri, 3 in stato di bisogno.
	AreaReddituale int `json:"areaReddituale"`
	// AreaSupporto: 1 rete presente, 2 presente in parte, 3 assente.
	AreaSupporto int `json:"areaSupporto"`
	// FonteDerivazioneValutazione: 1 UVM, 2 cartella sociale, 3 altra documentazione, 4 raccolta diretta.
	FonteDerivazioneValutazione int `json:"fonteDerivazioneValutazione"`
	// StrumentoValutazione: 1 SVAMA, 2 AGED, 3 RUG, 4 SOSIA, 5 schema polare, 6 VALGRAF, 7 altro.
	StrumentoValutazione int `json:"strumentoValutazione"`
	// FonteDerivazioneInvalidita: 1 certificate checked, 2 the person's declaration.
	FonteDerivazioneInvalidita int `json:"fonteDerivazioneInvalidita,omitempty"`
	// NecessitaInterventiSociali are SIUSS nomenclatore codes of the interventions needed.
	NecessitaInterventiSociali []string `json:"necessitaInterventiSociali,omitempty"`
	// InvaliditaCivile are InvCiv codes 1..8.
	InvaliditaCivile []int `json:"invaliditaCivile,omitempty"`
}
