package anpr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/contracts"
)

// Richiesta is what the gateway asks ANPR about one subject, before it becomes a RichiestaE002.
type Richiesta struct {
	// CodiceFiscale selects the subject in C030, and only there: every other use case goes by IDANPR
	// (obtained from C030 first), so that a codice fiscale travels once per chain (payloads.md §2.4).
	CodiceFiscale string
	// IDANPR selects the subject in C020, C021, C015, C018 and C019.
	IDANPR string
	// MotivoRichiesta is the WelfareGOV case reference (protocol or case number). ANPR makes it
	// mandatory: it is the legal reason of the lookup and ends up in ANPR's audit.
	MotivoRichiesta string
	// DataRiferimento is the date the registry data must refer to; a full civil date.
	DataRiferimento contracts.Data
}

// MaxMotivoRichiesta bounds motivoRichiesta (characters). The spec sets no limit; 256 is the length of
// the case reference INPS accepts (ProtocolloDomandaEnteErogatore), so one reference fits both.
const MaxMotivoRichiesta = 256

// MaxIDOperazioneClient bounds idOperazioneClient, as charMax30 in ANPR's tipoDato.xsd.
const MaxIDOperazioneClient = 30

// RequestError lists what is wrong with a Richiesta, each problem naming the field of RichiestaE002
// it would have gone to ("datiRichiesta.motivoRichiesta"). It never quotes a codice fiscale.
type RequestError struct {
	CasoUso  CasoUso
	Problems []FieldProblem
}

// FieldProblem is one invalid field of a request.
type FieldProblem struct {
	Field  string
	Reason string
}

// ErrInvalidRequest matches every *RequestError with errors.Is.
var ErrInvalidRequest = errors.New("anpr: invalid request")

func (e *RequestError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Reason
	}
	return fmt.Sprintf("anpr: invalid %s request: %s", e.CasoUso, strings.Join(parts, "; "))
}

// Is lets errors.Is(err, ErrInvalidRequest) match.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

// Has reports whether a problem names field.
func (e *RequestError) Has(field string) bool {
	for _, p := range e.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

// NewRichiestaE002 checks r for use case c and builds the wire request with id as idOperazioneClient.
// Every problem is reported at once in a *RequestError.
func NewRichiestaE002(c CasoUso, r Richiesta, id string) (e002.RichiestaE002, error) {
	re := &RequestError{CasoUso: c}
	bad := func(field, format string, args ...any) {
		re.Problems = append(re.Problems, FieldProblem{field, fmt.Sprintf(format, args...)})
	}
	if !c.Valid() {
		bad("datiRichiesta.casoUso", "unsupported use case %q (supported: C030, C020, C021, C015, C018, C019)", truncate(string(c)))
	}
	switch {
	case id == "":
		bad("idOperazioneClient", "required")
	case len(id) > MaxIDOperazioneClient || !alphanumeric(id):
		bad("idOperazioneClient", "must be 1..%d ASCII letters and digits", MaxIDOperazioneClient)
	}
	cf := contracts.NormalizeCodiceFiscale(r.CodiceFiscale)
	idANPR := strings.ToUpper(strings.TrimSpace(r.IDANPR))
	if c == C030 {
		if idANPR != "" {
			bad("criteriRicerca.idANPR", "C030 looks a subject up by codice fiscale to obtain its idANPR; do not send one")
		}
		var ce *contracts.CFError
		if err := contracts.ValidateCodiceFiscale(cf); errors.As(err, &ce) && ce.Reason != contracts.CFBadCheckCharacter {
			// A wrong check character is let through: ANPR holds such codes and must find them.
			bad("criteriRicerca.codiceFiscale", "%s", ce.Detail)
		}
	} else if c.Valid() {
		if cf != "" {
			bad("criteriRicerca.codiceFiscale", "%s goes by idANPR: call C030 first and send only its idANPR", c)
		}
		if err := ValidateIDANPR(idANPR); err != nil {
			bad("criteriRicerca.idANPR", "%s", err.Error())
		}
	}
	motivo := strings.TrimSpace(r.MotivoRichiesta)
	switch {
	case motivo == "":
		bad("datiRichiesta.motivoRichiesta", "required: the WelfareGOV case reference the lookup is made for")
	case utf8.RuneCountInString(motivo) > MaxMotivoRichiesta:
		bad("datiRichiesta.motivoRichiesta", "at most %d characters", MaxMotivoRichiesta)
	case !utf8.ValidString(motivo) || strings.IndexFunc(motivo, unicode.IsControl) >= 0:
		bad("datiRichiesta.motivoRichiesta", "must be printable UTF-8 text")
	}
	if r.DataRiferimento.Precision() != contracts.PrecisionDay {
		bad("datiRichiesta.dataRiferimentoRichiesta", "a full date (YYYY-MM-DD) is required, got %q", r.DataRiferimento.String())
	}
	if len(re.Problems) > 0 {
		return e002.RichiestaE002{}, re
	}
	return e002.RichiestaE002{
		IDOperazioneClient: id,
		CriteriRicerca:     e002.TipoCriteriRicercaE002{CodiceFiscale: cf, IDANPR: idANPR},
		DatiRichiesta: e002.TipoDatiRichiestaE002{
			DataRiferimentoRichiesta: r.DataRiferimento.String(),
			MotivoRichiesta:          motivo,
			CasoUso:                  string(c),
		},
	}, nil
}

// BuildRichiesta is NewRichiestaE002 encoded as the JSON body of the request.
func BuildRichiesta(c CasoUso, r Richiesta, id string) ([]byte, error) {
	req, err := NewRichiestaE002(c, r, id)
	if err != nil {
		return nil, err
	}
	return json.Marshal(req)
}

// ValidateIDANPR checks the shape of an idANPR: 9 ASCII upper-case letters and digits, the last a
// check character (Ministero dell'Interno, DM 3 marzo 2023). The check algorithm is not public, so
// only the shape is checked.
func ValidateIDANPR(id string) error {
	if id == "" {
		return errors.New("required: the idANPR returned by C030")
	}
	if len(id) != 9 {
		return fmt.Errorf("must be 9 characters, got %d", utf8.RuneCountInString(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return errors.New("must be upper-case letters and digits")
		}
	}
	return nil
}

func truncate(s string) string {
	const max = 32
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
