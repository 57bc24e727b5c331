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
//   - Codici fiscali become contracts.MaskCodiceFiscale of themselves (16 characters): a
//     16-character personal code (omocodia included, any letter case, whatever its check
//     character) keeps the six letters of surname and name ("RSSMRA**********"); an 11-digit
//     numeric code (legal persons, and the provisional codes of individuals) whose check digit is
//     valid is masked whole ("****************"): its digits are the holder's own number.
//
// Sanitize is idempotent and safe for concurrent use.
func Sanitize(s string) string {
	if len(s) < cfNumericLength { // shorter than any pattern: the common case for small attributes
		return s
	}
	return MaskCodiciFiscali(RedactTokens(s))
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

const (
	cfLength        = 16
	cfNumericLength = 11
	cfMonths        = "ABCDEHLMPRST"
	cfOmocodia      = "LMNPQRSTUV" // letters that replace digits under omocodia
)

// MaskCodiciFiscali masks every codice fiscale in s, as described on Sanitize. A candidate is a
// whole run of ASCII letters and digits (a code inside a longer run is left as it is):
//
//   - 16 characters with the shape of a personal code (letters, digits or their omocodia letters,
//     a month letter), regardless of the check character: a mistyped code is still personal data;
//   - 11 digits whose check digit is valid. The check digit is what tells a numeric codice
//     fiscale from another number: requiring it, and nothing about the surroundings, masks the
//     codes wherever they are written (free text, upstream error messages, a SIUSS CFOperatore
//     padded with spaces) at the price of masking one in ten unrelated 11-digit numbers, which our
//     logs hardly hold (timestamps in ms have 13 digits, ids, cursors and sizes fewer than 11).
//     Office-code or context checks would mask less but could let a real code through.
func MaskCodiciFiscali(s string) string {
	var out []byte // allocated on the first match only
	last := 0      // bytes of s before last are copied to out already
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		run := s[i:j]
		if (len(run) == cfLength && isCodiceFiscale(run)) || (len(run) == cfNumericLength && isNumericCodiceFiscale(run)) {
			out = append(append(out, s[last:i]...), contracts.MaskCodiceFiscale(run)...)
			last = j
		}
		i = j
	}
	if out == nil {
		return s
	}
	return string(append(out, s[last:]...))
}

// isNumericCodiceFiscale reports whether the 11 bytes of c are digits with a valid check digit.
func isNumericCodiceFiscale(c string) bool {
	return contracts.ValidateCodiceFiscaleNumerico(c) == nil
}

// isCodiceFiscale reports whether the 16 bytes of c have the shape SSSNNNYYMDDZZZZC, where each
// digit position may also hold its omocodia letter, ignoring letter case.
func isCodiceFiscale(c string) bool {
	for k := 0; k < cfLength; k++ {
		ch := upper(c[k])
		switch k {
		case 0, 1, 2, 3, 4, 5, 11, 15:
			if ch < 'A' || ch > 'Z' {
				return false
			}
		case 8:
			if strings.IndexByte(cfMonths, ch) < 0 {
				return false
			}
		default: // 6, 7, 9, 10, 12, 13, 14: digits of year, day and place
			if !(ch >= '0' && ch <= '9') && strings.IndexByte(cfOmocodia, ch) < 0 {
				return false
			}
		}
	}
	return true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isAlnum(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
