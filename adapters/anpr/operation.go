package anpr

import (
	"fmt"
	"net/http"

	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/adapters/upstream"
)

// operations are the declarations the Client hands the gateway's upstream runtime, one per use case
// (each is its own PDND e-service): the runtime names their breakers "anpr.C021", keys
// per-operation settings (timeouts, daily quotas, PDND purposes) on these names, and retries them
// (every accertamento is a consultation, hence idempotent) when CheckAnswer says a failure is
// Retryable.
var operations = func() map[CasoUso]*upstream.Operation {
	m := make(map[CasoUso]*upstream.Operation, len(CasiUso))
	for _, c := range CasiUso {
		m[c] = &upstream.Operation{Name: string(c), Idempotent: true, Check: CheckAnswer(c)}
	}
	return m
}()

// Operation returns the declared operation of use case c (nil for an unsupported one).
func (c CasoUso) Operation() *upstream.Operation { return operations[c] }

// Operations lists the operations of every supported use case, C030 first, for configuration
// checks (a PDND purpose per e-service) and the dashboard.
func Operations() []*upstream.Operation {
	out := make([]*upstream.Operation, len(CasiUso))
	for i, c := range CasiUso {
		out[i] = operations[c]
	}
	return out
}

// CheckAnswer returns the runtime's Check for use case c: a non-200 answer is classified as
// InterpretResponse does (EN122 and EN148 are Business answers, 429 and 5xx Retryable, GovWay's
// refusals of our request Permanent); a 200 must be a JSON object of RispostaE002OK's shape within
// the bounds, else it is Retryable (ReasonMalformed) or Permanent (ReasonTooLarge). The full
// translation is left to the Client.
func CheckAnswer(c CasoUso) func(status int, header http.Header, body []byte) error {
	return func(status int, header http.Header, body []byte) error {
		if status != http.StatusOK {
			return ErrorFromResponse(c, status, header, body)
		}
		if len(body) > MaxResponseBytes {
			return &Error{Reason: ReasonTooLarge, CasoUso: c, Status: status,
				Cause: fmt.Errorf("answer of %d bytes exceeds %d", len(body), MaxResponseBytes)}
		}
		var r e002.RispostaE002OK
		if err := decodeObject(body, &r); err != nil {
			return &Error{Reason: ReasonMalformed, CasoUso: c, Status: status, Cause: err}
		}
		if r.ListaSoggetti != nil && len(r.ListaSoggetti.DatiSoggetto) > MaxSoggetti {
			return &Error{Reason: ReasonTooLarge, CasoUso: c, Status: status, IDOperazioneANPR: r.IDOperazioneANPR,
				Cause: fmt.Errorf("%d subjects exceed %d", len(r.ListaSoggetti.DatiSoggetto), MaxSoggetti)}
		}
		return nil
	}
}
