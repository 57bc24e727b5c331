package modi_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/welfaregov/gateway/certs"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/modi"
)

func TestPolicyFromYAML(t *testing.T) {
	root, err := certs.NewRoot(certs.WithKeyType(certs.ECDSAP256))
	if err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(trust, certs.CertPEM(root.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := `
audience: https://api.welfaregov.it/rest/siuss/v1
clock_skew: 10s
trust_store: ` + trust + `
id_auth: {pattern: ID_AUTH_REST_01, trust: pdnd, dpop: required, eservice_id: 22222222-2222-4222-8222-222222222222}
integrity: {pattern: INTEGRITY_REST_01, bodiless: required, check_client: false, max_age: 2m}
audit: {pattern: AUDIT_REST_02, required_claims: [userID, userLocation, LoA]}
`
	var p modi.Policy
	if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	ck := config.NewChecker()
	p.Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Compile("siuss"); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyCheck(t *testing.T) {
	base := func() modi.Policy { return modi.Policy{Audience: "https://a/v1"} }
	for name, c := range map[string]struct {
		mutate func(*modi.Policy)
		fields []string
	}{
		"fail/no-audience":       {func(p *modi.Policy) { p.Audience = "" }, []string{"audience"}},
		"fail/unknown-pattern":   {func(p *modi.Policy) { p.Integrity.Pattern = "INTEGRITY_REST_03" }, []string{"integrity.pattern"}},
		"fail/lowercase-pattern": {func(p *modi.Policy) { p.Audit.Pattern = "audit_rest_02" }, []string{"audit.pattern"}},
		"fail/unknown-trust":     {func(p *modi.Policy) { p.IDAuth.Trust = "mtls" }, []string{"id_auth.trust"}},
		"fail/dpop-value":        {func(p *modi.Policy) { p.IDAuth.DPoP = "yes" }, []string{"id_auth.dpop"}},
		"fail/bodiless-value":    {func(p *modi.Policy) { p.Integrity.Bodiless = "never" }, []string{"integrity.bodiless"}},
		"fail/skew-too-large":    {func(p *modi.Policy) { p.ClockSkew = config.Duration(3600e9) }, []string{"clock_skew"}},
		"fail/audit02-with-x509": {func(p *modi.Policy) {
			p.IDAuth.Trust = "x509"
			p.TrustStore = "/nonexistent"
			p.Audit.Pattern = modi.AuditREST02
		}, []string{"audit.pattern", "trust_store"}},
		"fail/integrity02-with-x509": {func(p *modi.Policy) { p.IDAuth.Trust = "x509"; p.Integrity.Pattern = modi.IntegrityREST02 }, []string{"integrity.pattern", "trust_store"}},
		"fail/x509-without-roots":    {func(p *modi.Policy) { p.Integrity.Pattern = modi.IntegrityREST01 }, []string{"trust_store"}},
		"fail/pdnd-ids-with-x509":    {func(p *modi.Policy) { p.IDAuth.Trust = "x509"; p.TrustStore = "x"; p.IDAuth.EServiceID = "e" }, []string{"id_auth", "trust_store"}},
		"fail/registered-audit-claim": {func(p *modi.Policy) {
			p.Audit.Pattern = modi.AuditREST01
			p.Audit.RequiredClaims = []string{"userID", "exp"}
		}, []string{"audit.required_claims[1]"}},
		"fail/negative-max-age": {func(p *modi.Policy) { p.Integrity.MaxAge = config.Duration(-1) }, []string{"integrity.max_age"}},
	} {
		t.Run(name, func(t *testing.T) {
			p := base()
			c.mutate(&p)
			ck := config.NewChecker()
			p.Check(ck.At("security"))
			var inv *config.Invalid
			if err := ck.Err(); !errors.As(err, &inv) {
				t.Fatalf("accepted")
			}
			got := inv.Fields()
			for _, f := range c.fields {
				if !slices.Contains(got, "security."+f) {
					t.Errorf("fields %v, want security.%s", got, f)
				}
			}
			if _, err := p.Compile("x"); err == nil {
				t.Fatal("Compile accepted an invalid policy")
			}
		})
	}
}
