package upstream

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

func TestConfigCheck(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	_ = os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	inps := func(tweak func(*UpstreamConfig)) Config {
		c := &UpstreamConfig{BaseURL: "https://api.inps.it/pdnd/soap/ConsultazioneISEE/v1"}
		if tweak != nil {
			tweak(c)
		}
		return Config{"inps": c}
	}
	for name, tc := range map[string]struct {
		cfg  Config
		want []string
	}{
		"ok/minimal": {cfg: inps(nil)},
		"ok/anpr-per-use-case-quotas": {cfg: Config{"anpr": {
			BaseURL: "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/", Timeout: config.Duration(5 * time.Second),
			MaxInFlight: 16, MaxWait: config.Duration(100 * time.Millisecond),
			Operations: map[string]OperationConfig{"C030": {DailyQuota: 5000}, "C020": {DailyQuota: 2000, Timeout: config.Duration(3 * time.Second)}},
		}}},
		"ok/simulator-over-http": {cfg: Config{"icef": {BaseURL: "http://127.0.0.1:9100/icef", Auth: AuthNone}}},
		"ok/anpr-pdnd-per-use-case": {cfg: Config{"anpr": {
			BaseURL: "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/",
			PDND:    PDNDConfig{Integrity: IntegrityREST02, Audit: AuditREST02},
			Operations: map[string]OperationConfig{"C030": {PDND: PDNDConfig{PurposeID: "c24ba3ee-78a7-423c-9fcd-f5f0d6a0f6af",
				Audience: "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR/C030-servizioAccertamentoIdUnicoNazionale/v1"}}},
		}}},
		"ok/pdnd-over-loopback-http": {cfg: Config{"inps": {BaseURL: "http://127.0.0.1:7002/pdnd/soap/ConsultazioneISEE/v1",
			PDND: PDNDConfig{PurposeID: "25f90f5c-bd33-469b-9df3-28cf5380f989"}}}},
		"ok/pdnd-over-private-network-http": {cfg: Config{"inps": {BaseURL: "http://pasim:7002/pdnd/soap/ConsultazioneISEE/v1", PlainHTTP: true,
			PDND: PDNDConfig{PurposeID: "25f90f5c-bd33-469b-9df3-28cf5380f989"}}}},
		"fail/pdnd-over-remote-http": {cfg: Config{"inps": {BaseURL: "http://10.1.2.3/pdnd/soap/ConsultazioneISEE/v1"}}, want: []string{"inps.base_url"}},
		"fail/pdnd-values": {cfg: inps(func(c *UpstreamConfig) {
			c.PDND = PDNDConfig{PurposeID: "purpose-1", Audience: "https://a b", Integrity: "INTEGRITY_REST_01", Audit: "AUDIT_REST_03"}
			c.Operations = map[string]OperationConfig{"ConsultazioneAttestazione": {PDND: PDNDConfig{PurposeID: "x"}}}
		}), want: []string{"inps.operations.ConsultazioneAttestazione.pdnd.purpose_id", "inps.pdnd.audience", "inps.pdnd.audit", "inps.pdnd.integrity", "inps.pdnd.purpose_id"}},
		"fail/pdnd-with-auth-none": {cfg: Config{"icef": {BaseURL: "http://127.0.0.1:7004/rest/icef/v1", Auth: AuthNone,
			PDND: PDNDConfig{Integrity: IntegrityREST02}, Operations: map[string]OperationConfig{"x": {PDND: PDNDConfig{Audit: AuditREST02}}}}},
			want: []string{"icef.operations.x.pdnd", "icef.pdnd"}},
		"fail/no-base-url":    {cfg: Config{"inps": {}}, want: []string{"inps.base_url"}},
		"fail/http-with-pdnd": {cfg: inps(func(c *UpstreamConfig) { c.BaseURL = "http://api.inps.it/x" }), want: []string{"inps.base_url"}},
		"fail/credentials-in-url": {cfg: inps(func(c *UpstreamConfig) { c.BaseURL = "https://user:pw@api.inps.it/x?a=1" }),
			want: []string{"inps.base_url"}},
		"fail/auth": {cfg: inps(func(c *UpstreamConfig) { c.Auth = "basic" }), want: []string{"inps.auth"}},
		"fail/name": {cfg: Config{"INPS_prod": {BaseURL: "https://a.example/"}}, want: []string{"INPS_prod"}},
		"fail/nil":  {cfg: Config{"inps": nil}, want: []string{"inps"}},
		"fail/timeouts": {cfg: inps(func(c *UpstreamConfig) {
			c.Timeout, c.CallTimeout = config.Duration(20*time.Second), config.Duration(10*time.Second)
		}), want: []string{"inps.call_timeout"}},
		"fail/bounds": {cfg: inps(func(c *UpstreamConfig) {
			c.Timeout, c.MaxInFlight, c.MaxWait, c.MaxResponseSize, c.DailyQuota = config.Duration(time.Hour), -1, config.Duration(time.Minute), -1, -5
		}), want: []string{"inps.daily_quota", "inps.max_in_flight", "inps.max_response_size", "inps.max_wait", "inps.timeout"}},
		"fail/nested": {cfg: inps(func(c *UpstreamConfig) {
			c.Breaker = resilience.BreakerConfig{FailureRatio: 2}
			c.Retry = resilience.RetryConfig{MaxAttempts: 50}
			c.TLS = config.ClientTLS{CAFile: notPEM}
			c.Operations = map[string]OperationConfig{"bad name": {}, "Lookup": {Timeout: config.Duration(time.Minute), DailyQuota: -1}}
		}), want: []string{"inps.breaker.failure_ratio", "inps.operations.Lookup.daily_quota", "inps.operations.Lookup.timeout",
			"inps.operations.bad name", "inps.retry.max_attempts", "inps.tls.ca_file"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			tc.cfg.Check(ck)
			var got []string
			for _, p := range ck.Problems() {
				got = append(got, p.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("problems %v\nwant fields %v", ck.Problems(), tc.want)
			}
			for _, p := range ck.Problems() {
				if strings.Contains(p.Message, "pw@") {
					t.Fatalf("a problem quotes a password: %s", p.Message)
				}
			}
		})
	}
}

// An upstream that needs PDND credentials cannot be built without an Authorizer: calls must
// never leave without a voucher by accident.
func TestNewRefusesPDNDWithoutAuthorizer(t *testing.T) {
	st, _ := memory.New(memory.Options{})
	defer st.Close()
	cfg := Config{"inps": {BaseURL: "https://api.inps.it/x"}}
	if _, err := New(cfg, Deps{Store: st}); err == nil || !strings.Contains(err.Error(), "upstreams.inps.auth is pdnd but no PDND authorizer") {
		t.Fatalf("%v", err)
	}
	if _, err := New(cfg, Deps{Store: st, Authorizer: func(string) Authorizer { return nil }}); err == nil {
		t.Fatal("an Authorizer func that has none for the upstream must be refused too")
	}
	if _, err := New(cfg, Deps{}); err == nil {
		t.Fatal("a store is required")
	}
}

// The section decodes from YAML strictly, and every key, operations included, can be overridden
// from the environment (map keys match whatever their case).
func TestConfigFromYAMLAndEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	_ = os.WriteFile(path, []byte(`
upstreams:
  anpr:
    base_url: https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/
    breaker: {consecutive_failures: 3, open_timeout: 45s}
    operations:
      C030: {daily_quota: 5000}
`), 0o600)
	var dst struct {
		Upstreams Config `yaml:"upstreams"`
	}
	ck := config.NewChecker()
	config.Load(ck, path, []string{"WGW_UPSTREAMS__ANPR__OPERATIONS__C030__DAILY_QUOTA=4000", "WGW_UPSTREAMS__ANPR__MAX_WAIT=250ms"}, &dst)
	dst.Upstreams.Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	a := dst.Upstreams["anpr"]
	if a.Operations["C030"].DailyQuota != 4000 || a.MaxWait.D() != 250*time.Millisecond ||
		a.Breaker.ConsecutiveFailures != 3 || a.Breaker.OpenTimeout.D() != 45*time.Second {
		t.Fatalf("%+v", a)
	}
	ck = config.NewChecker()
	config.Load(ck, path, []string{"WGW_UPSTREAMS__ANPR__BREAKER__CONSECUTIVE_FAILRES=1"}, &dst)
	if err := ck.Err(); err == nil || !strings.Contains(err.Error(), "consecutive_failures") {
		t.Fatalf("a mistyped override must be named with a suggestion: %v", err)
	}
}

// The PDND settings of an operation: its own fields, else the upstream's, the audience defaulting to
// base_url; CheckOperations names every operation of the adapter left without a purpose, and every
// configured operation the adapter does not have.
func TestPDNDResolvedAndCheckOperations(t *testing.T) {
	u := &UpstreamConfig{BaseURL: "https://anpr.example/govway/rest/in/MinInternoPortaANPR-PDND/",
		PDND: PDNDConfig{Integrity: IntegrityREST02, Audit: AuditREST02},
		Operations: map[string]OperationConfig{
			"C030": {PDND: PDNDConfig{PurposeID: "c24ba3ee-78a7-423c-9fcd-f5f0d6a0f6af", Audience: "https://anpr.example/aud/C030"}},
			"C021": {PDND: PDNDConfig{PurposeID: "12b365f4-fa65-4519-805d-3cc7922da314", Audit: "none"}},
		}}
	if p := u.Resolved("C030"); p.PurposeID != "c24ba3ee-78a7-423c-9fcd-f5f0d6a0f6af" || p.Audience != "https://anpr.example/aud/C030" ||
		p.Integrity != IntegrityREST02 || p.Audit != AuditREST02 {
		t.Fatalf("C030: %+v", p)
	}
	if p := u.Resolved("C021"); p.Audit != "" || p.Audience != "https://anpr.example/govway/rest/in/MinInternoPortaANPR-PDND" {
		t.Fatalf("C021: %+v (audit none overrides; the audience defaults to base_url)", p)
	}
	ck := config.NewChecker()
	u.CheckOperations(ck, []string{"C030", "C021", "C020"})
	if ps := ck.Problems(); len(ps) != 1 || ps[0].Field != "operations.C020.pdnd.purpose_id" {
		t.Fatalf("%v", ps)
	}
	ck = config.NewChecker()
	u.CheckOperations(ck, []string{"C030"})
	if ps := ck.Problems(); len(ps) != 1 || ps[0].Field != "operations.C021" || !strings.Contains(ps[0].Message, "it has C030") {
		t.Fatalf("%v", ps)
	}
	ck = config.NewChecker()
	(&UpstreamConfig{BaseURL: "https://api.inps.it/x"}).CheckOperations(ck, []string{"ConsultazioneAttestazione", "ConsultazioneIndicatore"})
	if ps := ck.Problems(); len(ps) != 1 || ps[0].Field != "pdnd.purpose_id" {
		t.Fatalf("%v", ps)
	}
	ck = config.NewChecker()
	(&UpstreamConfig{BaseURL: "http://127.0.0.1:1/x", Auth: AuthNone}).CheckOperations(ck, []string{"a"})
	if len(ck.Problems()) != 0 {
		t.Fatal("auth none needs no purpose")
	}
}
