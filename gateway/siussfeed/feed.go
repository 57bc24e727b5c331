// Package siussfeed is the Comune side of INPS's SIUSS "Welfare as a Service" feed (siuss-waas.md):
// the immutable flow log INPS pages through with GET /flussi?since=, the publisher that fills it
// from the WelfareGOV backend, the esiti INPS posts back, /status, and the Fiber handlers of the
// three operations. See README.md for the contract, the cursor invariant and the operator queues.
package siussfeed

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/gateway/store"
)

// Flusso is one entry of GET /flussi, exactly the OAS Flusso schema (additionalProperties: false).
type Flusso struct {
	CodiceEnte        string     `json:"codice_ente"`
	DenominazioneEnte string     `json:"denominazione_ente"`
	IDFlusso          string     `json:"id_flusso"`
	Tipo              siuss.Tipo `json:"tipo"`
	// TsFlusso is RFC 3339 UTC with exactly milliseconds: the log sequence, in epoch ms.
	TsFlusso string `json:"ts_flusso"`
	// Flusso is the XML in standard base64 with padding, on one line.
	Flusso string `json:"flusso"`
}

// logRecord is what the flow log stores; ts_flusso is the entry's sequence.
type logRecord struct {
	CodiceEnte        string     `json:"codiceEnte"`
	DenominazioneEnte string     `json:"denominazioneEnte"`
	IDFlusso          string     `json:"idFlusso"`
	Tipo              siuss.Tipo `json:"tipo"`
	XML               []byte     `json:"xml"`
	// Origine names what the flow was built from (backend prestazione id and cursor), for operators.
	Origine string `json:"origine,omitempty"`
}

// FormatTs writes a log sequence (epoch ms) as a ts_flusso.
func FormatTs(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// Options configure a Feed. The zero value of each field is its documented default.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// IndexRetention is how long the id_flusso index and the esiti records are kept (default 10
	// years). The flow log itself is never expired.
	IndexRetention time.Duration
}

// DefaultIndexRetention is the default lifetime of index entries and esiti records.
const DefaultIndexRetention = 10 * 365 * 24 * time.Hour

// rome is the time zone of the id_flusso date (the Comune's publication day).
var rome = func() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600) // no tzdata: the date may be off by one hour a year
	}
	return l
}()

// Feed is the set of per-ente flow logs in a store. Enti are configured up front; every operation
// names its ente by Belfiore code. It is safe for concurrent use, also across replicas sharing the
// store.
type Feed struct {
	st    store.Store
	enti  map[string]siuss.Ente
	now   func() time.Time
	index time.Duration
}

// ErrUnknownEnte is returned for an ente the feed is not configured for.
var ErrUnknownEnte = errors.New("siussfeed: ente not configured")

// NewFeed returns a feed over st for the given enti (each checked).
func NewFeed(st store.Store, enti []siuss.Ente, o Options) (*Feed, error) {
	f := &Feed{st: st, enti: map[string]siuss.Ente{}, now: o.Now, index: o.IndexRetention}
	if f.now == nil {
		f.now = time.Now
	}
	if f.index <= 0 {
		f.index = DefaultIndexRetention
	}
	if len(enti) == 0 {
		return nil, errors.New("siussfeed: at least one ente is required")
	}
	for i, e := range enti {
		if err := e.Check(); err != nil {
			return nil, fmt.Errorf("siussfeed: enti[%d]: %w", i, err)
		}
		if _, dup := f.enti[e.Codice]; dup {
			return nil, fmt.Errorf("siussfeed: enti[%d]: ente %s configured twice", i, e.Codice)
		}
		f.enti[e.Codice] = e
	}
	return f, nil
}

// Ente returns the configuration of an ente.
func (f *Feed) Ente(codice string) (siuss.Ente, bool) {
	e, ok := f.enti[codice]
	return e, ok
}

// Store is the store the feed lives in (for /status and the publisher).
func (f *Feed) Store() store.Store { return f.st }

// Key layout (README.md): every key of an ente carries {<Belfiore>} as its Redis Cluster hash tag,
// so one ente's log, index and queues share a slot.
func flussiKey(ente string) string             { return "siuss:{" + ente + "}:flussi" }
func scartiKey(ente string) string             { return "siuss:{" + ente + "}:scarti" }
func attenzioneKey(ente string) string         { return "siuss:{" + ente + "}:attenzione" }
func idKey(ente, id string) string             { return "siuss:{" + ente + "}:id:" + id }
func seqKey(ente string, day string) string    { return "siuss:{" + ente + "}:seq:" + day }
func esitoKey(ente string, hash string) string { return "siuss:{" + ente + "}:esito:" + hash }

// seqTTL keeps a daily sequence counter past its day, so it is never restarted while the day's
// ids can still be allocated.
const seqTTL = 72 * time.Hour

// Scarto is a flow the gateway refused to publish, kept for operators with its reasons.
type Scarto struct {
	// Quando is when it was refused (UTC).
	Quando time.Time `json:"quando"`
	// IDFlusso is the id the flow would have had (empty when it could not be built).
	IDFlusso string     `json:"idFlusso,omitempty"`
	Tipo     siuss.Tipo `json:"tipo"`
	// Origine names the source record (backend prestazione id and cursor).
	Origine   string          `json:"origine"`
	Problemi  []siuss.Problem `json:"problemi"`
	Messaggio string          `json:"messaggio,omitempty"`
}

// Publish builds, validates and appends one flow of ente. build receives the id_flusso (allocated
// from the ente's daily sequence in Europe/Rome) and returns the XML. A flow that fails
// siuss.Validate, or that build cannot produce, is never appended: it is recorded in the ente's
// scarti queue and Publish returns the *siuss.InvalidFlowError or *siuss.BuildError. Otherwise
// the flow is appended with ts_flusso = max(now in ms, last + 1), atomically, and returned.
//
// A daily sequence number taken by a refused flow is not reused (ids are never reused, gaps are
// allowed). origine is recorded with the flow for operators.
func (f *Feed) Publish(ctx context.Context, ente string, tipo siuss.Tipo, origine string, build func(idFlusso string) ([]byte, error)) (Flusso, error) {
	e, ok := f.enti[ente]
	if !ok {
		return Flusso{}, fmt.Errorf("%w: %s", ErrUnknownEnte, ente)
	}
	now := f.now()
	day := now.In(rome)
	n, err := f.st.Incr(ctx, seqKey(ente, day.Format("20060102")), 1, seqTTL)
	if err != nil {
		return Flusso{}, fmt.Errorf("siussfeed: allocating the daily sequence: %w", err)
	}
	id, err := siuss.IDFlusso(ente, tipo, day, n)
	if err != nil {
		return Flusso{}, fmt.Errorf("siussfeed: %w", err)
	}
	xml, err := build(id)
	if err == nil {
		err = siuss.Validate(tipo, id, ente, xml)
	}
	if err != nil {
		if rerr := f.Reject(ctx, ente, Scarto{IDFlusso: id, Tipo: tipo, Origine: origine}, err); rerr != nil {
			return Flusso{}, errors.Join(err, rerr)
		}
		return Flusso{}, err
	}
	rec, err := json.Marshal(logRecord{CodiceEnte: ente, DenominazioneEnte: e.Denominazione, IDFlusso: id, Tipo: tipo, XML: xml, Origine: origine})
	if err != nil {
		return Flusso{}, fmt.Errorf("siussfeed: encoding the flow: %w", err)
	}
	ts, err := f.st.LogAppend(ctx, flussiKey(ente), now.UnixMilli(), rec)
	if err != nil {
		return Flusso{}, fmt.Errorf("siussfeed: appending the flow: %w", err)
	}
	// The index only refines esiti diagnostics (unknown id vs mismatched ts); a failure here
	// loses nothing, so it does not fail the publication.
	_ = f.st.Set(ctx, idKey(ente, id), []byte(fmt.Sprint(ts)), f.index)
	return toFlusso(ts, rec)
}

// Reject records a refused flow in the ente's scarti queue with the problems of cause.
func (f *Feed) Reject(ctx context.Context, ente string, s Scarto, cause error) error {
	s.Quando = f.now().UTC()
	var inv *siuss.InvalidFlowError
	var be *siuss.BuildError
	switch {
	case errors.As(cause, &inv):
		s.Problemi = inv.Problems
	case errors.As(cause, &be):
		s.Problemi = be.Problems
	default:
		s.Messaggio = cause.Error()
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if _, err := f.st.LogAppend(ctx, scartiKey(ente), f.now().UnixMilli(), b); err != nil {
		return fmt.Errorf("siussfeed: recording the refused flow: %w", err)
	}
	return nil
}

// Since returns up to limit (1..100) flows of ente with ts_flusso greater than since (epoch ms),
// in ascending order: exactly what GET /flussi answers. It has no side effect.
func (f *Feed) Since(ctx context.Context, ente string, since int64, limit int) ([]Flusso, error) {
	if _, ok := f.enti[ente]; !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownEnte, ente)
	}
	entries, err := f.st.LogRange(ctx, flussiKey(ente), since, limit)
	if err != nil {
		return nil, fmt.Errorf("siussfeed: reading the flow log: %w", err)
	}
	out := make([]Flusso, 0, len(entries))
	for _, e := range entries {
		fl, err := toFlusso(e.Seq, e.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, fl)
	}
	return out, nil
}

func toFlusso(ts int64, rec []byte) (Flusso, error) {
	var r logRecord
	if err := json.Unmarshal(rec, &r); err != nil {
		return Flusso{}, fmt.Errorf("siussfeed: flow log entry %d is not a flow record: %w", ts, err)
	}
	return Flusso{
		CodiceEnte: r.CodiceEnte, DenominazioneEnte: r.DenominazioneEnte, IDFlusso: r.IDFlusso, Tipo: r.Tipo,
		TsFlusso: FormatTs(ts), Flusso: base64.StdEncoding.EncodeToString(r.XML),
	}, nil
}

// Scarti returns up to limit refused flows of ente recorded after the sequence after, with the
// sequence to pass next: the operators' queue of flows to fix.
func (f *Feed) Scarti(ctx context.Context, ente string, after int64, limit int) ([]Scarto, int64, error) {
	return readQueue[Scarto](ctx, f.st, scartiKey(ente), after, limit)
}

func readQueue[T any](ctx context.Context, st store.Store, key string, after int64, limit int) ([]T, int64, error) {
	entries, err := st.LogRange(ctx, key, after, limit)
	if err != nil {
		return nil, after, err
	}
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		var v T
		if err := json.Unmarshal(e.Value, &v); err != nil {
			return nil, after, fmt.Errorf("siussfeed: queue entry %d: %w", e.Seq, err)
		}
		out = append(out, v)
		after = e.Seq
	}
	return out, after, nil
}

// lookup finds the flow published under id_flusso at ts (epoch ms): matched, or the ts it was
// really published at (0 when the id is unknown).
func (f *Feed) lookup(ctx context.Context, ente, id string, ts int64) (matched bool, actual int64, err error) {
	if ts > 0 {
		entries, err := f.st.LogRange(ctx, flussiKey(ente), ts-1, 1)
		if err != nil {
			return false, 0, err
		}
		if len(entries) == 1 && entries[0].Seq == ts {
			var r logRecord
			if json.Unmarshal(entries[0].Value, &r) == nil && r.IDFlusso == id {
				return true, ts, nil
			}
		}
	}
	v, err := f.st.Get(ctx, idKey(ente, id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, 0, nil
	case err != nil:
		return false, 0, err
	}
	_, err = fmt.Sscan(string(v), &actual)
	return false, actual, err
}
