package upstream

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/welfaregov/gateway/contracts"
)

// FreeText makes upstream free text (error descriptions, SOAP faults, GovWay details, listaErrori
// texts) fit for errors, problem details and logs: codici fiscali masked
// (contracts.MaskCodiciFiscaliInText), surrounding space trimmed, at most max characters (runes, so
// a cut never splits a UTF-8 sequence; a cut is marked with "…"). The codes are masked before the
// cut, so a code the cut would split is never shown in part.
func FreeText(s string, max int) string {
	s = strings.TrimSpace(contracts.MaskCodiciFiscaliInText(s))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// CeilSeconds is d in whole seconds, rounded up: how a Retry-After advice is written.
func CeilSeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }
