package contracts

import (
	"errors"
	"fmt"
	"strings"
)

// Codice fiscale rules (DM 23/12/1976 and DM 12/03/1974 for omocodia):
//
//	personal: 16 characters, SSSNNNYYMDDZZZZC
//	  SSS NNN  three letters from the surname and three from the name
//	  YY       year of birth, two digits
//	  M        month of birth, one of ABCDEHLMPRST
//	  DD       day of birth, plus 40 for women
//	  ZZZZ     Belfiore code of the place of birth (a letter and three digits)
//	  C        check character
//	omocodia: when two people would share a code, the Agenzia delle Entrate replaces digits from the
//	  right (positions 15, 14, 13, 12, 10, 9, 7 counting from 1) with the letters LMNPQRSTUV (0..9),
//	  and recomputes the check character.
//	legal persons and the 11-digit codes given to some individuals: 11 digits, the last a Luhn-style
//	  check digit (the same algorithm as the partita IVA).

// CFReason says why a codice fiscale is not valid.
type CFReason int

const (
	CFEmpty CFReason = iota + 1
	CFLength
	CFFormat
	CFMonth
	CFDay
	CFBadCheckCharacter
)

func (r CFReason) String() string {
	switch r {
	case CFEmpty:
		return "empty"
	case CFLength:
		return "length"
	case CFFormat:
		return "format"
	case CFMonth:
		return "month"
	case CFDay:
		return "day"
	case CFBadCheckCharacter:
		return "check_character"
	}
	return "unknown"
}

// CFError is returned by the codice fiscale validators. It never echoes the code itself, so it can be
// logged and shown to callers without disclosing personal data.
type CFError struct {
	Reason CFReason
	Detail string
}

func (e *CFError) Error() string { return "codice fiscale: " + e.Detail }

// ErrCodiceFiscale matches every *CFError with errors.Is.
var ErrCodiceFiscale = errors.New("codice fiscale: invalid")

// Is lets errors.Is(err, ErrCodiceFiscale) match any CFError.
func (e *CFError) Is(target error) bool { return target == ErrCodiceFiscale }

const (
	cfMonths      = "ABCDEHLMPRST"
	cfOmocodiaMap = "LMNPQRSTUV" // replaces the digits 0..9
)

// cfOmocodiaPositions are the 0-based positions whose digits omocodia may replace, in the order the
// Agenzia delle Entrate replaces them (rightmost first).
var cfOmocodiaPositions = [...]int{14, 13, 12, 10, 9, 7, 6}

// cfOddValues is the value of a character in an odd (1-based) position, indexed by digit or letter.
var cfOddValues = [36]int{
	// '0'..'9'
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
	// 'A'..'Z'
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
}

func cfIndex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

// CFCheckCharacter computes the check character of the first 15 characters of a personal codice
// fiscale (upper case). It returns 0 when the input is not 15 letters and digits.
func CFCheckCharacter(first15 string) byte {
	if len(first15) != 15 {
		return 0
	}
	sum := 0
	for i := 0; i < 15; i++ {
		idx := cfIndex(first15[i])
		if idx < 0 {
			return 0
		}
		if i%2 == 0 { // odd position counting from 1
			sum += cfOddValues[idx]
		} else if idx < 10 {
			sum += idx
		} else {
			sum += idx - 10
		}
	}
	return byte('A' + sum%26)
}

// NormalizeCodiceFiscale trims spaces and upper-cases s. Validation functions expect normalised input.
func NormalizeCodiceFiscale(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// ValidateCodiceFiscale checks a codice fiscale of either kind: 16 characters (a person, omocodia
// allowed) or 11 digits (a legal person, or a person given a numeric code).
func ValidateCodiceFiscale(cf string) error {
	if len(cf) == 11 {
		return ValidateCodiceFiscaleNumerico(cf)
	}
	return ValidateCodiceFiscalePersona(cf)
}

// ValidateCodiceFiscalePersona checks the 16-character form: the shape of every position (omocodia
// letters accepted where digits are due), the month letter, the day (1..31 or 41..71) and the check
// character.
func ValidateCodiceFiscalePersona(cf string) error {
	switch {
	case cf == "":
		return &CFError{CFEmpty, "empty"}
	case len(cf) != 16:
		return &CFError{CFLength, fmt.Sprintf("a personal codice fiscale has 16 characters, got %d", len(cf))}
	}
	for i := 0; i < 16; i++ {
		c := cf[i]
		switch i {
		case 0, 1, 2, 3, 4, 5, 8, 11, 15:
			if c < 'A' || c > 'Z' {
				return &CFError{CFFormat, fmt.Sprintf("position %d must be a letter", i+1)}
			}
		default: // digits, or omocodia letters
			if !(c >= '0' && c <= '9') && strings.IndexByte(cfOmocodiaMap, c) < 0 {
				return &CFError{CFFormat, fmt.Sprintf("position %d must be a digit or an omocodia letter (LMNPQRSTUV)", i+1)}
			}
		}
	}
	if strings.IndexByte(cfMonths, cf[8]) < 0 {
		return &CFError{CFMonth, fmt.Sprintf("position 9 must be a month letter (%s)", cfMonths)}
	}
	plain := DecodeOmocodia(cf)
	day := int(plain[9]-'0')*10 + int(plain[10]-'0')
	if !(day >= 1 && day <= 31) && !(day >= 41 && day <= 71) {
		return &CFError{CFDay, "positions 10-11 must be a day of birth (01-31, or 41-71 for women)"}
	}
	if want := CFCheckCharacter(cf[:15]); want != cf[15] {
		return &CFError{CFBadCheckCharacter, "the check character (position 16) does not match the other 15"}
	}
	return nil
}

// ValidateCodiceFiscaleNumerico checks the 11-digit form used by legal persons (and the check digit
// shared with the partita IVA).
func ValidateCodiceFiscaleNumerico(cf string) error {
	switch {
	case cf == "":
		return &CFError{CFEmpty, "empty"}
	case len(cf) != 11:
		return &CFError{CFLength, fmt.Sprintf("a numeric codice fiscale has 11 digits, got %d", len(cf))}
	}
	for i := 0; i < 11; i++ {
		if cf[i] < '0' || cf[i] > '9' {
			return &CFError{CFFormat, fmt.Sprintf("position %d must be a digit", i+1)}
		}
	}
	if NumericCFCheckDigit(cf[:10]) != cf[10] {
		return &CFError{CFBadCheckCharacter, "the check digit (position 11) does not match the other 10"}
	}
	return nil
}

// NumericCFCheckDigit computes the 11th digit of a numeric codice fiscale from the first 10. It returns
// 0 when the input is not 10 digits.
func NumericCFCheckDigit(first10 string) byte {
	if len(first10) != 10 {
		return 0
	}
	sum := 0
	for i := 0; i < 10; i++ {
		d := int(first10[i] - '0')
		if d < 0 || d > 9 {
			return 0
		}
		if i%2 == 1 { // even position counting from 1: doubled, digits summed
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// IsOmocode reports whether a 16-character codice fiscale has any digit replaced by omocodia.
func IsOmocode(cf string) bool {
	if len(cf) != 16 {
		return false
	}
	for _, p := range cfOmocodiaPositions {
		if strings.IndexByte(cfOmocodiaMap, cf[p]) >= 0 {
			return true
		}
	}
	return false
}

// DecodeOmocodia returns cf with omocodia letters turned back into digits (the check character is
// left as it was). Inputs that are not 16 characters are returned unchanged.
func DecodeOmocodia(cf string) string {
	if len(cf) != 16 {
		return cf
	}
	b := []byte(cf)
	for _, p := range cfOmocodiaPositions {
		if i := strings.IndexByte(cfOmocodiaMap, b[p]); i >= 0 {
			b[p] = byte('0' + i)
		}
	}
	return string(b)
}

// Omocode returns the level-th omocodic variant of a valid 16-character codice fiscale (level 1..7
// replaces the rightmost 1..7 digits) with its check character recomputed. Level 0 returns cf.
func Omocode(cf string, level int) (string, error) {
	if err := ValidateCodiceFiscalePersona(cf); err != nil {
		return "", err
	}
	if level < 0 || level > len(cfOmocodiaPositions) {
		return "", fmt.Errorf("codice fiscale: omocodia level %d out of range 0..%d", level, len(cfOmocodiaPositions))
	}
	b := []byte(DecodeOmocodia(cf))
	for _, p := range cfOmocodiaPositions[:level] {
		b[p] = cfOmocodiaMap[b[p]-'0']
	}
	b[15] = CFCheckCharacter(string(b[:15]))
	return string(b), nil
}

// maskedCFLength is the length of every masked codice fiscale, whatever the input: a fixed length
// does not reveal whether the input was a 16-character or an 11-digit code, or garbage.
const maskedCFLength = 16

// MaskCodiceFiscale returns a codice fiscale fit for logs: the first 6 characters (the surname and
// name letters of a personal code) followed by '*' up to 16 characters, e.g. "RSSMRA**********".
// An all-digit input (the 11-digit code of a legal person, or of an individual given a numeric
// code) is masked whole: its first 7 digits are the holder's own number, so keeping any of them
// would identify it. Inputs are normalised first; characters outside A-Z and 0-9 (and inputs
// shorter than 6) are replaced by '*' too, so the result is always 16 printable ASCII characters
// and never echoes control characters or non-ASCII bytes into a log line.
func MaskCodiceFiscale(cf string) string {
	cf = NormalizeCodiceFiscale(cf)
	keep := 6
	if cf != "" && allDigits(cf) {
		keep = 0
	}
	var b [maskedCFLength]byte
	for i := range b {
		b[i] = '*'
		if i < keep && i < len(cf) && cfIndex(cf[i]) >= 0 {
			b[i] = cf[i]
		}
	}
	return string(b[:])
}
