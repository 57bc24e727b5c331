package inps

import (
	"net/http"

	"github.com/welfaregov/gateway/adapters/upstream"
)

// The operations the Client declares to the gateway's upstream runtime (upstream.WithOperation):
// the runtime names their breakers "inps.ConsultazioneAttestazione" and
// "inps.ConsultazioneIndicatore", keys per-operation settings on these names, and retries them
// (consultations are idempotent) when CheckAnswer says a failure is Retryable.
var (
	OperationAttestazione = &upstream.Operation{Name: string(OpConsultazioneAttestazione), Idempotent: true,
		Check: CheckAnswer(OpConsultazioneAttestazione)}
	OperationIndicatore = &upstream.Operation{Name: string(OpConsultazioneIndicatore), Idempotent: true,
		Check: CheckAnswer(OpConsultazioneIndicatore)}
)

// Operations lists every operation the Client calls, for configuration checks (a PDND purpose per
// operation) and the dashboard.
func Operations() []*upstream.Operation {
	return []*upstream.Operation{OperationAttestazione, OperationIndicatore}
}

// OperationOf returns the declared operation of op (nil for an unknown one).
func OperationOf(op Operazione) *upstream.Operation {
	switch op {
	case OpConsultazioneAttestazione:
		return OperationAttestazione
	case OpConsultazioneIndicatore:
		return OperationIndicatore
	}
	return nil
}

// CheckAnswer returns the runtime's Check for op's answers: the Client's own reading of the
// status, the SOAP envelope and the Esito, so the runtime sees what the Client will report. An
// HTTP 200 carrying Esito DATABASE_OFFLINE or ERRORE_INTERNO is Retryable, DATI_NON_TROVATI is
// Business, a garbled envelope or payload Retryable, RICHIESTA_INVALIDA Permanent (see README.md,
// Outcomes). What needs the request to judge (an echo of another search) is left to the Client.
func CheckAnswer(op Operazione) func(status int, header http.Header, body []byte) error {
	return func(status int, header http.Header, body []byte) error {
		risp, err := readAnswer(op, status, header, body)
		if err != nil {
			return err
		}
		if risp.Esito == EsitoDatiNonTrovati {
			e := newError(op, ReasonDatiNonTrovati, "INPS holds no ISEE for the search (DATI_NON_TROVATI)")
			e.IDRichiesta, e.Esito, e.HTTPStatus = risp.IDRichiesta, risp.Esito, status
			return e
		}
		return nil
	}
}
