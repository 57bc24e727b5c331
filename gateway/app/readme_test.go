package app

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/config"
)

// referenceRow is one row of the README's configuration reference: key, type, default, variable.
type referenceRow struct {
	key, typ, env *regexp.Regexp
	raw           string
	used          bool
}

// readReference parses the table between the config-reference markers of README.md. A segment
// written <placeholder> matches any one segment (or Keys' own <name> placeholder).
func readReference(t *testing.T) []*referenceRow {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "<!-- config-reference:start -->")
	end := strings.Index(text, "<!-- config-reference:end -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no config-reference markers")
	}
	cell := regexp.MustCompile("^`([^`]+)`$")
	placeholder := regexp.MustCompile(`<[a-zA-Z]+>`)
	pattern := func(s, seg string) *regexp.Regexp {
		parts := placeholder.Split(s, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		return regexp.MustCompile("^" + strings.Join(parts, "(?:"+seg+"|<[a-zA-Z]+>)") + "$")
	}
	var rows []*referenceRow
	for _, line := range strings.Split(text[start:end], "\n") {
		cols := strings.Split(line, " | ")
		if len(cols) < 5 || !strings.HasPrefix(line, "| `") {
			continue
		}
		key := cell.FindStringSubmatch(strings.TrimPrefix(cols[0], "| "))
		env := cell.FindStringSubmatch(cols[3])
		if key == nil || env == nil {
			t.Fatalf("malformed reference row: %s", line)
		}
		rows = append(rows, &referenceRow{
			key: pattern(key[1], "[a-z0-9_]+"), env: pattern(env[1], "[A-Z0-9_]+"),
			typ: regexp.MustCompile("^" + regexp.QuoteMeta(cols[1]) + "$"), raw: line,
		})
	}
	return rows
}

// TestREADMEConfigurationReference fails when a configuration key is missing from the README's
// reference (or documented with the wrong type or variable), and when a row documents no key.
func TestREADMEConfigurationReference(t *testing.T) {
	rows := readReference(t)
	for _, k := range config.Keys(Config{}) {
		found := false
		for _, r := range rows {
			if r.key.MatchString(k.Path) {
				found = true
				r.used = true
				if !r.typ.MatchString(k.Type) || !r.env.MatchString(k.Env) {
					t.Errorf("README row for %s says %s, want type %q and variable %s", k.Path, r.raw, k.Type, k.Env)
				}
				break
			}
		}
		if !found {
			t.Errorf("README.md configuration reference has no row for %s (%s, %s)", k.Path, k.Type, k.Env)
		}
	}
	for _, r := range rows {
		if !r.used {
			t.Errorf("README.md documents a key that does not exist: %s", r.raw)
		}
	}
}
