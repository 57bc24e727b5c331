package pdndauth_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/icef"
	"github.com/welfaregov/gateway/adapters/inps"
	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	pdndsim "github.com/welfaregov/gateway/cmd/pasim/sim/pdnd"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/internal/pasimtest"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/store/memory"
	"github.com/welfaregov/gateway/gateway/upstream"
	"github.com/welfaregov/gateway/gateway/upstream/pdndauth"
)

// countingTransport counts the requests to the PDND token endpoint.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

type harness struct {
	sim    *sim.Running
	rt     *upstream.Runtime
	tokens *countingTransport
	inps   *inps.Client
	anpr   *anpr.Client
	icef   *icef.Client
}

// newHarness wires the runtime to pasim exactly as the gateway does: the generated pdnd and
// upstreams sections, pdndauth.Outbound and pdndauth.Authorizers, the real adapters. The
// simulators verify every voucher, signature and tracking evidence for real.
func newHarness(t *testing.T) *harness {
	t.Helper()
	r := pasimtest.Start(t, sim.Options{})
	cfg := pasimtest.Config(t, r)
	out, err := pdndauth.Outbound(cfg.PDND)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{sim: r, tokens: &countingTransport{}}
	out.Client.HTTP = &http.Client{Transport: h.tokens, Timeout: 10 * time.Second}
	auth, err := pdndauth.Authorizers(cfg.Upstreams, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range cfg.Upstreams {
		u.Retry = resilience.RetryConfig{MaxAttempts: 1}
	}
	st, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h.rt, err = upstream.New(cfg.Upstreams, upstream.Deps{Store: st, Authorizer: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.rt.Close() })
	ui, _ := h.rt.Upstream("inps")
	ua, _ := h.rt.Upstream("anpr")
	uc, _ := h.rt.Upstream("icef")
	ids, _ := anpr.NewIDGenerator("01", time.Now)
	h.inps = &inps.Client{Transport: ui, Endpoint: ui.BaseURL().String(), Identity: inps.Identity{UserID: "80012345678", CodiceUfficio: "001"}}
	h.anpr = &anpr.Client{Transport: ua, Endpoints: anpr.EndpointsUnder(ua.BaseURL().String()), IDs: ids, Now: time.Now}
	h.icef = &icef.Client{Transport: uc, BaseURL: uc.BaseURL().String()}
	return h
}

var (
	mario = adapter.Caller{UserID: "mario.rossi", Workstation: "TN-SERVIZI-SOCIALI-04", LoA: "SPID_L2", CaseRef: "PRAT-2025-000123"}
	anna  = adapter.Caller{UserID: "anna.verdi", Workstation: "TN-SERVIZI-SOCIALI-07", LoA: "CIE_L3", CaseRef: "PRAT-2025-000124"}
	rif   = contracts.MustData(2025, 6, 1)
)

// withDSU is a living person whose household has a DSU and ICEF indicators (Trentino).
func withDSU(t *testing.T, p *population.Population) *population.Person {
	for _, h := range p.Households {
		if h.DSU != nil && len(h.ICEF) > 0 && !h.DSU.Dichiarante.Deceduto() {
			return h.DSU.Dichiarante
		}
	}
	t.Fatal("no household with a DSU and ICEF in the population")
	return nil
}

func TestVoucherPerPurposeAndOperatorThroughTheRealSimulators(t *testing.T) {
	h := newHarness(t)
	who := withDSU(t, h.sim.Population)
	ctx := adapter.WithCaller(context.Background(), mario)

	// INPS: the voucher only. The second call reuses the cached voucher.
	for range 2 {
		res, err := h.inps.ConsultazioneAttestazione(ctx, inps.RichiestaAttestazione{RicercaCF: &inps.RicercaCF{CodiceFiscale: who.CodiceFiscale, DataValidita: rif}})
		if err != nil || !res.Trovata() {
			t.Fatalf("INPS: %v", err)
		}
	}
	if n := h.tokens.n.Load(); n != 1 {
		t.Fatalf("%d token requests for two INPS calls, want 1 (cached voucher)", n)
	}

	// ANPR: voucher + INTEGRITY_REST_02 + AUDIT_REST_02 per use case (each its own purpose).
	fam, err := h.anpr.AccertaPerCodiceFiscale(ctx, anpr.C021, who.CodiceFiscale, mario.CaseRef, rif)
	if err != nil || fam.NucleoFamiliare == nil || len(fam.NucleoFamiliare.Componenti) == 0 {
		t.Fatalf("ANPR C030+C021: %v", err)
	}
	if n := h.tokens.n.Load(); n != 3 {
		t.Fatalf("%d token requests, want 3: one more per ANPR purpose", n)
	}
	if _, err := h.anpr.AccertaPerCodiceFiscale(ctx, anpr.C021, who.CodiceFiscale, mario.CaseRef, rif); err != nil {
		t.Fatal(err)
	}
	if n := h.tokens.n.Load(); n != 3 {
		t.Fatalf("%d token requests, want still 3: the same operator reuses voucher and evidence", n)
	}
	// Another operator: the tracking evidence (bound to the voucher by the assertion digest)
	// differs, so the voucher does too.
	if _, err := h.anpr.AccertaIDANPR(adapter.WithCaller(context.Background(), anna), who.CodiceFiscale, anna.CaseRef, rif); err != nil {
		t.Fatal(err)
	}
	if n := h.tokens.n.Load(); n != 4 {
		t.Fatalf("%d token requests, want 4: a new voucher for another operator's audit claims", n)
	}

	// ICEF: voucher + INTEGRITY_REST_02.
	ind := h.sim.Population.HouseholdOf(who).ICEF[0]
	got, err := h.icef.Indicatore(ctx, icef.Richiesta{CodiceFiscale: who.CodiceFiscale, Politica: ind.Politica, Anno: ind.Anno})
	if err != nil || !got.Valore.Equal(contracts.NewDecimal(ind.Valore.Round(4))) {
		t.Fatalf("ICEF: %+v %v", got, err)
	}
}

func TestAuthorizeFailuresSendNothing(t *testing.T) {
	h := newHarness(t)
	who := withDSU(t, h.sim.Population)
	// ANPR requires AUDIT_REST_02: without the operator's identity nothing can be signed.
	_, err := h.anpr.AccertaIDANPR(context.Background(), who.CodiceFiscale, "PRAT-1", rif)
	var re *resilience.Error
	if !errors.As(err, &re) || re.Reason != resilience.ReasonCredentials || !errors.Is(err, pdndauth.ErrNoCaller) || re.Attempts != 0 {
		t.Fatalf("no caller: %v", err)
	}
	// A purpose PDND refuses (suspended): the token endpoint says no, nothing reaches INPS.
	isee, _ := h.sim.PDND.Purpose("welfaregov-isee")
	h.sim.PDND.Authority().UpdatePurpose(isee.ID, func(p *pdndtest.Purpose) { p.PurposeInactive = true })
	_, err = h.inps.ConsultazioneAttestazione(adapter.WithCaller(context.Background(), mario),
		inps.RichiestaAttestazione{RicercaCF: &inps.RicercaCF{CodiceFiscale: who.CodiceFiscale, DataValidita: rif}})
	if !errors.As(err, &re) || re.Reason != resilience.ReasonCredentials || re.Problem().Type != resilience.UpstreamCredentials {
		t.Fatalf("suspended purpose: %v", err)
	}
}

// A voucher the upstream refuses (401) is dropped: the runtime's second attempt and the next calls
// get a new one. The PDND simulator's expired-voucher fault issues vouchers whose exp is past while
// the token response still says 600s, so only the upstream's 401 can reveal them.
func TestRefusedVoucherIsDropped(t *testing.T) {
	h := newHarness(t)
	who := withDSU(t, h.sim.Population)
	ctx := adapter.WithCaller(context.Background(), mario)
	req := inps.RichiestaAttestazione{RicercaCF: &inps.RicercaCF{CodiceFiscale: who.CodiceFiscale, DataValidita: rif}}
	if err := h.sim.Faults.Set("pdnd.token", fault.Spec{Semantic: pdndsim.SemanticExpiredVoucher}); err != nil {
		t.Fatal(err)
	}
	_, err := h.inps.ConsultazioneAttestazione(ctx, req)
	if inps.ReasonOf(err) != inps.ReasonNonAutorizzata {
		t.Fatalf("expired vouchers: %v", err)
	}
	if n := h.tokens.n.Load(); n != 2 {
		t.Fatalf("%d token requests, want 2: the refused voucher is replaced once within the call", n)
	}
	if err := h.sim.Faults.Clear("pdnd.token"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.inps.ConsultazioneAttestazione(ctx, req); err != nil {
		t.Fatalf("after PDND recovers: %v", err)
	}
	if n := h.tokens.n.Load(); n != 3 {
		t.Fatalf("%d token requests, want 3: the second refused voucher was dropped too", n)
	}
}
