package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"

	"github.com/welfaregov/gateway/certs"
)

var errNoCertificates = errors.New("no PEM certificate found")

// serverConfig builds the listener's tls.Config, or nil for mode off. dev is this run's
// development material (nil unless a listener uses mode dev).
func (t TLS) serverConfig(dev *certs.DevServer) (*tls.Config, error) {
	if t.Mode == TLSOff {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion: t.minVersion(),
		ClientAuth: t.clientAuth(),
		NextProtos: []string{"http/1.1"}, // fasthttp speaks HTTP/1.1 only
	}
	switch t.Mode {
	case TLSDev:
		chain := make([][]byte, len(dev.Leaf.Chain))
		for i, c := range dev.Leaf.Chain {
			chain[i] = c.Raw
		}
		cfg.Certificates = []tls.Certificate{{Certificate: chain, PrivateKey: dev.Leaf.Key, Leaf: dev.Leaf.Cert}}
	case TLSFiles:
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if t.ClientCAFile != "" {
		pool, err := loadPool(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.client_ca_file %q: %w", t.ClientCAFile, err)
		}
		cfg.ClientCAs = pool
	}
	return cfg, nil
}

// writeDevPKI generates the development certificate when a listener uses mode dev. Its names
// cover localhost and every host a dev listener binds (a wildcard bind is reached as localhost).
func writeDevPKI(runDir string, ls []named) (*certs.DevServer, error) {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	need := false
	for _, n := range ls {
		if n.cfg.TLS.Mode != TLSDev {
			continue
		}
		need = true
		host, _, err := net.SplitHostPort(n.cfg.Address)
		if err != nil || host == "" {
			continue
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			continue
		}
		if !slices.Contains(hosts, host) {
			hosts = append(hosts, host)
		}
	}
	if !need {
		return nil, nil
	}
	dev, err := certs.WriteDevServer(filepath.Join(runDir, "dev-pki"), hosts...)
	if err != nil {
		return nil, fmt.Errorf("server: generating the development certificate: %w", err)
	}
	return dev, nil
}
