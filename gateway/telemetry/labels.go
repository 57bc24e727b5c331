package telemetry

import (
	"sort"
	"sync"
)

// otherValue replaces a label value past a boundedSet's capacity.
const otherValue = "other"

// boundedSet admits at most max distinct label values; later new values read as "other". Values
// come from code and configuration (route patterns, operation names, problem codes), so the bound
// is never reached in practice: it is the guard against a bug that would put an identifier in one.
type boundedSet struct {
	mu   sync.RWMutex
	seen map[string]struct{}
	max  int
}

func newBoundedSet(max int) *boundedSet { return &boundedSet{seen: map[string]struct{}{}, max: max} }

func (b *boundedSet) value(v string) string {
	b.mu.RLock()
	_, ok := b.seen[v]
	b.mu.RUnlock()
	if ok {
		return v
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[v]; ok {
		return v
	}
	if len(b.seen) >= b.max {
		return otherValue
	}
	b.seen[v] = struct{}{}
	return v
}

// knownMethods are the methods a label may name; any other is "_OTHER" (OpenTelemetry semantic
// conventions for http.request.method).
var knownMethods = map[string]string{
	"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT", "DELETE": "DELETE", "CONNECT": "CONNECT",
	"OPTIONS": "OPTIONS", "TRACE": "TRACE", "PATCH": "PATCH",
}

func methodLabel(m string) string {
	if v, ok := knownMethods[m]; ok {
		return v
	}
	return "_OTHER"
}

// topCounter counts calls per key (consumer) with at most max keys: when full, a new key replaces
// the smallest count and inherits it (the space-saving algorithm), so heavy hitters are kept and
// the memory is bounded whatever callers send.
type topCounter struct {
	counts map[string]uint64
	max    int
}

// maxConsumers bounds the consumers tracked per e-service.
const maxConsumers = 64

func newTopCounter(max int) *topCounter { return &topCounter{counts: map[string]uint64{}, max: max} }

func (c *topCounter) add(key string) {
	if _, ok := c.counts[key]; ok || len(c.counts) < c.max {
		c.counts[key]++
		return
	}
	minKey, minN := "", uint64(0)
	for k, n := range c.counts {
		if minKey == "" || n < minN {
			minKey, minN = k, n
		}
	}
	delete(c.counts, minKey)
	c.counts[key] = minN + 1
}

// Count is one key's count.
type Count struct {
	Key   string `json:"key"`
	Calls uint64 `json:"calls"`
}

func (c *topCounter) top(n int) []Count {
	out := make([]Count, 0, len(c.counts))
	for k, v := range c.counts {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Calls != out[j].Calls {
			return out[i].Calls > out[j].Calls
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
