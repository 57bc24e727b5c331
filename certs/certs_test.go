package certs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

func verify(t *testing.T, a *Authority, l *Leaf, at time.Time, usage ...x509.ExtKeyUsage) error {
	t.Helper()
	inter := x509.NewCertPool()
	for _, c := range l.Chain[1:] {
		inter.AddCert(c)
	}
	_, err := l.Cert.Verify(x509.VerifyOptions{Roots: a.Pool(), Intermediates: inter, CurrentTime: at, KeyUsages: usage})
	return err
}

func TestChains(t *testing.T) {
	root, err := NewRoot()
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.NewIntermediate()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue(WithCommonName("ente.example"), WithHosts("ente.example", "10.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ok/leaf via intermediate verifies against the root", func(t *testing.T) {
		if err := verify(t, root, leaf, time.Now()); err != nil {
			t.Fatal(err)
		}
		if len(leaf.Chain) != 2 || leaf.Chain[1] != inter.Cert {
			t.Fatalf("chain = %d certs, want leaf + intermediate", len(leaf.Chain))
		}
		if leaf.Cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			t.Fatal("leaf lacks DigitalSignature by default")
		}
		if len(leaf.Cert.IPAddresses) != 1 || leaf.Cert.DNSNames[0] != "ente.example" {
			t.Fatalf("SAN = %v %v", leaf.Cert.DNSNames, leaf.Cert.IPAddresses)
		}
	})
	t.Run("fail/expired leaf", func(t *testing.T) {
		old, err := inter.Issue(WithValidity(time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		var ce x509.CertificateInvalidError
		if err := verify(t, root, old, time.Now()); !errors.As(err, &ce) || ce.Reason != x509.Expired {
			t.Fatalf("want Expired, got %v", err)
		}
	})
	t.Run("fail/unknown root", func(t *testing.T) {
		other, err := NewRoot(WithKeyType(ECDSAP256))
		if err != nil {
			t.Fatal(err)
		}
		var ua x509.UnknownAuthorityError
		if err := verify(t, other, leaf, time.Now()); !errors.As(err, &ua) {
			t.Fatalf("want UnknownAuthorityError, got %v", err)
		}
	})
	t.Run("ok/key usage can be taken away", func(t *testing.T) {
		l, err := root.Issue(WithKeyUsage(x509.KeyUsageKeyEncipherment))
		if err != nil {
			t.Fatal(err)
		}
		if l.Cert.KeyUsage&x509.KeyUsageDigitalSignature != 0 {
			t.Fatal("DigitalSignature still set")
		}
	})
	t.Run("ok/x5c and x5t#S256 encodings", func(t *testing.T) {
		x5c := leaf.X5C()
		der, err := base64.StdEncoding.DecodeString(x5c[0])
		if err != nil || string(der) != string(leaf.Cert.Raw) {
			t.Fatalf("x5c[0] is not std base64 of the leaf DER: %v", err)
		}
		if got := leaf.X5TS256(); len(got) != 43 {
			t.Fatalf("x5t#S256 %q: want 43 base64url characters", got)
		}
	})
}

func TestWriteDevServerServesTLS(t *testing.T) {
	d, err := WriteDevServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(d.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	cert, err := tls.LoadX509KeyPair(d.CertFile, d.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	rootPEM, err := os.ReadFile(d.RootFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		t.Fatal("root.pem holds no certificate")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(srv.URL) // https://127.0.0.1:port: the IP SAN must match
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
}
