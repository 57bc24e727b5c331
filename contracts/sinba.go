package contracts

// SchedaSINBA is a minor in care as SIUSS's SINBA register receives it (the SINBA element of a SINBA
// flow, siuss-waas.md §5): who the child is for statistics, the service given, whom the child lives
// with, how the case came in and was assessed, and whether a court is involved. The SIUSS builder
// turns one SchedaSINBA into one SINBA flow.
//
// It is pseudonymous by construction: it has no codice fiscale, no name and no birth date, only the
// ente's pseudonym of the child and the year of birth. Codes are SIUSS's, as integers (0 is absent
// for the optional ones), like ValutazioneSINA. This is the minimal record SIUSS accepts plus the
// dates of the judicial steps: SINBA's optional parents', foster-care, residential-placement,
// case-closing and ISEE attributes are not carried yet (they are added as optional fields when
// WelfareGOV sends them).
type SchedaSINBA struct {
	// IDBeneficiario is the ente's pseudonym of the child (1-20 characters): the same in every flow
	// about that child, and never the codice fiscale nor derived from it without a secret.
	IDBeneficiario string `json:"idBeneficiario"`
	// AnnoNascita is the child's year of birth.
	AnnoNascita int `json:"annoNascita"`
	// FasciaEta is SIUSS FasciaEtaBeneficiario: 1 0-3 years, 2 3-6, 3 6-9, 4 9-12, 5 12-15, 6 15-18.
	FasciaEta int `json:"fasciaEta"`
	// CodiceStatoResidenza is the ISTAT code of the state the child lives in (100 Italy); the builder
	// writes its ISO 3166 code.
	CodiceStatoResidenza string `json:"codiceStatoResidenza"`
	// CodiceIstatComuneResidenza is the comune the child lives in, required in Italy: SINBA wants
	// only its region, which the builder derives.
	CodiceIstatComuneResidenza string `json:"codiceIstatComuneResidenza,omitempty"`
	// CodicePrestazione is the SIUSS nomenclatore code of the service (5-10 characters): one per
	// flow in cooperation mode.
	CodicePrestazione string `json:"codicePrestazione"`
	// Famiglia is SIUSS ComposizioneFamiglia, whom the child lives with (at least one): 1 madre,
	// 2 padre, 3 fratelli/sorelle, 4 nonno/a, 5 compagno/a della madre o del padre, 6 altri conviventi.
	Famiglia []int `json:"famiglia"`
	// MinoreStranieroNonAccompagnato is SIUSS MinoreStranieroNoAcc (1 sì, 2 no).
	MinoreStranieroNonAccompagnato bool `json:"minoreStranieroNonAccompagnato"`
	// CondizioneMinore: 1 non orfano ... 5 genitori ignoti.
	CondizioneMinore int `json:"condizioneMinore"`
	// LuogoVita: 1 own family ... 8 senza dimora.
	LuogoVita int `json:"luogoVita"`
	// ScuolaFrequentata: 1 nessuna ... 8 corso di formazione professionale.
	ScuolaFrequentata int `json:"scuolaFrequentata"`
	// CondizioneLavoro: 1 inattivo, 2 occupato, 3 disoccupato, 4 in cerca di prima occupazione.
	CondizioneLavoro int `json:"condizioneLavoro"`
	// Disabilita is SIUSS Disabilita (1 sì, 2 no); TipoDisabilita (1 fisica ... 4 plurima) may say which.
	Disabilita     bool `json:"disabilita"`
	TipoDisabilita int  `json:"tipoDisabilita,omitempty"`
	// DataPrimaSegnalazione is the month of the first referral (SIUSS writes MM/AAAA): at least year
	// and month.
	DataPrimaSegnalazione Data `json:"dataPrimaSegnalazione"`
	// FonteSegnalazione is who referred the case, 1..14.
	FonteSegnalazione int `json:"fonteSegnalazione"`
	// ValutazioneMinore and ValutazioneFamigliaMinore are the assessments of the child and of the
	// family, 1..13.
	ValutazioneMinore         int `json:"valutazioneMinore"`
	ValutazioneFamigliaMinore int `json:"valutazioneFamigliaMinore"`
	// SegnalazioneAutoritaGiudiziaria: the case was reported to a court; DataSegnalazione is the month.
	SegnalazioneAutoritaGiudiziaria bool `json:"segnalazioneAutoritaGiudiziaria"`
	DataSegnalazione                Data `json:"dataSegnalazione,omitzero"`
	// ProvvedimentoGiudiziario: a court made an order; DataProvvedimentoGiudiziario is the month.
	ProvvedimentoGiudiziario     bool         `json:"provvedimentoGiudiziario"`
	DataProvvedimentoGiudiziario Data         `json:"dataProvvedimentoGiudiziario,omitzero"`
	Provenienza                  *Provenienza `json:"provenienza,omitempty"`
}
