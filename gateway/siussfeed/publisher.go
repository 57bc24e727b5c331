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
	// Published flows, Rejected records (in the scarti queue), Skipped records of enti this
	// gateway does not serve.
	Published, Rejected, Skipped int
	// More reports whether the backend has more changes right now.
	More bool
}

// RunOnce takes the publisher lock (or returns ErrNotLeader), reads one page of backend changes
// after the stored cursor, publishes each as a flow of its ente (or records it in the scarti queue
// with its reasons), advancing the cursor after every record, and releases the lock. A store or
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
		outcome, err := p.publishOne(ctx, welfaregov.Prestazione(item))
		if err != nil {
			return r, err
		}
		switch outcome {
		case published:
			r.Published++
		case rejected:
			r.Rejected++
		default:
			r.Skipped++
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

type outcome int

const (
	published outcome = iota
	rejected
	skipped
)

// publishOne publishes one backend record, or records it as refused for operators, or skips a
// record of an ente not served here. An error means a transient failure (store down): the record
// must be retried.
func (p *Publisher) publishOne(ctx context.Context, item welfaregov.Prestazione) (outcome, error) {
	origine := fmt.Sprintf("prestazione %s (cursore %s)", item.ID, item.Cursore)
	ente := item.Ente.Codice
	if _, ok := p.feed.Ente(ente); !ok {
		p.o.Logger.Debug("siuss: prestazione of an ente not served here", "prestazione", item.ID, "ente", ente)
		return skipped, nil
	}
	m, err := item.ToModel()
	if err != nil {
		if rerr := p.feed.Reject(ctx, ente, Scarto{Tipo: siuss.TipoPS, Origine: origine}, err); rerr != nil {
			return rejected, rerr
		}
		return rejected, nil
	}
	e, _ := p.feed.Ente(ente)
	_, err = p.feed.Publish(ctx, ente, siuss.TipoPS, origine, func(id string) ([]byte, error) {
		return siuss.BuildPS(id, e, m)
	})
	var inv *siuss.InvalidFlowError
	var be *siuss.BuildError
	switch {
	case err == nil:
		return published, nil
	case errors.As(err, &inv), errors.As(err, &be):
		p.o.Logger.Warn("siuss: flow refused, recorded for operators", "prestazione", item.ID, "ente", ente, "problems", len(problemsOf(err)))
		return rejected, nil
	}
	return rejected, err
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
