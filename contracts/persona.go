package contracts

// Persona is a natural person as the upstream systems describe them: ANPR generalita (+ residenza,
// cittadinanza, stato civile, decesso), an INPS household member (codice fiscale and names only), a
// SIUSS beneficiary. Fields a source does not give are left out.
type Persona struct {
	// CodiceFiscale is upper case, as received; see ValidateCodiceFiscale.
	CodiceFiscale string `json:"codiceFiscale,omitempty"`
	// CodiceFiscaleValidato is ANPR validitaCF: true for "1" (validated by the Agenzia delle Entrate),
	// false for "9" (not validated); absent when the source does not say.
	CodiceFiscaleValidato *bool `json:"codiceFiscaleValidato,omitempty"`
	// IDANPR is ANPR identificativi.idANPR (C030), the stable national subject id.
	IDANPR  string `json:"idANPR,omitempty"`
	Cognome string `json:"cognome,omitempty"`
	Nome    string `json:"nome,omitempty"`
	// Sesso is M or F (SIUSS Genere 1/2 maps to M/F).
	Sesso Sesso `json:"sesso,omitempty"`
	// DataNascita may be partial (ANPR senzaGiorno/senzaGiornoMese; SIUSS has only the year).
	DataNascita  Data   `json:"dataNascita,omitzero"`
	LuogoNascita *Luogo `json:"luogoNascita,omitempty"`
	// Cittadinanze in the order the source lists them.
	Cittadinanze []Cittadinanza `json:"cittadinanze,omitempty"`
	StatoCivile  *StatoCivile   `json:"statoCivile,omitempty"`
	// Residenze are ANPR residenza[] entries (tipoIndirizzo 1 is the residence proper).
	Residenze []Residenza `json:"residenze,omitempty"`
	// SoggettoAIRE is true for citizens registered as living abroad (ANPR soggettoAIRE).
	SoggettoAIRE bool `json:"soggettoAIRE,omitempty"`
	// Decesso is present when the source says the person died, with or without a date.
	Decesso *Decesso `json:"decesso,omitempty"`
	// Provenienza is set when the Persona is a result of its own (ANPR C015/C020); members of a
	// household or attestation share the Provenienza of their container.
	Provenienza *Provenienza `json:"provenienza,omitempty"`
}

// Sesso is the sex recorded by the registry.
type Sesso string

const (
	SessoMaschile  Sesso = "M"
	SessoFemminile Sesso = "F"
)

var sessoValues = []Sesso{SessoMaschile, SessoFemminile}

// Valid reports whether s is one of the declared constants.
func (s Sesso) Valid() bool { return isOneOf(s, sessoValues) }

// Luogo is a place of birth, death or residence: an Italian comune or a foreign locality.
type Luogo struct {
	// CodiceIstatComune is the 6-digit ISTAT code of an Italian comune (ValidateCodiceIstatComune).
	CodiceIstatComune string `json:"codiceIstatComune,omitempty"`
	// CodiceBelfiore is the 4-character cadastral code (H501 Roma; Z+3 digits for a foreign state).
	CodiceBelfiore string `json:"codiceBelfiore,omitempty"`
	Comune         string `json:"comune,omitempty"`
	SiglaProvincia string `json:"siglaProvincia,omitempty"`
	// Localita is ANPR descrizioneLocalita: a frazione in Italy or a foreign locality.
	Localita string `json:"localita,omitempty"`
	// CodiceStato is the 3-digit ISTAT code of a foreign state (ValidateCodiceIstatStato).
	CodiceStato     string `json:"codiceStato,omitempty"`
	Stato           string `json:"stato,omitempty"`
	ProvinciaContea string `json:"provinciaContea,omitempty"`
	// LuogoEccezionale is ANPR's free text for births at sea, in flight, ...
	LuogoEccezionale string `json:"luogoEccezionale,omitempty"`
}

// Residenza is one ANPR residenza[] entry (TipoResidenza): an Italian address or, for AIRE citizens,
// an address abroad (Estero).
type Residenza struct {
	// TipoIndirizzo is ANPR tipoIndirizzo: 1 residenza, 2 dimora abituale, 3 domicilio eletto,
	// 4 residenza estera, 5/6 presso (Italia/estero), 7 ultima residenza italiana, 8 temporanea,
	// 9 altro, 10 revisione onomastica, 11 rettifica.
	TipoIndirizzo  string `json:"tipoIndirizzo,omitempty"`
	DataDecorrenza Data   `json:"dataDecorrenza,omitzero"`
	// Italian address.
	CodiceIstatComune string `json:"codiceIstatComune,omitempty"`
	Comune            string `json:"comune,omitempty"`
	SiglaProvincia    string `json:"siglaProvincia,omitempty"`
	CAP               string `json:"cap,omitempty"`
	Frazione          string `json:"frazione,omitempty"`
	// Specie is the kind of street (VIA, PIAZZA ...); Denominazione its name.
	Specie        string `json:"specie,omitempty"`
	Denominazione string `json:"denominazione,omitempty"`
	Civico        string `json:"civico,omitempty"`
	// Esponente is the letter or exponent of the house number (ANPR lettera / esponente1).
	Esponente string `json:"esponente,omitempty"`
	Scala     string `json:"scala,omitempty"`
	Interno   string `json:"interno,omitempty"`
	Piano     string `json:"piano,omitempty"`
	// Estero is the address abroad (ANPR localitaEstera), for AIRE citizens.
	Estero *IndirizzoEstero `json:"estero,omitempty"`
	Presso string           `json:"presso,omitempty"`
	Note   string           `json:"note,omitempty"`
}

// IndirizzoEstero is an address abroad (ANPR localitaEstera).
type IndirizzoEstero struct {
	// CodiceStato is the 3-digit ISTAT code of the state.
	CodiceStato     string `json:"codiceStato,omitempty"`
	Stato           string `json:"stato,omitempty"`
	Localita        string `json:"localita,omitempty"`
	ProvinciaContea string `json:"provinciaContea,omitempty"`
	CAP             string `json:"cap,omitempty"`
	// Indirizzo is the street (toponimo.denominazione); Civico its number.
	Indirizzo string `json:"indirizzo,omitempty"`
	Civico    string `json:"civico,omitempty"`
	// Consolato is the consulate the citizen is registered with.
	CodiceConsolato      string `json:"codiceConsolato,omitempty"`
	DescrizioneConsolato string `json:"descrizioneConsolato,omitempty"`
}

// Cittadinanza is one citizenship (ANPR cittadinanza[]).
type Cittadinanza struct {
	// CodiceStato is the 3-digit ISTAT code (100 = Italia). SIUSS wants ISO 3166 numeric codes (380):
	// the SIUSS builder converts.
	CodiceStato  string `json:"codiceStato"`
	Stato        string `json:"stato,omitempty"`
	DataValidita Data   `json:"dataValidita,omitzero"`
}

// StatoCivile is ANPR statoCivile.
type StatoCivile struct {
	// Codice is ANPR's code: 1 celibe/nubile, 2 coniugato, 3 vedovo, 4 divorziato, 6 unito
	// civilmente, 7/8 stato libero after a civil union, 9 non classificabile.
	Codice string `json:"codice"`
	// NonDocumentato is ANPR statoCivileND: the civil status is not documented.
	NonDocumentato bool   `json:"nonDocumentato,omitempty"`
	Note           string `json:"note,omitempty"`
}

// Decesso is the death of a person (ANPR datiDecesso, or infoSoggettoEnte "esistenza in vita" = N,
// which gives no date).
type Decesso struct {
	Data  Data   `json:"data,omitzero"`
	Luogo *Luogo `json:"luogo,omitempty"`
}
