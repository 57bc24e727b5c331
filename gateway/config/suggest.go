package config

import (
	"fmt"
	"strings"
)

// suggestion returns ` (did you mean "x"?)` naming the candidate closest to got, or "" when none
// is close enough to be a plausible typo.
func suggestion(got string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(got), strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// A typo is a few edits, relative to the word's length: "adress" -> "address" (1), but
	// "port" is not a typo of "tls" (3 of 3).
	limit := max(1, min(3, len(best)/3))
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// keyHint is suggestion, or the list of valid keys when none is close and the list is short.
func keyHint(got string, valid []string) string {
	if s := suggestion(got, valid); s != "" {
		return s
	}
	if len(valid) > 0 && len(valid) <= 12 {
		return " (valid keys: " + strings.Join(valid, ", ") + ")"
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, computed on bytes. Config keys are
// ASCII, and inputs are bounded by the caller (keys of a config file), so O(len(a)*len(b)) is fine.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b)) // not a typo of a config key; avoid quadratic work on junk
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
