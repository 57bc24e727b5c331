package siussfeed_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/welfaregov/gateway/adapters/siuss"
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
