package pdndtest

import (
	"net/http"
	"strconv"
	"time"
)

// rateWindow is one consumer's fixed window: PDND limits vouchers per organization (its
// redisRateLimiter.rateLimitByOrganization) and reports the state in X-Rate-Limit-* headers.
type rateWindow struct {
	start time.Time
	used  int
}

// admit counts a voucher request of tenant and sets the X-Rate-Limit headers; false when the limit
// is reached (Retry-After is then set to the end of the window).
func (a *Authority) admit(w http.ResponseWriter, tenant string) bool {
	if a.RateLimit <= 0 {
		return true
	}
	interval := a.RateInterval
	if interval <= 0 {
		interval = time.Second
	}
	now := a.now()
	a.mu.Lock()
	win := a.windows[tenant]
	if win == nil || !now.Before(win.start.Add(interval)) {
		win = &rateWindow{start: now}
		a.windows[tenant] = win
	}
	ok := win.used < a.RateLimit
	if ok {
		win.used++
	}
	remaining := a.RateLimit - win.used
	reset := win.start.Add(interval).Sub(now)
	a.mu.Unlock()
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(a.RateLimit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Interval", strconv.FormatInt(interval.Milliseconds(), 10))
	if !ok {
		secs := int((reset + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	return ok
}
