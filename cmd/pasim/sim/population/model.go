package population

import "github.com/shopspring/decimal"

// Person is one synthetic citizen, with the data the ANPR, INPS and SIUSS simulators render. Pointers
// between people and households are shared: treat a built Population as read-only.
type Person struct {
	CodiceFiscale string `json:"codiceFiscale"`
	// OmocodiaLevel is 0 for an ordinary code, n when the Agenzia delle Entrate had to replace the n
	// rightmost digits because an earlier person would have had the same code.
	OmocodiaLevel int    `json:"omocodiaLevel,omitempty"`
	IDANPR        string `json:"idANPR"` // two letters, five digits, two letters, as ANPR's "AB12345CD"
	Cognome       string `json:"cognome"`
	Nome          string `json:"nome"`
	Sesso         string `json:"sesso"` // "M" or "F"
	// DataNascita is always a full date; with SenzaGiorno only year and month are meaningful, with
	// SenzaGiornoMese only the year (ANPR senzaGiorno / senzaGiornoMese: the rest is filler, and the
	// codice fiscale was computed on the filler date).
	DataNascita     Date      `json:"dataNascita"`
	SenzaGiorno     bool      `json:"senzaGiorno,omitempty"`
	SenzaGiornoMese bool      `json:"senzaGiornoMese,omitempty"`
	ComuneNascita   *Comune   `json:"comuneNascita,omitempty"` // nil when born abroad
	StatoNascita    *Stato    `json:"statoNascita,omitempty"`  // nil when born in Italy
	Cittadinanze    []*Stato  `json:"cittadinanze"`            // first is the primary one
	StatoCivile     string    `json:"statoCivile"`             // ANPR code, see StatoCivile* constants
	DataDecesso     *Date     `json:"dataDecesso,omitempty"`
	Residenza       Indirizzo `json:"residenza"`
	// HouseholdID is the ANPR family (idFamigliaConvivenzaANPR) the person is registered in.
	HouseholdID string `json:"idFamiglia"`
	// CodiceLegame is the relationship to the family's intestatario (ANPR codiceLegame table).
	CodiceLegame string `json:"codiceLegame"`
	// Progressivo is the member's position in the family sheet (progressivoComponente), from 1.
	Progressivo   int         `json:"progressivoComponente"`
	Universitario bool        `json:"universitario,omitempty"`
	Disabilita    *Disabilita `json:"disabilita,omitempty"`
	Lavoratore    bool        `json:"lavoratore,omitempty"`
	// Economia is the person's income and wealth, the inputs of the ISEE and ICEF calculations.
	Economia Economia `json:"economia"`
}

// Belfiore is the birth-place code used in the codice fiscale.
func (p *Person) Belfiore() string {
	if p.ComuneNascita != nil {
		return p.ComuneNascita.CodiceBelfiore
	}
	return p.StatoNascita.CodiceBelfiore
}

// Minorenne reports whether the person is under 18 on the reference date.
func (p *Person) Minorenne() bool { return p.DataNascita.AgeAt(ReferenceDate) < 18 }

// Deceduto reports whether the person has died.
func (p *Person) Deceduto() bool { return p.DataDecesso != nil }

// AIRE reports whether the person lives abroad (registered in the AIRE).
func (p *Person) AIRE() bool { return p.Residenza.Estero != nil }

// ANPR stato civile codes (payloads.md §2.4).
const (
	StatoCivileCelibe      = "1" // celibe / nubile
	StatoCivileConiugato   = "2"
	StatoCivileVedovo      = "3"
	StatoCivileDivorziato  = "4"
	StatoCivileUnitoCivile = "6"
)

// ANPR codiceLegame codes used by the population (payloads.md §2.4).
const (
	LegameIntestatario = "1"
	LegameConiuge      = "2"
	LegameFiglio       = "3"
	LegameGenitore     = "6"
	LegameFratello     = "9"
	LegameConvivente   = "23"
	LegameUnitoCivile  = "28"
)

// Disabilita is a certified disability.
type Disabilita struct {
	Percentuale int `json:"percentuale"` // civil invalidity, 0..100
	// NonAutosufficiente marks the gravest condition (indennità di accompagnamento).
	NonAutosufficiente bool `json:"nonAutosufficiente,omitempty"`
}

// Economia holds yearly amounts in euro with 2 decimals.
type Economia struct {
	Reddito               decimal.Decimal `json:"reddito"`               // income of the ISEE reference year
	RedditoCorrente       decimal.Decimal `json:"redditoCorrente"`       // last 12 months, for ISEE corrente
	PatrimonioMobiliare   decimal.Decimal `json:"patrimonioMobiliare"`   // deposits, securities at 31/12
	PatrimonioImmobiliare decimal.Decimal `json:"patrimonioImmobiliare"` // IMU value net of mortgage
}

// Indirizzo is a residence: in Italy (Comune set) or abroad (Estero set).
type Indirizzo struct {
	TipoIndirizzo  string           `json:"tipoIndirizzo"` // ANPR: "1" residenza, "4" residenza estera
	Comune         *Comune          `json:"comune,omitempty"`
	Specie         string           `json:"specie,omitempty"`        // toponimo specie: VIA, PIAZZA, ...
	Denominazione  string           `json:"denominazione,omitempty"` // toponimo denominazione
	Civico         string           `json:"civico,omitempty"`
	CAP            string           `json:"cap,omitempty"`
	Estero         *IndirizzoEstero `json:"estero,omitempty"`
	DataDecorrenza Date             `json:"dataDecorrenza"`
}

// IndirizzoEstero is an AIRE residence abroad.
type IndirizzoEstero struct {
	Stato     *Stato    `json:"stato"`
	Localita  string    `json:"localita"`
	Indirizzo string    `json:"indirizzo"`
	CAP       string    `json:"cap"`
	Consolato Consolato `json:"consolato"`
}

// Household is an ANPR family (famiglia anagrafica): the people registered on one family sheet.
type Household struct {
	ID        string    `json:"idFamiglia"` // idFamigliaConvivenzaANPR
	Members   []*Person `json:"-"`
	Indirizzo Indirizzo `json:"indirizzo"`
	AIRE      bool      `json:"famigliaAire,omitempty"`
	// DSU is the household's ISEE declaration, nil when the household has none (INPS answers
	// DATI_NON_TROVATI).
	DSU *DSU `json:"-"`
	// ICEF holds one indicator per policy for Trentino households; empty elsewhere.
	ICEF []*ICEF `json:"-"`
	// Affitto is the yearly rent paid (an ISR deduction), zero for owners.
	Affitto decimal.Decimal `json:"-"`
	// Tags name the special cases this household was built to cover (see the Tag* constants).
	Tags []string `json:"tags,omitempty"`
}

// Intestatario is the member with codiceLegame 1.
func (h *Household) Intestatario() *Person {
	for _, m := range h.Members {
		if m.CodiceLegame == LegameIntestatario {
			return m
		}
	}
	return nil
}

// Trentino reports whether the household lives in the Provincia autonoma di Trento.
func (h *Household) Trentino() bool { return h.Indirizzo.Comune.Trentino() }

// HasTag reports whether the household carries tag t.
func (h *Household) HasTag(t string) bool {
	for _, x := range h.Tags {
		if x == t {
			return true
		}
	}
	return false
}
