package siussfeed

import (
	"regexp"
	"time"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/store"
)

// Config is the feed's part of the eservices.siuss section: the enti served and the publisher.
//
//	enti:
//	  - codice: L378                       # Belfiore
//	    denominazione: COMUNE DI TRENTO
//	    cf_operatore: "00355870221"
//	    audience: https://api.comune.trento.it/waas/v1   # the voucher aud of this ente's e-service
//	    producer_id: 6f2d3c1a-...                         # the ente's PDND tenant id
//	publisher:
//	  interval: 1m
type Config struct {
	// Enti are the administrations whose flows this gateway serves to INPS. Each is its own
	// e-service on PDND (its own audience and producer); a voucher is routed to the ente whose
	// audience it carries (and producer, when two enti share an audience). At least one.
	Enti []EnteConfig `yaml:"enti"`
	// Publisher moves prestazioni from the WelfareGOV backend into the flow logs.
	Publisher PublisherConfig `yaml:"publisher"`
	// IndexRetention is how long the id_flusso index and the esiti records are kept (the flow
	// logs are kept forever). Default 10 years; at least 1 year.
	IndexRetention config.Duration `yaml:"index_retention"`
}

// EnteConfig is one ente.
type EnteConfig struct {
	// Codice is the ente's Belfiore code (H501): codice_ente of its flows and their id prefix.
	Codice string `yaml:"codice"`
	// Denominazione is its name (1 to 100 characters), as in the flows.
	Denominazione string `yaml:"denominazione"`
	// Indirizzo is the Belfiore code of the comune of its legal seat. Default: codice.
	Indirizzo string `yaml:"indirizzo"`
	// CFOperatore is the codice fiscale of the operator responsible for the flows (a personal
	// code, or the ente's 11 digits).
	CFOperatore string `yaml:"cf_operatore"`
	// Audience is the audience of the ente's e-service on PDND (the voucher aud INPS presents).
	// Required; distinct enti may share one only if both set producer_id.
	Audience string `yaml:"audience"`
	// ProducerID is the ente's PDND tenant id (a UUID): checked against the voucher's producerId,
	// and the tenant its calls are reported under to PDND Tracing.
	ProducerID string `yaml:"producer_id"`
	// EServiceID and DescriptorID, when set, are checked against the voucher's.
	EServiceID   string `yaml:"eservice_id"`
	DescriptorID string `yaml:"descriptor_id"`
}

// PublisherConfig configures the publisher.
type PublisherConfig struct {
	// Disabled stops this replica from publishing (only readers run here). Default false: every
	// replica runs a publisher, and the store lock lets exactly one work at a time.
	Disabled bool `yaml:"disabled"`
	// Interval is the pause between rounds when the backend has nothing new. Default 1m; 1s to 1h.
	Interval config.Duration `yaml:"interval"`
	// PageSize is how many backend changes one round reads. Default 100; at most 500.
	PageSize int `yaml:"page_size"`
	// LockTTL is how long the publisher lock lives without renewal (it is renewed before each
	// record). Default 30s; 5s to 10m.
	LockTTL config.Duration `yaml:"lock_ttl"`
}

// DefaultPublishInterval is the pause between idle publisher rounds.
const DefaultPublishInterval = time.Minute

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Check records every problem of the section.
func (c *Config) Check(ck config.Checker) {
	if len(c.Enti) == 0 {
		ck.Errorf("enti", "at least one ente: the administration whose flows INPS pulls")
	}
	codici := map[string]int{}
	audiences := map[string][]int{}
	for i, e := range c.Enti {
		ec := ck.At("enti").Index(i)
		if err := contracts.ValidateCodiceBelfiore(e.Codice); err != nil {
			ec.Errorf("codice", "%q is not a Belfiore code (a letter and 3 digits)", e.Codice)
		} else if j, dup := codici[e.Codice]; dup {
			ec.Errorf("codice", "%s is also enti[%d]", e.Codice, j)
		} else {
			codici[e.Codice] = i
		}
		if e.Denominazione == "" {
			ec.Errorf("denominazione", "required: the ente's name as its flows carry it")
		}
		if err := e.ente().Check(); err != nil && contracts.ValidateCodiceBelfiore(e.Codice) == nil {
			ec.Errorf("", "%v", err)
		}
		if e.Audience == "" {
			ec.Errorf("audience", "required: the audience of this ente's e-service on PDND")
		} else {
			audiences[e.Audience] = append(audiences[e.Audience], i)
		}
		for _, id := range []struct{ field, v string }{{"producer_id", e.ProducerID}, {"eservice_id", e.EServiceID}, {"descriptor_id", e.DescriptorID}} {
			if id.v != "" && !uuidPattern.MatchString(id.v) {
				ec.Errorf(id.field, "%q is not a PDND id (a UUID)", id.v)
			}
		}
	}
	for _, idx := range audiences {
		if len(idx) < 2 {
			continue
		}
		producers := map[string]bool{}
		for _, i := range idx {
			p := c.Enti[i].ProducerID
			if p == "" || producers[p] {
				ck.At("enti").Index(i).Errorf("producer_id", "enti %v share the audience %q: each needs its own producer_id to route vouchers", idx, c.Enti[i].Audience)
			}
			producers[p] = true
		}
	}
	p := c.Publisher
	if d := p.Interval.D(); d != 0 && (d < time.Second || d > time.Hour) {
		ck.At("publisher").Errorf("interval", "%s: between 1s and 1h", p.Interval)
	}
	if p.PageSize < 0 || p.PageSize > 500 {
		ck.At("publisher").Errorf("page_size", "%d: between 1 and 500 (0 means 100)", p.PageSize)
	}
	if d := p.LockTTL.D(); d != 0 && (d < 5*time.Second || d > 10*time.Minute) {
		ck.At("publisher").Errorf("lock_ttl", "%s: between 5s and 10m", p.LockTTL)
	}
	if d := c.IndexRetention.D(); d != 0 && d < 365*24*time.Hour {
		ck.Errorf("index_retention", "%s: at least 1y (365d): esiti arrive long after publication", c.IndexRetention)
	}
}

func (e EnteConfig) ente() siuss.Ente {
	ind := e.Indirizzo
	if ind == "" {
		ind = e.Codice
	}
	return siuss.Ente{Codice: e.Codice, Denominazione: e.Denominazione, Indirizzo: ind, CFOperatore: e.CFOperatore}
}

// NewFeedFrom builds the feed of a checked section over st.
func NewFeedFrom(c *Config, st store.Store, now func() time.Time) (*Feed, error) {
	enti := make([]siuss.Ente, len(c.Enti))
	for i, e := range c.Enti {
		enti[i] = e.ente()
	}
	return NewFeed(st, enti, Options{Now: now, IndexRetention: c.IndexRetention.D()})
}

// NewPublisherFrom builds the publisher of a checked section.
func NewPublisherFrom(c *Config, feed *Feed, src Source, o PublisherOptions) *Publisher {
	o.PageSize = c.Publisher.PageSize
	o.LockTTL = c.Publisher.LockTTL.D()
	return NewPublisher(feed, src, o)
}

// IntervalOrDefault is the publisher's idle pause.
func (p PublisherConfig) IntervalOrDefault() time.Duration {
	if p.Interval == 0 {
		return DefaultPublishInterval
	}
	return p.Interval.D()
}
