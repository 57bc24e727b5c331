package icef

import (
	"fmt"
	"net/http"

	"github.com/welfaregov/gateway/adapters/upstream"
)

// The operations of the provisional contract, named by their operationId: the runtime names their
// breakers "icef.ricercaIndicatore" and "icef.elencoPolitiche", and retries them (both are reads)
// when CheckAnswer says a failure is Retryable.
var (
	// OperationRicerca is POST /indicatori/ricerca: it carries a body only to keep the codice
	// fiscale out of the URL; it reads, so it is idempotent.
	OperationRicerca = &upstream.Operation{Name: opRicerca, Idempotent: true, Check: CheckAnswer(opRicerca)}
	// OperationPolitiche is GET /politiche.
	OperationPolitiche = &upstream.Operation{Name: opPolitiche, Idempotent: true, Check: CheckAnswer(opPolitiche)}
)

const (
	opRicerca   = "ricercaIndicatore"
	opPolitiche = "elencoPolitiche"
)

// Operations lists every operation the Client calls.
func Operations() []*upstream.Operation {
	return []*upstream.Operation{OperationRicerca, OperationPolitiche}
}

// CheckAnswer returns the runtime's Check for operation op: non-200 answers as ErrorFromResponse
// classifies them (404 a Business answer, 429 and 5xx Retryable), and a 200 must be a JSON object
// within MaxResponseBytes, else it is Retryable (ReasonMalformata) or Permanent (too large). The
// translation itself, which needs the request to judge the echo, is left to the Client.
func CheckAnswer(op string) func(status int, header http.Header, body []byte) error {
	return func(status int, header http.Header, body []byte) error {
		if status != http.StatusOK {
			return ErrorFromResponse(op, status, header, body)
		}
		if len(body) > MaxResponseBytes {
			return &Error{Reason: ReasonTroppoGrande, Operazione: op, Status: status, Detail: fmt.Sprintf("the answer exceeds %d bytes", MaxResponseBytes)}
		}
		var v any = &Indicatore{}
		if op == opPolitiche {
			v = &elencoPolitiche{}
		}
		if _, err := decodeObject(body, v); err != nil {
			return &Error{Reason: ReasonMalformata, Operazione: op, Status: status, Detail: "the answer is not the contract's JSON", Cause: err}
		}
		return nil
	}
}

type elencoPolitiche struct {
	Politiche []Politica `json:"politiche"`
}
