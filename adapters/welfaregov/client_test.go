package welfaregov_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
)

// TestReadsTheWholeBackend: paging the real backend simulator reads every prestazione once, each
// translating into the model; a wrong key and an outage give typed errors.
func TestReadsTheWholeBackend(t *testing.T) {
	pop := population.Build(population.DefaultSeed)
	faults := fault.New(fault.Options{})
	hs := httptest.NewServer(backend.New(backend.Options{Population: pop, Faults: faults}).Handler())
	defer hs.Close()
	c, err := welfaregov.NewClient(hs.URL, backend.DefaultAPIKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen, cursor := map[string]bool{}, "0"
	for {
		p, err := c.Prestazioni(t.Context(), cursor, 13)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Prestazioni {
			if seen[it.ID] {
				t.Fatalf("%s read twice", it.ID)
			}
			seen[it.ID] = true
			if _, err := it.ToModel(); err != nil {
				t.Fatalf("%s: %v", it.ID, err)
			}
		}
		cursor = p.Cursore
		if !p.AltriDisponibili {
			break
		}
	}
	if len(seen) != len(pop.Prestazioni) {
		t.Fatalf("read %d prestazioni, want %d", len(seen), len(pop.Prestazioni))
	}
	bad, _ := welfaregov.NewClient(hs.URL, "wrong", nil)
	var we *welfaregov.Error
	if _, err := bad.Prestazioni(t.Context(), "0", 5); !errors.As(err, &we) || we.Kind != welfaregov.Unauthorized {
		t.Fatalf("wrong key: %v, want Unauthorized", err)
	}
	_ = faults.Set("backend.prestazioni.elenco", fault.Spec{ErrorRate: 1, ErrorStatus: 503})
	if _, err := c.Prestazioni(t.Context(), "0", 5); !errors.As(err, &we) || we.Kind != welfaregov.Unavailable {
		t.Fatalf("outage: %v, want Unavailable", err)
	}
	_ = faults.Set("backend.prestazioni.elenco", fault.Spec{TruncateRate: 1, TruncateAt: 40, TruncateHonest: true})
	if _, err := c.Prestazioni(t.Context(), "0", 5); !errors.As(err, &we) || we.Kind != welfaregov.InvalidResponse {
		t.Fatalf("truncated answer: %v, want InvalidResponse", err)
	}
}

func TestParsePage(t *testing.T) {
	for name, body := range map[string]string{
		"fail/not-json":        `x`,
		"fail/no-cursor":       `{"prestazioni":[]}`,
		"fail/item-no-id":      `{"prestazioni":[{"cursore":"1"}],"cursore":"1"}`,
		"fail/cursor-backward": `{"prestazioni":[{"id":"a","cursore":"2"},{"id":"b","cursore":"1"}],"cursore":"1"}`,
		"fail/page-cursor":     `{"prestazioni":[{"id":"a","cursore":"2"}],"cursore":"7"}`,
		"fail/trailing":        `{"prestazioni":[],"cursore":"0"} {}`,
	} {
		if _, err := welfaregov.ParsePage([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if p, err := welfaregov.ParsePage([]byte(`{"prestazioni":[{"id":"a","cursore":"3","nuovo":1}],"cursore":"3","altriDisponibili":true}`)); err != nil || len(p.Prestazioni) != 1 {
		t.Fatalf("ok/unknown-field: %v", err)
	}
}

func FuzzParsePage(f *testing.F) {
	f.Add([]byte(`{"prestazioni":[{"id":"a","cursore":"3","importoMensile":"1.5"}],"cursore":"3"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if p, err := welfaregov.ParsePage(body); err == nil {
			for _, it := range p.Prestazioni {
				_, _ = it.ToModel()
			}
		}
	})
}
