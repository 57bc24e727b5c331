package contracts

import (
	"strings"
	"unicode/utf8"
)

// MaskCodiciFiscaliInText returns s with every codice fiscale in it replaced by MaskCodiceFiscale
// of itself (always 16 characters: "RSSMRA**********" for a personal code, "****************" for
// a numeric one), so that free text can go into logs, errors and problem details: every log line
// (gateway/logging.Sanitize) and every upstream text (error descriptions, SOAP faults, GovWay
// details, ANPR listaErrori) goes through it. What counts as a code:
//
//   - 16 consecutive letters and digits with the shape of a personal code, SSSNNNYYMDDZZZZC: a
//     letter wherever the code has one (the month too, whether or not it is a month letter), a
//     digit or its omocodia letter (LMNPQRSTUV) wherever the code has a digit; any letter case;
//     whatever the check character, since a mistyped code is still personal data. A code is
//     found wherever it stands, glued to other letters and digits too ("CF:RSSMRA80A01H501Unon
//     valido", "XRSSMRA80A01H501U9"): upstream messages are not trusted to put spaces around a
//     code, and the shape is specific enough that ordinary words and ids hardly have it. Every
//     16-character window is tried, so two codes that overlap are both masked, not only the
//     first. Letters are ASCII, plus the two runes Unicode case folding turns into ASCII letters
//     (ſ into s, the Kelvin sign K into k): a code written with them reads as the same code.
//   - 11 digits whose check digit is valid, forming a whole run of ASCII letters and digits (the
//     end of a masked personal code also starts a run, as its asterisks do in the result). The
//     check digit is what tells a numeric codice fiscale (legal persons, and the provisional codes
//     of individuals) from another number: requiring it, and nothing about the surroundings, masks
//     the codes wherever they are written (free text, upstream error messages, a SIUSS CFOperatore
//     padded with spaces) at the price of masking one in ten unrelated 11-digit numbers, which our
//     logs hardly hold (timestamps in ms have 13 digits, ids, cursors and sizes fewer than 11).
//     Office-code or context checks would mask less but could let a real code through. Unlike
//     personal codes, 11 digits inside a longer run do not count: digits have no shape of their
//     own, so trying windows would mask one in ten of the 11-digit windows of every longer number
//     or hex id (a 13-digit timestamp has three).
//
// Everything else is kept byte for byte; s itself is returned, without allocating, when it holds
// no code. The result holds no code by either rule, so masking it again changes nothing. Safe for
// concurrent use.
func MaskCodiciFiscaliInText(s string) string {
	if len(s) < cfNumericLength { // shorter than any code: the common case of small log attributes
		return s
	}
	m := cfMasker{s: s}
	for i := 0; i < len(s); {
		if !isASCIIAlnum(s[i]) && cfTextClass[s[i]]&cfRuneStart == 0 {
			i++
			continue
		}
		end := i
		for end < len(s) && isASCIIAlnum(s[end]) {
			end++
		}
		switch {
		case end < len(s) && cfTextClass[s[end]]&cfRuneStart != 0: // rare: ſ or K may go on
			if end = cfRunEnd(s, end); end == i {
				end++ // a non-ASCII byte, not ſ nor K
			} else {
				m.codes(i, end, false)
			}
		case end-i >= cfPersonalLength:
			m.codes(i, end, true)
		case end-i == cfNumericLength:
			m.numeric(i, end)
		}
		i = end
	}
	if m.out == nil {
		return s
	}
	return string(append(m.out, s[m.last:]...))
}

// cfMasker builds the masked text.
type cfMasker struct {
	s    string
	out  []byte // allocated on the first code only
	last int    // s[:last] is in out already
}

// codes masks the codes in s[i:end], a run of letters and digits: only ASCII ones and at least 16
// if ascii, else ſ and K included.
func (m *cfMasker) codes(i, end int, ascii bool) {
	var w cfWindow
	if ascii { // the common case: check the shape in place, fill w only for a code
		for p := i; p+cfPersonalLength <= end; p++ {
			if hasPersonalShape(m.s[p:p+cfPersonalLength]) && w.at(m.s, p) {
				m.personal(&w, p)
			}
		}
		m.numeric(max(i, m.last), end)
		return
	}
	run := i // start of the current run of ASCII letters and digits
	for p := i; p <= end; p++ {
		if p == end || cfTextClass[m.s[p]]&cfAlnum == 0 { // an ASCII run ends at p
			m.numeric(max(run, m.last), p)
			run = p + 1
		}
		if p < end && cfTextClass[m.s[p]]&cfWindowStart != 0 && w.at(m.s, p) {
			m.personal(&w, p)
		}
	}
}

// numeric masks s[start:end], a whole run of ASCII letters and digits, if it is a numeric code.
func (m *cfMasker) numeric(start, end int) {
	if end-start != cfNumericLength || !isNumericCF(m.s[start:end]) {
		return
	}
	m.grow()
	m.out = append(append(m.out, m.s[m.last:start]...), MaskCodiceFiscale(m.s[start:end])...)
	m.last = end
}

// personal masks the personal code w, found at byte i. When it overlaps a code masked already,
// only its part that is not out yet is written.
func (m *cfMasker) personal(w *cfWindow, i int) {
	m.grow()
	mask := MaskCodiceFiscale(string(w.chars[:]))
	if m.last < i {
		m.out = append(m.out, m.s[m.last:i]...)
	}
	for k := range cfPersonalLength {
		if w.offsets[k] >= m.last {
			m.out = append(m.out, mask[k])
		}
	}
	m.last = w.offsets[cfPersonalLength]
}

func (m *cfMasker) grow() {
	if m.out == nil {
		m.out = make([]byte, 0, len(m.s)+cfPersonalLength)
	}
}

const (
	cfPersonalLength = 16
	cfNumericLength  = 11
)

// Classes of a byte in MaskCodiciFiscaliInText.
const (
	cfLetter      uint8 = 1 << iota // an ASCII letter
	cfDigitLike                     // a digit, or an omocodia letter in either case
	cfDigit                         // a digit
	cfRuneStart                     // the first byte of ſ or K
	cfAlnum       = cfLetter | cfDigit
	cfWindowStart = cfLetter | cfRuneStart // what a personal code can start with
)

// cfTextClass is the class of every byte.
var cfTextClass = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cfLetter
		t[c+'a'-'A'] |= cfLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= cfDigitLike | cfDigit
	}
	for _, c := range cfOmocodiaMap {
		t[c] |= cfDigitLike
		t[c+'a'-'A'] |= cfDigitLike
	}
	t[longS[0]] |= cfRuneStart
	t[kelvinSign[0]] |= cfRuneStart
	return t
}()

// cfShape is the class each position of a personal code requires: SSSNNN YY M DD Z ZZZ C.
var cfShape = [cfPersonalLength]uint8{
	cfLetter, cfLetter, cfLetter, cfLetter, cfLetter, cfLetter,
	cfDigitLike, cfDigitLike, cfLetter, cfDigitLike, cfDigitLike,
	cfLetter, cfDigitLike, cfDigitLike, cfDigitLike, cfLetter,
}

// The non-ASCII runes that Unicode case folding makes ASCII letters: Go's regexp (?i)[A-Z]
// matches them, and a reader takes them for the letters.
const (
	longS      = "\u017f" // ſ, folds to s
	kelvinSign = "\u212a" // K, folds to k
)

// cfWindow is a personal code found in a text: its characters (folded to ASCII) and where each
// starts in the text, offsets[16] being where the code ends.
type cfWindow struct {
	chars   [cfPersonalLength]byte
	offsets [cfPersonalLength + 1]int
}

// at reports whether a personal code starts at byte i of s, and if so fills w.
func (w *cfWindow) at(s string, i int) bool {
	p := i
	for k := range cfPersonalLength {
		if p >= len(s) {
			return false
		}
		c, n := cfCharAt(s, p)
		if cfTextClass[c]&cfShape[k] == 0 {
			return false
		}
		w.chars[k], w.offsets[k] = c, p
		p += n
	}
	w.offsets[cfPersonalLength] = p
	return true
}

// cfCharAt returns the character at byte p of s, folded to ASCII, and its length in bytes: the
// byte itself when it is ASCII, 'S' for ſ, 'K' for K, and 0 for anything else.
func cfCharAt(s string, p int) (c byte, n int) {
	switch c := s[p]; {
	case c < utf8.RuneSelf:
		return c, 1
	case strings.HasPrefix(s[p:], longS):
		return 'S', len(longS)
	case strings.HasPrefix(s[p:], kelvinSign):
		return 'K', len(kelvinSign)
	}
	return 0, 1
}

// hasPersonalShape reports whether the 16 ASCII bytes of c have the shape of a personal code.
func hasPersonalShape(c string) bool {
	for _, k := range cfShapeOrder {
		if cfTextClass[c[k]]&cfShape[k] == 0 {
			return false
		}
	}
	return true
}

// cfShapeOrder is the order hasPersonalShape checks the positions in: the digits first, since
// the windows of a long word or id fail soonest there.
var cfShapeOrder = [cfPersonalLength]int{6, 7, 9, 10, 12, 13, 14, 0, 1, 2, 3, 4, 5, 8, 11, 15}

// cfRunEnd returns where the run of letters and digits (ſ and K included) going on at byte p of s
// ends.
func cfRunEnd(s string, p int) int {
	for p < len(s) {
		c, n := cfCharAt(s, p)
		if cfTextClass[c]&cfAlnum == 0 {
			break
		}
		p += n
	}
	return p
}

// isASCIIAlnum is cfTextClass[c]&cfAlnum != 0, in the hot loop: comparisons are faster than a load.
func isASCIIAlnum(c byte) bool { return c-'0' < 10 || (c|0x20)-'a' < 26 }

// isNumericCF reports whether the 11 bytes of c are digits with a valid check digit, without the
// allocations of ValidateCodiceFiscaleNumerico's errors: it runs on every 11-character word.
func isNumericCF(c string) bool {
	for k := range len(c) {
		if cfTextClass[c[k]]&cfDigit == 0 {
			return false
		}
	}
	return NumericCFCheckDigit(c[:cfNumericLength-1]) == c[cfNumericLength-1]
}
