package siussfeed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/welfaregov/gateway/adapters/welfaregov"
)

// MaxEsiti is the most esiti one POST /esiti may carry (OAS ElencoEsiti maxItems).
const MaxEsiti = 100

// Esito is one item of POST /esiti as received, leniently: strings are kept as INPS sent them,
// and Raw keeps the item's exact JSON for operators.
type Esito struct {
	IDFlusso            string          `json:"idFlusso"`
	Tipo                string          `json:"tipo"`
	TsFlusso            string          `json:"tsFlusso"`
	TsAcquisizione      string          `json:"tsAcquisizione"`
	CodiceEsito         string          `json:"codiceEsito"`
	DescrizioneEsito    string          `json:"descrizioneEsito,omitempty"`
	IDAcquisizioneSiuss string          `json:"idAcquisizioneSiuss,omitempty"`
	Raw                 json.RawMessage `json:"raw"`
}

// ErrEsitiBody is wrapped by ParseEsiti's errors: the body is not an ElencoEsiti at all.
var ErrEsitiBody = errors.New("siussfeed: the body is not an ElencoEsiti")

// ParseEsiti reads a POST /esiti body: a JSON object whose elenco_esiti is an array of at most
// MaxEsiti objects. It is lenient wherever INPS could not fix the content: unknown fields are
// ignored (the PDF example adds codice_ente and denominazione_ente), codice_siuss is accepted as
// id_acquisizione_siuss, a missing or non-string field is kept empty (the item is flagged later,
// not refused), and a missing elenco_esiti is an empty list. It fails only on a body that is not
// a JSON object, an elenco_esiti that is not an array of objects, or more than MaxEsiti items.
func ParseEsiti(body []byte) ([]Esito, error) {
	var top map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&top); err != nil || top == nil {
		return nil, fmt.Errorf("%w: a JSON object is expected", ErrEsitiBody)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrEsitiBody)
	}
	raw, ok := top["elenco_esiti"]
	if !ok || string(raw) == "null" {
		return []Esito{}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%w: elenco_esiti must be an array", ErrEsitiBody)
	}
	if len(items) > MaxEsiti {
		return nil, fmt.Errorf("%w: elenco_esiti has %d items, at most %d are allowed", ErrEsitiBody, len(items), MaxEsiti)
	}
	out := make([]Esito, 0, len(items))
	for i, it := range items {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(it, &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("%w: elenco_esiti[%d] must be an object", ErrEsitiBody, i)
		}
		str := func(names ...string) string {
			for _, n := range names {
				var s string
				if json.Unmarshal(fields[n], &s) == nil && s != "" {
					return s
				}
			}
			return ""
		}
		compact := new(bytes.Buffer)
		_ = json.Compact(compact, it)
		out = append(out, Esito{
			IDFlusso:            str("id_flusso"),
			Tipo:                str("tipo"),
			TsFlusso:            str("ts_flusso"),
			TsAcquisizione:      str("ts_acquisizione"),
			CodiceEsito:         str("codice_esito"),
			DescrizioneEsito:    str("descrizione_esito"),
			IDAcquisizioneSiuss: str("id_acquisizione_siuss", "codice_siuss"),
			Raw:                 compact.Bytes(),
		})
	}
	return out, nil
}

// Motivo says why an esito needs an operator. Values are stable (dashboards count them).
type Motivo string

const (
	MotivoIDSconosciuto       Motivo = "ID_FLUSSO_SCONOSCIUTO"    // no flow of ours has this id_flusso
	MotivoTsDiverso           Motivo = "TS_FLUSSO_DIVERSO"        // the flow exists with another ts_flusso
	MotivoCodiceSconosciuto   Motivo = "CODICE_ESITO_SCONOSCIUTO" // not one of the four codes
	MotivoDatiIncompleti      Motivo = "ESITO_INCOMPLETO"         // id_flusso, tipo or a timestamp missing or malformed
	MotivoDatiNonTrovati      Motivo = "DATI_NON_TROVATI"         // INPS: inconsistent data; fix and emit a new flow
	MotivoRichiestaInvalida   Motivo = "RICHIESTA_INVALIDA"       // INPS: structure refused; a builder or validator bug
	MotivoErroreGenerico      Motivo = "ERRORE_GENERICO"          // INPS: other error; triage, maybe re-emit
	MotivoRifiutatoDalBackend Motivo = "RIFIUTATO_DAL_BACKEND"    // the backend refused it (e.g. different content under a known key)
)

// Attenzione is an esito in the operators' queue.
type Attenzione struct {
	Quando time.Time `json:"quando"`
	Motivi []Motivo  `json:"motivi"`
	Esito  Esito     `json:"esito"`
}

// EsitiSink forwards esiti to the WelfareGOV backend (welfaregov.Client implements it).
type EsitiSink interface {
	InviaEsiti(ctx context.Context, esiti []welfaregov.Esito) error
}

// UnavailableError means the esiti could not all be stored or forwarded: answer 503 with
// RetryAfter. Nothing stored is lost, and a repeat of the batch is idempotent.
type UnavailableError struct {
	RetryAfter time.Duration
	Cause      error
}

func (e *UnavailableError) Error() string { return "siussfeed: esiti not taken: " + e.Cause.Error() }
func (e *UnavailableError) Unwrap() error { return e.Cause }

// DefaultEsitiRetryAfter is the Retry-After of a 503 on POST /esiti when the cause gives none.
const DefaultEsitiRetryAfter = 30 * time.Second

// RecordEsiti takes one POST /esiti batch for ente: every item is upserted by (id_flusso,
// ts_acquisizione) (an item without them by its content), checked against the flow log, flagged
// for operators when it needs attention, and the well-formed ones are forwarded to the backend's
// idempotent sink. It returns nil only when all of that is done; otherwise an *UnavailableError
// (the store or the backend is down) and the caller answers 503: INPS resends the batch, and the
// repeat stores and forwards nothing twice (an operator-queue entry may repeat; the queue reader
// drops repeats). Content problems are never errors.
func (f *Feed) RecordEsiti(ctx context.Context, ente string, esiti []Esito, sink EsitiSink) error {
	if _, ok := f.enti[ente]; !ok {
		return fmt.Errorf("%w: %s", ErrUnknownEnte, ente)
	}
	var forward []welfaregov.Esito
	for _, e := range esiti {
		motivi, fwd, err := f.classify(ctx, ente, e)
		if err != nil {
			return &UnavailableError{RetryAfter: DefaultEsitiRetryAfter, Cause: err}
		}
		rec, _ := json.Marshal(Attenzione{Quando: f.now().UTC(), Motivi: motivi, Esito: e})
		if err := f.st.Set(ctx, esitoKey(ente, esitoHash(e)), rec, f.index); err != nil {
			return &UnavailableError{RetryAfter: DefaultEsitiRetryAfter, Cause: fmt.Errorf("storing an esito: %w", err)}
		}
		if len(motivi) > 0 {
			if _, err := f.st.LogAppend(ctx, attenzioneKey(ente), f.now().UnixMilli(), rec); err != nil {
				return &UnavailableError{RetryAfter: DefaultEsitiRetryAfter, Cause: fmt.Errorf("queueing an esito for operators: %w", err)}
			}
		}
		if fwd != nil {
			forward = append(forward, *fwd)
		}
	}
	if len(forward) == 0 || sink == nil {
		return nil
	}
	err := sink.InviaEsiti(ctx, forward)
	var we *welfaregov.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &we) && we.Kind == welfaregov.Rejected:
		// The backend will refuse this batch whatever INPS does: keep it for operators, answer 204.
		rec, _ := json.Marshal(Attenzione{Quando: f.now().UTC(), Motivi: []Motivo{MotivoRifiutatoDalBackend}, Esito: Esito{Raw: mustJSON(forward)}})
		if _, qerr := f.st.LogAppend(ctx, attenzioneKey(ente), f.now().UnixMilli(), rec); qerr != nil {
			return &UnavailableError{RetryAfter: DefaultEsitiRetryAfter, Cause: qerr}
		}
		return nil
	default:
		ra := DefaultEsitiRetryAfter
		if we != nil && we.RetryAfter > 0 {
			ra = we.RetryAfter
		}
		return &UnavailableError{RetryAfter: ra, Cause: err}
	}
}

// classify checks one esito and returns its reasons for attention and, when it is well-formed,
// the form the backend takes.
func (f *Feed) classify(ctx context.Context, ente string, e Esito) ([]Motivo, *welfaregov.Esito, error) {
	var motivi []Motivo
	tsF, errF := time.Parse(time.RFC3339Nano, e.TsFlusso)
	tsA, errA := time.Parse(time.RFC3339Nano, e.TsAcquisizione)
	wellFormed := e.IDFlusso != "" && (e.Tipo == "PS_PSA_SINA" || e.Tipo == "SINBA") && errF == nil && errA == nil
	if !wellFormed {
		motivi = append(motivi, MotivoDatiIncompleti)
	}
	switch e.CodiceEsito {
	case "OK":
	case "DATI_NON_TROVATI":
		motivi = append(motivi, MotivoDatiNonTrovati)
	case "RICHIESTA_INVALIDA":
		motivi = append(motivi, MotivoRichiestaInvalida)
	case "ERRORE_GENERICO":
		motivi = append(motivi, MotivoErroreGenerico)
	default:
		motivi = append(motivi, MotivoCodiceSconosciuto)
		wellFormed = false
	}
	if e.IDFlusso != "" {
		var ts int64
		if errF == nil {
			ts = tsF.UnixMilli()
		}
		matched, actual, err := f.lookup(ctx, ente, e.IDFlusso, ts)
		if err != nil {
			return nil, nil, fmt.Errorf("checking an esito against the flow log: %w", err)
		}
		switch {
		case matched:
		case actual != 0:
			motivi = append(motivi, MotivoTsDiverso)
		default:
			motivi = append(motivi, MotivoIDSconosciuto)
		}
	}
	if !wellFormed {
		return motivi, nil, nil
	}
	return motivi, &welfaregov.Esito{
		IDFlusso: e.IDFlusso, Tipo: e.Tipo, TsFlusso: tsF.UTC(), TsAcquisizione: tsA.UTC(),
		CodiceEsito: e.CodiceEsito, DescrizioneEsito: e.DescrizioneEsito, IDAcquisizioneSiuss: e.IDAcquisizioneSiuss,
	}, nil
}

// esitoHash is the upsert key: (id_flusso, ts_acquisizione) when both are there (the instant, so
// two spellings of one time are one esito), else the item's JSON.
func esitoHash(e Esito) string {
	key := "raw\x00" + string(e.Raw)
	if t, err := time.Parse(time.RFC3339Nano, e.TsAcquisizione); err == nil && e.IDFlusso != "" {
		key = e.IDFlusso + "\x00" + t.UTC().Format(time.RFC3339Nano)
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// Attenzioni returns up to limit esiti of ente that need an operator, recorded after the sequence
// after, with the sequence to pass next. Repeats of one esito (a batch INPS resent after a 503) are
// dropped within the page.
func (f *Feed) Attenzioni(ctx context.Context, ente string, after int64, limit int) ([]Attenzione, int64, error) {
	items, next, err := readQueue[Attenzione](ctx, f.st, attenzioneKey(ente), after, limit)
	if err != nil {
		return nil, after, err
	}
	seen := map[string]bool{}
	out := items[:0]
	for _, a := range items {
		k := esitoHash(a.Esito) + fmt.Sprint(a.Motivi)
		if !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out, next, nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
