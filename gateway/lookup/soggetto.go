package lookup

import (
	"context"
	"errors"
	"sync"

	"github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/cache"
)

// Soggetto is a person's registry data (ANPR): generalità with stato civile (C015), the idANPR
// (C030), residence (C020), citizenships (C018) and whether the person is alive at the reference
// date (C019), with the provenance of every answer.
type Soggetto struct {
	Persona contracts.Persona `json:"persona"`
	// InVita says whether the person is alive at the reference date; absent when ANPR did not say.
	InVita      *bool                   `json:"inVita,omitempty"`
	Provenienze []contracts.Provenienza `json:"provenienze"`
	enc         *encoding
}

// JSON is the answer's encoding, computed once.
func (s *Soggetto) JSON() ([]byte, error) { return s.enc.of(s) }

// Famiglia is the registry household (ANPR stato di famiglia, C021).
type Famiglia struct {
	NucleoFamiliare contracts.NucleoFamiliare `json:"nucleoFamiliare"`
	Provenienze     []contracts.Provenienza   `json:"provenienze"`
	enc             *encoding
}

// JSON is the answer's encoding, computed once.
func (f *Famiglia) JSON() ([]byte, error) { return f.enc.of(f) }

// anprAnswer is one cached ANPR answer with the cache's account of it.
type anprAnswer struct {
	ris anpr.Risultato
	r   cache.Result
	err error
}

func (a anprAnswer) provenienza() contracts.Provenienza { return provenienza(a.ris.Provenienza, a.r) }

// Soggetto answers with the registry data of cf at date (today when zero). The answers after C030
// are asked in parallel. A deceased person has no citizenship answer (ANPR refuses C018 with
// EN148): the persona carries the death instead.
func (s *Service) Soggetto(ctx context.Context, cf string, date contracts.Data) (*Soggetto, error) {
	if s.anpr == nil {
		return nil, notConfigured("ANPR")
	}
	cf, date = contracts.NormalizeCodiceFiscale(cf), s.orToday(date)
	id, err := s.accertaIDANPR(ctx, cf)
	if err != nil {
		return nil, err
	}
	idANPR, _ := id.ris.IDANPR()
	casi := []anpr.CasoUso{anpr.C015, anpr.C020, anpr.C018, anpr.C019}
	answers := make([]anprAnswer, len(casi))
	var wg sync.WaitGroup
	for i, c := range casi {
		wg.Go(func() { answers[i] = s.accerta(ctx, c, cf, idANPR, date) })
	}
	wg.Wait()
	results := []cache.Result{id.r}
	for _, a := range answers {
		results = append(results, a.r)
	}
	return memoized(&s.memo, "soggetto|"+cf+"|"+date.String(), results, func() (*Soggetto, error) {
		return buildSoggetto(id, idANPR, casi, answers)
	})
}

// buildSoggetto merges the answers of C030 and casi into the person's registry data.
func buildSoggetto(id anprAnswer, idANPR string, casi []anpr.CasoUso, answers []anprAnswer) (*Soggetto, error) {
	out := &Soggetto{enc: &encoding{}, Provenienze: []contracts.Provenienza{id.provenienza()}}
	persona, _ := id.ris.Soggetto()
	for i, a := range answers {
		c := casi[i]
		if a.err != nil {
			if c == anpr.C018 && isDeceased(a.err) {
				continue // no citizenship for the dead; C019 and C020 tell the death
			}
			return nil, anprFailure(a.err)
		}
		out.Provenienze = append(out.Provenienze, a.provenienza())
		p, err := a.ris.Soggetto()
		if err != nil {
			return nil, Problem(&anpr.Error{Reason: anpr.ReasonMalformed, CasoUso: c, Status: 200, Cause: err})
		}
		switch c {
		case anpr.C015:
			p.IDANPR = idANPR
			persona = p
		case anpr.C020:
			persona.Residenze = p.Residenze
			if p.Decesso != nil {
				persona.Decesso = p.Decesso
			}
		case anpr.C018:
			persona.Cittadinanze = p.Cittadinanze
		case anpr.C019:
			out.InVita = a.ris.InVita
			if p.Decesso != nil && (persona.Decesso == nil || persona.Decesso.Data.IsZero()) {
				persona.Decesso = p.Decesso
			}
		}
	}
	persona.Provenienza = nil // the provenance of each part is in Provenienze
	out.Persona = persona
	return out, nil
}

// Famiglia answers with the registry household of cf at date (today when zero).
func (s *Service) Famiglia(ctx context.Context, cf string, date contracts.Data) (*Famiglia, error) {
	if s.anpr == nil {
		return nil, notConfigured("ANPR")
	}
	cf, date = contracts.NormalizeCodiceFiscale(cf), s.orToday(date)
	id, err := s.accertaIDANPR(ctx, cf)
	if err != nil {
		return nil, err
	}
	idANPR, _ := id.ris.IDANPR()
	a := s.accerta(ctx, anpr.C021, cf, idANPR, date)
	if a.err != nil {
		return nil, anprFailure(a.err)
	}
	if a.ris.NucleoFamiliare == nil {
		return nil, Problem(&anpr.Error{Reason: anpr.ReasonMalformed, CasoUso: anpr.C021, Status: 200, Cause: errors.New("a C021 answer without a household")})
	}
	return memoized(&s.memo, "famiglia|"+cf+"|"+date.String(), []cache.Result{id.r, a.r}, func() (*Famiglia, error) {
		prov := a.provenienza()
		n := *a.ris.NucleoFamiliare
		n.Provenienza = &prov
		return &Famiglia{enc: &encoding{}, NucleoFamiliare: n, Provenienze: []contracts.Provenienza{id.provenienza(), prov}}, nil
	})
}

// accertaIDANPR is C030 for cf, cached for the life of the association (kind anpr_idanpr). It is
// asked at today's date whatever the question's: an idANPR does not change with the date, and a
// subject who did not exist yet on an earlier date is told by the use case asked next.
func (s *Service) accertaIDANPR(ctx context.Context, cf string) (anprAnswer, error) {
	today := s.today()
	ris, r, err := s.idANPR.Get(ctx, cf, "", func(ctx context.Context) (anpr.Risultato, error) {
		res, err := s.anpr.AccertaIDANPR(ctx, cf, caseRef(ctx), today)
		if err != nil {
			return anpr.Risultato{}, err
		}
		if _, err := res.IDANPR(); err != nil {
			// Two subjects for one code (an unresolved omocodia), or no idANPR: ANPR's answer is
			// unusable for a chain, and must not be cached as if it were.
			return anpr.Risultato{}, &anpr.Error{Reason: anpr.ReasonMalformed, CasoUso: anpr.C030, Status: 200, IDOperazioneANPR: res.IDOperazioneANPR, Cause: err}
		}
		return *res, nil
	})
	if err != nil {
		return anprAnswer{}, anprFailure(err)
	}
	return anprAnswer{ris: ris, r: r}, nil
}

// accerta is use case c for the subject (cf, idANPR) at date, cached per subject and date.
func (s *Service) accerta(ctx context.Context, c anpr.CasoUso, cf, idANPR string, date contracts.Data) anprAnswer {
	ris, r, err := s.anprByCaso[c].Get(ctx, cf, date.String(), func(ctx context.Context) (anpr.Risultato, error) {
		res, err := s.anpr.Do(ctx, c, anpr.Richiesta{IDANPR: idANPR, MotivoRichiesta: caseRef(ctx), DataRiferimento: date})
		if err != nil {
			return anpr.Risultato{}, err
		}
		return *res, nil
	})
	return anprAnswer{ris: ris, r: r, err: err}
}

// anprFailure is the problem of an ANPR failure, cached business answers included (the cache keeps
// only ANPR's code: EN148 deceased, anything else not found).
func anprFailure(err error) error {
	var ba *cache.BusinessAnswer
	if errors.As(err, &ba) {
		if isDeceased(err) {
			return businessOf(SubjectDeceased, "anpr.deceased", "ANPR gives no answer to this use case for a deceased subject (EN148); the subject's registry data show the death", err)
		}
		return businessOf(SubjectNotFound, "anpr.not-found", "ANPR holds no subject with this codice fiscale at the reference date ("+ba.Code+")", err)
	}
	return Problem(err)
}

// isDeceased reports whether err is ANPR's EN148, fresh or from the cache.
func isDeceased(err error) bool {
	var ba *cache.BusinessAnswer
	return anpr.IsDeceased(err) || errors.As(err, &ba) && ba.Code == anpr.CodiceDeceduto
}
