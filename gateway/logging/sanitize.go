package logging

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/welfaregov/gateway/contracts"
)

// Sanitize removes personal data and reusable credentials from s before it is logged:
//
//   - JWS/JWT compact tokens (PDND vouchers, ModI Agid-JWT-* headers, client assertions) keep
//     only their header (alg, kid, typ, x5t: what an operator needs to debug a key problem);
//     payload and signature become "[redacted sha256=<12 hex>]". The payload goes too because
//     it can carry personal data (ModI tracking evidence names the operator) and, with the
//     signature, makes the token replayable. The hash of the whole token lets an operator match
//     a token they hold against the log without the log holding it. A header longer than
//     maxKeptHeader (an x5c chain) is dropped as well.
//   - Codici fiscali are masked by contracts.MaskCodiciFiscaliInText (which says what counts as
//     one): a 16-character personal code (omocodia included, any letter case, whatever its check
//     character, glued to other text or not) keeps the six letters of surname and name
//     ("RSSMRA**********"); an 11-digit numeric code (legal persons, and the provisional codes of
//     individuals) whose check digit is valid is masked whole ("****************"): its digits are
//     the holder's own number.
//
// Sanitize is idempotent and safe for concurrent use.
func Sanitize(s string) string {
	return contracts.MaskCodiciFiscaliInText(RedactTokens(s))
}

// maxKeptHeader bounds the JWS header kept in logs.
const maxKeptHeader = 512

// jwsMaxSegments covers JWE compact tokens (five segments) as well as JWS (three).
const jwsMaxSegments = 5

// RedactTokens replaces the payload and signature of every JWS/JWT-looking token in s, as
// described on Sanitize. A token is recognised by its first segment starting with "eyJ" (the
// base64url of `{"`) followed by at least two more dot-separated base64url segments.
func RedactTokens(s string) string {
	if !strings.Contains(s, "eyJ") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i+3 <= len(s); {
		j := strings.Index(s[i:], "eyJ")
		if j < 0 {
			break
		}
		start := i + j
		if start > 0 && (isB64URL(s[start-1]) || s[start-1] == '.') {
			i = start + 3 // inside a longer run: not the start of a token
			continue
		}
		end, headerEnd, ok := scanJWS(s, start)
		if !ok {
			i = start + 3
			continue
		}
		b.WriteString(s[last:start])
		header := s[start:headerEnd]
		sum := sha256.Sum256([]byte(s[start:end]))
		if len(header) <= maxKeptHeader {
			b.WriteString(header)
			b.WriteString(".[redacted sha256=")
		} else {
			b.WriteString("[redacted JWS sha256=")
		}
		b.WriteString(hex.EncodeToString(sum[:6]))
		b.WriteByte(']')
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// scanJWS reads a compact token starting at start and returns where it ends and where its header
// ends; ok is false when fewer than three segments follow.
func scanJWS(s string, start int) (end, headerEnd int, ok bool) {
	pos := start
	segments := 0
	for segments < jwsMaxSegments {
		k := pos
		for k < len(s) && isB64URL(s[k]) {
			k++
		}
		if segments == 0 {
			if k-pos < 8 { // "eyJ" plus a few characters: a real header is at least {"alg":"x"}
				return 0, 0, false
			}
			headerEnd = k
		}
		segments++
		pos = k
		if segments >= jwsMaxSegments || pos >= len(s) || s[pos] != '.' {
			break
		}
		pos++ // the dot
	}
	if segments < 3 {
		return 0, 0, false
	}
	return pos, headerEnd, true
}

func isB64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
