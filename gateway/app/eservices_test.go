package app

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"testing"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
)

// TestEServicesConfigDependencies: publishing an e-service requires what it cannot work without,
// and each missing piece is named by its field.
func TestEServicesConfigDependencies(t *testing.T) {
	t.Setenv("WGW_TEST_BACKEND_KEY", "k")
	der, err := x509.MarshalPKCS8PrivateKey(sectest.RSAKey(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("WGW_TEST_API_KEY", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	der, err = x509.MarshalPKCS8PrivateKey(sectest.RSAKey(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("WGW_TEST_TENANT_KEY", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	const (
		pdndSection    = "pdnd: {environment: uat}\n"
		apiClient      = "pdnd: {environment: uat, api_client: {client_id: 77777777-7777-4777-8777-000000000004, key: {private_key: {env: WGW_TEST_API_KEY}}}}\n"
		backendSection = "backend: {url: http://127.0.0.1:7005, api_key: {env: WGW_TEST_BACKEND_KEY}}\n"
		auditSection   = "audit: {pseudonym_key_ephemeral: true}\n"
		purposes       = "    purposes: {66666666-6666-4666-8666-000000000001: [codicePrestazione]}\n"
		prestazioni    = "eservices:\n  public_base_url: https://api.example.it\n  prestazioni:\n    security: {audience: https://api.example.it/p/v1, id_auth: {producer_id: 11111111-1111-4111-8111-111111111111}}\n" + purposes
		// The Comune's PDND-API client, for the Comune's own tracing tenant (its SIUSS feed).
		tenantClient  = "pdnd: {environment: uat, tenant_api_clients: {comune: {client_id: 77777777-7777-4777-8777-000000000005, key: {private_key: {env: WGW_TEST_TENANT_KEY}}}}}\n"
		comuneTenant  = "tracing: {enabled: true, base_url: https://api.uat.tracing.interop.pagopa.it, tenants: [{id: 11111111-1111-4111-8111-111111111111, api_client: comune}]}\n"
		withIntegrity = "eservices:\n  public_base_url: https://api.example.it\n  prestazioni:\n    security: {audience: https://api.example.it/p/v1, integrity: {pattern: INTEGRITY_REST_02}}\n" + purposes
	)
	for name, c := range map[string]struct {
		yaml   string
		fields []string
	}{
		"ok/nothing-published": {"", nil},
		"ok/prestazioni":       {pdndSection + backendSection + auditSection + prestazioni, nil},
		"fail/alone":           {prestazioni, []string{"pdnd", "backend", "audit"}},
		"fail/key-lookups":     {pdndSection + backendSection + auditSection + withIntegrity, []string{"pdnd.api_client"}},
		"fail/tracing-tenant": {pdndSection + backendSection + auditSection + prestazioni +
			"tracing: {enabled: true, base_url: https://api.uat.tracing.interop.pagopa.it, tenants: [{id: 22222222-2222-4222-8222-222222222222, api_client: api_client}]}\n",
			[]string{"eservices.prestazioni.security.id_auth.producer_id", "pdnd.api_client"}},
		"fail/tracing-client-name": {apiClient + backendSection + auditSection + prestazioni +
			"tracing: {enabled: true, base_url: https://api.uat.tracing.interop.pagopa.it, tenants: [{id: 11111111-1111-4111-8111-111111111111, api_client: interop}]}\n",
			[]string{"tracing.tenants[0].api_client"}},
		// A tenant whose uploads another organisation's client authenticates needs no pdnd.api_client.
		"ok/tracing-tenant-client": {tenantClient + backendSection + auditSection + prestazioni + comuneTenant, nil},
		"fail/tracing-tenant-client-unknown": {pdndSection + backendSection + auditSection + prestazioni + comuneTenant,
			[]string{"tracing.tenants[0].api_client"}},
		"fail/job-key-with-redis": {"store: {backend: redis, redis: {url: redis://127.0.0.1:6379/15}}\ncache: {key: {env: WGW_TEST_API_KEY}}\n" + pdndSection + backendSection + auditSection +
			"eservices:\n  public_base_url: https://api.example.it\n  estrazione:\n    security: {audience: https://api.example.it/e/v1}\n" + purposes,
			[]string{"eservices.estrazione.encryption_key"}},
		"fail/siuss-modi": {pdndSection + backendSection + auditSection +
			"eservices:\n  public_base_url: https://api.example.it\n  siuss:\n    security: {integrity: {pattern: INTEGRITY_REST_02}}\n    enti: [{codice: L378, denominazione: TRENTO, cf_operatore: \"00355870221\", audience: a}]\n",
			[]string{"eservices.siuss.security.integrity.pattern"}},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeConfig(t, "listeners: {eservices: {address: \"127.0.0.1:0\"}}\n"+c.yaml)
			_, err := Load(path, nil)
			var got []string
			var inv *config.Invalid
			if errors.As(err, &inv) {
				got = inv.Fields()
			} else if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			want := slices.Clone(c.fields)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("problems %v, want %v", err, want)
			}
		})
	}
}
