package siussfeed

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/problem"
)

// Paging of GET /flussi (OAS parameters limit and since).
const (
	DefaultLimit = 10
	MaxLimit     = 100
	// maxSince is the OAS UnixTimestamp maximum (1e20): larger values are refused, values between
	// int64's maximum and it mean "after everything" (an empty page).
	maxSinceDigits = 21
)

// MaxEsitiBody bounds a POST /esiti body: 100 esiti take about 50 KB.
const MaxEsitiBody = 1 << 20

// Problem types of this e-service (README.md lists them).
var (
	// EsitiNotTaken: the esiti could not be stored or forwarded now; INPS retries the batch.
	EsitiNotTaken = problem.Type{Code: "siuss-esiti-not-taken", Status: http.StatusServiceUnavailable, Title: "Esiti not taken, retry later"}
	// LogUnavailable: the flow log cannot be read now.
	LogUnavailable = problem.Type{Code: "siuss-log-unavailable", Status: http.StatusServiceUnavailable, Title: "Flow log unavailable"}
)

// StatusRetryAfter is the Retry-After of /status and GET /flussi when the store is down.
const StatusRetryAfter = 10 * time.Second

// Query is a parsed GET /flussi query.
type Query struct {
	Since int64
	Limit int
}

// ParseQuery reads since (required, epoch ms, 0 <= since <= 1e20) and limit (optional, default
// 10, 0 <= limit <= 100; max_entries is accepted as an alias, as in the PDF's examples). limit=0
// is allowed by the OAS and answered like the default: an empty page would make INPS stop polling.
// Every problem is reported, with the parameter named.
func ParseQuery(since string, hasSince bool, limit, maxEntries string) (Query, *problem.Error) {
	q := Query{Limit: DefaultLimit}
	var bad []problem.InvalidParam
	switch {
	case !hasSince || since == "":
		bad = append(bad, problem.InvalidParam{Name: "since", Reason: "required: the ts_flusso (epoch milliseconds) of the last flow acquired, 0 the first time"})
	default:
		n, err := strconv.ParseInt(since, 10, 64)
		switch {
		case err == nil && n >= 0:
			q.Since = n
		case errors.Is(err, strconv.ErrRange) && len(since) <= maxSinceDigits && since[0] != '-' && inOASRange(since):
			q.Since = 1<<63 - 1 // a valid UnixTimestamp past int64: nothing follows it
		default:
			bad = append(bad, problem.InvalidParam{Name: "since", Reason: "must be an integer number of epoch milliseconds between 0 and 1e20"})
		}
	}
	name, raw := "limit", limit
	if raw == "" && maxEntries != "" {
		name, raw = "max_entries", maxEntries
	}
	if raw != "" {
		n, err := strconv.Atoi(raw)
		switch {
		case err != nil || n < 0 || n > MaxLimit:
			bad = append(bad, problem.InvalidParam{Name: name, Reason: fmt.Sprintf("must be an integer between 0 and %d", MaxLimit)})
		case n > 0:
			q.Limit = n
		}
	}
	if len(bad) > 0 {
		// The SIUSS Problem has no invalidParams member: the detail names each parameter too.
		parts := make([]string, len(bad))
		for i, b := range bad {
			parts[i] = b.Name + ": " + b.Reason
		}
		e := problem.New(problem.InvalidParameter, "GET /flussi: %s", strings.Join(parts, "; "))
		e.Invalid = bad
		return Query{}, e
	}
	return q, nil
}

func inOASRange(digits string) bool {
	n, ok := new(big.Int).SetString(digits, 10)
	return ok && n.Cmp(new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil)) <= 0
}

// EnteFunc names the ente (Belfiore code) a request is for. In a multi-tenant gateway it is
// derived from the verified PDND voucher (audience or producerId); an error is returned as is
// (make it a *problem.Error, e.g. 403 for a voucher of no configured ente).
type EnteFunc func(c *fiber.Ctx) (string, error)

// SingleEnte routes every request to one ente.
func SingleEnte(codice string) EnteFunc {
	return func(*fiber.Ctx) (string, error) { return codice, nil }
}

// Handlers serve the WaaS operations of a Feed.
type Handlers struct {
	Feed  *Feed
	Sink  EsitiSink
	Ente  EnteFunc
	Clock func() time.Time
}

// Mount registers GET /flussi, POST /esiti and GET /status on r. Errors are returned as
// *problem.Error for the listener's error handler; because the SIUSS Problem schema has
// additionalProperties: false, the group this e-service is mounted on must write problem bodies
// with problem.Problem.Minimal() (MinimalErrorHandler does).
func (h *Handlers) Mount(r fiber.Router) {
	r.Get("/flussi", h.Flussi)
	r.Post("/esiti", h.Esiti)
	r.Get("/status", h.status)
}

type entries struct {
	ElencoFlussi []Flusso `json:"elenco_flussi"`
}

// Flussi serves GET /flussi (operationId Flussi).
func (h *Handlers) Flussi(c *fiber.Ctx) error {
	args := c.Context().QueryArgs()
	q, perr := ParseQuery(string(args.Peek("since")), args.Has("since"), string(args.Peek("limit")), string(args.Peek("max_entries")))
	if perr != nil {
		return perr
	}
	ente, err := h.Ente(c)
	if err != nil {
		return err
	}
	list, err := h.Feed.Since(c.UserContext(), ente, q.Since, q.Limit)
	if err != nil {
		return problem.Wrap(LogUnavailable, err, "the flow log cannot be read now").WithRetryAfter(StatusRetryAfter)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(http.StatusOK).JSON(entries{ElencoFlussi: list})
}

// Esiti serves POST /esiti (operationId NotificaEsiti).
func (h *Handlers) Esiti(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > MaxEsitiBody {
		return problem.New(problem.PayloadTooLarge, "the body has %d bytes, at most %d are accepted", len(body), MaxEsitiBody)
	}
	// The Content-Type is not checked: INPS's own example sends none (siuss-waas.md §3.1).
	list, err := ParseEsiti(body)
	if err != nil {
		return problem.Wrap(problem.BadRequest, err, "%s", err.Error())
	}
	ente, err := h.Ente(c)
	if err != nil {
		return err
	}
	if err := h.Feed.RecordEsiti(c.UserContext(), ente, list, h.Sink); err != nil {
		var ue *UnavailableError
		if errors.As(err, &ue) {
			return problem.Wrap(EsitiNotTaken, err, "the esiti could not be stored and forwarded now; resend the same batch").WithRetryAfter(ue.RetryAfter)
		}
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (h *Handlers) status(c *fiber.Ctx) error {
	if err := h.Feed.Store().Ping(c.UserContext()); err != nil {
		return problem.Wrap(problem.DependencyDown, err, "the flow log store does not answer").WithRetryAfter(StatusRetryAfter)
	}
	p := problem.Problem{Type: problem.Healthy.URI(), Title: problem.Healthy.Title, Status: http.StatusOK}
	c.Set(fiber.HeaderContentType, problem.ContentType)
	return c.Status(http.StatusOK).Send(p.Minimal().JSON())
}

// MinimalErrorHandler writes any error as the SIUSS contract's Problem: the RFC 9457 members only
// (type, title, status, detail), with Retry-After and the other headers of a *problem.Error. Use
// it (or the server's equivalent) for the group this e-service is mounted on.
func MinimalErrorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		t := problem.Type{Code: "http-" + strconv.Itoa(fe.Code), Status: fe.Code, Title: http.StatusText(fe.Code)}
		err = problem.New(t, "%s", fe.Message)
	}
	resp := problem.From(err, "")
	for k, v := range resp.Header {
		c.Set(k, v)
	}
	b, _ := json.Marshal(resp.Problem.Minimal())
	c.Set(fiber.HeaderContentType, problem.ContentType)
	return c.Status(resp.Status).Send(b)
}
