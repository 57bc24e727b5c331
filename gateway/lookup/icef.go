package lookup

import (
	"context"
	"errors"
	"strconv"

	"github.com/welfaregov/gateway/adapters/icef"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/cache"
)

// RisultatoICEF is the ICEF indicator (provisional contract) with its provenance.
type RisultatoICEF struct {
	Indicatore  contracts.IndicatoreICEF `json:"indicatore"`
	Provenienze []contracts.Provenienza  `json:"provenienze"`
	enc         *encoding
}

// JSON is the answer's encoding, computed once.
func (r *RisultatoICEF) JSON() ([]byte, error) { return r.enc.of(r) }

// ICEF answers with the ICEF indicator of cf's household for a policy and year, cached per
// applicant, policy and year.
func (s *Service) ICEF(ctx context.Context, cf, politica string, anno int) (*RisultatoICEF, error) {
	if s.icef == nil {
		return nil, notConfigured("ICEF")
	}
	cf = contracts.NormalizeCodiceFiscale(cf)
	ind, r, err := s.icefCache.Get(ctx, cf, politica+"|"+strconv.Itoa(anno), func(ctx context.Context) (contracts.IndicatoreICEF, error) {
		v, err := s.icef.Indicatore(ctx, icef.Richiesta{CodiceFiscale: cf, Politica: politica, Anno: anno})
		if err != nil {
			return contracts.IndicatoreICEF{}, err
		}
		return *v, nil
	})
	var ba *cache.BusinessAnswer
	if errors.As(err, &ba) {
		return nil, businessOf(ICEFNotAvailable, "icef.non-trovato", "ICEF holds no indicator for this applicant, policy and year", err)
	}
	if err != nil {
		return nil, Problem(err)
	}
	question := "icef|" + cf + "|" + politica + "|" + strconv.Itoa(anno)
	return memoized(&s.memo, question, []cache.Result{r}, func() (*RisultatoICEF, error) {
		ind.Provenienza = provenienza(ind.Provenienza, r)
		return &RisultatoICEF{enc: &encoding{}, Indicatore: ind, Provenienze: []contracts.Provenienza{ind.Provenienza}}, nil
	})
}
