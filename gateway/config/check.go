// Package config loads the gateway's configuration (one YAML file plus environment overrides) and
// validates all of it at once, so `gateway check-config` can print every problem, each naming its
// field.
//
// Each component owns its section: a struct with yaml tags whose doc comments are written for the
// operator (effect, unit, default, bounds), and a method
//
//	func (c *Section) Check(ck config.Checker)
//
// that reports problems through ck without touching the network or globals. The zero value of every
// field means its documented default; components apply defaults in their constructors, not here.
package config

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one configuration problem, located by its dotted path (for example
// "eservices.siuss.audience" or "upstreams.inps.timeout").
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Checker collects configuration problems under a path prefix. The zero value is not usable; start
// with NewChecker. Copies share the same list, so a section can hand ck.At("child") to a sub-section.
type Checker struct {
	prefix string
	errs   *[]*FieldError
}

// NewChecker returns an empty Checker rooted at the top of the configuration.
func NewChecker() Checker { return Checker{errs: new([]*FieldError)} }

// At returns a Checker for a nested field: ck.At("listeners").At("admin").
func (c Checker) At(field string) Checker {
	return Checker{prefix: c.path(field), errs: c.errs}
}

// Index returns a Checker for element i of a list field: ck.At("purposes").Index(2) -> "purposes[2]".
func (c Checker) Index(i int) Checker {
	return Checker{prefix: fmt.Sprintf("%s[%d]", c.prefix, i), errs: c.errs}
}

// Errorf records a problem with field (relative to the Checker's path; "" means the path itself).
func (c Checker) Errorf(field, format string, args ...any) {
	*c.errs = append(*c.errs, &FieldError{Field: c.path(field), Message: fmt.Sprintf(format, args...)})
}

// Problems returns every recorded problem, in the order found.
func (c Checker) Problems() []*FieldError { return *c.errs }

// Fields lists the recorded problems' field paths, in the order found, for tests and tooling.
func (c Checker) Fields() []string {
	out := make([]string, len(*c.errs))
	for i, e := range *c.errs {
		out[i] = e.Field
	}
	return out
}

// Err returns nil when nothing was recorded, else one error listing every problem (one per line).
// errors.As finds each *FieldError.
func (c Checker) Err() error {
	if len(*c.errs) == 0 {
		return nil
	}
	errs := make([]error, len(*c.errs))
	for i, e := range *c.errs {
		errs[i] = e
	}
	return &Invalid{errs: errs}
}

func (c Checker) path(field string) string {
	switch {
	case field == "":
		return c.prefix
	case c.prefix == "":
		return field
	case strings.HasPrefix(field, "["):
		return c.prefix + field
	}
	return c.prefix + "." + field
}

// Invalid is the error of a configuration with problems; its message lists them one per line.
type Invalid struct{ errs []error }

func (e *Invalid) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, err := range e.errs {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap exposes each problem to errors.As and errors.Is.
func (e *Invalid) Unwrap() []error { return e.errs }

// Fields lists the problems' field paths, for tests and tooling.
func (e *Invalid) Fields() []string {
	out := make([]string, 0, len(e.errs))
	for _, err := range e.errs {
		var fe *FieldError
		if errors.As(err, &fe) {
			out = append(out, fe.Field)
		}
	}
	return out
}
