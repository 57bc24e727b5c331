// Package logging builds the gateway's log/slog logger: one JSON object per line with "time"
// (RFC 3339, UTC, milliseconds, as RAC_GEN_LOG_01 asks), "level" and "msg", and every string that
// reaches the output (message, attributes, errors, values inside groups and structs) passed
// through [Sanitize], so neither a codice fiscale in clear nor a reusable token can be written by
// a careless log call.
package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
)

// Config is the "log" section.
type Config struct {
	// Level is the lowest level written: debug, info, warn or error. Default: info. Access logs are
	// info; failed health checks warn; 5xx answers and panics error.
	Level string `yaml:"level"`
}

// Check records a problem for an unknown level.
func (c *Config) Check(ck config.Checker) {
	config.OneOf(ck, "level", strings.ToLower(c.Level), "debug", "info", "warn", "error")
}

// level maps the configured name to a slog.Level (info when empty).
func (c *Config) level() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Level)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// TimeFormat is RFC 3339 with milliseconds, always in UTC ("2026-11-27T16:38:00.123Z").
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// New returns a logger writing JSON lines to w at the configured level. Safe for concurrent use.
func New(w io.Writer, cfg Config) *slog.Logger {
	return slog.New(NewHandler(w, cfg.level()))
}

// NewHandler returns the sanitizing JSON handler New uses.
func NewHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: replaceAttr})
}

// replaceAttr formats the time in UTC and sanitizes every value. slog calls it for the built-in
// message and for each non-group attribute, including those inside groups and those added with
// Logger.With.
func replaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
		return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(TimeFormat))
	}
	a.Value = sanitizeValue(a.Value)
	return a
}

func sanitizeValue(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(Sanitize(v.String()))
	case slog.KindAny:
		switch x := v.Any().(type) {
		case nil:
			return v
		case slog.Level:
			return slog.StringValue(x.String())
		case error:
			return slog.StringValue(Sanitize(x.Error()))
		case fmt.Stringer:
			return slog.StringValue(Sanitize(x.String()))
		case []byte:
			return slog.StringValue(Sanitize(string(x)))
		default:
			// Structs, maps, slices: sanitize their JSON text.
			b, err := json.Marshal(x)
			if err != nil {
				return slog.StringValue(Sanitize(fmt.Sprintf("%+v", x)))
			}
			return slog.AnyValue(sanitizeJSON(b))
		}
	}
	return v
}

// sanitizeJSON sanitizes a JSON text. Masking and redaction replace letters, digits and base64url
// runs, which inside strings keeps the JSON valid and the members in their order; only a bare
// number that is a numeric codice fiscale becomes invalid once masked. Then the value is walked
// instead: strings sanitized, such numbers replaced by the masked string (object members come out
// sorted by name).
func sanitizeJSON(b []byte) json.RawMessage {
	out := []byte(Sanitize(string(b)))
	if json.Valid(out) {
		return out
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return mustJSON(Sanitize(string(b))) // not reached: b comes from json.Marshal
	}
	return mustJSON(sanitizeDecoded(v))
}

func sanitizeDecoded(v any) any {
	switch x := v.(type) {
	case string:
		return Sanitize(x)
	case json.Number:
		if m := Sanitize(x.String()); m != x.String() {
			return m
		}
		return x
	case []any:
		for i := range x {
			x[i] = sanitizeDecoded(x[i])
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[Sanitize(k)] = sanitizeDecoded(e)
		}
		return out
	}
	return v
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v) // strings, numbers, slices and maps of them always marshal
	return b
}

// Millis is d in milliseconds with microsecond precision, the unit access logs use for latency.
func Millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
