package siussfeed

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/problem"
)

// Paging of the operator queues.
const (
	DefaultQueuePage = 50
	MaxQueuePage     = 100
)

// QueueHandlers serve the operators' read-only views of an ente's queues on the admin listener:
//
//	GET {group}/enti/{ente}/scarti?after=&limit=      flows refused before publication, with the rules broken
//	GET {group}/enti/{ente}/attenzione?after=&limit=  esiti that need an operator
//
// (the gateway mounts them under /siuss on the admin listener).
//
// Both answer {"items": [...], "next": <sequence>}: pass next as after to read on. The mount point
// must be behind the admin token (server.RequireBearer).
type QueueHandlers struct {
	Feed *Feed
}

// Mount registers the two views on r.
func (h *QueueHandlers) Mount(r fiber.Router) {
	r.Get("/enti/:ente/scarti", h.scarti)
	r.Get("/enti/:ente/attenzione", h.attenzione)
}

// Page is one page of a queue.
type Page[T any] struct {
	Items []T `json:"items"`
	// Next is the sequence to pass as after for the following page (the same when nothing follows).
	Next int64 `json:"next"`
}

func (h *QueueHandlers) scarti(c *fiber.Ctx) error {
	ente, after, limit, err := h.query(c)
	if err != nil {
		return err
	}
	items, next, err := h.Feed.Scarti(c.UserContext(), ente, after, limit)
	if err != nil {
		return problem.Wrap(problem.DependencyDown, err, "the scarti queue cannot be read now").WithRetryAfter(StatusRetryAfter)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(Page[Scarto]{Items: items, Next: next})
}

func (h *QueueHandlers) attenzione(c *fiber.Ctx) error {
	ente, after, limit, err := h.query(c)
	if err != nil {
		return err
	}
	items, next, err := h.Feed.Attenzioni(c.UserContext(), ente, after, limit)
	if err != nil {
		return problem.Wrap(problem.DependencyDown, err, "the attenzione queue cannot be read now").WithRetryAfter(StatusRetryAfter)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(Page[Attenzione]{Items: items, Next: next})
}

// query reads the ente (one this feed serves) and the paging parameters.
func (h *QueueHandlers) query(c *fiber.Ctx) (string, int64, int, error) {
	ente := c.Params("ente")
	if _, ok := h.Feed.Ente(ente); !ok {
		return "", 0, 0, problem.New(problem.NotFound, "this gateway serves no ente with that Belfiore code")
	}
	var bad []problem.InvalidParam
	after := int64(0)
	if v := c.Query("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			bad = append(bad, problem.InvalidParam{Name: "after", Reason: "the next value of the previous page, an integer >= 0"})
		}
		after = n
	}
	limit := DefaultQueuePage
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxQueuePage {
			bad = append(bad, problem.InvalidParam{Name: "limit", Reason: "an integer between 1 and " + strconv.Itoa(MaxQueuePage)})
		}
		limit = n
	}
	if len(bad) > 0 {
		e := problem.New(problem.InvalidParameter, "invalid paging parameters")
		e.Invalid = bad
		return "", 0, 0, e
	}
	return ente, after, limit, nil
}
