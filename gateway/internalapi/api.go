// Package internalapi serves the internal API WelfareGOV calls (contracts/openapi/internal-api.yaml)
// on the internal listener: authentication (mutual TLS or API key), the operator and case headers,
// an optional per-client rate limit, the codice fiscale and parameter checks, and the handlers of
// the lookups (gateway/lookup), whose errors are problems. It is the only consumer-side package that
// knows Fiber.
package internalapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/adapters/inps"
	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/lookup"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/store"
)

// Routes of the internal API (the contract's paths).
const (
	PathContract  = "/api/v1/openapi.yaml"
	PathISEE      = "/api/v1/soggetti/:codiceFiscale/isee"
	PathFamiglia  = "/api/v1/soggetti/:codiceFiscale/famiglia"
	PathICEF      = "/api/v1/soggetti/:codiceFiscale/icef"
	PathSoggetto  = "/api/v1/soggetti/:codiceFiscale"
	PathVerifiche = "/api/v1/verifiche"
)

// Problem types of the internal API's edge (listed in gateway/problem/README.md).
var (
	// CodiceFiscaleInvalid: a codice fiscale of the request is malformed or its check character is
	// wrong; code codice-fiscale.<reason>. Nothing was asked upstream.
	CodiceFiscaleInvalid = problem.Type{Code: "codice-fiscale-invalid", Status: http.StatusBadRequest, Title: "Invalid codice fiscale"}
)

// Deps are the API's collaborators.
type Deps struct {
	// Lookups answers the questions (required).
	Lookups *lookup.Service
	// Store keeps the rate limits (required with internal_api.rate_limit).
	Store store.Store
	// Logger receives one line per call with the client, the operator and the case. Default:
	// discarded.
	Logger *slog.Logger
	// Now gives the current year for ICEF questions without one. Default time.Now.
	Now func() time.Time
}

// API is the internal API. Safe for concurrent use.
type API struct {
	svc   *lookup.Service
	auth  *authenticator
	limit *RateLimit
	store store.Store
	log   *slog.Logger
	now   func() time.Time
}

// New builds the API from its configuration (which must have passed Check).
func New(cfg Config, d Deps) (*API, error) {
	if d.Lookups == nil {
		return nil, errors.New("internalapi: the lookups are required")
	}
	if cfg.RateLimit != nil && d.Store == nil {
		return nil, errors.New("internalapi: internal_api.rate_limit needs the shared store")
	}
	auth, err := newAuthenticator(cfg)
	if err != nil {
		return nil, err
	}
	a := &API{svc: d.Lookups, auth: auth, limit: cfg.RateLimit, store: d.Store, log: d.Logger, now: d.Now}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// Identity is the inps:Identity of cfg, with its defaults.
func (cfg Config) Identity() inps.Identity {
	i := cfg.INPS.orDefault()
	return inps.Identity{UserID: i.UserID, CodiceUfficio: i.CodiceUfficio}
}

// Mount adds the routes to the internal listener's router. Each route runs its own chain, in
// order: rate-limit headers, authentication, rate limit, operator headers, handler; so the access
// log names the route pattern (never the codice fiscale in the path) whatever refuses the call.
func (a *API) Mount(r fiber.Router) {
	r.Get(PathContract, serveContract)
	r.Get(PathISEE, a.chain(a.isee)...)
	r.Get(PathFamiglia, a.chain(a.famiglia)...)
	r.Get(PathICEF, a.chain(a.icef)...)
	r.Get(PathSoggetto, a.chain(a.soggetto)...)
	r.Post(PathVerifiche, a.chain(a.verifica, server.RequireContentType(fiber.MIMEApplicationJSON))...)
}

type handler func(c *fiber.Ctx, ctx context.Context) error

type localsKey int

const decisionKey localsKey = iota

// chain is the per-route sequence: the caller identified, limited and named, then h with a context
// that carries the operator (adapters/upstream.WithCaller) to the runtime and the adapters.
func (a *API) chain(h handler, before ...fiber.Handler) []fiber.Handler {
	run := func(c *fiber.Ctx) error {
		defer a.rateLimitHeaders(c)
		principal, err := a.auth.authenticate(c)
		if err != nil {
			return err
		}
		if err := a.rateLimit(c, principal); err != nil {
			return err
		}
		caller, err := callerOf(c)
		if err != nil {
			return err
		}
		err = h(c, adapter.WithCaller(c.UserContext(), caller))
		a.log.LogAttrs(context.Background(), slog.LevelInfo, "internal api call",
			slog.String("request_id", server.RequestID(c)), slog.String("route", c.Route().Path),
			slog.String("client", principal), slog.String("operator", caller.UserID), slog.String("workstation", caller.Workstation),
			slog.String("loa", caller.LoA), slog.String("case", caller.CaseRef), slog.String("outcome", outcome(err)))
		return err
	}
	return append(before, run)
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var p *problem.Error
	if errors.As(err, &p) {
		return p.CodeOrType()
	}
	return "error"
}

// rateLimit admits the call under the client's limit: one atomic GCRA step in the shared store.
func (a *API) rateLimit(c *fiber.Ctx, principal string) error {
	if a.limit == nil {
		return nil
	}
	d, err := a.store.RateLimit(c.UserContext(), "rl:internal:"+principal, a.limit.Requests, a.limit.Period.D())
	if err != nil {
		return problem.Wrap(eservice.RateLimitUnavailable, err, "the rate limit cannot be checked now; retry later").WithRetryAfter(5 * time.Second)
	}
	c.Locals(decisionKey, &d)
	if !d.Allowed {
		return problem.New(eservice.RateLimited, "this client has used its %d calls per %s", a.limit.Requests, a.limit.Period).WithRetryAfter(d.RetryAfter)
	}
	return nil
}

// rateLimitHeaders puts X-RateLimit-* on every answer of a limited installation: the client's
// bucket, or the full limit when the call did not reach the limiter.
func (a *API) rateLimitHeaders(c *fiber.Ctx) {
	if a.limit == nil {
		return
	}
	d, ok := c.Locals(decisionKey).(*store.RateLimitResult)
	if !ok {
		d = &store.RateLimitResult{Limit: a.limit.Requests, Remaining: a.limit.Requests}
	}
	c.Set(eservice.HeaderLimit, strconv.FormatInt(d.Limit, 10))
	c.Set(eservice.HeaderRemaining, strconv.FormatInt(d.Remaining, 10))
	c.Set(eservice.HeaderReset, strconv.FormatInt(int64((d.ResetAfter+time.Second-1)/time.Second), 10))
}

func serveContract(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/yaml")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(openapi.InternalAPI())
}

// encoded is an answer that keeps its own encoding (the lookups' answers, shared by the hits on the
// same cache entries).
type encoded interface{ JSON() ([]byte, error) }

// respond writes v as the JSON answer. Every answer carries personal data: no-store.
func respond(c *fiber.Ctx, v any) error {
	var b []byte
	var err error
	if e, ok := v.(encoded); ok {
		b, err = e.JSON()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return problem.Wrap(problem.Internal, err, "the answer could not be encoded; quote the requestId to the operator")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	// The bytes are never modified after encoding (memoized answers share them): no copy.
	c.Response().SetBodyRaw(b)
	return nil
}

// query reads the route's query parameters, refusing any it does not know (a misspelt dataValidita
// must not silently mean "today") and any given twice.
func query(c *fiber.Ctx, known ...string) (map[string]string, error) {
	args := c.Context().QueryArgs()
	out := make(map[string]string, args.Len())
	var bad []problem.InvalidParam
	args.VisitAll(func(k, v []byte) {
		switch {
		case !containsBytes(known, k):
			bad = append(bad, problem.InvalidParam{Name: limitText(string(k), 64), Reason: "not a parameter of this operation (it takes " + strings.Join(known, ", ") + ")"})
		case out[string(k)] != "":
			bad = append(bad, problem.InvalidParam{Name: string(k), Reason: "given twice"})
		default:
			out[string(k)] = string(v)
		}
	})
	if len(bad) > 0 {
		e := problem.New(problem.InvalidParameter, "the request has parameters this operation does not take")
		e.Invalid = bad
		return nil, e
	}
	return out, nil
}

func containsBytes(list []string, b []byte) bool {
	for _, v := range list {
		if v == string(b) {
			return true
		}
	}
	return false
}

// codiceFiscale validates a codice fiscale of the request: shape and check character. name is the
// parameter as the contract names it (invalidParams carries it), in says where it is ("path",
// "query"). The error never echoes the value.
func codiceFiscale(in, name, raw string) (string, error) {
	cf := contracts.NormalizeCodiceFiscale(raw)
	if err := contracts.ValidateCodiceFiscalePersona(cf); err != nil {
		reason, detail := "format", "not a personal codice fiscale"
		var ce *contracts.CFError
		if errors.As(err, &ce) {
			reason, detail = ce.Reason.String(), ce.Detail
		}
		e := problem.New(CodiceFiscaleInvalid, "the codice fiscale in the %s parameter %s is not valid: %s", in, name, detail).WithCode("codice-fiscale." + reason)
		e.Invalid = []problem.InvalidParam{{Name: name, Reason: detail}}
		return "", e
	}
	return cf, nil
}

// pathCF is the subject's codice fiscale from the path, copied out of fasthttp's buffer.
func pathCF(c *fiber.Ctx) (string, error) {
	return codiceFiscale("path", "codiceFiscale", strings.Clone(c.Params("codiceFiscale")))
}

func date(name, v string) (contracts.Data, error) {
	if v == "" {
		return contracts.Data{}, nil
	}
	d, err := contracts.ParseData(v)
	if err != nil || d.Precision() != contracts.PrecisionDay {
		return d, invalid(name, "a date YYYY-MM-DD")
	}
	return d, nil
}

func invalid(name, reason string) *problem.Error {
	e := problem.New(problem.InvalidParameter, "%s: %s", name, reason)
	e.Invalid = []problem.InvalidParam{{Name: name, Reason: reason}}
	return e
}

func limitText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (a *API) isee(c *fiber.Ctx, ctx context.Context) error {
	cf, err := pathCF(c)
	if err != nil {
		return err
	}
	q, err := query(c, "tipo", "beneficiario", "prestazione", "dataValidita")
	if err != nil {
		return err
	}
	d := lookup.DomandaISEE{CodiceFiscale: cf, Tipo: contracts.TipoISEE(q["tipo"]), Prestazione: q["prestazione"]}
	if d.Tipo != "" && !d.Tipo.Valid() {
		return invalid("tipo", "one of ORDINARIO, MINORENNI, UNIVERSITARIO, SOCIOSANITARIO, SOCIOSANITARIO_RESIDENZIALE, DOTTORATO")
	}
	if d.Prestazione != "" && !inps.ValidPrestazioneDaErogare(d.Prestazione) {
		return invalid("prestazione", "a PrestazioneDaErogare code of INPS (A1.01 ... Z9.99)")
	}
	if q["beneficiario"] != "" {
		if d.Beneficiario, err = codiceFiscale("query", "beneficiario", q["beneficiario"]); err != nil {
			return err
		}
	}
	if d.DataValidita, err = date("dataValidita", q["dataValidita"]); err != nil {
		return err
	}
	res, err := a.svc.ISEE(ctx, d)
	if err != nil {
		return err
	}
	return respond(c, res)
}

// registry reads the path and dataRiferimento of the ANPR routes.
func registry(c *fiber.Ctx) (string, contracts.Data, error) {
	cf, err := pathCF(c)
	if err != nil {
		return "", contracts.Data{}, err
	}
	q, err := query(c, "dataRiferimento")
	if err != nil {
		return "", contracts.Data{}, err
	}
	d, err := date("dataRiferimento", q["dataRiferimento"])
	return cf, d, err
}

func (a *API) soggetto(c *fiber.Ctx, ctx context.Context) error {
	cf, d, err := registry(c)
	if err != nil {
		return err
	}
	res, err := a.svc.Soggetto(ctx, cf, d)
	if err != nil {
		return err
	}
	return respond(c, res)
}

func (a *API) famiglia(c *fiber.Ctx, ctx context.Context) error {
	cf, d, err := registry(c)
	if err != nil {
		return err
	}
	res, err := a.svc.Famiglia(ctx, cf, d)
	if err != nil {
		return err
	}
	return respond(c, res)
}

func (a *API) icef(c *fiber.Ctx, ctx context.Context) error {
	cf, err := pathCF(c)
	if err != nil {
		return err
	}
	q, err := query(c, "politica", "anno")
	if err != nil {
		return err
	}
	politica := q["politica"]
	if politica == "" {
		return invalid("politica", "required: the ICEF policy family (such as assegno-unico-provinciale)")
	}
	anno := contracts.TodayInItaly(a.now()).Year()
	if v := q["anno"]; v != "" {
		if anno, err = strconv.Atoi(v); err != nil || anno < 2000 || anno > 2100 {
			return invalid("anno", "a year between 2000 and 2100")
		}
	}
	res, err := a.svc.ICEF(ctx, cf, politica, anno)
	if err != nil {
		return err
	}
	return respond(c, res)
}

// maxDichiarazione bounds the body of a verifica: thirty members are about 3 KB.
const maxDichiarazione = 64 << 10

func (a *API) verifica(c *fiber.Ctx, ctx context.Context) error {
	if _, err := query(c); err != nil {
		return err
	}
	d, err := decodeDichiarazione(c.Body())
	if err != nil {
		return err
	}
	res, err := a.svc.Verifica(ctx, d)
	if err != nil {
		return err
	}
	return respond(c, res)
}

// decodeDichiarazione reads and validates the body of POST /verifiche: one JSON object of the
// contract's Dichiarazione, no unknown member, every field valid. Errors are problems naming the
// fields, never quoting the body (it holds codici fiscali).
func decodeDichiarazione(body []byte) (lookup.Dichiarazione, error) {
	var d lookup.Dichiarazione
	if len(body) > maxDichiarazione {
		return d, problem.New(problem.PayloadTooLarge, "a declaration is at most %d bytes", maxDichiarazione)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, problem.Wrap(problem.BadRequest, err, "the body is not a Dichiarazione: %s", jsonProblem(err))
	}
	if dec.More() {
		return d, problem.New(problem.BadRequest, "the body holds more than one JSON value")
	}
	if bad := d.Validate(); len(bad) > 0 {
		e := problem.New(problem.InvalidParameter, "the declaration has %d invalid fields", len(bad))
		e.Invalid = bad
		return d, e
	}
	return d, nil
}

// jsonProblem describes a decoding failure without quoting the body (it holds codici fiscali).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be a JSON %s", te.Field, te.Type.Kind())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown member " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "invalid JSON or a value out of its format (dates YYYY-MM-DD, decimals as strings)"
}
