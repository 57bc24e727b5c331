// Package lookup is what the internal API asks the upstreams for, below HTTP: the ISEE di prestazione
// of a person (INPS), the registry data and household (ANPR), the ICEF indicator, and the check of
// a self-declaration against ANPR and INPS at once. Every answer goes through the two-tier cache
// (gateway/cache), whose keys are the subject's codice fiscale (so a purge by subject reaches every
// kind), and carries the provenance of each upstream answer it used. Failures come back as
// *problem.Error values with the types of this package and of the runtime (Problem).
//
// The operator and the case travel in the context (adapters/upstream.WithCaller): the runtime's
// Authorizer makes them the AUDIT claims, the ANPR adapter sends the case as motivoRichiesta.
package lookup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/icef"
	"github.com/welfaregov/gateway/adapters/inps"
	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/cache"
)

// Service answers the internal API's questions. Safe for concurrent use.
type Service struct {
	inps *inps.Client
	anpr *anpr.Client
	icef *icef.Client
	now  func() time.Time

	attestazioni *cache.Typed[inps.EsitoAttestazione]
	indicatori   *cache.Typed[contracts.SelezioneISEE]
	idANPR       *cache.Typed[anpr.Risultato]
	anprByCaso   map[anpr.CasoUso]*cache.Typed[anpr.Risultato]
	icefCache    *cache.Typed[contracts.IndicatoreICEF]
	memo         answers
}

// Deps are the Service's collaborators. A nil client makes the questions that need it answer
// upstream-not-configured.
type Deps struct {
	INPS  *inps.Client
	ANPR  *anpr.Client
	ICEF  *icef.Client
	Cache *cache.Cache
	// Now is the clock that gives "today" (Europe/Rome) when a question has no reference date.
	// Default time.Now.
	Now func() time.Time
}

// Cache kinds of the answers (gateway/cache.DefaultKinds).
const (
	kindAttestazione = "isee_attestazione"
	kindIndicatore   = "isee_indicatore"
	kindIDANPR       = "anpr_idanpr"
	kindICEF         = "icef_indicatore"
)

var kindByCaso = map[anpr.CasoUso]string{
	anpr.C020: "anpr_residenza", anpr.C021: "anpr_famiglia", anpr.C015: "anpr_generalita",
	anpr.C018: "anpr_cittadinanza", anpr.C019: "anpr_esistenza",
}

// New builds the Service. The cache must know the kinds above.
func New(d Deps) (*Service, error) {
	if d.Cache == nil {
		return nil, errors.New("lookup: a cache is required")
	}
	s := &Service{inps: d.INPS, anpr: d.ANPR, icef: d.ICEF, now: d.Now, anprByCaso: map[anpr.CasoUso]*cache.Typed[anpr.Risultato]{}}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	// Every ISEE key names the day the question is about (the attestation valid on that day), so
	// an answer does not end with its DataValidita: the kinds' TTLs bound it (a DSU filed later
	// may change which attestation is the most recent one valid on the day).
	if s.attestazioni, err = cache.NewTyped[inps.EsitoAttestazione](d.Cache, kindAttestazione, nil, cache.SharedValues()); err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	if s.indicatori, err = cache.NewTyped[contracts.SelezioneISEE](d.Cache, kindIndicatore, nil, cache.SharedValues()); err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	if s.idANPR, err = cache.NewTyped[anpr.Risultato](d.Cache, kindIDANPR, nil, cache.SharedValues()); err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	for c, kind := range kindByCaso {
		if s.anprByCaso[c], err = cache.NewTyped[anpr.Risultato](d.Cache, kind, nil, cache.SharedValues()); err != nil {
			return nil, fmt.Errorf("lookup: %w", err)
		}
	}
	if s.icefCache, err = cache.NewTyped[contracts.IndicatoreICEF](d.Cache, kindICEF, nil, cache.SharedValues()); err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	return s, nil
}

// today is the civil date in Italy now.
func (s *Service) today() contracts.Data { return contracts.TodayInItaly(s.now()) }

// orToday is d, or today when d is zero.
func (s *Service) orToday(d contracts.Data) contracts.Data {
	if d.IsZero() {
		return s.today()
	}
	return d
}

// caseRef is the case reference of the call (ANPR motivoRichiesta).
func caseRef(ctx context.Context) string {
	c, _ := adapter.CallerFrom(ctx)
	return c.CaseRef
}

// provenienza is p with the cache's account of the answer applied (HIT/STALE and age).
func provenienza(p contracts.Provenienza, r cache.Result) contracts.Provenienza {
	r.Apply(&p)
	return p
}
