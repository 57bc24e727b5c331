package inps

// Esito is the outcome INPS reports in every answer (EsitoEnum of the PDND wrapper XSD).
type Esito string

const (
	EsitoOK Esito = "OK"
	// EsitoRichiestaInvalida: the request is malformed (a bad codice fiscale, a missing filter ...).
	EsitoRichiestaInvalida Esito = "RICHIESTA_INVALIDA"
	// EsitoDatiNonTrovati: INPS holds no valid ISEE for the search. A business answer, not an error.
	EsitoDatiNonTrovati Esito = "DATI_NON_TROVATI"
	// EsitoDatabaseOffline: INPS's archive is temporarily unavailable; idpay retries it.
	EsitoDatabaseOffline Esito = "DATABASE_OFFLINE"
	// EsitoErroreInterno: INPS failed while answering; idpay retries it too.
	EsitoErroreInterno Esito = "ERRORE_INTERNO"
	// EsitoRiscontroNonValido: appears only in the PDND wrapper XSD, with no documentation; read as
	// INPS refusing the request's reference to the benefit application (PrestazioneDaErogare,
	// ProtocolloDomandaEnteErogatore, StatodomandaPrestazione).
	EsitoRiscontroNonValido Esito = "RISCONTRO_NON_VALIDO"
)

var esitoValues = []Esito{EsitoOK, EsitoRichiestaInvalida, EsitoDatiNonTrovati, EsitoDatabaseOffline, EsitoErroreInterno, EsitoRiscontroNonValido}

// Esiti returns the values of EsitoEnum in the schema's order (a fresh slice).
func Esiti() []Esito { return append([]Esito(nil), esitoValues...) }

// Valid reports whether e is one of EsitoEnum's values.
func (e Esito) Valid() bool {
	for _, v := range esitoValues {
		if v == e {
			return true
		}
	}
	return false
}

// esitoReasons maps the failing Esito values to a Reason and an explanation for operators.
var esitoReasons = map[Esito]struct {
	reason Reason
	detail string
}{
	EsitoRichiestaInvalida: {ReasonRichiestaInvalida,
		"INPS refused the request as invalid (RICHIESTA_INVALIDA): check the codice fiscale, the filter and the optional fields; retrying the same request will fail again"},
	EsitoDatabaseOffline: {ReasonDatabaseOffline,
		"INPS's ISEE archive is temporarily offline (DATABASE_OFFLINE): retry later"},
	EsitoErroreInterno: {ReasonErroreInterno,
		"INPS failed while answering (ERRORE_INTERNO): retry later; if it persists, report the IdRichiesta to INPS"},
	EsitoRiscontroNonValido: {ReasonRiscontroNonValido,
		"INPS did not accept the request's reference to the benefit application (RISCONTRO_NON_VALIDO): check PrestazioneDaErogare, ProtocolloDomandaEnteErogatore and StatodomandaPrestazione"},
}

// Err turns a parsed answer into the caller's outcome: nil for OK and DATI_NON_TROVATI (both are
// answers), an *Error with a Reason and a specific explanation for every other Esito.
func (r *Risposta) Err() error {
	switch r.Esito {
	case EsitoOK, EsitoDatiNonTrovati:
		return nil
	}
	e := &Error{Operazione: r.Operazione, IDRichiesta: r.IDRichiesta, Esito: r.Esito, DescrizioneErrore: maskText(r.DescrizioneErrore)}
	if m, ok := esitoReasons[r.Esito]; ok {
		e.Reason, e.Detail = m.reason, m.detail
	} else {
		e.Reason, e.Detail = ReasonEsitoSconosciuto, "INPS answered with Esito "+quote(string(r.Esito))+", which the WSDL does not list"
	}
	if e.DescrizioneErrore != "" {
		e.Detail += "; DescrizioneErrore: " + e.DescrizioneErrore
	}
	return e
}

func quote(s string) string { return `"` + truncate(s, 64) + `"` }
