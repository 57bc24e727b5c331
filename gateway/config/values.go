package config

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CheckAddress records a problem when addr is not a listen or dial address "host:port" with a port
// in 0..65535. An empty host ("":8080) means every interface. Port 0 asks the system for a free
// port, which tests use; allowZeroPort says whether that is acceptable for the field.
func CheckAddress(ck Checker, field, addr string, allowZeroPort bool) {
	if addr == "" {
		ck.Errorf(field, "required: host:port, for example 127.0.0.1:8080")
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		ck.Errorf(field, "%q is not host:port (for example 127.0.0.1:8080 or [::1]:8080)", addr)
		return
	}
	n, err := strconv.Atoi(port)
	switch {
	case err != nil:
		ck.Errorf(field, "port %q in %q is not a number", port, addr)
		return
	case n < 0 || n > 65535:
		ck.Errorf(field, "port %d in %q is out of range 1..65535", n, addr)
		return
	case n == 0 && !allowZeroPort:
		ck.Errorf(field, "port 0 in %q: give a fixed port", addr)
		return
	}
	if strings.ContainsAny(host, " /\\@?#") {
		ck.Errorf(field, "host %q in %q is not a host name or IP address", host, addr)
	}
}

// CheckURL records a problem when raw is not an absolute URL with one of the given schemes and a
// host. Empty raw is accepted only when required is false.
func CheckURL(ck Checker, field, raw string, required bool, schemes ...string) {
	if raw == "" {
		if required {
			ck.Errorf(field, "required: an absolute %s URL", strings.Join(schemes, " or "))
		}
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		ck.Errorf(field, "%q is not a URL", RedactURL(raw))
	case !slices.Contains(schemes, u.Scheme):
		ck.Errorf(field, "%q: scheme must be %s", RedactURL(raw), strings.Join(schemes, " or "))
	case u.Host == "":
		ck.Errorf(field, "%q has no host", RedactURL(raw))
	}
}

// RedactURL hides a password embedded in a URL (redis://user:secret@host) so a configuration
// problem can quote the URL without disclosing the secret.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.Index(raw, "@"); i >= 0 {
			return "…@" + raw[i+1:]
		}
		return raw
	}
	return u.Redacted()
}

// OneOf records a problem when value is not empty and not one of allowed.
func OneOf(ck Checker, field, value string, allowed ...string) {
	if value != "" && !slices.Contains(allowed, value) {
		ck.Errorf(field, "%q is not one of %s%s", value, strings.Join(allowed, ", "), suggestion(value, allowed))
	}
}

// CheckDuration records a problem when d is set (non-zero) and outside [lo, hi]. Zero is accepted:
// it means the field's documented default.
func CheckDuration(ck Checker, field string, d Duration, lo, hi time.Duration) {
	if d != 0 && (d.D() < lo || d.D() > hi) {
		ck.Errorf(field, "%s is not between %s and %s (leave it empty for the default)", d, lo, hi)
	}
}
