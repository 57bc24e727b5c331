package cache

import (
	"fmt"
	"regexp"
	"time"
)

// Kind is a kind of cached answer and its policy.
type Kind struct {
	// Name identifies the kind ("isee_attestazione"): a key segment and a metric label.
	Name string
	// TTL is how long an answer is fresh (and, for answers with their own validity, the most it
	// is fresh: an ISEE is fresh until its DataValidita or TTL, whichever is sooner).
	TTL time.Duration
	// StaleFor is how long past its freshness an answer is kept to be served when the upstream
	// fails (stale-if-error). 0: never served stale.
	StaleFor time.Duration
	// NegativeTTL is how long a business answer ("not found") is cached. 0: not cached.
	NegativeTTL time.Duration
}

var kindName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func (k Kind) validate() error {
	switch {
	case !kindName.MatchString(k.Name):
		return fmt.Errorf("cache: kind name %q: use 1-64 lower-case letters, digits and '_' (names are also environment variable segments)", k.Name)
	case k.TTL <= 0 || k.StaleFor < 0 || k.NegativeTTL < 0:
		return fmt.Errorf("cache: kind %s: ttl must be positive, stale_for and negative_ttl not negative", k.Name)
	}
	return nil
}

// lifetime is the longest any entry of the kind lives.
func (k Kind) lifetime() time.Duration { return max(k.TTL+k.StaleFor, k.NegativeTTL) }

// entry applies the policy to a loaded value.
func (k Kind) entry(v Value, now time.Time) entry {
	e := entry{data: v.Data, negative: v.Negative, fetchedAt: now}
	if v.Negative {
		e.freshUntil = now.Add(k.NegativeTTL)
		e.expiresAt = e.freshUntil
		return e
	}
	e.freshUntil = now.Add(k.TTL)
	e.expiresAt = e.freshUntil.Add(k.StaleFor)
	if !v.NotAfter.IsZero() {
		e.freshUntil = minTime(e.freshUntil, v.NotAfter)
		e.expiresAt = minTime(e.expiresAt, v.NotAfter)
	}
	return e
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Kinds of the gateway's upstream answers, with their default policies (config can change each
// and add kinds).
//
//   - ISEE: an attestation changes rarely and carries its own end of validity; fresh for a day at
//     most, served stale for up to three days while INPS is down.
//   - ANPR residence, household, personal data: they change with registry events (a move, a
//     birth), so fresh for an hour, stale for a day.
//   - ANPR existence in life: fresh for an hour, stale for six hours only.
//   - ANPR C030 (codice fiscale -> idANPR): stable for life; fresh for 30 days.
//   - ICEF: like ISEE.
//
// Negative answers (not found, no valid ISEE) are cached briefly, so a caller retrying at once
// does not spend quota, while a newly filed DSU shows up within minutes.
var DefaultKinds = []Kind{
	{Name: "isee_attestazione", TTL: 24 * time.Hour, StaleFor: 72 * time.Hour, NegativeTTL: 15 * time.Minute},
	{Name: "isee_indicatore", TTL: 24 * time.Hour, StaleFor: 72 * time.Hour, NegativeTTL: 15 * time.Minute},
	{Name: "anpr_idanpr", TTL: 30 * 24 * time.Hour, StaleFor: 30 * 24 * time.Hour, NegativeTTL: time.Hour},
	{Name: "anpr_residenza", TTL: time.Hour, StaleFor: 24 * time.Hour, NegativeTTL: 10 * time.Minute},
	{Name: "anpr_famiglia", TTL: time.Hour, StaleFor: 24 * time.Hour, NegativeTTL: 10 * time.Minute},
	{Name: "anpr_generalita", TTL: 6 * time.Hour, StaleFor: 24 * time.Hour, NegativeTTL: 10 * time.Minute},
	{Name: "anpr_cittadinanza", TTL: 24 * time.Hour, StaleFor: 72 * time.Hour, NegativeTTL: 10 * time.Minute},
	{Name: "anpr_esistenza", TTL: time.Hour, StaleFor: 6 * time.Hour, NegativeTTL: 10 * time.Minute},
	{Name: "icef_indicatore", TTL: 24 * time.Hour, StaleFor: 72 * time.Hour, NegativeTTL: 15 * time.Minute},
}
