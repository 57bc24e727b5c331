package pdnd_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, i int) string {
		der, _ := x509.MarshalPKCS8PrivateKey(sectest.RSAKey(t, i))
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clientKey, apiKey, trentoKey := write("client.pem", 1), write("api.pem", 4), write("trento.pem", 5)
	doc := `
environment: uat
token_url: https://auth.uat.interop.pagopa.it/token.oauth2
client: {client_id: 66666666-6666-4666-8666-666666666666, key: {private_key: {file: ` + clientKey + `}}}
api_client: {client_id: 77777777-7777-4777-8777-777777777777, key: {private_key: {file: ` + apiKey + `}}}
tenant_api_clients:
  comune-trento: {client_id: 88888888-8888-4888-8888-888888888888, key: {private_key: {file: ` + trentoKey + `}}}
`
	var c pdnd.Config
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	ck := config.NewChecker()
	c.Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	env := c.Resolved()
	if env.Issuer != "uat.interop.pagopa.it" || env.AssertionAudience != "auth.uat.interop.pagopa.it/client-assertion" || env.APIURL != "https://api.uat.interop.pagopa.it/v2" {
		t.Fatalf("%+v", env)
	}
	for name, c := range map[string]struct {
		cfg    pdnd.Config
		fields []string
	}{
		"fail/unknown-environment": {pdnd.Config{Environment: "staging"}, []string{"pdnd.environment", "pdnd.issuer"}},
		"fail/nothing":             {pdnd.Config{}, []string{"pdnd.issuer", "pdnd.jwks_url", "pdnd.token_url"}},
		"fail/bad-url":             {pdnd.Config{Environment: "production", Endpoints: pdnd.Environment{JWKSURL: "interop.pagopa.it/jwks"}}, []string{"pdnd.jwks_url"}},
		"fail/refetch-too-often":   {pdnd.Config{Environment: "production", JWKSRefetchInterval: config.Duration(1e6)}, []string{"pdnd.jwks_refetch_interval"}},
		"fail/client-id":           {pdnd.Config{Environment: "production", Client: &pdnd.ClientConfig{ClientID: "abc", Key: keyCfg(clientKey)}}, []string{"pdnd.client.client_id"}},
		"fail/same-key":            {pdnd.Config{Environment: "production", Client: &pdnd.ClientConfig{ClientID: testClientID, Key: keyCfg(clientKey)}, APIClient: &pdnd.ClientConfig{ClientID: testAPIClient, Key: keyCfg(clientKey)}}, []string{"pdnd.api_client.key"}},
		"fail/dpop-same-key":       {pdnd.Config{Environment: "production", Client: &pdnd.ClientConfig{ClientID: testClientID, Key: keyCfg(clientKey), DPoPKey: ptr(keyCfg(clientKey))}}, []string{"pdnd.client.dpop_key"}},
		"fail/tenant-client-key-of-api-client": {pdnd.Config{Environment: "production", APIClient: &pdnd.ClientConfig{ClientID: testAPIClient, Key: keyCfg(apiKey)},
			TenantAPIClients: map[string]*pdnd.ClientConfig{"trento": {ClientID: tenantClientID, Key: keyCfg(apiKey)}}}, []string{"pdnd.tenant_api_clients.trento.key"}},
		"fail/tenant-client-id-of-api-client": {pdnd.Config{Environment: "production", APIClient: &pdnd.ClientConfig{ClientID: testAPIClient, Key: keyCfg(apiKey)},
			TenantAPIClients: map[string]*pdnd.ClientConfig{"trento": {ClientID: testAPIClient, Key: keyCfg(trentoKey)}}}, []string{"pdnd.tenant_api_clients.trento.client_id"}},
		"fail/tenant-client-named-api_client": {pdnd.Config{Environment: "production",
			TenantAPIClients: map[string]*pdnd.ClientConfig{"api_client": {ClientID: tenantClientID, Key: keyCfg(trentoKey)}}}, []string{"pdnd.tenant_api_clients.api_client"}},
		"fail/tenant-client-name": {pdnd.Config{Environment: "production",
			TenantAPIClients: map[string]*pdnd.ClientConfig{"Comune Trento": {ClientID: tenantClientID, Key: keyCfg(trentoKey)}}}, []string{"pdnd.tenant_api_clients.Comune Trento"}},
		"fail/tenant-client-empty": {pdnd.Config{Environment: "production", TenantAPIClients: map[string]*pdnd.ClientConfig{"trento": nil}}, []string{"pdnd.tenant_api_clients.trento"}},
		"fail/tenant-client-id": {pdnd.Config{Environment: "production",
			TenantAPIClients: map[string]*pdnd.ClientConfig{"trento": {ClientID: "trento", Key: keyCfg(trentoKey)}}}, []string{"pdnd.tenant_api_clients.trento.client_id"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			c.cfg.Check(ck.At("pdnd"))
			var inv *config.Invalid
			if err := ck.Err(); !errors.As(err, &inv) {
				t.Fatal("accepted")
			}
			for _, f := range c.fields {
				if !slices.Contains(inv.Fields(), f) {
					t.Errorf("fields %v, want %s", inv.Fields(), f)
				}
			}
		})
	}
}

// tenantClientID is the client id of another organisation's PDND-API client in the tests.
const tenantClientID = "88888888-8888-4888-8888-000000000009"

func keyCfg(file string) jose.KeyConfig { return jose.KeyConfig{PrivateKey: config.Secret{File: file}} }

func ptr[T any](v T) *T { return &v }
