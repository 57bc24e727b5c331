package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSizeText bounds the text a Size will parse (see maxDurationText).
const maxSizeText = 32

// Size is a number of bytes written in YAML as a whole number of bytes (1048576) or with a binary
// unit: B, KiB, MiB, GiB ("64KiB", "1MiB", "1.5MiB" is not accepted: sizes are whole units).
// Decimal units (kB, MB, GB) are rejected with a hint, because "1MB" is read as 10^6 by some tools
// and 2^20 by others, and a body limit must mean exactly one thing.
type Size int64

// Bytes returns s as a byte count.
func (s Size) Bytes() int64 { return int64(s) }

var sizeUnits = []struct {
	suffix string
	factor int64
}{
	// Longest suffixes first, so "MiB" is not read as "B".
	{"KiB", 1 << 10},
	{"MiB", 1 << 20},
	{"GiB", 1 << 30},
	{"B", 1},
}

// maxSize bounds what a Size may hold (1 TiB): no limit in the gateway is meaningful beyond it, and
// the bound keeps the multiplication below from overflowing.
const maxSize = 1 << 40

// ParseSize parses size text as described on Size.
func ParseSize(s string) (Size, error) {
	if len(s) > maxSizeText {
		return 0, fmt.Errorf("size text longer than %d characters", maxSizeText)
	}
	text := strings.TrimSpace(s)
	number, factor := text, int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(text, u.suffix) {
			number, factor = strings.TrimSpace(strings.TrimSuffix(text, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(number, 10, 64)
	if err != nil || n < 0 {
		lower := strings.ToLower(text)
		for _, dec := range []string{"kb", "mb", "gb", "k", "m", "g"} {
			if strings.HasSuffix(lower, dec) {
				return 0, fmt.Errorf("%q: use binary units B, KiB, MiB, GiB (1MiB = 1048576 bytes)", s)
			}
		}
		return 0, fmt.Errorf("%q is not a size (a whole number of bytes, or with a unit: 512KiB, 1MiB, 1GiB)", s)
	}
	if n > maxSize/factor {
		return 0, fmt.Errorf("%q is larger than 1TiB", s)
	}
	return Size(n * factor), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!float" {
		return fmt.Errorf("line %d: %q is not a size (a whole number of bytes, or with a unit: 512KiB, 1MiB, 1GiB)", n.Line, n.Value)
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// String writes s in the largest binary unit that divides it exactly ("1MiB", "1536KiB", "100B").
func (s Size) String() string {
	for i := len(sizeUnits) - 2; i >= 0; i-- { // GiB, MiB, KiB
		u := sizeUnits[i]
		if s != 0 && int64(s)%u.factor == 0 {
			return strconv.FormatInt(int64(s)/u.factor, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}
