package tracing

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Rome on machines without a zoneinfo database

	"github.com/welfaregov/gateway/gateway/config"
)

// Config is the `tracing` section: the daily report of e-service calls to PDND Tracing.
//
//	tracing:
//	  enabled: true
//	  base_url: https://api.tracing.interop.pagopa.it
//	  tenants:
//	    - id: 6f2d3c1a-...      # our organisation's PDND id (organizationId / producerId)
//	      api_client: api_client   # the PDND-API client whose voucher authenticates the upload
type Config struct {
	// Enabled turns counting and reporting on. Default false.
	Enabled bool `yaml:"enabled"`
	// BaseURL is the Tracing API root: https://api.tracing.interop.pagopa.it (production) or
	// https://api.uat.tracing.interop.pagopa.it (UAT). http is accepted only for loopback hosts (the
	// simulator). Required when enabled.
	BaseURL string `yaml:"base_url"`
	// Tenants are the PDND organisations whose e-services this gateway serves: one file per tenant
	// per day. Required when enabled.
	Tenants []TenantConfig `yaml:"tenants"`
	// TimeZone draws the day boundaries. Default Europe/Rome.
	TimeZone string `yaml:"time_zone"`
	// SubmitAt is the local time (HH:MM) after which yesterday's file is uploaded: late enough for
	// PDND's server clock to be past midnight and for slow requests to be counted. Default 03:00.
	SubmitAt string `yaml:"submit_at"`
	// Retention is how long a day's counters are kept after the day ends, so past days can be
	// regenerated for recover and replace. Default 30d; at least 3d.
	Retention config.Duration `yaml:"retention"`
	// LookbackDays is how many days before yesterday are compared each run with what was uploaded,
	// to replace a day whose counters grew after the upload. Default 7; at most the retention.
	LookbackDays int `yaml:"lookback_days"`
	// ReportFrom is the first day to report (YYYY-MM-DD). Default: the first day with counters, as
	// found on the first run.
	ReportFrom string `yaml:"report_from"`
	// MaxAttempts is how many times one day's upload is tried before it is marked FAILED for an
	// operator. Default 8.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryMin and RetryMax bound the wait between attempts (doubling from RetryMin). Defaults 1m, 1h.
	RetryMin config.Duration `yaml:"retry_min"`
	RetryMax config.Duration `yaml:"retry_max"`
	// PollInterval is how often a replica checks whether there is work (and, while a file is
	// PENDING, its state). Default 5m.
	PollInterval config.Duration `yaml:"poll_interval"`
	// RequestTimeout bounds one call to the API. Default 30s.
	RequestTimeout config.Duration `yaml:"request_timeout"`
}

// TenantConfig is one PDND organisation.
type TenantConfig struct {
	// ID is the organisation's PDND id (a UUID): the producerId of its e-services and the
	// organizationId in its PDND-API vouchers.
	ID string `yaml:"id"`
	// APIClient names the PDND-API client (in the pdnd section) whose voucher authenticates this
	// tenant's uploads: PDND files an upload under the voucher's organizationId, so it must be the
	// tenant's own client. The process maps it to a TokenSource (gateway/app: "api_client" is
	// pdnd.api_client, another name one of pdnd.tenant_api_clients).
	APIClient string `yaml:"api_client"`
}

// Defaults.
const (
	DefaultTimeZone       = "Europe/Rome"
	DefaultSubmitAt       = "03:00"
	DefaultLookbackDays   = 7
	DefaultMaxAttempts    = 8
	DefaultRetryMin       = time.Minute
	DefaultRetryMax       = time.Hour
	DefaultPollInterval   = 5 * time.Minute
	DefaultRequestTimeout = 30 * time.Second
)

// Check records every problem of the section.
func (c *Config) Check(ck config.Checker) {
	if !c.Enabled {
		return
	}
	if c.BaseURL == "" {
		ck.Errorf("base_url", "required when tracing is enabled (https://api.tracing.interop.pagopa.it or the UAT URL)")
	} else if err := checkBaseURL(c.BaseURL); err != nil {
		ck.Errorf("base_url", "%q: %v", c.BaseURL, err)
	}
	if len(c.Tenants) == 0 {
		ck.Errorf("tenants", "at least one tenant (our organisation's PDND id) is required")
	}
	seen := map[string]int{}
	for i, t := range c.Tenants {
		tc := ck.At("tenants").Index(i)
		if !isUUID(t.ID) {
			tc.Errorf("id", "%q is not a UUID (the organisation's PDND id)", t.ID)
		} else if j, dup := seen[strings.ToLower(t.ID)]; dup {
			tc.Errorf("id", "the same tenant as tenants[%d]", j)
		} else {
			seen[strings.ToLower(t.ID)] = i
		}
		if t.APIClient == "" {
			tc.Errorf("api_client", "required: the PDND-API client that uploads this tenant's files")
		}
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			ck.Errorf("time_zone", "%q is not a time zone (use Europe/Rome)", c.TimeZone)
		}
	}
	if c.SubmitAt != "" {
		if _, err := parseClock(c.SubmitAt); err != nil {
			ck.Errorf("submit_at", "%q: %v", c.SubmitAt, err)
		}
	}
	retention := c.retention()
	if c.Retention != 0 && retention < 3*24*time.Hour {
		ck.Errorf("retention", "%s: at least 3d, so a day can still be recovered after PDND marks it MISSING", c.Retention)
	}
	if c.LookbackDays < 0 || time.Duration(c.LookbackDays)*24*time.Hour > retention {
		ck.Errorf("lookback_days", "%d: between 0 and the retention in days (%d)", c.LookbackDays, int(retention/(24*time.Hour)))
	}
	if c.ReportFrom != "" {
		if _, err := ParseDay(c.ReportFrom); err != nil {
			ck.Errorf("report_from", "%q is not a YYYY-MM-DD date", c.ReportFrom)
		}
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > 100 {
		ck.Errorf("max_attempts", "%d: between 1 and 100 (0 means %d)", c.MaxAttempts, DefaultMaxAttempts)
	}
	for name, d := range map[string]config.Duration{"retry_min": c.RetryMin, "retry_max": c.RetryMax, "poll_interval": c.PollInterval, "request_timeout": c.RequestTimeout} {
		if d < 0 {
			ck.Errorf(name, "%s: must be positive", d)
		}
	}
	if c.RetryMin > 0 && c.RetryMax > 0 && c.RetryMax < c.RetryMin {
		ck.Errorf("retry_max", "%s is below retry_min %s", c.RetryMax, c.RetryMin)
	}
	if c.PollInterval != 0 && c.PollInterval.D() < 10*time.Second {
		ck.Errorf("poll_interval", "%s: at least 10s", c.PollInterval)
	}
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("not an absolute URL without query, fragment or credentials")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return nil
		}
		return fmt.Errorf("http is allowed only for localhost (the simulator); PDND is https")
	}
	return fmt.Errorf("scheme must be https")
}

// parseClock reads HH:MM as an offset from midnight.
func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || t.Format("15:04") != s {
		return 0, fmt.Errorf("not a HH:MM time of day")
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

func (c *Config) retention() time.Duration {
	if c.Retention == 0 {
		return DefaultRetention
	}
	return c.Retention.D()
}

// Location is the reporting time zone (Europe/Rome by default). c must have passed Check.
func (c *Config) Location() *time.Location {
	name := c.TimeZone
	if name == "" {
		name = DefaultTimeZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // unreachable after Check
	}
	return loc
}
