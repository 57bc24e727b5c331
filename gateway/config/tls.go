package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// ClientTLS secures the gateway's connections to a server it calls (Redis, an upstream
// e-service). The owning section decides whether TLS is implied (a rediss:// or https:// URL).
type ClientTLS struct {
	// Enabled turns TLS on. Default off, unless the section's URL implies it.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the CAs that sign the server certificate. Default: the system's
	// roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and its key, for servers that require
	// client authentication. Both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name expected in the server certificate. Default: the host being dialled.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts ANY server certificate.
	//
	// !!! DANGER !!! With it, anyone who can intercept the connection can impersonate the server:
	// read what the gateway sends (personal data, credentials) and forge the answers. It exists only
	// for a throwaway test environment with a self-signed certificate; give ca_file instead. Never
	// set it in production.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Check records every problem with its field (relative to ck). implied says the section's URL
// turns TLS on by itself; settings given while TLS is off are a mistake. It reads the files named
// but never touches the network.
func (t *ClientTLS) Check(ck Checker, implied bool) {
	if !t.Enabled && !implied {
		if *t != (ClientTLS{}) {
			ck.Errorf("enabled", "TLS settings given but TLS is off: set enabled: true (or use a URL whose scheme implies TLS)")
		}
		return
	}
	if t.CAFile != "" {
		if _, err := loadCAPool(t.CAFile); err != nil {
			ck.Errorf("ca_file", "%v", err)
		}
	}
	switch {
	case (t.CertFile == "") != (t.KeyFile == ""):
		ck.Errorf("cert_file", "give both cert_file and key_file, or neither")
	case t.CertFile != "":
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			ck.Errorf("cert_file", "cannot load the client certificate and key: %v", err)
		}
	}
}

// Config builds the TLS client configuration the section describes (TLS 1.2 at least).
func (t *ClientTLS) Config() (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: t.ServerName,
		// Only for throwaway test environments; see ClientTLS.InsecureSkipVerify.
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // operator opt-in, documented as dangerous
	}
	if t.CAFile != "" {
		pool, err := loadCAPool(t.CAFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("config: tls client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// loadCAPool reads a PEM bundle that must hold at least one certificate.
func loadCAPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
