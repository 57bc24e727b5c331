package contracts

import (
	"encoding/json"
	"time"
)

// Sistema is the system a piece of data came from.
type Sistema string

const (
	SistemaINPS       Sistema = "INPS"       // ConsultazioneISEE (attestazioni, indicatori)
	SistemaANPR       Sistema = "ANPR"       // E002 e-services (C015, C018, C019, C020, C021, C030)
	SistemaICEF       Sistema = "ICEF"       // the Trentino means-test system (provisional contract)
	SistemaWelfareGOV Sistema = "WELFAREGOV" // WelfareGOV itself (prestazioni to report to SIUSS)
)

var sistemaValues = []Sistema{SistemaINPS, SistemaANPR, SistemaICEF, SistemaWelfareGOV}

// Valid reports whether s is one of the declared constants.
func (s Sistema) Valid() bool { return isOneOf(s, sistemaValues) }

// StatoCache says how the gateway's cache answered.
type StatoCache string

const (
	// CacheMiss: fetched from the upstream system for this request.
	CacheMiss StatoCache = "MISS"
	// CacheHit: served from the cache within its freshness lifetime.
	CacheHit StatoCache = "HIT"
	// CacheStale: served from the cache past its freshness lifetime because the upstream system
	// failed (stale-if-error); EtaSecondi says how old it is.
	CacheStale StatoCache = "STALE"
)

var statoCacheValues = []StatoCache{CacheMiss, CacheHit, CacheStale}

// Valid reports whether s is one of the declared constants.
func (s StatoCache) Valid() bool { return isOneOf(s, statoCacheValues) }

// Provenienza records where a result came from, for audit and so that WelfareGOV can tell a fresh
// answer from a cached or partial one.
type Provenienza struct {
	// Sistema is the upstream system.
	Sistema Sistema `json:"sistema"`
	// Operazione is the upstream operation: "ConsultazioneAttestazione", "ConsultazioneIndicatore",
	// the ANPR use case ("C021"), ...
	Operazione string `json:"operazione,omitempty"`
	// IDOperazione is the upstream operation id: INPS IdRichiesta, ANPR idOperazioneANPR.
	IDOperazione string `json:"idOperazione,omitempty"`
	// IDOperazioneClient is the id the gateway sent upstream (ANPR idOperazioneClient), to match
	// the upstream's logs.
	IDOperazioneClient string `json:"idOperazioneClient,omitempty"`
	// DataOraAcquisizione is when the gateway received the data from upstream (not when it served
	// it from cache). Always UTC in JSON (RFC 3339).
	DataOraAcquisizione time.Time `json:"dataOraAcquisizione"`
	// Cache is how the cache answered.
	Cache StatoCache `json:"cache"`
	// EtaSecondi is the age of a cached answer in whole seconds (0 for a miss).
	EtaSecondi int64 `json:"etaSecondi,omitempty"`
	// Incompleto is true when a lenient parse accepted a payload that lacks data its schema
	// requires; Anomalie says what was missing or malformed.
	Incompleto bool `json:"incompleto,omitempty"`
	// Anomalie are human-readable notes on the payload (missing required attributes, unknown
	// codes mapped to "non definito", upstream warnings such as ANPR listaAnomalie).
	Anomalie []string `json:"anomalie,omitempty"`
}

// MarshalJSON writes DataOraAcquisizione in UTC, so every consumer sees one time zone.
func (p Provenienza) MarshalJSON() ([]byte, error) {
	type plain Provenienza // no methods: avoids recursion
	q := plain(p)
	q.DataOraAcquisizione = q.DataOraAcquisizione.UTC()
	return json.Marshal(q)
}
