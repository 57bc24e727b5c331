package tracing

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// jsDecimal is the decimal literal JavaScript's Number() accepts (after trimming white space).
var jsDecimal = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// jsNumber converts a string the way JavaScript's Number(string) does, which is how PDND's validator
// (zod's coerce.number) reads the status and requests_count columns: white space is trimmed, "" is 0,
// 0x/0o/0b prefixes are integers, "Infinity" is infinite, anything else that is not a decimal
// literal is NaN.
func jsNumber(s string) float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	if len(s) > 2 && s[0] == '0' {
		base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[s[1]]
		if base != 0 {
			n, err := strconv.ParseUint(s[2:], base, 64)
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		}
	}
	if !jsDecimal.MatchString(s) {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.Inf(1) // out of range: JavaScript gives Infinity too
	}
	return f
}
