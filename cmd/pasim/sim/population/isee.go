package population

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// DSU is one Dichiarazione Sostitutiva Unica with the attestation INPS computed from it. Element and
// variant names follow ISEE_Attestazione.xsd v1.4 so the INPS simulator can render them one to one.
type DSU struct {
	// Protocollo matches the XSD pattern INPS-ISEE-[0-9]{4}-[0-9]{8}[A-Z]-[0-9]{2}.
	Protocollo         string  `json:"protocollo"`
	ProtocolloMittente string  `json:"protocolloMittente"` // the CAF's protocol, at most 29 characters
	Dichiarante        *Person `json:"-"`
	DataPresentazione  Date    `json:"dataPresentazione"`
	DataValidita       Date    `json:"dataValidita"` // 31 December of the filing year
	// Corrente marks an ISEE corrente (Ordinario@Corrente="SI"); then DataScadenzaCorrente and the
	// modulo sostitutivo fields are set.
	Corrente                    bool   `json:"corrente,omitempty"`
	DataScadenzaCorrente        *Date  `json:"dataScadenzaCorrente,omitempty"`
	ProtocolloModuloSostitutivo string `json:"protocolloModuloSostitutivo,omitempty"`
	DataModuloSostitutivo       *Date  `json:"dataModuloSostitutivo,omitempty"`
	// Nucleo is the declared ISEE household (Ordinario/NucleoFamiliare). It may differ from the ANPR
	// family, lawfully (componenti attratte) or not (the listed Discrepancies).
	Nucleo []Componente `json:"nucleo"`
	// Ordinario is Ordinario/ISEEOrdinario.
	Ordinario Indicatore `json:"ordinario"`
	// Minorenni, Universitari and SocioSanitari are the per-beneficiary indicators of
	// Ordinario/ISEEMin, ISEEUni and ISEESocioSanRes.
	Minorenni     []IndicatoreBeneficiario `json:"minorenni,omitempty"`
	Universitari  []IndicatoreBeneficiario `json:"universitari,omitempty"`
	SocioSanitari []IndicatoreBeneficiario `json:"socioSanitari,omitempty"`
	// Ridotti are the Ridotto elements (nucleo ristretto of an adult socio-sanitary beneficiary).
	Ridotti     []Ridotto             `json:"ridotti,omitempty"`
	Variazione  *Variazione           `json:"variazione,omitempty"`
	Difformita  []OmissioneDifformita `json:"difformita,omitempty"`
	HouseholdID string                `json:"idFamiglia"`
}

// Componente is one declared member and their relationship to the declarant
// (RapportoConDichiarante: D, C, F, MA, FC, FNC, P, GNC; or RelazioneConBeneficiario in a Ridotto).
type Componente struct {
	Persona  *Person `json:"-"`
	Rapporto string  `json:"rapporto"`
}

// Rapporto codes of ComponenteNucleo@RapportoConDichiarante.
const (
	RapportoDichiarante      = "D"
	RapportoConiuge          = "C"
	RapportoFiglioMinorenne  = "F"
	RapportoFiglioConvivente = "FC" // adult child living with the declarant
	RapportoAltraPersona     = "P"
	RapportoGenitoreNC       = "GNC" // parent not married to and not living with the other (attratto)
	RapportoBeneficiario     = "B"   // RelazioneConBeneficiario in a nucleo ristretto
)

// Variante names the XSD element that carries a per-beneficiary indicator.
type Variante string

// Variants of the per-beneficiary indicators (ISEE_Attestazione.xsd choices).
const (
	VarOrd                  Variante = "ISEEOrd" // same as the ordinario: no own values
	VarNonCalcolabile       Variante = "ISEENonCalcolabile"
	VarMinAttr              Variante = "ISEEMinAttr"
	VarMinAgg               Variante = "ISEEMinAgg"
	VarUniStudAttratto      Variante = "ISEEUniStudAttratto"
	VarSocioSanRes          Variante = "ISEESocioSanRes"
	VarOrdAgg               Variante = "ISEEOrdAgg"
	VarRistretto            Variante = "ISEERistretto"
	VarSocioSanResRistretto Variante = "ISEESocioSanResRistretto"
)

// Indicatore is a computed indicator: Valori plus its ModalitaCalcolo breakdown.
type Indicatore struct {
	DataRilascio Date    `json:"dataRilascio"`
	Calcolo      Calcolo `json:"calcolo"`
}

// IndicatoreBeneficiario is one ComponenteMinorenne, StudenteUniversitario or
// ComponenteSocioSanitarieRes (or the ISEESocioSanResRistretto of a Ridotto).
type IndicatoreBeneficiario struct {
	Beneficiario *Person  `json:"-"`
	Variante     Variante `json:"variante"`
	// Indicatore is nil for VarOrd (use the ordinario, or the ristretto inside a Ridotto) and for
	// VarNonCalcolabile.
	Indicatore *Indicatore `json:"indicatore,omitempty"`
	// Aggiuntivi are the ComponenteAttratta / ComponenteAgguntiva entries (one for the Min/Uni
	// variants, one or more for the socio-sanitary ones).
	Aggiuntivi []ComponenteAggiuntiva `json:"aggiuntivi,omitempty"`
	// NucleoAttratto is NucleoFamiliareAttratto for a studente attratto.
	NucleoAttratto []Componente `json:"nucleoAttratto,omitempty"`
}

// ComponenteAggiuntiva is TypeCompAggiuntiva/ComponenteAttrattaAggiuntiva.
type ComponenteAggiuntiva struct {
	Persona *Person `json:"-"`
	// Attratta is true for a componente attratta (the parent joins the nucleo), false for a componente
	// aggiuntiva (the parent's own situation adds Valore to the indicator).
	Attratta           bool            `json:"attratta"`
	Valore             decimal.Decimal `json:"valore"`                       // ValoreComponenteAggiuntiva
	ProtocolloDSU      string          `json:"protocolloDSU,omitempty"`      // ProtocolloDSUComponenteAggiuntiva
	ProtocolloMittente string          `json:"protocolloMittente,omitempty"` // ProtocolloMittenteComponenteAggiuntiva
}

// Ridotto is an Attestazione/Ridotto element: the nucleo ristretto of an adult with disabilities.
type Ridotto struct {
	Beneficiario *Person      `json:"-"`
	Nucleo       []Componente `json:"nucleo"` // RelazioneConBeneficiario: B, C, F, FC ...
	Ristretto    Indicatore   `json:"ristretto"`
	// SocioSanRes is the ISEESocioSanResRistretto choice for the beneficiary, nil when absent.
	SocioSanRes *IndicatoreBeneficiario `json:"socioSanRes,omitempty"`
}

// Variazione is Attestazione/Variazione.
type Variazione struct {
	Tipo                        string        `json:"tipo"` // Contestazione | Ricalcolo | Integrazione
	ProtocolloDSUVariata        string        `json:"protocolloDSUVariata"`
	DataPresentazioneDSUVariata Date          `json:"dataPresentazioneDSUVariata"`
	Note                        string        `json:"note,omitempty"`
	Discordanze                 []Discordanza `json:"discordanze,omitempty"`
}

// Discordanza is Variazione/DiscordanzeContestazione.
type Discordanza struct {
	Persona   *Person `json:"-"`
	Tipologia string  `json:"tipologia"`
	Specifica string  `json:"specifica"`
}

// OmissioneDifformita is one Agenzia delle Entrate finding.
type OmissioneDifformita struct {
	Tipo          string     `json:"tipo"` // PatrimoniMobiliari | RedditiScostamento | ...
	Persona       *Person    `json:"-"`
	DataControllo Date       `json:"dataControlloAE"`
	Rapporti      []Rapporto `json:"rapporti,omitempty"`
	RedditoAE     *RedditoAE `json:"redditoAE,omitempty"`
}

// Rapporto is an undeclared or mis-declared financial account.
type Rapporto struct {
	TipoRapporto           string `json:"tipoRapporto"` // 01 conto corrente ...
	CodiceFiscaleOperatore string `json:"codiceFiscaleOperatore"`
	DescrizioneOperatore   string `json:"descrizioneOperatore"`
	Saldo3112              int64  `json:"saldo3112"`
	ConsistenzaMedia       int64  `json:"consistenzaMedia"`
}

// RedditoAE is the income the Agenzia delle Entrate knows of, when it differs from the declared one.
type RedditoAE struct {
	TipoModello        string          `json:"tipoModello"` // 1 730, 2 Unico, 3 CU
	RedditoComplessivo decimal.Decimal `json:"redditoComplessivo"`
}

// Calcolo is TypeModalitaCalcolo plus the resulting ISEE (TypeValori). Every amount has 2 decimals.
//
//	ISR = SommaRedditi (or SommaRedditiCorrente, when set) + RedditoFigurativo − Detrazioni
//	ISP = (PatrimonioMobiliare − DetrazioneMobiliare) + (PatrimonioImmobiliare − DetrazioneImmobiliare)
//	ISE = ISR + 0.2 × ISP
//	ScalaEquivalenza = ParametroNucleo + Maggiorazioni
//	ISEE = ISE / ScalaEquivalenza, rounded half up to 2 decimals
type Calcolo struct {
	SommaRedditi          decimal.Decimal  `json:"sommaRedditiComponenti"`
	SommaRedditiCorrente  *decimal.Decimal `json:"sommaRedditiComponentiCorrente,omitempty"`
	RedditoFigurativo     decimal.Decimal  `json:"redditoFigurativoPatrimonioMobiliare"`
	Detrazioni            decimal.Decimal  `json:"detrazioni"`
	ISR                   decimal.Decimal  `json:"isr"`
	PatrimonioMobiliare   decimal.Decimal  `json:"patrimonioMobiliare"`
	DetrazioneMobiliare   decimal.Decimal  `json:"detrazionePatrimonioMobiliare"`
	PatrimonioImmobiliare decimal.Decimal  `json:"patrimonioImmobiliare"`
	DetrazioneImmobiliare decimal.Decimal  `json:"detrazionePatrimonioImmobiliare"`
	ISP                   decimal.Decimal  `json:"isp"`
	ISE                   decimal.Decimal  `json:"ise"`
	ParametroNucleo       decimal.Decimal  `json:"parametroNucleo"`
	Maggiorazioni         decimal.Decimal  `json:"maggiorazioni"`
	ScalaEquivalenza      decimal.Decimal  `json:"scalaEquivalenza"`
	ISEE                  decimal.Decimal  `json:"isee"`
}

var (
	dec02        = decimal.RequireFromString("0.2")
	isePrecision = decimal.RequireFromString("0.01")
)

// ErrInconsistent is returned (wrapped) by Calcolo.Check.
var ErrInconsistent = errors.New("population: inconsistent ISEE calculation")

// Check verifies the identities documented on Calcolo. ISEE may differ from ISE/Scala by at most 0.01
// (INPS rounds); every other identity is exact.
func (c Calcolo) Check() error {
	redditi := c.SommaRedditi
	if c.SommaRedditiCorrente != nil {
		redditi = *c.SommaRedditiCorrente
	}
	if want := redditi.Add(c.RedditoFigurativo).Sub(c.Detrazioni); !want.Equal(c.ISR) {
		return fmt.Errorf("%w: ISR %s, but redditi + figurativo - detrazioni = %s", ErrInconsistent, c.ISR, want)
	}
	want := c.PatrimonioMobiliare.Sub(c.DetrazioneMobiliare).Add(c.PatrimonioImmobiliare.Sub(c.DetrazioneImmobiliare))
	if !want.Equal(c.ISP) {
		return fmt.Errorf("%w: ISP %s, but the patrimoni net of deductions give %s", ErrInconsistent, c.ISP, want)
	}
	if want := c.ISR.Add(dec02.Mul(c.ISP)); !want.Equal(c.ISE) {
		return fmt.Errorf("%w: ISE %s, but ISR + 0.2 ISP = %s", ErrInconsistent, c.ISE, want)
	}
	if want := c.ParametroNucleo.Add(c.Maggiorazioni); !want.Equal(c.ScalaEquivalenza) {
		return fmt.Errorf("%w: scala %s, but parametro + maggiorazioni = %s", ErrInconsistent, c.ScalaEquivalenza, want)
	}
	if c.ScalaEquivalenza.Sign() <= 0 {
		return fmt.Errorf("%w: scala di equivalenza %s is not positive", ErrInconsistent, c.ScalaEquivalenza)
	}
	if diff := c.ISE.Div(c.ScalaEquivalenza).Sub(c.ISEE).Abs(); diff.GreaterThan(isePrecision) {
		return fmt.Errorf("%w: ISEE %s, but ISE / scala = %s", ErrInconsistent, c.ISEE, c.ISE.Div(c.ScalaEquivalenza).StringFixed(4))
	}
	for _, v := range []decimal.Decimal{c.ISR, c.ISP, c.ISE, c.ISEE, c.Detrazioni, c.DetrazioneMobiliare, c.DetrazioneImmobiliare} {
		if v.Sign() < 0 {
			return fmt.Errorf("%w: negative amount %s", ErrInconsistent, v)
		}
	}
	return nil
}

// ParametroScala is the DPCM 159/2013 Allegato 1 equivalence parameter for n members:
// 1, 1.57, 2.04, 2.46, 2.85, then +0.35 for each further member.
func ParametroScala(n int) decimal.Decimal {
	table := []string{"0", "1", "1.57", "2.04", "2.46", "2.85"}
	if n <= 5 {
		return decimal.RequireFromString(table[max(n, 0)])
	}
	return decimal.RequireFromString("2.85").Add(decimal.RequireFromString("0.35").Mul(decimal.NewFromInt(int64(n - 5))))
}

// maggiorazioneInput describes the nucleo for the maggiorazioni of DPCM 159/2013 Allegato 1.
type maggiorazioneInput struct {
	figli              int  // children in the nucleo
	figliMinori        int  // of which minors
	figlioSotto3       bool // at least one child under 3
	genitoriLavoratori bool // both parents (or the only parent) worked at least 6 months
	disabili           int  // members with medium/severe disability or non-self-sufficient
}

// Maggiorazioni sums: a) +0.2 with 3 children, +0.35 with 4, +0.5 with 5 or more; b) with minor children
// and working parents +0.2, or +0.3 when a child is under 3; c) +0.5 for each disabled member. Rule c)
// is [U] in payloads.md §4 (DL 42/2016): it is kept because ISEE of disabled people depends on it.
func maggiorazioni(in maggiorazioneInput) decimal.Decimal {
	m := decimal.Zero
	switch {
	case in.figli >= 5:
		m = m.Add(decimal.RequireFromString("0.5"))
	case in.figli == 4:
		m = m.Add(decimal.RequireFromString("0.35"))
	case in.figli == 3:
		m = m.Add(decimal.RequireFromString("0.2"))
	}
	if in.figliMinori > 0 && in.genitoriLavoratori {
		if in.figlioSotto3 {
			m = m.Add(decimal.RequireFromString("0.3"))
		} else {
			m = m.Add(decimal.RequireFromString("0.2"))
		}
	}
	return m.Add(decimal.RequireFromString("0.5").Mul(decimal.NewFromInt(int64(in.disabili))))
}

// calcoloInput is what the calculation needs about a (possibly extended) nucleo.
type calcoloInput struct {
	membri   []*Person
	affitto  decimal.Decimal
	corrente bool
	// extraReddito is added to SommaRedditi (the value of componenti aggiuntive).
	extraReddito decimal.Decimal
	// extraDetrazioni are further ISR deductions (the retta of a residential structure).
	extraDetrazioni decimal.Decimal
	maggiorazioni   maggiorazioneInput
}

var (
	rendimentoFigurativo = decimal.RequireFromString("0.01") // yearly yield on patrimonio mobiliare (simulation value)
	maxDetrazioneLavoro  = decimal.NewFromInt(3000)
	maxDetrazioneAffitto = decimal.NewFromInt(7000)
	sogliaCasa           = decimal.NewFromInt(52500)
)

// calcola computes an indicator from its inputs. The deductions follow the shape of DPCM 159/2013
// (20% of incomes up to 3 000, rent up to 7 000, a franchigia on the patrimonio mobiliare growing with
// the nucleo, the home below 52 500 plus one third of the excess) but are simulation values: the
// identities checked by Calcolo.Check are what consumers rely on.
func calcola(in calcoloInput) Calcolo {
	var c Calcolo
	lavoro := decimal.Zero
	for _, m := range in.membri {
		c.SommaRedditi = c.SommaRedditi.Add(m.Economia.Reddito)
		c.PatrimonioMobiliare = c.PatrimonioMobiliare.Add(m.Economia.PatrimonioMobiliare)
		c.PatrimonioImmobiliare = c.PatrimonioImmobiliare.Add(m.Economia.PatrimonioImmobiliare)
		if m.Lavoratore {
			lavoro = lavoro.Add(m.Economia.Reddito)
		}
	}
	c.SommaRedditi = c.SommaRedditi.Add(in.extraReddito)
	redditi := c.SommaRedditi
	if in.corrente {
		corr := in.extraReddito
		for _, m := range in.membri {
			corr = corr.Add(m.Economia.RedditoCorrente)
		}
		c.SommaRedditiCorrente = &corr
		redditi = corr
	}
	c.RedditoFigurativo = c.PatrimonioMobiliare.Mul(rendimentoFigurativo).Round(2)
	detr := decimal.Min(lavoro.Mul(dec02).Round(2), maxDetrazioneLavoro).
		Add(decimal.Min(in.affitto, maxDetrazioneAffitto)).
		Add(in.extraDetrazioni)
	c.Detrazioni = decimal.Min(detr, redditi.Add(c.RedditoFigurativo))
	c.ISR = redditi.Add(c.RedditoFigurativo).Sub(c.Detrazioni)

	n := len(in.membri)
	franchigia := decimal.NewFromInt(int64(min(6000+2000*(n-1), 10000) + 1000*max(in.maggiorazioni.figli-2, 0)))
	c.DetrazioneMobiliare = decimal.Min(c.PatrimonioMobiliare, franchigia)
	casa := c.PatrimonioImmobiliare
	if casa.GreaterThan(sogliaCasa) {
		c.DetrazioneImmobiliare = sogliaCasa.Add(casa.Sub(sogliaCasa).Div(decimal.NewFromInt(3)).Round(2))
	} else {
		c.DetrazioneImmobiliare = casa
	}
	c.ISP = c.PatrimonioMobiliare.Sub(c.DetrazioneMobiliare).Add(c.PatrimonioImmobiliare.Sub(c.DetrazioneImmobiliare))
	c.ISE = c.ISR.Add(dec02.Mul(c.ISP))
	c.ParametroNucleo = ParametroScala(n)
	c.Maggiorazioni = maggiorazioni(in.maggiorazioni)
	c.ScalaEquivalenza = c.ParametroNucleo.Add(c.Maggiorazioni)
	c.ISEE = c.ISE.Div(c.ScalaEquivalenza).Round(2)
	return c
}

// Indicatori lists every computed indicator of the DSU (ordinario, per-beneficiary, ristretti), for
// consistency checks.
func (d *DSU) Indicatori() []*Indicatore {
	out := []*Indicatore{&d.Ordinario}
	add := func(list []IndicatoreBeneficiario) {
		for i := range list {
			if list[i].Indicatore != nil {
				out = append(out, list[i].Indicatore)
			}
		}
	}
	add(d.Minorenni)
	add(d.Universitari)
	add(d.SocioSanitari)
	for i := range d.Ridotti {
		out = append(out, &d.Ridotti[i].Ristretto)
		if s := d.Ridotti[i].SocioSanRes; s != nil && s.Indicatore != nil {
			out = append(out, s.Indicatore)
		}
	}
	return out
}

// Declares reports whether the person is in the declared nucleo, and with which rapporto.
func (d *DSU) Declares(p *Person) (string, bool) {
	for _, c := range d.Nucleo {
		if c.Persona == p {
			return c.Rapporto, true
		}
	}
	return "", false
}

var one = decimal.NewFromInt(1)
