package siussfeed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/gateway/store"
)

// Publisher keys: one backend cursor and one lock for the whole deployment (the backend has one
// change feed for every ente).
const (
	publisherCursorKey = "siuss:publisher:cursore"
	publisherLockKey   = "lock:siuss-publisher"
)

// Source is the backend's change feed (welfaregov.Client implements it).
type Source interface {
	Prestazioni(ctx context.Context, since string, limit int) (welfaregov.Page, error)
}

// PublisherOptions configure a Publisher; zero values mean the defaults.
type PublisherOptions struct {
	// PageSize is how many backend changes one round reads (default 100, at most 500).
	PageSize int
	// LockTTL is how long the publisher lock lives without renewal (default 30s): the lock is
	// renewed before each record, so one record (build, validate, append) must finish within it,
	// and a replica that dies frees the lock within it.
	LockTTL time.Duration
	// CursorTTL is the lifetime of the stored backend cursor, renewed at each change (default 10 years).
	CursorTTL time.Duration
	Logger    *slog.Logger
}

// Publisher moves the backend's prestazioni into the flow logs, exactly one replica at a time.
type Publisher struct {
	feed  *Feed
	src   Source
	o     PublisherOptions
	owner []byte
}

// ErrNotLeader is returned by RunOnce when another replica holds the publisher lock.
var ErrNotLeader = errors.New("siussfeed: another replica is publishing")

// NewPublisher returns a publisher of feed reading from src.
func NewPublisher(feed *Feed, src Source, o PublisherOptions) *Publisher {
	if o.PageSize <= 0 || o.PageSize > welfaregov.MaxPageSize {
		o.PageSize = 100
	}
	if o.LockTTL <= 0 {
		o.LockTTL = 30 * time.Second
	}
	if o.CursorTTL <= 0 {
		o.CursorTTL = DefaultIndexRetention
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return &Publisher{feed: feed, src: src, o: o, owner: []byte(hex.EncodeToString(b))}
}

// Round is what one RunOnce did.
type Round struct {
	// Published and Rejected count flows (appended, or refused into the scarti queue): a record of
	// a minor in care makes a PS_PSA_SINA and a SINBA flow. Skipped counts records of enti this
	// gateway does not serve.
	Published, Rejected, Skipped int
	// More reports whether the backend has more changes right now.
	More bool
}

// RunOnce takes the publisher lock (or returns ErrNotLeader), reads one page of backend changes
// after the stored cursor, publishes each as the flows of its ente (or records them in the scarti
// queue with their reasons), advancing the cursor after every record, and releases the lock. A store or
// backend failure stops the round without advancing past the record it concerns, so the next
// round retries it.
//
// Delivery is at least once: if the process dies after a flow is appended and before the cursor is
// saved, the record is published again as a new flow (a duplicate INPS will acquire twice, never a
// lost one). The lock is renewed before every record, so two replicas publish concurrently only
// if one stalls for longer than LockTTL between that renewal and its append.
//
// Corrections and cancellations are records like any other: a backend record with tipoOperazione
// C becomes a new flow with TipoOperazione="C"; the corrected "I" that WelfareGOV issues after the
// C's OK esito becomes another new flow. Nothing published is ever changed.
//
// A record with a SINBA block (a minor in care) also becomes a SINBA flow, after its PS flow and
// before the cursor moves: the two fail or succeed independently (an unbuildable SINBA record goes
// to the scarti queue without holding the PS flow back). A cancellation has no SINBA flow: SINBA
// has no TipoOperazione, so nothing can withdraw a SINBA record (siuss-waas.md §8 q2).
func (p *Publisher) RunOnce(ctx context.Context) (Round, error) {
	st := p.feed.st
	ok, err := st.SetIfAbsent(ctx, publisherLockKey, p.owner, p.o.LockTTL)
	if err != nil {
		return Round{}, fmt.Errorf("siussfeed: taking the publisher lock: %w", err)
	}
	if !ok {
		return Round{}, ErrNotLeader
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		_, _ = st.CompareAndDelete(ctx, publisherLockKey, p.owner)
	}()
	cursor := "0"
	switch v, err := st.Get(ctx, publisherCursorKey); {
	case err == nil:
		cursor = string(v)
	case !errors.Is(err, store.ErrNotFound):
		return Round{}, fmt.Errorf("siussfeed: reading the backend cursor: %w", err)
	}
	page, err := p.src.Prestazioni(ctx, cursor, p.o.PageSize)
	if err != nil {
		return Round{}, fmt.Errorf("siussfeed: reading the backend: %w", err)
	}
	var r Round
	for _, item := range page.Prestazioni {
		if err := p.stillLeader(ctx); err != nil {
			return r, err
		}
		err := p.publishRecord(ctx, &r, welfaregov.Prestazione(item))
		if err != nil {
			return r, err
		}
		if err := st.Set(ctx, publisherCursorKey, []byte(item.Cursore), p.o.CursorTTL); err != nil {
			return r, fmt.Errorf("siussfeed: saving the backend cursor: %w", err)
		}
	}
	r.More = page.AltriDisponibili
	return r, nil
}

// stillLeader renews the lock before each record, in one atomic step (CompareAndExpire): a round
// that is still working keeps its lease for another LockTTL however long the backend page takes,
// and a round that stalled past LockTTL (its lock expired, and perhaps another replica took it)
// learns it here and stops instead of publishing beside the new leader.
func (p *Publisher) stillLeader(ctx context.Context) error {
	ok, err := p.feed.st.CompareAndExpire(ctx, publisherLockKey, p.owner, p.o.LockTTL)
	switch {
	case err != nil:
		return fmt.Errorf("siussfeed: renewing the publisher lock: %w", err)
	case !ok:
		return ErrNotLeader
	}
	return nil
}

// publishRecord publishes the flows of one backend record (PS, and SINBA for a minor in care),
// or records them as refused for operators, or skips a record of an ente not served here, counting
// what it did in r. An error means a transient failure (store down): the record must be retried.
func (p *Publisher) publishRecord(ctx context.Context, r *Round, item welfaregov.Prestazione) error {
	ente, ok := p.feed.Ente(item.Ente.Codice)
	if !ok {
		p.o.Logger.Debug("siuss: prestazione of an ente not served here", "prestazione", item.ID, "ente", item.Ente.Codice)
		r.Skipped++
		return nil
	}
	m, err := item.ToModel()
	if err := p.publishFlow(ctx, r, item, siuss.TipoPS, err, func(id string) ([]byte, error) { return siuss.BuildPS(id, ente, m) }); err != nil {
		return err
	}
	if item.SINBA == nil {
		return nil
	}
	if item.TipoOperazione != "I" && item.TipoOperazione != "" {
		// A cancellation (or an operation the PS flow could not read): SINBA has no way to withdraw
		// or change a record, so only insertions are reported there.
		p.o.Logger.Debug("siuss: no SINBA flow for a record that is not an insertion", "prestazione", item.ID)
		return nil
	}
	s, err := item.ToSINBA()
	return p.publishFlow(ctx, r, item, siuss.TipoSINBA, err, func(id string) ([]byte, error) { return siuss.BuildSINBA(id, ente, *s) })
}

// publishFlow publishes one flow of item built by build, or records it in the scarti queue when
// translateErr (the record could not be translated) or the build or the validation refuses it.
func (p *Publisher) publishFlow(ctx context.Context, r *Round, item welfaregov.Prestazione, tipo siuss.Tipo, translateErr error, build func(id string) ([]byte, error)) error {
	ente := item.Ente.Codice
	origine := fmt.Sprintf("prestazione %s (cursore %s)", item.ID, item.Cursore)
	if translateErr != nil {
		r.Rejected++
		return p.feed.Reject(ctx, ente, Scarto{Tipo: tipo, Origine: origine}, translateErr)
	}
	_, err := p.feed.Publish(ctx, ente, tipo, origine, build)
	var inv *siuss.InvalidFlowError
	var be *siuss.BuildError
	switch {
	case err == nil:
		r.Published++
		return nil
	case errors.As(err, &inv), errors.As(err, &be):
		p.o.Logger.Warn("siuss: flow refused, recorded for operators", "prestazione", item.ID, "ente", ente, "tipo", tipo, "problems", len(problemsOf(err)))
		r.Rejected++
		return nil
	}
	return err
}

func problemsOf(err error) []siuss.Problem {
	var inv *siuss.InvalidFlowError
	var be *siuss.BuildError
	switch {
	case errors.As(err, &inv):
		return inv.Problems
	case errors.As(err, &be):
		return be.Problems
	}
	return nil
}

// Run calls RunOnce until ctx ends: immediately again while the backend has more, after interval
// otherwise (and after a failure or while another replica leads).
func (p *Publisher) Run(ctx context.Context, interval time.Duration) {
	for {
		r, err := p.RunOnce(ctx)
		if err != nil && !errors.Is(err, ErrNotLeader) && ctx.Err() == nil {
			p.o.Logger.Error("siuss: publisher round failed", "error", err)
		}
		wait := interval
		if err == nil && r.More {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
