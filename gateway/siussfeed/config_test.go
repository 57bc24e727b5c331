package siussfeed_test

import (
	"slices"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/siussfeed"
)

func TestConfigCheck(t *testing.T) {
	const p1, p2 = "55555555-5555-4555-8555-000000000001", "55555555-5555-4555-8555-000000000002"
	ente := func(codice, aud, producer string) siussfeed.EnteConfig {
		return siussfeed.EnteConfig{Codice: codice, Denominazione: "COMUNE " + codice, CFOperatore: trento.CFOperatore, Audience: aud, ProducerID: producer}
	}
	for name, c := range map[string]struct {
		cfg    siussfeed.Config
		fields []string
	}{
		"ok/two-enti":               {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", ""), ente("H612", "b", "")}}, nil},
		"ok/shared-audience":        {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", p1), ente("H612", "a", p2)}}, nil},
		"ok/publisher":              {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", "")}, Publisher: siussfeed.PublisherConfig{Interval: config.Duration(time.Minute), PageSize: 500, LockTTL: config.Duration(time.Minute)}}, nil},
		"fail/no-enti":              {siussfeed.Config{}, []string{"enti"}},
		"fail/not-belfiore":         {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("TRENTO", "a", "")}}, []string{"enti[0].codice"}},
		"fail/duplicate":            {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", ""), ente("L378", "b", "")}}, []string{"enti[1].codice"}},
		"fail/no-audience":          {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "", "")}}, []string{"enti[0].audience"}},
		"fail/producer-not-uuid":    {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", "trento")}}, []string{"enti[0].producer_id"}},
		"fail/shared-no-producer":   {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", p1), ente("H612", "a", "")}}, []string{"enti[1].producer_id"}},
		"fail/shared-same-producer": {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", p1), ente("H612", "a", p1)}}, []string{"enti[1].producer_id"}},
		"fail/no-denominazione":     {siussfeed.Config{Enti: []siussfeed.EnteConfig{{Codice: "L378", CFOperatore: trento.CFOperatore, Audience: "a"}}}, []string{"enti[0].denominazione"}},
		"fail/bad-cf-operatore":     {siussfeed.Config{Enti: []siussfeed.EnteConfig{{Codice: "L378", Denominazione: "X", CFOperatore: "00355870229", Audience: "a"}}}, []string{"enti[0]"}},
		"fail/publisher-bounds": {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", "")}, Publisher: siussfeed.PublisherConfig{Interval: config.Duration(time.Millisecond), PageSize: 501, LockTTL: config.Duration(time.Second)}},
			[]string{"publisher.interval", "publisher.page_size", "publisher.lock_ttl"}},
		"fail/index-retention": {siussfeed.Config{Enti: []siussfeed.EnteConfig{ente("L378", "a", "")}, IndexRetention: config.Duration(time.Hour)}, []string{"index_retention"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			c.cfg.Check(ck)
			got := ck.Fields()
			if !slices.Equal(got, c.fields) {
				t.Fatalf("problems %v, want %v", ck.Problems(), c.fields)
			}
			if len(got) == 0 {
				if _, err := siussfeed.NewFeedFrom(&c.cfg, memStore(t), nil); err != nil {
					t.Fatalf("a checked section does not build: %v", err)
				}
			}
		})
	}
}
