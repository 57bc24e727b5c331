package population

import (
	"strings"

	"github.com/welfaregov/gateway/contracts"
)

// CodiceFiscale computes the 16-character personal codice fiscale (DM 23/12/1976) from the data it
// encodes, without omocodia: surname code, name code, year, month letter, day (+40 for women), the
// Belfiore code of the birth place (a comune, or the Z-code of a foreign state) and the check character
// from contracts.CFCheckCharacter. sesso is "M" or "F". Names may carry accents, apostrophes and spaces.
func CodiceFiscale(cognome, nome, sesso string, nascita Date, belfiore string) string {
	var b strings.Builder
	b.Grow(16)
	b.WriteString(surnameCode(cognome))
	b.WriteString(nameCode(nome))
	yy := nascita.Year % 100
	b.WriteByte(byte('0' + yy/10))
	b.WriteByte(byte('0' + yy%10))
	b.WriteByte(cfMonthLetters[nascita.Month-1])
	day := nascita.Day
	if sesso == "F" {
		day += 40
	}
	b.WriteByte(byte('0' + day/10))
	b.WriteByte(byte('0' + day%10))
	b.WriteString(belfiore)
	first15 := b.String()
	return first15 + string(contracts.CFCheckCharacter(first15))
}

const cfMonthLetters = "ABCDEHLMPRST"

// surnameCode: the surname's consonants in order, then its vowels, padded with X, first three.
func surnameCode(s string) string {
	cons, vow := splitLetters(s)
	return pad3(cons + vow)
}

// nameCode: with four or more consonants the 1st, 3rd and 4th; otherwise as for the surname.
func nameCode(s string) string {
	cons, vow := splitLetters(s)
	if len(cons) >= 4 {
		return cons[0:1] + cons[2:4]
	}
	return pad3(cons + vow)
}

func pad3(s string) string {
	s += "XXX"
	return s[:3]
}

// splitLetters upper-cases s, folds Italian accented vowels and drops everything that is not a letter.
func splitLetters(s string) (consonants, vowels string) {
	var c, v strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case 'À', 'Á':
			r = 'A'
		case 'È', 'É':
			r = 'E'
		case 'Ì', 'Í':
			r = 'I'
		case 'Ò', 'Ó':
			r = 'O'
		case 'Ù', 'Ú':
			r = 'U'
		}
		switch {
		case strings.ContainsRune("AEIOU", r):
			v.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			c.WriteRune(r)
		}
	}
	return c.String(), v.String()
}
