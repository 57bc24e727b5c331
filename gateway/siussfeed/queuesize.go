package siussfeed

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// QueueSize is the size of one ente's operator queue, for metrics and the dashboard.
type QueueSize struct {
	Ente string `json:"ente"`
	// Queue is "scarti" or "attenzione".
	Queue string `json:"queue"`
	// Entries counts the entries ever recorded (queues are append-only logs).
	Entries int64 `json:"entries"`
	// Last is when the newest entry was recorded (zero: none).
	Last time.Time `json:"last,omitzero"`
}

// QueueCounter counts the entries of every ente's operator queues. Queues are append-only logs
// whose sequences are millisecond timestamps, so it keeps a cursor per queue and reads only what
// was appended since its last call: one LogRange per queue per call once caught up. Safe for
// concurrent use.
type QueueCounter struct {
	feed *Feed
	mu   sync.Mutex
	seen map[string]*queueCursor
}

type queueCursor struct {
	after int64
	n     int64
}

// NewQueueCounter returns a counter of f's queues.
func NewQueueCounter(f *Feed) *QueueCounter {
	return &QueueCounter{feed: f, seen: map[string]*queueCursor{}}
}

// maxCountPages bounds the pages one Sizes call reads per queue (1000 entries each), so the first
// call on a huge queue does not stall a scrape: later calls go on counting.
const maxCountPages = 20

// Sizes reads the queues' sizes, in ente then queue order.
func (q *QueueCounter) Sizes(ctx context.Context) ([]QueueSize, error) {
	enti := make([]string, 0, len(q.feed.enti))
	for e := range q.feed.enti {
		enti = append(enti, e)
	}
	slices.Sort(enti)
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []QueueSize
	for _, e := range enti {
		for _, queue := range []struct{ name, key string }{{"attenzione", attenzioneKey(e)}, {"scarti", scartiKey(e)}} {
			c, ok := q.seen[queue.key]
			if !ok {
				c = &queueCursor{}
				q.seen[queue.key] = c
			}
			for range maxCountPages {
				entries, err := q.feed.st.LogRange(ctx, queue.key, c.after, store.MaxLogRange)
				if err != nil {
					return out, err
				}
				if len(entries) == 0 {
					break
				}
				c.n += int64(len(entries))
				c.after = entries[len(entries)-1].Seq
				if len(entries) < store.MaxLogRange {
					break
				}
			}
			s := QueueSize{Ente: e, Queue: queue.name, Entries: c.n}
			if c.after > 0 {
				s.Last = time.UnixMilli(c.after).UTC()
			}
			out = append(out, s)
		}
	}
	return out, nil
}
