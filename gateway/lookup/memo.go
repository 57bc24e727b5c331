package lookup

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/welfaregov/gateway/gateway/cache"
)

// encoding is an answer's JSON, computed once: the internal API writes the same bytes for every
// hit that shares the answer (see answers).
type encoding struct {
	once sync.Once
	b    []byte
	err  error
}

// of is v's encoding: the one computed once when e is set (answers built by the Service), else a
// fresh one (answers decoded or copied elsewhere).
func (e *encoding) of(v any) ([]byte, error) {
	if e == nil {
		return json.Marshal(v)
	}
	e.once.Do(func() { e.b, e.err = json.Marshal(v) })
	return e.b, e.err
}

// answers keeps the answers built from cached data, keyed by the question and by the identity,
// state and age (in whole seconds) of every cache entry they used: the hits on the same entries
// within the same second get the same answer, already encoded, with neither selection nor
// encoding. A new load, a purge, a change of state (HIT to STALE) or the next second makes a new
// key. Bounded by maxAnswers, emptied when full.
type answers struct {
	mu sync.Mutex
	m  map[string]memoEntry
}

// memoEntry is an answer and the cache entries' bytes its key names by address: holding them
// keeps those addresses from being reused by other data while the key exists.
type memoEntry struct {
	v    any
	keep [][]byte
}

// maxAnswers bounds the memoized answers (each keeps its cache entries' bytes alive).
const maxAnswers = 2048

func (a *answers) get(key string) (any, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.m[key]
	return e.v, ok
}

func (a *answers) put(key string, v any, rs []cache.Result) {
	keep := make([][]byte, len(rs))
	for i, r := range rs {
		keep[i] = r.Data
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil || len(a.m) >= maxAnswers {
		a.m = map[string]memoEntry{}
	}
	a.m[key] = memoEntry{v: v, keep: keep}
}

// memoKey names a question and the cache entries its answer is built from.
func memoKey(question string, rs []cache.Result) string {
	var b strings.Builder
	b.WriteString(question)
	for _, r := range rs {
		b.WriteByte('|')
		if len(r.Data) > 0 {
			b.WriteString(strconv.FormatUint(uint64(addr(r.Data)), 16))
		}
		b.WriteByte('/')
		b.WriteString(string(r.State))
		b.WriteByte('/')
		b.WriteString(strconv.FormatInt(int64(r.Age/time.Second), 10))
	}
	return b.String()
}

// memoized returns the answer to question built from the cache entries rs: the memoized one, or
// one build makes (then memoized). The answer is shared: callers must not modify it.
func memoized[T any](a *answers, question string, rs []cache.Result, build func() (*T, error)) (*T, error) {
	key := memoKey(question, rs)
	if v, ok := a.get(key); ok {
		return v.(*T), nil
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	a.put(key, v, rs)
	return v, nil
}
