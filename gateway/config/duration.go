package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// maxDurationText bounds the text a Duration will parse, so a hostile config cannot make the parser
// work on megabytes of digits.
const maxDurationText = 64

// Duration is a time.Duration written in YAML as Go duration text ("250ms", "30s", "1h30m") or as
// "1d" style days. A bare number is rejected: "30" could mean seconds or milliseconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ParseDuration parses duration text as described on Duration.
func ParseDuration(s string) (Duration, error) {
	if len(s) > maxDurationText {
		return 0, fmt.Errorf("duration text longer than %d characters", maxDurationText)
	}
	if n := len(s); n > 1 && s[n-1] == 'd' {
		var days int64
		if _, err := fmt.Sscanf(s[:n-1], "%d", &days); err == nil && fmt.Sprint(days) == s[:n-1] {
			if days < 0 || days > 36500 {
				return 0, fmt.Errorf("%q: days out of range 0..36500", s)
			}
			return Duration(time.Duration(days) * 24 * time.Hour), nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (use a unit: 500ms, 30s, 5m, 1h, 1d)", s)
	}
	return Duration(v), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!int" || n.Tag == "!!float" {
		return fmt.Errorf("line %d: %q is not a duration (use a unit: 500ms, 30s, 5m, 1h, 1d)", n.Line, n.Value)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String is the Go duration text.
func (d Duration) String() string { return time.Duration(d).String() }
