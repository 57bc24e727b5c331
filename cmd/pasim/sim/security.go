package sim

import (
	"fmt"
	"net/http"
	"strings"

	anprmodel "github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/cmd/pasim/sim/anpr"
	"github.com/welfaregov/gateway/cmd/pasim/sim/inps"
	pdndsim "github.com/welfaregov/gateway/cmd/pasim/sim/pdnd"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// DefaultHosts are the {{name}} placeholders of the PDND seed that no running simulator provides:
// the gateway's e-service listener of the demo configuration, which publishes WelfareGOV's
// e-services, and INPS on its documented port until its simulator is registered (a registered
// simulator's URL always wins).
var DefaultHosts = map[string]string{"welfaregov": "https://127.0.0.1:8443", "inps": "http://127.0.0.1:7002"}

// newPDND starts the PDND simulator on its listener's URL, with every other listener's URL as a
// placeholder host of the seed.
func newPDND(env *Env) (http.Handler, error) {
	o := env.Options.PDND
	o.BaseURL, o.RunDir, o.Faults = env.URLs["pdnd"], env.RunDir, env.Faults
	hosts := map[string]string{}
	defaults := env.Options.Hosts
	if defaults == nil {
		defaults = DefaultHosts
	}
	for k, v := range defaults {
		hosts[k] = v
	}
	for k, v := range o.Hosts {
		hosts[k] = v
	}
	for k, v := range env.URLs {
		hosts[k] = v
	}
	o.Hosts = hosts
	s, err := pdndsim.New(o)
	if err != nil {
		return nil, err
	}
	env.PDND = s
	return s.Handler(), nil
}

// verifies reports whether the simulators put the PDND simulator's real verification in front of
// their e-services.
func verifies(env *Env) bool { return env.PDND != nil && !env.Options.PresenceOnly }

// The producers' PDND-API clients in the committed seed (their vouchers authorize key lookups).
const (
	anprAPIClient = "mininterno-api"
	icefAPIClient = "pat-api"
	inpsAPIClient = "inps-api"
)

// inpsGuard verifies ConsultazioneISEE's voucher (ID_AUTH_REST_01 via PDND: INPS's SOAP e-service
// asks for no ModI message pattern), bound to the e-service of the seed. Refusals are INPS's 401
// with a SOAP Fault (inps.Unauthorized), the gateway's code in brackets; a dependency down is 503.
func inpsGuard(p *pdndsim.Simulator) (func(http.Handler) http.Handler, error) {
	return p.Guard(pdndsim.GuardOptions{
		EService:  "inps-consultazione-isee",
		APIClient: inpsAPIClient,
		WriteError: func(w http.ResponseWriter, _ *http.Request, err error) {
			e := secerr.As(err)
			switch {
			case e == nil:
				http.Error(w, "the request could not be read", http.StatusBadRequest)
			case e.Status() == http.StatusServiceUnavailable:
				w.Header().Set("Retry-After", "5")
				http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			case e.Status() == http.StatusForbidden:
				inps.Unauthorized(w, "insufficient_scope", "Voucher PDND non valido per questo e-service: "+e.Detail+" ["+e.Code()+"]")
			default:
				inps.Unauthorized(w, "invalid_token", "Voucher PDND non valido: "+e.Detail+" ["+e.Code()+"]")
			}
		},
	})
}

// anprGuards verifies each ANPR use case as ANPR's GovWay does for E002 (pdnd-modi.md §2.3-2.4,
// italia/anpr#4496): the voucher of the use case's e-service (ID_AUTH_REST_01 via PDND), and
// INTEGRITY_REST_02 and AUDIT_REST_02 with userID, userLocation and LoA, all with the e-service
// audience (which lacks the -PDND segment of the URL called). Refusals are GovWay problems.
func anprGuards(p *pdndsim.Simulator) (func(anprmodel.CasoUso) func(http.Handler) http.Handler, error) {
	guards := map[anprmodel.CasoUso]func(http.Handler) http.Handler{}
	for _, c := range anprmodel.CasiUso {
		g, err := p.Guard(pdndsim.GuardOptions{
			EService:  "anpr-" + strings.ToLower(string(c)),
			APIClient: anprAPIClient,
			Policy: modi.Policy{
				Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02},
				Audit:     modi.AuditPolicy{Pattern: modi.AuditREST02, RequiredClaims: []string{"userID", "userLocation", "LoA"}},
			},
			WriteError: anpr.WriteGovWayError,
		})
		if err != nil {
			return nil, fmt.Errorf("ANPR %s: %w", c, err)
		}
		guards[c] = g
	}
	return func(c anprmodel.CasoUso) func(http.Handler) http.Handler { return guards[c] }, nil
}

// icefGuard verifies the provisional ICEF contract's security (sim/icef/README.md): the voucher
// (ID_AUTH_REST_01 via PDND) on both operations, and INTEGRITY_REST_02 on requests with a body
// (POST indicatori/ricerca; GET politiche has none), no audit. Refusals are problem+json.
func icefGuard(p *pdndsim.Simulator) (func(http.Handler) http.Handler, error) {
	return p.Guard(pdndsim.GuardOptions{
		EService:  "icef",
		APIClient: icefAPIClient,
		Policy:    modi.Policy{Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02}},
	})
}
