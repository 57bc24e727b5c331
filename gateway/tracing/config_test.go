package tracing

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
)

func TestConfigCheck(t *testing.T) {
	ck := config.NewChecker()
	(&Config{}).Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatalf("a disabled section needs nothing: %v", err)
	}
	c := Config{Enabled: true, BaseURL: "http://api.tracing.interop.pagopa.it",
		Tenants:  []TenantConfig{{ID: "comune", APIClient: ""}, {ID: tenantA, APIClient: "a"}, {ID: strings.ToUpper(tenantA), APIClient: "b"}},
		TimeZone: "Europe/Roma", SubmitAt: "3:00", Retention: config.Duration(24 * time.Hour), LookbackDays: 9,
		ReportFrom: "2026-02-30", MaxAttempts: 101, RetryMin: config.Duration(time.Hour), RetryMax: config.Duration(time.Minute),
		PollInterval: config.Duration(time.Second)}
	ck = config.NewChecker()
	c.Check(ck.At("tracing"))
	var inv *config.Invalid
	if !errors.As(ck.Err(), &inv) {
		t.Fatal("no error")
	}
	want := []string{"tracing.base_url", "tracing.tenants[0].id", "tracing.tenants[0].api_client", "tracing.tenants[2].id",
		"tracing.time_zone", "tracing.submit_at", "tracing.retention", "tracing.lookback_days", "tracing.report_from",
		"tracing.max_attempts", "tracing.retry_max", "tracing.poll_interval"}
	if got := inv.Fields(); !slices.Equal(got, want) {
		t.Fatalf("fields\n%v\nwant\n%v", got, want)
	}
	ck = config.NewChecker()
	(&Config{Enabled: true}).Check(ck)
	if err := ck.Err(); err == nil || !strings.Contains(err.Error(), "base_url: required") || !strings.Contains(err.Error(), "tenants: at least one") {
		t.Fatal(err)
	}
	ck = config.NewChecker()
	(&Config{Enabled: true, BaseURL: "http://127.0.0.1:7006", Tenants: []TenantConfig{{ID: tenantA, APIClient: "x"}}}).Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatalf("the simulator on loopback: %v", err)
	}
}

func TestNewNeedsATokenSourcePerTenant(t *testing.T) {
	cfg := Config{Enabled: true, BaseURL: "https://api.tracing.interop.pagopa.it", Tenants: []TenantConfig{{ID: tenantA, APIClient: "interop"}}}
	if _, err := New(cfg, Options{Store: memStore(t)}); err == nil || !strings.Contains(err.Error(), "tracing.tenants[0]") {
		t.Fatalf("%v", err)
	}
	if _, err := New(cfg, Options{}); err == nil {
		t.Fatal("no store accepted")
	}
}
