package siussfeed_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/store"
)

// TestTwoPublishersRace: two replicas' publishers racing over the same store publish every record
// exactly once between them (one of them is refused with ErrNotLeader while the other holds the
// lock), and no flow repeats an origin.
func TestTwoPublishersRace(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		a, b := newPair(t)
		_, client := backendSim(t, nil)
		pubs := []*siussfeed.Publisher{
			siussfeed.NewPublisher(newFeed(t, a, nil), client, siussfeed.PublisherOptions{PageSize: 5}),
			siussfeed.NewPublisher(newFeed(t, b, nil), client, siussfeed.PublisherOptions{PageSize: 5}),
		}
		var mu sync.Mutex
		total, notLeader := 0, 0
		var wg sync.WaitGroup
		for _, p := range pubs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				idle := 0
				for idle < 3 {
					r, err := p.RunOnce(t.Context())
					mu.Lock()
					total += r.Published // a round cut short still published what it reports
					switch {
					case errors.Is(err, siussfeed.ErrNotLeader):
						notLeader++
					case err != nil:
						t.Error(err)
						idle = 3
					default:
						if !r.More {
							idle++
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		want := expected()
		if total != want[trento.Codice]+want[rovereto.Codice] {
			t.Fatalf("the two publishers published %d flows, want %d", total, want[trento.Codice]+want[rovereto.Codice])
		}
		flows, err := newFeed(t, a, nil).Since(t.Context(), trento.Codice, 0, 100)
		if err != nil || len(flows) != want[trento.Codice] {
			t.Fatalf("Trento's log holds %d flows, %v; want %d", len(flows), err, want[trento.Codice])
		}
		t.Logf("%d rounds refused with ErrNotLeader", notLeader)
	})
}

// TestInvalidFlowIsNeverPublished: a flow that breaks a rule is not appended; it is in the scarti
// queue with the rule named and without personal data.
func TestInvalidFlowIsNeverPublished(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		st, _ := newPair(t)
		feed := newFeed(t, st, nil)
		valid := readValidFlow(t)
		var cf string
		_, err := feed.Publish(t.Context(), trento.Codice, siuss.TipoPS, "prestazione X", func(id string) ([]byte, error) {
			x, err := valid(id)
			s := string(x)
			i := strings.Index(s, `CodiceFiscale="`) + len(`CodiceFiscale="`)
			cf = s[i : i+16]
			// Break the quota rule: an extra quota nobody accounted for.
			return []byte(strings.Replace(s, `PresaCarico=`, `ImportoQuotaSSN="1.00" PresaCarico=`, 1)), err
		})
		var inv *siuss.InvalidFlowError
		if !errors.As(err, &inv) {
			t.Fatalf("Publish of an invalid flow = %v, want an InvalidFlowError", err)
		}
		if flows, _ := feed.Since(t.Context(), trento.Codice, 0, 10); len(flows) != 0 {
			t.Fatalf("an invalid flow was published: %v", flows)
		}
		scarti, _, err := feed.Scarti(t.Context(), trento.Codice, 0, 10)
		if err != nil || len(scarti) != 1 || scarti[0].Origine != "prestazione X" || scarti[0].IDFlusso == "" {
			t.Fatalf("scarti = %+v, %v; want the refused flow", scarti, err)
		}
		found := false
		for _, p := range scarti[0].Problemi {
			found = found || p.Rule == siuss.RuleSommaQuote || p.Rule == siuss.RuleCampiCarattere
			if strings.Contains(p.Detail, cf) {
				t.Fatalf("a problem repeats the codice fiscale: %v", p)
			}
		}
		if !found {
			t.Fatalf("the refused flow's problems do not name the broken rule: %v", scarti[0].Problemi)
		}
	})
}

// slowAppends delays every LogAppend: a publication round that takes longer than the lock's ttl.
type slowAppends struct {
	store.Store
	delay time.Duration
}

func (s slowAppends) LogAppend(ctx context.Context, key string, atLeast int64, value []byte) (int64, error) {
	time.Sleep(s.delay)
	return s.Store.LogAppend(ctx, key, atLeast, value)
}

// TestPublisherRenewsItsLock: a round that lasts several times LockTTL keeps the lock (renewed
// before each record with CompareAndExpire), so a second replica trying to take it all along never
// gets it and the round publishes its whole page; once the round ends the lock is free again.
func TestPublisherRenewsItsLock(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		a, b := newPair(t)
		_, client := backendSim(t, nil)
		// Each record takes a quarter of the lock's life, so the round outlasts the lock several
		// times while leaving a 4x margin per record for a loaded CI machine.
		const lockTTL, pageSize = 600 * time.Millisecond, 16
		slow := slowAppends{Store: a, delay: 150 * time.Millisecond}
		p := siussfeed.NewPublisher(newFeed(t, slow, nil), client, siussfeed.PublisherOptions{PageSize: pageSize, LockTTL: lockTTL})
		stop := make(chan struct{})
		stolen := make(chan bool, 1)
		go func() {
			for {
				select {
				case <-stop:
					stolen <- false
					return
				case <-time.After(100 * time.Millisecond):
				}
				ok, err := b.SetIfAbsent(context.Background(), "lock:siuss-publisher", []byte("replica-b"), time.Minute)
				if err == nil && ok {
					stolen <- true
					return
				}
			}
		}()
		start := time.Now()
		r, err := p.RunOnce(t.Context())
		elapsed := time.Since(start)
		close(stop)
		if <-stolen {
			t.Fatalf("another replica took the lock during a round of %v (lock ttl %v): it was not renewed", elapsed, lockTTL)
		}
		if err != nil || r.Published+r.Rejected+r.Skipped != pageSize {
			t.Fatalf("round = %+v, %v; want the whole page of %d records", r, err, pageSize)
		}
		if elapsed < 2*lockTTL {
			t.Fatalf("the round took %v; the test needs it to outlast the lock ttl %v several times", elapsed, lockTTL)
		}
		if ok, err := b.SetIfAbsent(t.Context(), "lock:siuss-publisher", []byte("replica-b"), time.Minute); err != nil || !ok {
			t.Fatalf("the lock is still held after the round: %v, %v", ok, err)
		}
	})
}

// TestStalledPublisherStops: a publisher whose lock expired while it stalled (and was taken by
// another replica) stops at its next renewal instead of publishing beside the new leader.
func TestStalledPublisherStops(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		a, b := newPair(t)
		_, client := backendSim(t, nil)
		stall := &stallingSource{Source: client, stall: func() {
			time.Sleep(250 * time.Millisecond) // the lock (ttl 100ms) expires meanwhile
			if ok, err := b.SetIfAbsent(context.Background(), "lock:siuss-publisher", []byte("replica-b"), time.Minute); err != nil || !ok {
				t.Errorf("the other replica could not take the expired lock: %v, %v", ok, err)
			}
		}}
		p := siussfeed.NewPublisher(newFeed(t, a, nil), stall, siussfeed.PublisherOptions{PageSize: 5, LockTTL: 100 * time.Millisecond})
		r, err := p.RunOnce(t.Context())
		if !errors.Is(err, siussfeed.ErrNotLeader) || r.Published != 0 {
			t.Fatalf("stalled round = %+v, %v; want ErrNotLeader and nothing published", r, err)
		}
		if v, err := b.Get(t.Context(), "lock:siuss-publisher"); err != nil || string(v) != "replica-b" {
			t.Fatalf("the new leader's lock = %q, %v; the stalled publisher must leave it alone", v, err)
		}
	})
}

type stallingSource struct {
	siussfeed.Source
	stall func()
}

func (s *stallingSource) Prestazioni(ctx context.Context, since string, limit int) (welfaregov.Page, error) {
	page, err := s.Source.Prestazioni(ctx, since, limit)
	s.stall()
	return page, err
}

// TestSINBAFlows: a backend record of a minor in care becomes a PS_PSA_SINA flow and a SINBA flow
// carrying the child's pseudonym and not its codice fiscale; its cancellation makes no SINBA flow;
// a SINBA block that cannot be translated, or whose pseudonym is the child's codice fiscale, goes to
// the scarti queue as a SINBA scarto without holding back the PS flow.
func TestSINBAFlows(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		st, _ := newPair(t)
		feed := newFeed(t, st, nil)
		srv, client := backendSim(t, nil)
		pub := siussfeed.NewPublisher(feed, client, siussfeed.PublisherOptions{})
		publishAll(t, pub)
		var minor *population.Prestazione
		for _, p := range population.Build(population.DefaultSeed).Prestazioni {
			if p.Ente.Codice == trento.Codice && p.SINBA != nil && p.TipoOperazione == "I" {
				minor = p
				break
			}
		}
		if minor == nil {
			t.Fatal("the population has no minor in care in Trento")
		}
		flows, err := feed.Since(t.Context(), trento.Codice, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var sinba []siussfeed.Flusso
		for _, f := range flows {
			if f.Tipo == siuss.TipoSINBA {
				sinba = append(sinba, f)
			}
		}
		if len(sinba) != 1 || !strings.HasPrefix(sinba[0].IDFlusso, "L378.SINBA.") {
			t.Fatalf("Trento's SINBA flows: %+v; want the one of its minor in care", sinba)
		}
		x, _ := base64.StdEncoding.DecodeString(sinba[0].Flusso)
		if err := siuss.Validate(siuss.TipoSINBA, sinba[0].IDFlusso, trento.Codice, x); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(x), `IDBeneficiario="`+minor.SINBA.IDBeneficiario+`"`) || strings.Contains(string(x), minor.Beneficiario.CodiceFiscale) {
			t.Fatalf("the SINBA flow does not carry the pseudonym, or carries the codice fiscale:\n%s", x)
		}

		cancel := minor.Clone()
		cancel.ID, cancel.TipoOperazione, cancel.AnnullaID = "PRS-SINBA-C", "C", minor.ID
		untranslatable := minor.Clone()
		untranslatable.ID, untranslatable.SINBA.FonteSegnalazione = "PRS-SINBA-BAD", "quindici"
		identifying := minor.Clone()
		identifying.ID, identifying.SINBA.IDBeneficiario = "PRS-SINBA-CF", minor.Beneficiario.CodiceFiscale
		for _, p := range []*population.Prestazione{cancel, untranslatable, identifying} {
			srv.Upsert(p)
		}
		r, err := pub.RunOnce(t.Context())
		if err != nil || r.Published != 3 || r.Rejected != 2 {
			t.Fatalf("round %+v, %v: want the 3 PS flows published and the 2 SINBA flows refused", r, err)
		}
		scarti, _, err := feed.Scarti(t.Context(), trento.Codice, 0, 10)
		if err != nil || len(scarti) != 2 {
			t.Fatalf("scarti %+v, %v", scarti, err)
		}
		for i, want := range []string{"PRS-SINBA-BAD", "PRS-SINBA-CF"} {
			s := scarti[i]
			if s.Tipo != siuss.TipoSINBA || !strings.Contains(s.Origine, want) || strings.Contains(fmt.Sprint(s), minor.Beneficiario.CodiceFiscale) {
				t.Fatalf("scarto %d: %+v; want a SINBA scarto of %s without the codice fiscale", i, s, want)
			}
		}
		if p := scarti[1].Problemi; len(p) != 1 || p[0].Rule != siuss.RulePseudonimo {
			t.Fatalf("the identifying pseudonym's problems: %+v", p)
		}
	})
}
