package contracts

import (
	"errors"
	"fmt"
	"regexp"
)

// Shape checks of the place and protocol codes the model carries. We have no official ISTAT or
// Belfiore table, so these say only whether a code is well formed, never whether it exists.

// ErrCodice matches every error of the code shape checks (errors.Is).
var ErrCodice = errors.New("contracts: malformed code")

func codiceErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCodice}, args...)...)
}

// ValidateCodiceIstatComune checks the shape of an ISTAT comune code: 6 digits, a province part
// (first 3) and a progressive part (last 3), neither of them 000.
func ValidateCodiceIstatComune(s string) error {
	if len(s) != 6 || !allDigits(s) {
		return codiceErr("an ISTAT comune code is 6 digits, got %q", truncateForError(s))
	}
	if s[:3] == "000" || s[3:] == "000" {
		return codiceErr("ISTAT comune code %q: neither the province part nor the progressive part can be 000", s)
	}
	return nil
}

// ValidateCodiceIstatStato checks the shape of an ISTAT state code: 3 digits from 100 (Italia) to
// 999 (apolide). These are not the ISO 3166 numeric codes SIUSS uses (Italia is 380 there).
func ValidateCodiceIstatStato(s string) error {
	if len(s) != 3 || !allDigits(s) || s[0] == '0' {
		return codiceErr("an ISTAT state code is 3 digits from 100 to 999, got %q", truncateForError(s))
	}
	return nil
}

// ValidateCodiceBelfiore checks the shape of a Belfiore (cadastral) code: an upper-case letter and
// three digits ("H501" Roma; "Z" and three digits for a foreign state, e.g. "Z404").
func ValidateCodiceBelfiore(s string) error {
	if len(s) != 4 || s[0] < 'A' || s[0] > 'Z' || !allDigits(s[1:]) {
		return codiceErr("a Belfiore code is a capital letter and 3 digits, got %q", truncateForError(s))
	}
	return nil
}

// IsBelfioreStatoEstero reports whether s is a well-formed Belfiore code of a foreign state (Z+3 digits).
func IsBelfioreStatoEstero(s string) bool {
	return ValidateCodiceBelfiore(s) == nil && s[0] == 'Z'
}

// ProtocolloDSUPattern is the INPS DSU protocol (ISEE_TipiComuni.xsd TypeProtocollo):
// INPS-ISEE-YYYY-NNNNNNNNL-NN, e.g. INPS-ISEE-2025-00012345A-00.
const ProtocolloDSUPattern = `^INPS-ISEE-[0-9]{4}-[0-9]{8}[A-Z]-[0-9]{2}$`

var protocolloDSURe = regexp.MustCompile(ProtocolloDSUPattern)

// ValidateProtocolloDSU checks an INPS DSU protocol against ProtocolloDSUPattern.
func ValidateProtocolloDSU(s string) error {
	if !protocolloDSURe.MatchString(s) {
		return codiceErr("%q is not an INPS DSU protocol INPS-ISEE-YYYY-NNNNNNNNL-NN", truncateForError(s))
	}
	return nil
}
