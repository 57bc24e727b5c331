package lookup

import (
	"context"
	"errors"
	"strings"

	"github.com/welfaregov/gateway/adapters/inps"
	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/cache"
)

// DomandaISEE asks which ISEE applies: whose attestation, for which benefit and beneficiary, on
// which day.
type DomandaISEE struct {
	// CodiceFiscale is the person whose attestation INPS is asked for (any member of the DSU
	// household; usually the applicant). Required, normalised.
	CodiceFiscale string
	// Tipo is the kind of ISEE the benefit's rules require; it overrides Prestazione's. Optional.
	// DOTTORATO is read with ConsultazioneIndicatore (no attestation carries it).
	Tipo contracts.TipoISEE
	// Beneficiario is the person the benefit is for (the child, the student); CodiceFiscale when
	// empty.
	Beneficiario string
	// Prestazione is the benefit's PrestazioneDaErogare code (A1.01 ... Z9.99). Optional.
	Prestazione string
	// DataValidita is the day the ISEE must be valid on; today (Italy) when zero.
	DataValidita contracts.Data
}

// RisultatoISEE is the ISEE di prestazione with the provenance of the INPS answer it came from.
type RisultatoISEE struct {
	Selezione   contracts.SelezioneISEE `json:"selezione"`
	Provenienze []contracts.Provenienza `json:"provenienze"`
	enc         *encoding
}

// JSON is the answer's encoding, computed once.
func (r *RisultatoISEE) JSON() ([]byte, error) { return r.enc.of(r) }

// ISEE answers q: the attestation valid on the day (cached per person and day), and the indicator
// that applies (inps.SelezionaISEE), with its consistency problems. "No valid ISEE" is an
// ISEENotAvailable problem whose code says why (isee.dati-non-trovati, isee.beneficiario-estraneo...).
func (s *Service) ISEE(ctx context.Context, q DomandaISEE) (*RisultatoISEE, error) {
	if s.inps == nil {
		return nil, notConfigured("INPS")
	}
	cf := contracts.NormalizeCodiceFiscale(q.CodiceFiscale)
	date := s.orToday(q.DataValidita)
	beneficiario := contracts.NormalizeCodiceFiscale(q.Beneficiario)
	if beneficiario == "" {
		beneficiario = cf
	}
	tipo := q.Tipo
	switch {
	case tipo == contracts.ISEEDottorato:
		return s.iseeDottorato(ctx, beneficiario, date)
	case tipo == "" && q.Prestazione == "":
		tipo = contracts.ISEEOrdinario // no benefit named: the ordinario
	}
	esito, r, err := s.attestazione(ctx, cf, date)
	if err != nil {
		return nil, err
	}
	question := strings.Join([]string{"isee", cf, beneficiario, string(tipo), q.Prestazione, date.String()}, "|")
	return memoized(&s.memo, question, []cache.Result{r}, func() (*RisultatoISEE, error) {
		prov := provenienza(esito.Provenienza, r)
		a := *esito.Attestazione
		a.Provenienza = prov
		sel, err := inps.SelezionaISEE(a, inps.RichiestaSelezione{CodiceFiscaleBeneficiario: beneficiario,
			CodicePrestazione: q.Prestazione, Tipo: tipo, DataRiferimento: date})
		if err != nil {
			return nil, Problem(err)
		}
		sel.Provenienza = prov
		return &RisultatoISEE{enc: &encoding{}, Selezione: *sel, Provenienze: []contracts.Provenienza{prov}}, nil
	})
}

// attestazione is INPS's attestation for cf valid on date (RicercaCF), from the cache or INPS.
// DATI_NON_TROVATI comes back as an ISEENotAvailable problem (cached briefly like every business
// answer, never served stale).
func (s *Service) attestazione(ctx context.Context, cf string, date contracts.Data) (inps.EsitoAttestazione, cache.Result, error) {
	v, r, err := s.attestazioni.Get(ctx, cf, date.String(), func(ctx context.Context) (inps.EsitoAttestazione, error) {
		res, err := s.inps.ConsultazioneAttestazione(ctx, inps.RichiestaAttestazione{RicercaCF: &inps.RicercaCF{CodiceFiscale: cf, DataValidita: date}})
		switch {
		case err != nil:
			return inps.EsitoAttestazione{}, err
		case !res.Trovata():
			return inps.EsitoAttestazione{}, errNoISEE
		}
		return res.EsitoAttestazione, nil
	})
	var ba *cache.BusinessAnswer
	if errors.As(err, &ba) {
		return v, r, businessOf(ISEENotAvailable, "isee.dati-non-trovati", "INPS holds no ISEE valid on "+date.String()+" for this codice fiscale (DATI_NON_TROVATI)", err)
	}
	if err != nil {
		return v, r, Problem(err)
	}
	return v, r, nil
}

// iseeDottorato reads the DOTTORATO indicator, which only ConsultazioneIndicatore gives.
func (s *Service) iseeDottorato(ctx context.Context, cf string, date contracts.Data) (*RisultatoISEE, error) {
	sel, r, err := s.indicatori.Get(ctx, cf, string(contracts.ISEEDottorato)+"|"+date.String(), func(ctx context.Context) (contracts.SelezioneISEE, error) {
		res, err := s.inps.ConsultazioneIndicatore(ctx, inps.RichiestaIndicatore{Tipo: contracts.ISEEDottorato,
			RicercaCF: inps.RicercaCF{CodiceFiscale: cf, DataValidita: date}})
		switch {
		case err != nil:
			return contracts.SelezioneISEE{}, err
		case res.Selezione == nil:
			return contracts.SelezioneISEE{}, errNoISEE
		}
		return *res.Selezione, nil
	})
	var ba *cache.BusinessAnswer
	if errors.As(err, &ba) {
		return nil, businessOf(ISEENotAvailable, "isee.dati-non-trovati", "INPS holds no DOTTORATO ISEE valid on "+date.String()+" for this codice fiscale (DATI_NON_TROVATI)", err)
	}
	if err != nil {
		return nil, Problem(err)
	}
	sel.Provenienza = provenienza(sel.Provenienza, r)
	return &RisultatoISEE{enc: &encoding{}, Selezione: sel, Provenienze: []contracts.Provenienza{sel.Provenienza}}, nil
}

// noISEE is INPS's DATI_NON_TROVATI as a Business error, so the cache keeps it as a business answer.
type noISEE struct{}

func (noISEE) Error() string                { return "INPS holds no ISEE for the search (DATI_NON_TROVATI)" }
func (noISEE) UpstreamClass() adapter.Class { return adapter.Business }
func (noISEE) Code() string                 { return string(inps.EsitoDatiNonTrovati) }

var errNoISEE error = noISEE{}
