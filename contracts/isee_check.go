package contracts

import (
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"
)

// The ISEE formula (DPCM 159/2013, payloads.md §4):
//
//	ISE  = ISR + 0.2 × ISP
//	ISEE = ISE / ScalaEquivalenza
//	ScalaEquivalenza = ParametroNucleo + Maggiorazioni
//
// INPS prints every value with two decimals, so each equation is checked within one cent (iseeTolerance). The
// checks re-verify what INPS sent; they never recompute an ISEE from a DSU (the deductions and
// franchigie are not all verified facts, payloads.md §4).

// iseeTolerance is the largest difference accepted between a value and its recomputation: one cent,
// the rounding of two-decimal figures.
var iseeTolerance = decimal.New(1, -2)

// Equazione names a consistency check.
type Equazione string

const (
	// EquazioneISE: ISE = ISR + 0.2 × ISP.
	EquazioneISE Equazione = "ISE_DA_ISR_ISP"
	// EquazioneISEE: ISEE = ISE / ScalaEquivalenza (ScalaEquivalenza must be positive).
	EquazioneISEE Equazione = "ISEE_DA_ISE_SCALA"
	// EquazioneScala: ScalaEquivalenza = ParametroNucleo + Maggiorazioni.
	EquazioneScala Equazione = "SCALA_DA_PARAMETRO_MAGGIORAZIONI"
	// EquazioneValoriDettaglio: a quantity (ISE, ISR, ISP, ScalaEquivalenza) has the same value in
	// Valori and in ModalitaCalcolo.
	EquazioneValoriDettaglio Equazione = "VALORI_DETTAGLIO"
)

var equazioneValues = []Equazione{EquazioneISE, EquazioneISEE, EquazioneScala, EquazioneValoriDettaglio}

// Valid reports whether e is one of the declared constants.
func (e Equazione) Valid() bool { return isOneOf(e, equazioneValues) }

// Incongruenza is a failed consistency check: which equation, where, the value the equation gives
// (Atteso) and the value INPS sent (Trovato). The gateway reports them on results; it does not
// reject the attestation, which is INPS's legal act.
type Incongruenza struct {
	Equazione Equazione `json:"equazione"`
	// Riferimento is a JSON Pointer (RFC 6901) to the object checked, from the result's root:
	// "/valori", "/indicatori/2/modalitaCalcolo".
	Riferimento string `json:"riferimento"`
	// Campo is the JSON name of the value that disagrees ("isee", "ise", "scalaEquivalenza").
	Campo string `json:"campo"`
	// Atteso is the recomputed value, rounded to two decimals; absent when it cannot be computed
	// (a non-positive ScalaEquivalenza).
	Atteso  *Decimal `json:"atteso,omitempty"`
	Trovato Decimal  `json:"trovato"`
	// Dettaglio explains the failure in words.
	Dettaglio string `json:"dettaglio"`
}

var fifth = decimal.New(2, -1) // 0.2: the share of ISP that enters ISE

// CheckValori checks ISE = ISR + 0.2·ISP and ISEE = ISE / ScalaEquivalenza on v. ref is the JSON
// Pointer of v, used in the results.
func CheckValori(v ValoriISEE, ref string) []Incongruenza {
	var out []Incongruenza
	if inc, ok := checkISE(v.ISE, v.ISR, v.ISP, ref); !ok {
		out = append(out, inc)
	}
	if !v.ScalaEquivalenza.IsPositive() {
		return append(out, Incongruenza{
			Equazione: EquazioneISEE, Riferimento: ref, Campo: "scalaEquivalenza", Trovato: v.ScalaEquivalenza,
			Dettaglio: fmt.Sprintf("scalaEquivalenza %s is not positive: ISEE = ISE / scala cannot be computed", v.ScalaEquivalenza),
		})
	}
	const precision = 12 // digits kept in the quotient before comparing with the 2-decimal ISEE
	want := v.ISE.DivRound(v.ScalaEquivalenza.Decimal, precision)
	if !within(want, v.ISEE.Decimal) {
		out = append(out, mismatch(EquazioneISEE, ref, "isee", want, v.ISEE,
			fmt.Sprintf("ISE %s / scalaEquivalenza %s", v.ISE, v.ScalaEquivalenza)))
	}
	return out
}

// CheckModalitaCalcolo checks ISE = ISR + 0.2·ISP and ScalaEquivalenza = ParametroNucleo +
// Maggiorazioni on a calculation breakdown. ref is the JSON Pointer of m.
func CheckModalitaCalcolo(m ModalitaCalcolo, ref string) []Incongruenza {
	var out []Incongruenza
	if inc, ok := checkISE(m.ISE, m.ISR, m.ISP, ref); !ok {
		out = append(out, inc)
	}
	want := m.ParametroNucleo.Add(m.Maggiorazioni.Decimal)
	if !within(want, m.ScalaEquivalenza.Decimal) {
		out = append(out, mismatch(EquazioneScala, ref, "scalaEquivalenza", want, m.ScalaEquivalenza,
			fmt.Sprintf("parametroNucleo %s + maggiorazioni %s", m.ParametroNucleo, m.Maggiorazioni)))
	}
	return out
}

func checkISE(ise, isr, isp Decimal, ref string) (Incongruenza, bool) {
	want := isr.Add(isp.Mul(fifth))
	if within(want, ise.Decimal) {
		return Incongruenza{}, true
	}
	return mismatch(EquazioneISE, ref, "ise", want, ise, fmt.Sprintf("ISR %s + 0.2 × ISP %s", isr, isp)), false
}

// CheckIndicatore checks an indicator's Valori, its ModalitaCalcolo, and that the two agree on ISE,
// ISR, ISP and ScalaEquivalenza. A NON_CALCOLABILE indicator has nothing to check. ref is the JSON
// Pointer of ind ("" for a root).
func CheckIndicatore(ind IndicatoreISEE, ref string) []Incongruenza {
	if ind.Stato == IndicatoreNonCalcolabile {
		return nil
	}
	var out []Incongruenza
	if ind.Valori != nil {
		out = append(out, CheckValori(*ind.Valori, ref+"/valori")...)
	}
	if m := ind.ModalitaCalcolo; m != nil {
		mref := ref + "/modalitaCalcolo"
		out = append(out, CheckModalitaCalcolo(*m, mref)...)
		if v := ind.Valori; v != nil {
			for _, q := range []struct {
				campo          string
				valori, detail Decimal
			}{
				{"ise", v.ISE, m.ISE}, {"isr", v.ISR, m.ISR}, {"isp", v.ISP, m.ISP},
				{"scalaEquivalenza", v.ScalaEquivalenza, m.ScalaEquivalenza},
			} {
				if !within(q.valori.Decimal, q.detail.Decimal) {
					out = append(out, mismatch(EquazioneValoriDettaglio, mref, q.campo, q.valori.Decimal, q.detail,
						fmt.Sprintf("valori.%s is %s", q.campo, q.valori)))
				}
			}
		}
	}
	return out
}

// CheckAttestazione runs CheckIndicatore on every indicator of a, with references from the
// attestation's root ("/indicatori/0/valori").
func CheckAttestazione(a AttestazioneISEE) []Incongruenza {
	var out []Incongruenza
	for i, ind := range a.Indicatori {
		out = append(out, CheckIndicatore(ind, "/indicatori/"+strconv.Itoa(i))...)
	}
	return out
}

func within(a, b decimal.Decimal) bool {
	return a.Sub(b).Abs().LessThanOrEqual(iseeTolerance)
}

func mismatch(eq Equazione, ref, campo string, want decimal.Decimal, got Decimal, formula string) Incongruenza {
	w := Decimal{want.Round(2)}
	return Incongruenza{
		Equazione: eq, Riferimento: ref, Campo: campo, Atteso: &w, Trovato: got,
		Dettaglio: fmt.Sprintf("%s = %s, but %s is %s (tolerance %s)", formula, w, campo, got, Decimal{iseeTolerance}),
	}
}
