package population

import "github.com/shopspring/decimal"

// ICEF (Indicatore della Condizione Economica Familiare) is the Provincia autonoma di Trento's means
// test. Its real algorithm is not public (payloads.md §3.1): the formula below is PROVISIONAL, chosen
// only so that the simulator serves plausible, internally consistent values.
//
//	RF = Σ redditi − min(20% of employment income, 3 000)                     (≥ 0, 2 decimals)
//	PF = Politica.PesoPatrimonio × max(0, mobiliare + immobiliare − Politica.Franchigia)
//	VF = ParametroScala(n) + 0.3 per member with invalidity 66–75% + 0.5 per member above 75%
//	     + 0.2 for a single parent with minor children + 0.2 when all parents work       (2 decimals)
//	Valore = min(1, (RF + PF) / (VF × Politica.Soglia))                        (4 decimals)
//
// The VF weights are the ones the 2005 annex publishes; RF, PF and the combination are ours.
type ICEF struct {
	Politica    string          `json:"politica"`
	Anno        int             `json:"anno"`
	Protocollo  string          `json:"protocollo"`
	DataCalcolo Date            `json:"dataCalcolo"`
	RF          decimal.Decimal `json:"rf"`
	PF          decimal.Decimal `json:"pf"`
	VF          decimal.Decimal `json:"vf"`
	Valore      decimal.Decimal `json:"valore"`
	Nucleo      []*Person       `json:"-"`
}

// Politica is a provincial policy family that uses its own ICEF variant. The four follow the 2025
// reform's families (edilizia, disabilità, sostegno al reddito, famiglie con figli).
type Politica struct {
	Codice         string          `json:"codice"`
	Denominazione  string          `json:"denominazione"`
	Famiglia       string          `json:"famiglia"`
	Soglia         decimal.Decimal `json:"-"`
	PesoPatrimonio decimal.Decimal `json:"-"`
	Franchigia     decimal.Decimal `json:"-"`
	// Applies reports whether households of this kind can hold this indicator.
	applies func(h *Household) bool
}

// AnnoICEF is the only year the population has ICEF data for.
const AnnoICEF = 2025

// Politiche lists the simulated ICEF policies.
var Politiche = []*Politica{
	{Codice: "assegno-unico-provinciale", Denominazione: "Assegno unico provinciale", Famiglia: "sostegno al reddito",
		Soglia: decimal.NewFromInt(60000), PesoPatrimonio: decimal.RequireFromString("0.2"), Franchigia: decimal.NewFromInt(20000),
		applies: func(*Household) bool { return true }},
	{Codice: "tariffe-scolastiche", Denominazione: "Tariffe dei servizi scolastici (mensa e trasporto)", Famiglia: "famiglie con figli",
		Soglia: decimal.NewFromInt(50000), PesoPatrimonio: decimal.RequireFromString("0.2"), Franchigia: decimal.NewFromInt(20000),
		applies: func(h *Household) bool { return h.hasMinor() }},
	{Codice: "edilizia-abitativa", Denominazione: "Edilizia abitativa pubblica (alloggi ITEA)", Famiglia: "edilizia",
		Soglia: decimal.NewFromInt(45000), PesoPatrimonio: decimal.RequireFromString("0.3"), Franchigia: decimal.NewFromInt(15000),
		applies: func(*Household) bool { return true }},
	{Codice: "interventi-disabilita", Denominazione: "Interventi a favore di persone con disabilità", Famiglia: "disabilità",
		Soglia: decimal.NewFromInt(70000), PesoPatrimonio: decimal.RequireFromString("0.1"), Franchigia: decimal.NewFromInt(30000),
		applies: func(h *Household) bool { return h.hasDisabled() }},
}

// PoliticaByCodice returns the policy with the given code, or nil.
func PoliticaByCodice(code string) *Politica {
	for _, p := range Politiche {
		if p.Codice == code {
			return p
		}
	}
	return nil
}

func (h *Household) hasMinor() bool {
	for _, m := range h.Members {
		if m.Minorenne() {
			return true
		}
	}
	return false
}

func (h *Household) hasDisabled() bool {
	for _, m := range h.Members {
		if m.Disabilita != nil {
			return true
		}
	}
	return false
}

// computeICEF applies the provisional formula to the living members of h.
func computeICEF(pol *Politica, h *Household, nucleo []*Person) (rf, pf, vf, valore decimal.Decimal) {
	lavoro, redditi, patrimonio := decimal.Zero, decimal.Zero, decimal.Zero
	minori, genitori, genitoriLavoratori := 0, 0, 0
	vf = ParametroScala(len(nucleo))
	for _, m := range nucleo {
		redditi = redditi.Add(m.Economia.Reddito)
		patrimonio = patrimonio.Add(m.Economia.PatrimonioMobiliare).Add(m.Economia.PatrimonioImmobiliare)
		if m.Lavoratore {
			lavoro = lavoro.Add(m.Economia.Reddito)
		}
		if m.Minorenne() {
			minori++
		} else if m.CodiceLegame == LegameIntestatario || m.CodiceLegame == LegameConiuge || m.CodiceLegame == LegameConvivente || m.CodiceLegame == LegameUnitoCivile {
			genitori++
			if m.Lavoratore {
				genitoriLavoratori++
			}
		}
		if d := m.Disabilita; d != nil {
			switch {
			case d.Percentuale > 75:
				vf = vf.Add(decimal.RequireFromString("0.5"))
			case d.Percentuale >= 66:
				vf = vf.Add(decimal.RequireFromString("0.3"))
			}
		}
	}
	if minori > 0 && genitori == 1 {
		vf = vf.Add(dec02)
	}
	if minori > 0 && genitori > 0 && genitoriLavoratori == genitori {
		vf = vf.Add(dec02)
	}
	rf = redditi.Sub(decimal.Min(lavoro.Mul(dec02).Round(2), maxDetrazioneLavoro))
	pf = pol.PesoPatrimonio.Mul(decimal.Max(decimal.Zero, patrimonio.Sub(pol.Franchigia))).Round(2)
	valore = rf.Add(pf).Div(vf.Mul(pol.Soglia)).Round(4)
	if valore.GreaterThan(decimal.NewFromInt(1)) {
		valore = decimal.NewFromInt(1)
	}
	return rf, pf, vf, valore
}
