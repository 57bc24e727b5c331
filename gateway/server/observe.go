package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Observer is told of every request every listener answers: the gateway's HTTP metrics and
// request spans hang on it. Implementations must be safe for concurrent use and cheap: they run on
// every request.
type Observer interface {
	// Begin is called once when a request enters a listener, before routing (for a request refused
	// while it was read, such as 413 or 431, just before its problem is written). parent carries
	// the server's cancellation; the context Begin returns, derived from parent, becomes the
	// request's context (handlers see it through c.UserContext(), bounded by request_timeout), so a
	// span started here is the parent of everything the request does.
	Begin(parent context.Context, listener string, c *fiber.Ctx) context.Context
	// End is called exactly once after Begin, when the response is final: ctx is the context Begin
	// returned, route the pattern of the route that answered ("" when none did: 404, 405, refusals
	// before routing), status the status sent, elapsed the time since the request entered.
	End(ctx context.Context, listener string, c *fiber.Ctx, route string, status int, elapsed time.Duration)
}

// Observers combines observers: Begin runs them in order, each deriving from the previous one's
// context; End runs them in reverse order.
func Observers(obs ...Observer) Observer {
	var out multiObserver
	for _, o := range obs {
		if o != nil {
			out = append(out, o)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

type multiObserver []Observer

func (m multiObserver) Begin(parent context.Context, listener string, c *fiber.Ctx) context.Context {
	for _, o := range m {
		parent = o.Begin(parent, listener, c)
	}
	return parent
}

func (m multiObserver) End(ctx context.Context, listener string, c *fiber.Ctx, route string, status int, elapsed time.Duration) {
	for i := len(m) - 1; i >= 0; i-- {
		m[i].End(ctx, listener, c, route, status, elapsed)
	}
}

// begin marks the start of a request: its arrival time, its listener, and the observer's context.
func (l *listener) begin(c *fiber.Ctx) {
	c.Locals(startKey, time.Now())
	c.Locals(listenerKey, l)
	if obs := l.srv.observer; obs != nil {
		c.Locals(observedKey, obs.Begin(l.srv.base, l.name, c))
	}
}

// requestContext is the parent of the request's deadline: the observer's context, or the server's.
func (l *listener) requestContext(c *fiber.Ctx) context.Context {
	if ctx, ok := c.Locals(observedKey).(context.Context); ok {
		return ctx
	}
	return l.srv.base
}

// end tells the observer that the request's response is final.
func (l *listener) end(c *fiber.Ctx, status int, latency time.Duration) {
	ctx, ok := c.Locals(observedKey).(context.Context)
	if !ok || l.srv.observer == nil {
		return
	}
	c.Locals(observedKey, nil) // once
	route := routePattern(c)
	if route == "-" {
		route = ""
	}
	l.srv.observer.End(ctx, l.name, c, route, status, latency)
}
