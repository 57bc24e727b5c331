// Package waas publishes INPS's SIUSS "Welfare as a Service" feed (gateway/siussfeed) as an
// e-service behind the inbound chain: GET /flussi, POST /esiti and GET /status under /waas/v1,
// exactly per INPS's contract (adapters/siuss/schema/api-comuni.yaml, served with only its servers
// adjusted). INPS authenticates with the PDND voucher alone (siuss-waas.md §1.3: no ModI header is
// asked of it, on /esiti too); several enti can be served by one gateway, each its own e-service
// on PDND, and each voucher is routed to the ente whose audience (and producer) it carries.
// README.md is the e-service's page.
package waas

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/siussfeed"
)

// Name is the e-service's name in the audit trail and in the configuration (eservices.siuss).
const Name = "siuss"

// DefaultMount is INPS's base path (the OAS servers end in /waas/v1).
const DefaultMount = "/waas/v1"

// Config is the eservices.siuss section: the chain's settings (security is a template: the
// audience and producer/e-service/descriptor ids are per ente) and the feed.
type Config struct {
	eservice.Settings `yaml:",inline"`
	siussfeed.Config  `yaml:",inline"`
}

// placeholderAudience stands in for the per-ente audiences when the shared policy is checked.
const placeholderAudience = "siuss-waas"

// Check records every problem of the section.
func (c *Config) Check(ck config.Checker, publicBase string, listenerBodyLimit int64) {
	s := c.Settings
	sec := ck.At("security")
	if s.Security.Audience != "" {
		sec.Errorf("audience", "set the audience per ente (enti[i].audience): each ente is its own e-service on PDND")
	}
	ia := s.Security.IDAuth
	if ia.ProducerID != "" || ia.EServiceID != "" || ia.DescriptorID != "" {
		sec.Errorf("id_auth", "set producer_id, eservice_id and descriptor_id per ente (enti[i])")
	}
	if s.Security.Integrity.Pattern != "" {
		sec.Errorf("integrity.pattern", "INPS calls with the PDND voucher only (siuss-waas.md §1.3); leave it empty")
	}
	if s.Security.Audit.Pattern != "" {
		sec.Errorf("audit.pattern", "INPS calls with the PDND voucher only (siuss-waas.md §1.3); leave it empty")
	}
	if ia.Trust == "x509" {
		sec.Errorf("id_auth.trust", "INPS authenticates with the PDND voucher (trust pdnd)")
	}
	s.Security.Audience = placeholderAudience
	s.Check(ck, DefaultMount, publicBase, listenerBodyLimit)
	c.Config.Check(ck)
}

// Authenticator verifies INPS's voucher against the profile of each ente in turn: the first whose
// audience and ids the voucher matches is the request's ente. A voucher for none of them is
// refused with voucher.aud_mismatch naming every audience served.
type Authenticator struct {
	inbound *modi.Inbound
	enti    []route
}

type route struct {
	profile *modi.Profile
	match   eservice.Match
}

// NewAuthenticator compiles one profile per ente from the section's security template.
func NewAuthenticator(cfg *Config, in *modi.Inbound, opts ...modi.CompileOption) (*Authenticator, error) {
	a := &Authenticator{inbound: in}
	for i, e := range cfg.Enti {
		pol := cfg.Security
		pol.Audience = e.Audience
		pol.IDAuth.ProducerID, pol.IDAuth.EServiceID, pol.IDAuth.DescriptorID = e.ProducerID, e.EServiceID, e.DescriptorID
		p, err := pol.Compile(Name+":"+e.Codice, opts...)
		if err != nil {
			return nil, fmt.Errorf("eservices.siuss.enti[%d]: %w", i, err)
		}
		a.enti = append(a.enti, route{profile: p, match: eservice.Match{Tenant: e.ProducerID, Subject: e.Codice}})
	}
	if len(a.enti) == 0 {
		return nil, errors.New("eservices.siuss: no enti")
	}
	return a, nil
}

// Authenticate implements eservice.Authenticator. Verified vouchers are cached by the verifier, so
// trying several enti costs one signature check.
func (a *Authenticator) Authenticate(ctx context.Context, r *modi.Request) (*modi.Result, eservice.Match, error) {
	var first *secerr.Error
	for _, e := range a.enti {
		res, err := a.inbound.Verify(ctx, r, e.profile)
		if err == nil {
			return res, e.match, nil
		}
		se := secerr.As(err)
		if se == nil || !routingMiss(se) {
			return res, e.match, err
		}
		if first == nil {
			first = se
		}
	}
	if first.Reason == secerr.AudMismatch && len(a.enti) > 1 {
		want := make([]string, len(a.enti))
		for i, e := range a.enti {
			want[i] = secerr.Quote(e.profile.Audience())
		}
		first.Want = strings.Join(want, ", ")
		first.Detail = fmt.Sprintf("PDND voucher aud %s is not the audience of any ente this gateway serves (%s)", secerr.Quote(first.Got), first.Want)
	}
	return &modi.Result{}, eservice.Match{}, first
}

// routingMiss reports a failure that only says "not this ente": the next one may match.
func routingMiss(e *secerr.Error) bool {
	if e.Kind != secerr.Voucher {
		return false
	}
	switch e.Reason {
	case secerr.AudMismatch, secerr.ProducerMismatch, secerr.EServiceMismatch, secerr.DescriptorMismatch:
		return true
	}
	return false
}

// enteOf names the ente of a request the chain verified.
func enteOf(c *fiber.Ctx) (string, error) {
	cl := eservice.CallerOf(c)
	if cl == nil || cl.Subject == "" {
		return "", problem.New(problem.Forbidden, "the request is not bound to an ente")
	}
	return cl.Subject, nil
}

// Spec returns the e-service for eservice.Build: INPS's contract, minimal problem bodies (its
// Problem schema forbids extension members), the feed's three operations.
func Spec(cfg *Config, feed *siussfeed.Feed, sink siussfeed.EsitiSink, auth *Authenticator, publicBase string) eservice.Spec {
	h := &siussfeed.Handlers{Feed: feed, Sink: sink, Ente: enteOf}
	return eservice.Spec{Name: Name, Settings: cfg.Settings, DefaultMount: DefaultMount, PublicBase: publicBase,
		Authenticator: auth, Contract: siuss.OpenAPI(), MinimalProblems: true,
		Routes: []eservice.Route{
			{Method: fiber.MethodGet, Path: "/flussi", OperationID: "Flussi", Handler: h.Flussi},
			{Method: fiber.MethodPost, Path: "/esiti", OperationID: "NotificaEsiti", Handler: h.Esiti},
		}}
}
