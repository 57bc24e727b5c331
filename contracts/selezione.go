package contracts

// SelezioneISEE is the answer to "which ISEE applies to this benefit for this person": the chosen
// indicator, why it was chosen, the attestation it came from (when the gateway read one), and the
// consistency problems found on it. The gateway picks the "ISEE di prestazione" so WelfareGOV does
// not have to know the attestation's structure (payloads.md §5 rule 1).
type SelezioneISEE struct {
	Indicatore IndicatoreISEE  `json:"indicatore"`
	Motivo     MotivoSelezione `json:"motivo"`
	// DettaglioMotivo explains the choice in words, for operators.
	DettaglioMotivo string `json:"dettaglioMotivo,omitempty"`
	// TipoRichiesto is the TipoISEE the caller or the benefit asked for.
	TipoRichiesto TipoISEE `json:"tipoRichiesto,omitempty"`
	// CodiceFiscaleBeneficiario is the person the benefit is for.
	CodiceFiscaleBeneficiario string `json:"codiceFiscaleBeneficiario,omitempty"`
	// CodicePrestazione is the INPS PrestazioneDaErogare code sent with the request (A1.01 ... Z9.99).
	CodicePrestazione string `json:"codicePrestazione,omitempty"`
	// ProtocolloDSU, DataPresentazione and DataValidita identify the DSU; ConsultazioneIndicatore
	// gives only the first two.
	ProtocolloDSU     string `json:"protocolloDSU,omitempty"`
	DataPresentazione Data   `json:"dataPresentazione,omitzero"`
	DataValidita      Data   `json:"dataValidita,omitzero"`
	// Difforme is true when the attestation has OmissioneDifformita entries.
	Difforme bool `json:"difforme,omitempty"`
	// Incongruenze are the failed consistency checks of the chosen indicator (CheckISEE).
	Incongruenze []Incongruenza `json:"incongruenze,omitempty"`
	// Attestazione is the whole attestation when the gateway read it (ConsultazioneAttestazione).
	Attestazione *AttestazioneISEE `json:"attestazione,omitempty"`
	Provenienza  Provenienza       `json:"provenienza"`
}

// MotivoSelezione says why an indicator was chosen.
type MotivoSelezione string

const (
	// MotivoTipoRichiesto: INPS was asked for this TipoIndicatore (ConsultazioneIndicatore).
	MotivoTipoRichiesto MotivoSelezione = "TIPO_RICHIESTO"
	// MotivoBeneficiarioMinorenne: a benefit for a minor uses the minor's ISEEMin entry.
	MotivoBeneficiarioMinorenne MotivoSelezione = "BENEFICIARIO_MINORENNE"
	// MotivoStudenteUniversitario: a university benefit uses the student's ISEEUni entry.
	MotivoStudenteUniversitario MotivoSelezione = "STUDENTE_UNIVERSITARIO"
	// MotivoPrestazioneResidenziale: residential care uses the person's ISEESocioSanRes entry.
	MotivoPrestazioneResidenziale MotivoSelezione = "PRESTAZIONE_RESIDENZIALE"
	// MotivoPrestazioneSocioSanitaria: an adult socio-sanitary benefit uses the restricted household.
	MotivoPrestazioneSocioSanitaria MotivoSelezione = "PRESTAZIONE_SOCIOSANITARIA"
	// MotivoOrdinario: the benefit calls for no specific indicator.
	MotivoOrdinario MotivoSelezione = "ORDINARIO"
	// MotivoOrdinarioInAssenzaDiSpecifico: the benefit calls for a specific indicator the attestation
	// does not carry for this person, and the ordinario applies instead.
	MotivoOrdinarioInAssenzaDiSpecifico MotivoSelezione = "ORDINARIO_IN_ASSENZA_DI_SPECIFICO"
)

var motivoSelezioneValues = []MotivoSelezione{
	MotivoTipoRichiesto, MotivoBeneficiarioMinorenne, MotivoStudenteUniversitario, MotivoPrestazioneResidenziale,
	MotivoPrestazioneSocioSanitaria, MotivoOrdinario, MotivoOrdinarioInAssenzaDiSpecifico,
}

// Valid reports whether m is one of the declared constants.
func (m MotivoSelezione) Valid() bool { return isOneOf(m, motivoSelezioneValues) }
