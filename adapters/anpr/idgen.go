package anpr

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// IDGenerator mints idOperazioneClient values: UTC timestamp to the millisecond (YYYYMMDDhhmmssSSS)
// + Prefix + a 5-digit sequence. ANPR asks for a unique alphanumeric id ("workstation id +
// timestamp"); its C001 spec also says "numeric and increasing" and refuses an unknown id lower than
// the last one sent, so the timestamp comes first: with digit prefixes of one length across replicas
// the ids are numeric and, up to clock skew between replicas, increasing for the whole ente.
//
// Within one generator the ids are strictly increasing, hence unique, even when the clock stands
// still or goes back: the (millisecond, sequence) pair only moves forward, borrowing the next
// millisecond after 100 000 ids in one. Across replicas the Prefix must differ (instance number or
// host code) and should have the same length. It is safe for concurrent use.
type IDGenerator struct {
	prefix string
	now    func() time.Time

	mu     sync.Mutex
	lastMs int64
	seq    int
}

// MaxIDPrefix bounds the prefix so that an id stays within 30 characters, the charMax30 of
// idOperazioneComune in ANPR's tipoDato.xsd.
const MaxIDPrefix = 8

const idSeqLimit = 100000 // 5 digits

// NewIDGenerator returns a generator. prefix is 0..MaxIDPrefix ASCII letters or digits; now is the
// clock (time.Now in production, a fake in tests) and must not be nil.
func NewIDGenerator(prefix string, now func() time.Time) (*IDGenerator, error) {
	if len(prefix) > MaxIDPrefix {
		return nil, fmt.Errorf("anpr: idOperazioneClient prefix %q is longer than %d characters", prefix, MaxIDPrefix)
	}
	if !alphanumeric(prefix) {
		return nil, fmt.Errorf("anpr: idOperazioneClient prefix %q must be ASCII letters and digits", prefix)
	}
	if now == nil {
		return nil, fmt.Errorf("anpr: NewIDGenerator needs a clock")
	}
	return &IDGenerator{prefix: prefix, now: now}, nil
}

// Next returns a new id.
func (g *IDGenerator) Next() string {
	ms := g.now().UTC().UnixMilli()
	g.mu.Lock()
	if ms > g.lastMs {
		g.lastMs, g.seq = ms, 0
	} else {
		g.seq++
		if g.seq == idSeqLimit {
			g.lastMs, g.seq = g.lastMs+1, 0
		}
	}
	ms, seq := g.lastMs, g.seq
	g.mu.Unlock()
	b := make([]byte, 0, len(g.prefix)+22)
	b = time.UnixMilli(ms).UTC().AppendFormat(b, "20060102150405.000")
	copy(b[len(b)-4:], b[len(b)-3:]) // drop the '.' of the millisecond fraction
	b = append(b[:len(b)-1], g.prefix...)
	s := strconv.Itoa(seq)
	for i := len(s); i < 5; i++ {
		b = append(b, '0')
	}
	return string(append(b, s...))
}

func alphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
