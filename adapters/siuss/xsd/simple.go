package xsd

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// compilePattern translates an XML Schema regular expression (XSD 1.0 Appendix F) into RE2. XSD
// patterns are anchored at both ends and have no ^/$ anchors ('^' and '$' are ordinary characters
// outside a class); '.' excludes \n and \r; \d is any Unicode decimal digit (Nd), as in libxml2.
// Escapes RE2 cannot express identically (\i, \c, \w, block names, class subtraction) are refused.
func compilePattern(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^(?:`)
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return nil, fmt.Errorf("pattern %q ends with a backslash", p)
			}
			i++
			switch e := p[i]; e {
			case 'd':
				b.WriteString(`\p{Nd}`)
			case 'D':
				if inClass {
					return nil, fmt.Errorf("pattern %q: \\D inside a class is not supported", p)
				}
				b.WriteString(`\P{Nd}`)
			case 's':
				if inClass {
					b.WriteString(`\x20\t\n\r`)
				} else {
					b.WriteString(`[\x20\t\n\r]`)
				}
			case 'S':
				if inClass {
					return nil, fmt.Errorf("pattern %q: \\S inside a class is not supported", p)
				}
				b.WriteString(`[^\x20\t\n\r]`)
			case 'n', 'r', 't', '\\', '|', '.', '-', '^', '?', '*', '+', '{', '}', '(', ')', '[', ']':
				b.WriteByte('\\')
				b.WriteByte(e)
			case 'p', 'P':
				end := strings.IndexByte(p[i:], '}')
				if end < 0 || i+1 >= len(p) || p[i+1] != '{' || strings.HasPrefix(p[i+2:], "Is") {
					return nil, fmt.Errorf("pattern %q: only \\p{Category} escapes are supported", p)
				}
				b.WriteString(`\` + p[i:i+end+1])
				i += end
			default:
				return nil, fmt.Errorf("pattern %q: escape \\%c is not supported", p, e)
			}
		case inClass:
			if c == '[' || (c == '-' && i+1 < len(p) && p[i+1] == '[') {
				return nil, fmt.Errorf("pattern %q: nested classes and class subtraction are not supported", p)
			}
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
		case c == '.':
			b.WriteString(`[^\n\r]`)
		case c == '^' || c == '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	if inClass {
		return nil, fmt.Errorf("pattern %q: unterminated class", p)
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p, err)
	}
	return re, nil
}

// isXMLSpace reports the four XML whitespace characters.
func isXMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// collapse applies whiteSpace="collapse": trims and folds runs of XML whitespace into one space.
func collapse(s string) string { return strings.Join(strings.FieldsFunc(s, isXMLSpace), " ") }

// replaceSpace applies whiteSpace="replace": each tab, newline and carriage return becomes a space.
func replaceSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if isXMLSpace(r) {
			return ' '
		}
		return r
	}, s)
}

// parseDecimal reads the xs:decimal lexical form: an optional sign, ASCII digits and at most one
// '.', with at least one digit.
func parseDecimal(s string) (*big.Rat, bool) {
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" {
		return nil, false
	}
	intPart, frac, _ := strings.Cut(body, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return nil, false
	}
	if intPart == "" {
		intPart = "0"
	}
	if frac == "" {
		frac = "0"
	}
	r, ok := new(big.Rat).SetString(intPart + "." + frac)
	if ok && strings.HasPrefix(s, "-") {
		r.Neg(r)
	}
	return r, ok
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// decimalDigits counts the significant total and fraction digits of a valid decimal literal.
func decimalDigits(s string) (total, fraction int) {
	body := strings.TrimLeft(s, "+-")
	intPart, frac, _ := strings.Cut(body, ".")
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	total = len(intPart) + len(frac)
	if total == 0 {
		total = 1 // zero has one digit
	}
	return total, len(frac)
}

// validDate checks the xs:date lexical form: -?YYYY-MM-DD with an optional time zone (Z or
// ±hh:mm up to ±14:00). A year of more than four digits has no leading zero; year 0000 does not
// exist in XML Schema 1.0; the day exists in its month (proleptic Gregorian leap years).
func validDate(s string) bool {
	s = strings.TrimPrefix(s, "-")
	dash := strings.IndexByte(s, '-')
	if dash < 4 || (dash > 4 && s[0] == '0') || !allDigits(s[:dash]) || len(s) < dash+6 {
		return false
	}
	year, err := strconv.ParseInt(s[:dash], 10, 64)
	if err != nil || year == 0 {
		return false
	}
	rest := s[dash:]
	if rest[0] != '-' || rest[3] != '-' || !allDigits(rest[1:3]) || !allDigits(rest[4:6]) {
		return false
	}
	month, _ := strconv.Atoi(rest[1:3])
	day, _ := strconv.Atoi(rest[4:6])
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return false
	}
	return validZone(rest[6:])
}

func validZone(z string) bool {
	switch {
	case z == "" || z == "Z":
		return true
	case len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' || !allDigits(z[1:3]) || !allDigits(z[4:6]):
		return false
	}
	h, _ := strconv.Atoi(z[1:3])
	m, _ := strconv.Atoi(z[4:6])
	return m < 60 && (h < 14 || (h == 14 && m == 0))
}

func daysIn(year int64, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// check validates a raw (attribute-normalised or text) value and returns the broken rule and a
// detail that does not repeat the value, or ok.
func (st *simpleType) check(raw string) (rule, detail string, ok bool) {
	v := raw
	switch st.base {
	case bString, bDate, bInteger:
		// xs:date and the integer types collapse whitespace by the specification, but libxml2 (the
		// validator INPS's partners test with) refuses any whitespace in them when they are
		// restricted, as in the SIUSS schemas. We follow libxml2: stricter, and what INPS sees.
	case bNormalizedString:
		v = replaceSpace(raw)
	default:
		v = collapse(raw)
	}
	var num *big.Rat
	switch st.base {
	case bDate:
		if !validDate(v) {
			return "type", "not a valid xs:date (YYYY-MM-DD)", false
		}
	case bDecimal:
		if num, ok = parseDecimal(v); !ok {
			return "type", "not a valid xs:decimal (digits with an optional '.' and sign)", false
		}
	case bInteger:
		if num, ok = parseDecimal(v); !ok || strings.Contains(v, ".") {
			return "type", "not a valid integer", false
		}
	}
	if st.base <= bToken {
		n := utf8.RuneCountInString(v)
		switch {
		case st.length >= 0 && n != st.length:
			return "length", fmt.Sprintf("must have exactly %d characters, has %d", st.length, n), false
		case st.minLength >= 0 && n < st.minLength:
			return "minLength", fmt.Sprintf("must have at least %d characters, has %d", st.minLength, n), false
		case st.maxLength >= 0 && n > st.maxLength:
			return "maxLength", fmt.Sprintf("must have at most %d characters, has %d", st.maxLength, n), false
		}
	}
	for i, step := range st.patterns {
		matched := false
		for _, re := range step {
			matched = matched || re.MatchString(v)
		}
		if !matched {
			return "pattern", fmt.Sprintf("does not match the pattern %s", st.patternText[i]), false
		}
	}
	if st.enumeration != nil {
		found := false
		for _, e := range st.enumeration {
			found = found || e == v
		}
		if !found {
			return "enumeration", fmt.Sprintf("is not one of the values of %s (%s)", st.name, strings.Join(st.enumeration, ", ")), false
		}
	}
	if num != nil {
		switch {
		case st.minIncl != nil && num.Cmp(st.minIncl) < 0:
			return "minInclusive", fmt.Sprintf("must be >= %s", st.minIncl.RatString()), false
		case st.maxIncl != nil && num.Cmp(st.maxIncl) > 0:
			return "maxInclusive", fmt.Sprintf("must be <= %s", st.maxIncl.RatString()), false
		case st.minExcl != nil && num.Cmp(st.minExcl) <= 0:
			return "minExclusive", fmt.Sprintf("must be > %s", st.minExcl.RatString()), false
		case st.maxExcl != nil && num.Cmp(st.maxExcl) >= 0:
			return "maxExclusive", fmt.Sprintf("must be < %s", st.maxExcl.RatString()), false
		}
		total, frac := decimalDigits(v)
		switch {
		case st.totalDigits > 0 && total > st.totalDigits:
			return "totalDigits", fmt.Sprintf("must have at most %d digits", st.totalDigits), false
		case st.fractionDigs >= 0 && frac > st.fractionDigs:
			return "fractionDigits", fmt.Sprintf("must have at most %d decimal places", st.fractionDigs), false
		}
	}
	return "", "", true
}
