package upstream

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/welfaregov/gateway/contracts"
)

// cfInText finds codice-fiscale-shaped words in upstream free text: any letter case, omocodia
// letters included, wherever they stand (upstream messages are not trusted to put spaces around a
// code, so a code glued to other letters is masked too).
var cfInText = regexp.MustCompile(`(?i)[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]`)

// MaskCodiciFiscali replaces every 16-character codice fiscale in upstream free text (error
// descriptions, SOAP faults, GovWay details, listaErrori texts) by contracts.MaskCodiceFiscale of
// it, so the text can go into errors and logs.
func MaskCodiciFiscali(s string) string {
	return cfInText.ReplaceAllStringFunc(s, func(cf string) string {
		return contracts.MaskCodiceFiscale(strings.ToUpper(cf))
	})
}

// FreeText makes upstream free text fit for errors and logs: codici fiscali masked, surrounding
// space trimmed, at most max characters (runes; a cut is marked with "…"). The codes are masked
// before the cut, so a code the cut would split is never shown in part.
func FreeText(s string, max int) string {
	s = strings.TrimSpace(MaskCodiciFiscali(s))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// CeilSeconds is d in whole seconds, rounded up: how a Retry-After advice is written.
func CeilSeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }
