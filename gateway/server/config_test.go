package server

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/certs"
	"github.com/welfaregov/gateway/gateway/config"
)

// pki writes a server certificate, its key, a second unrelated key and a client CA into a temp
// dir, and returns the paths plus the CA to issue client certificates from.
type pki struct {
	cert, key, otherKey, clientCA, junk string
	ca                                  *certs.Authority
	serverRoot                          *x509.CertPool
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	root, err := certs.NewRoot(certs.WithKeyType(certs.ECDSAP256))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := root.Issue(certs.WithKeyType(certs.ECDSAP256), certs.WithHosts("127.0.0.1"), certs.WithExtKeyUsage(x509.ExtKeyUsageServerAuth))
	if err != nil {
		t.Fatal(err)
	}
	other, err := root.Issue(certs.WithKeyType(certs.ECDSAP256))
	if err != nil {
		t.Fatal(err)
	}
	clientCA, err := certs.NewRoot(certs.WithKeyType(certs.ECDSAP256), certs.WithCommonName("WelfareGOV client CA"))
	if err != nil {
		t.Fatal(err)
	}
	p := pki{
		cert: filepath.Join(dir, "server.pem"), key: filepath.Join(dir, "server-key.pem"),
		otherKey: filepath.Join(dir, "other-key.pem"), clientCA: filepath.Join(dir, "client-ca.pem"),
		junk: filepath.Join(dir, "junk.pem"), ca: clientCA, serverRoot: root.Pool(),
	}
	keyPEM, _ := certs.KeyPEM(leaf.Key)
	otherPEM, _ := certs.KeyPEM(other.Key)
	for path, data := range map[string][]byte{
		p.cert: certs.CertPEM(leaf.Chain...), p.key: keyPEM, p.otherKey: otherPEM,
		p.clientCA: certs.CertPEM(clientCA.Cert), p.junk: []byte("not a certificate\n"),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestConfigCheck(t *testing.T) {
	p := newPKI(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	type problem struct{ field, contains string }
	cases := map[string]struct {
		edit func(*Config)
		want []problem
	}{
		"ok/defaults": {func(c *Config) {}, nil},
		"ok/files-with-mtls": {func(c *Config) {
			c.Internal.TLS = TLS{Mode: TLSFiles, CertFile: p.cert, KeyFile: p.key, ClientAuth: "require", ClientCAFile: p.clientCA, MinVersion: "1.3"}
		}, nil},
		"ok/dev-with-optional-client-cert": {func(c *Config) {
			c.EServices.TLS = TLS{ClientAuth: "optional", ClientCAFile: p.clientCA}
		}, nil},
		"fail/address": {func(c *Config) { c.Admin.Address = "localhost" }, []problem{{"admin.address", "not host:port"}}},
		"fail/port":    {func(c *Config) { c.Admin.Address = "127.0.0.1:70000" }, []problem{{"admin.address", "out of range"}}},
		"fail/duplicate-address": {func(c *Config) { c.Admin.Address = "127.0.0.1:8080" },
			[]problem{{"admin.address", "127.0.0.1:8080 is also listeners.internal.address"}}},
		"fail/mode": {func(c *Config) { c.Admin.TLS.Mode = "on" }, []problem{{"admin.tls.mode", `"on" is not one of off, dev, files`}}},
		"fail/client-auth-value": {func(c *Config) { c.EServices.TLS.ClientAuth = "required" },
			[]problem{{"eservices.tls.client_auth", `did you mean "require"?`}}},
		"fail/min-version": {func(c *Config) { c.EServices.TLS.MinVersion = "1.0" }, []problem{{"eservices.tls.min_version", "not one of"}}},
		"fail/files-without-files": {func(c *Config) { c.Internal.TLS.Mode = TLSFiles },
			[]problem{{"internal.tls.cert_file", "required with mode files"}, {"internal.tls.key_file", "required with mode files"}}},
		"fail/missing-files": {func(c *Config) { c.Internal.TLS = TLS{Mode: TLSFiles, CertFile: missing, KeyFile: missing} },
			[]problem{{"internal.tls.cert_file", "no such file"}, {"internal.tls.key_file", "no such file"}}},
		"fail/key-does-not-match": {func(c *Config) { c.Internal.TLS = TLS{Mode: TLSFiles, CertFile: p.cert, KeyFile: p.otherKey} },
			[]problem{{"internal.tls.cert_file", "cannot use with key_file"}}},
		"fail/client-auth-without-ca": {func(c *Config) { c.EServices.TLS.ClientAuth = "require" },
			[]problem{{"eservices.tls.client_ca_file", "required when client_auth is require"}}},
		"fail/ca-without-client-auth": {func(c *Config) { c.EServices.TLS.ClientCAFile = p.clientCA },
			[]problem{{"eservices.tls.client_auth", "client_ca_file is set but client_auth is none"}}},
		"fail/ca-not-pem": {func(c *Config) { c.EServices.TLS = TLS{ClientAuth: "require", ClientCAFile: p.junk} },
			[]problem{{"eservices.tls.client_ca_file", "no PEM certificate"}}},
		"fail/files-with-mode-off": {func(c *Config) { c.Admin.TLS = TLS{Mode: TLSOff, CertFile: p.cert} },
			[]problem{{"admin.tls.cert_file", "has no effect with mode off"}}},
		"fail/client-auth-with-mode-off": {func(c *Config) { c.Admin.TLS = TLS{ClientAuth: "require"} },
			[]problem{{"admin.tls.client_auth", "client certificates need TLS"}}},
		"fail/dev-with-files": {func(c *Config) { c.EServices.TLS.CertFile = p.cert },
			[]problem{{"eservices.tls.mode", "dev generates its own certificate"}}},
		"fail/header-size":    {func(c *Config) { c.Admin.MaxHeaderSize = 2 << 20 }, []problem{{"admin.max_header_size", "above the 1MiB ceiling"}}},
		"fail/negative-grace": {func(c *Config) { c.ShutdownGrace = config.Duration(-time.Second) }, []problem{{"shutdown_grace", "negative"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var c Config
			tc.edit(&c)
			ck := config.NewChecker()
			c.Check(ck)
			got := ck.Problems()
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", ck.Err(), tc.want)
			}
			for i, w := range tc.want {
				if got[i].Field != w.field || !strings.Contains(got[i].Message, w.contains) {
					t.Errorf("got %s: %s; want %s with %q", got[i].Field, got[i].Message, w.field, w.contains)
				}
			}
		})
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	cfg := testConfig()
	cfg.Internal.TLS = TLS{Mode: TLSFiles, CertFile: p.cert, KeyFile: p.key, ClientAuth: "require", ClientCAFile: p.clientCA}
	r := start(t, cfg, nil)
	url := r.urls[InternalName] + "/status"
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("url %s", url)
	}
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: p.serverRoot, Certificates: certs},
		}}
	}
	if resp, err := client().Get(url); err == nil {
		resp.Body.Close()
		t.Fatal("a client without a certificate was served")
	}
	stranger, err := mustRoot(t).Issue(certsClient()...)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := client(tlsCert(stranger)).Get(url); err == nil {
		resp.Body.Close()
		t.Fatal("a client certificate from an unknown authority was accepted")
	}
	welfaregov, err := p.ca.Issue(certsClient()...)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client(tlsCert(welfaregov)).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func certsClient() []certs.Option {
	return []certs.Option{certs.WithKeyType(certs.ECDSAP256), certs.WithCommonName("welfaregov-backend"),
		certs.WithExtKeyUsage(x509.ExtKeyUsageClientAuth)}
}

func mustRoot(t *testing.T) *certs.Authority {
	t.Helper()
	r, err := certs.NewRoot(certs.WithKeyType(certs.ECDSAP256))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func tlsCert(l *certs.Leaf) tls.Certificate {
	chain := make([][]byte, len(l.Chain))
	for i, c := range l.Chain {
		chain[i] = c.Raw
	}
	return tls.Certificate{Certificate: chain, PrivateKey: l.Key, Leaf: l.Cert}
}
