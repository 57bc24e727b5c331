package waas_test

import (
	"slices"
	"testing"

	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice/waas"
	"github.com/welfaregov/gateway/gateway/siussfeed"
)

func numericCF(first10 string) string {
	return first10 + string(contracts.NumericCFCheckDigit(first10))
}

func TestConfigCheck(t *testing.T) {
	valid := func() waas.Config {
		var c waas.Config
		c.Enti = []siussfeed.EnteConfig{{Codice: "L378", Denominazione: "COMUNE DI TRENTO", CFOperatore: numericCF("0035587022"),
			Audience: "https://trento.example/waas/v1", ProducerID: "55555555-5555-4555-8555-000000000001"}}
		c.Security.IDAuth.AllowedConsumers = []string{"44444444-4444-4444-8444-000000000005"}
		return c
	}
	for name, c := range map[string]struct {
		mod    func(*waas.Config)
		fields []string
	}{
		"ok/one-ente":             {func(*waas.Config) {}, nil},
		"fail/shared-audience":    {func(c *waas.Config) { c.Security.Audience = "x" }, []string{"security.audience"}},
		"fail/shared-producer":    {func(c *waas.Config) { c.Security.IDAuth.ProducerID = "55555555-5555-4555-8555-000000000001" }, []string{"security.id_auth"}},
		"fail/integrity-for-inps": {func(c *waas.Config) { c.Security.Integrity.Pattern = "INTEGRITY_REST_02" }, []string{"security.integrity.pattern"}},
		"fail/audit-for-inps":     {func(c *waas.Config) { c.Security.Audit.Pattern = "AUDIT_REST_02" }, []string{"security.audit.pattern"}},
		"fail/x509":               {func(c *waas.Config) { c.Security.IDAuth.Trust = "x509"; c.Security.IDAuth.AllowedConsumers = nil }, []string{"security.id_auth.trust", "security.trust_store"}},
		"fail/no-enti":            {func(c *waas.Config) { c.Enti = nil }, []string{"enti"}},
		"fail/bad-mount":          {func(c *waas.Config) { c.Mount = "/WaaS/v1/" }, []string{"mount"}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := valid()
			c.mod(&cfg)
			ck := config.NewChecker()
			cfg.Check(ck, "https://gw.example", 1<<20)
			got := ck.Fields()
			if !slices.Equal(got, c.fields) {
				t.Fatalf("problems %v, want %v", ck.Problems(), c.fields)
			}
		})
	}
}
