package contracts

// IndicatoreICEF is a Trentino ICEF means-test result.
//
// PROVISIONAL: no public API, schema or sample of ICEF exists (payloads.md §3.1, §6). The fields are
// the elements of the 2005 algorithm (RF reddito familiare, PF patrimonio familiare, VF valutazione
// del peso familiare) and the per-policy nature of the indicator. Expect changes when the Provincia
// autonoma di Trento / Trentino Digitale specification is obtained.
type IndicatoreICEF struct {
	// CodiceFiscale is the applicant's.
	CodiceFiscale string `json:"codiceFiscale"`
	// Anno is the year the indicator is computed for (ICEF must be renewed yearly).
	Anno int `json:"anno"`
	// Politica is the policy or sector the indicator is computed for (up to 36 variants; 4 families
	// after the 2025 reform: edilizia, disabilità, sostegno al reddito, famiglie con figli).
	Politica string `json:"politica"`
	// Valore is the indicator, commonly between 0 and 1.
	Valore Decimal `json:"valore"`
	// RF, PF, VF are the algorithm's elements, when the source gives them.
	RF *Decimal `json:"rf,omitempty"`
	PF *Decimal `json:"pf,omitempty"`
	VF *Decimal `json:"vf,omitempty"`
	// ProtocolloDomanda is the ICEF dichiarazione's protocol.
	ProtocolloDomanda string `json:"protocolloDomanda,omitempty"`
	DataCalcolo       Data   `json:"dataCalcolo,omitzero"`
	// NucleoFamiliare is the ICEF household (Origine ICEF).
	NucleoFamiliare *NucleoFamiliare `json:"nucleoFamiliare,omitempty"`
	Provenienza     Provenienza      `json:"provenienza"`
}
