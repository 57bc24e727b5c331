package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/certs"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/internal/redistest"
)

// redisDB is this package's database on the shared Redis.
const redisDB = 1

// Two replicas share the cache through the real Redis: a lookup on A (a MISS that calls ANPR) is a
// HIT on B, which calls nobody; B's in-process tier then serves it too.
func TestTwoReplicasShareTheCache(t *testing.T) {
	w := newWorld(t)
	url, prefix := redistest.Shared(t, redisDB)
	keyFile := filepath.Join(w.dir, "cache.key")
	if err := os.WriteFile(keyFile, []byte("e2e-cache-key-0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	shared := "store: {backend: redis, redis: {url: \"" + url + "\", key_prefix: \"" + prefix + "\"}}\ncache: {key: {file: " + keyFile + "}}\n"
	a, b := w.start(t, shared), w.start(t, shared)
	who := withDSUAndICEF(t, w.pop)
	path := "/api/v1/soggetti/" + who.CodiceFiscale + "/famiglia?dataRiferimento=" + rif
	w.setFault(t, "anpr.c021", fault.Spec{})
	first := a.get(path)
	if first.status != 200 || provenienze(t, first)[1].Cache != contracts.CacheMiss {
		t.Fatalf("replica A: %d %s", first.status, first.body)
	}
	for i, g := range []*gateway{b, b, a} {
		ans := g.get(path)
		p := provenienze(t, ans)
		if ans.status != 200 || p[0].Cache != contracts.CacheHit || p[1].Cache != contracts.CacheHit ||
			p[1].IDOperazione != provenienze(t, first)[1].IDOperazione {
			t.Fatalf("lookup %d: %d %+v", i, ans.status, p)
		}
	}
	if n := w.calls(t, "anpr.c021"); n != 1 {
		t.Fatalf("ANPR C021 received %d calls for one question asked on two replicas", n)
	}
}

// Mutual TLS: with the internal listener requiring a client certificate, a certificate of the
// configured authority and subject authenticates without an API key; a certificate of the same
// authority with another subject is refused with 403; no certificate cannot connect at all.
func TestMutualTLS(t *testing.T) {
	w := newWorld(t)
	ca, err := certs.NewRoot(certs.WithCommonName("WelfareGOV test CA"))
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.Issue(certs.WithHosts("127.0.0.1", "localhost"))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := certs.KeyPEM(server.Key)
	write := func(name string, b []byte) string {
		p := filepath.Join(w.dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert, key, caFile := write("server.pem", certs.CertPEM(server.Chain...)), write("server.key", keyPEM), write("ca.pem", certs.CertPEM(ca.Root()))
	extra := "internal_api:\n  client_certificates: {subjects: [welfaregov-backend]}\n"
	env := []string{"WGW_LISTENERS__INTERNAL__TLS__MODE=files", "WGW_LISTENERS__INTERNAL__TLS__CERT_FILE=" + cert,
		"WGW_LISTENERS__INTERNAL__TLS__KEY_FILE=" + key, "WGW_LISTENERS__INTERNAL__TLS__CLIENT_AUTH=require",
		"WGW_LISTENERS__INTERNAL__TLS__CLIENT_CA_FILE=" + caFile}
	g := w.startWith(t, strings.Replace(base, "internal_api:\n  api_keys: [{name: welfaregov-test, key: {file: %KEYFILE%}}]\n", extra, 1), env...)
	client := func(cn string) *http.Client {
		tc := &tls.Config{RootCAs: x509.NewCertPool()}
		tc.RootCAs.AddCert(ca.Root())
		if cn != "" {
			leaf, err := ca.Issue(certs.WithCommonName(cn), certs.WithExtKeyUsage(x509.ExtKeyUsageClientAuth))
			if err != nil {
				t.Fatal(err)
			}
			tc.Certificates = []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key}}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	}
	who := withDSUAndICEF(t, w.pop)
	call := func(c *http.Client) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", g.url+"/api/v1/soggetti/"+who.CodiceFiscale+"/famiglia?dataRiferimento="+rif, nil)
		for k, v := range operator {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		checkContract(t, "GET", req.URL.Path, answer{status: resp.StatusCode, header: resp.Header, body: b})
		return resp, b, nil
	}
	if resp, b, err := call(client("welfaregov-backend")); err != nil || resp.StatusCode != 200 {
		t.Fatalf("allowed certificate: %v %v %s", resp, err, b)
	}
	if resp, b, err := call(client("someone-else")); err != nil || resp.StatusCode != 403 || !strings.Contains(string(b), "internal-api.certificate-not-allowed") {
		t.Fatalf("other subject: %v %v %s", resp, err, b)
	}
	if _, _, err := call(client("")); err == nil {
		t.Fatal("a client without a certificate connected to a listener that requires one")
	}
}
