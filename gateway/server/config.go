package server

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
)

// Config is the "listeners" section: the three listeners and how the gateway stops.
type Config struct {
	// EServices is the public listener where other administrations call WelfareGOV's e-services
	// through PDND (and PDND probes /status). Default address 127.0.0.1:8443, TLS mode dev.
	EServices Listener `yaml:"eservices"`
	// Internal is the listener WelfareGOV calls (ISEE, anagrafe, household lookups). Default
	// address 127.0.0.1:8080, TLS off; use TLS with client_auth: require for mTLS in production.
	Internal Listener `yaml:"internal"`
	// Admin is the operators' listener (/status, /livez, /readyz, later /metrics and controls).
	// Bind it to an internal address only. Default 127.0.0.1:9090, TLS off.
	Admin Listener `yaml:"admin"`
	// ShutdownGrace is how long a stopping gateway (SIGTERM, SIGINT) waits for requests in flight
	// to finish after it stops accepting new ones; then it cancels them and closes the stores.
	// Keep it below the orchestrator's kill timeout (Kubernetes: terminationGracePeriodSeconds,
	// 30s by default). Default 20s.
	ShutdownGrace config.Duration `yaml:"shutdown_grace"`
}

// Listener configures one HTTP listener.
type Listener struct {
	// Address is host:port to listen on. Port 0 picks a free port (tests). See Config for the
	// per-listener defaults.
	Address string `yaml:"address"`
	// TLS configures HTTPS and client certificates.
	TLS TLS `yaml:"tls"`
	// BodyLimit is the largest request body accepted; a larger one gets 413 payload-too-large.
	// Default 1MiB.
	BodyLimit config.Size `yaml:"body_limit"`
	// MaxHeaderSize is the largest request head (request line and headers) accepted; a larger one
	// gets 431. PDND vouchers and ModI headers with x5c chains are several kilobytes each.
	// Default 32KiB.
	MaxHeaderSize config.Size `yaml:"max_header_size"`
	// RequestTimeout bounds each request from routing to response: when it expires the handler's
	// context is cancelled and the caller gets 504 gateway-timeout. Default 30s.
	RequestTimeout config.Duration `yaml:"request_timeout"`
	// ReadTimeout bounds reading one request (head and body) from the connection. Default 15s.
	ReadTimeout config.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing one response. Default 30s.
	WriteTimeout config.Duration `yaml:"write_timeout"`
	// IdleTimeout closes a keep-alive connection idle for this long. Default 60s.
	IdleTimeout config.Duration `yaml:"idle_timeout"`
}

// TLS configures a listener's HTTPS.
type TLS struct {
	// Mode is off (plain HTTP), dev (a certificate for localhost generated at every start into
	// <run_dir>/dev-pki, trusted by nobody: point curl --cacert at its root.pem) or files
	// (cert_file and key_file). Default: dev on eservices, off on internal and admin.
	Mode string `yaml:"mode"`
	// CertFile is the PEM certificate chain (leaf first, then intermediates) for mode files.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key of the leaf, for mode files. Mount it from a secret store.
	KeyFile string `yaml:"key_file"`
	// ClientAuth asks callers for a certificate: none (default), optional (verified when sent) or
	// require (mutual TLS; the internal API authenticates WelfareGOV this way).
	ClientAuth string `yaml:"client_auth"`
	// ClientCAFile is the PEM file of the authorities client certificates must chain to; required
	// when client_auth is optional or require.
	ClientCAFile string `yaml:"client_ca_file"`
	// MinVersion is the lowest TLS version accepted: "1.2" (default, as AgID requires) or "1.3".
	MinVersion string `yaml:"min_version"`
}

// TLS modes.
const (
	TLSOff   = "off"
	TLSDev   = "dev"
	TLSFiles = "files"
)

// Listener names: the keys of the listeners section, used in logs and messages.
const (
	EServicesName = "eservices"
	InternalName  = "internal"
	AdminName     = "admin"
)

// Defaults of Listener fields (see their comments).
const (
	DefaultBodyLimit      = config.Size(1 << 20)
	DefaultMaxHeaderSize  = config.Size(32 << 10)
	DefaultRequestTimeout = 30 * time.Second
	DefaultReadTimeout    = 15 * time.Second
	DefaultWriteTimeout   = 30 * time.Second
	DefaultIdleTimeout    = 60 * time.Second
	DefaultShutdownGrace  = 20 * time.Second
)

// maxHeaderSize bounds max_header_size: fasthttp allocates a read buffer of that size per
// connection, so a huge value would let idle connections exhaust memory.
const maxHeaderSize = config.Size(1 << 20)

// named pairs a listener's config with its name, in serving order.
type named struct {
	name string
	cfg  Listener
}

func (c Config) listeners() []named {
	return []named{
		{EServicesName, c.EServices.withDefaults("127.0.0.1:8443", TLSDev)},
		{InternalName, c.Internal.withDefaults("127.0.0.1:8080", TLSOff)},
		{AdminName, c.Admin.withDefaults("127.0.0.1:9090", TLSOff)},
	}
}

func (c Config) shutdownGrace() time.Duration {
	if c.ShutdownGrace <= 0 {
		return DefaultShutdownGrace
	}
	return c.ShutdownGrace.D()
}

func (l Listener) withDefaults(address, tlsMode string) Listener {
	if l.Address == "" {
		l.Address = address
	}
	if l.TLS.Mode == "" {
		l.TLS.Mode = tlsMode
	}
	if l.BodyLimit <= 0 {
		l.BodyLimit = DefaultBodyLimit
	}
	if l.MaxHeaderSize <= 0 {
		l.MaxHeaderSize = DefaultMaxHeaderSize
	}
	setDefault(&l.RequestTimeout, DefaultRequestTimeout)
	setDefault(&l.ReadTimeout, DefaultReadTimeout)
	setDefault(&l.WriteTimeout, DefaultWriteTimeout)
	setDefault(&l.IdleTimeout, DefaultIdleTimeout)
	return l
}

func setDefault(d *config.Duration, def time.Duration) {
	if *d <= 0 {
		*d = config.Duration(def)
	}
}

// Check records every problem of the listeners section. It reads the TLS files it names (to catch
// a key that does not match its certificate before a start), but touches no network.
func (c *Config) Check(ck config.Checker) {
	seen := map[string]string{}
	for _, n := range c.listeners() {
		lk := ck.At(n.name)
		n.cfg.check(lk)
		if other, dup := seen[n.cfg.Address]; dup && !strings.HasSuffix(n.cfg.Address, ":0") {
			lk.Errorf("address", "%s is also listeners.%s.address", n.cfg.Address, other)
		}
		seen[n.cfg.Address] = n.name
	}
	if c.ShutdownGrace < 0 {
		ck.Errorf("shutdown_grace", "%s: must not be negative", c.ShutdownGrace)
	}
}

func (l Listener) check(ck config.Checker) {
	config.CheckAddress(ck, "address", l.Address, true)
	if l.MaxHeaderSize > maxHeaderSize {
		ck.Errorf("max_header_size", "%s is above the %s ceiling", l.MaxHeaderSize, maxHeaderSize)
	}
	l.TLS.check(ck.At("tls"))
}

func (t TLS) check(ck config.Checker) {
	config.OneOf(ck, "mode", t.Mode, TLSOff, TLSDev, TLSFiles)
	config.OneOf(ck, "client_auth", t.ClientAuth, "none", "optional", "require")
	config.OneOf(ck, "min_version", t.MinVersion, "1.2", "1.3")
	switch t.Mode {
	case TLSOff:
		for _, f := range [...]struct{ field, value string }{
			{"cert_file", t.CertFile}, {"key_file", t.KeyFile}, {"client_ca_file", t.ClientCAFile},
		} {
			if f.value != "" {
				ck.Errorf(f.field, "has no effect with mode off: set mode: files, or remove it")
			}
		}
		if t.clientAuth() != tls.NoClientCert {
			ck.Errorf("client_auth", "client certificates need TLS: set mode: files (or dev)")
		}
		return
	case TLSFiles:
		checkFile(ck, "cert_file", t.CertFile)
		checkFile(ck, "key_file", t.KeyFile)
		if fileExists(t.CertFile) && fileExists(t.KeyFile) {
			if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
				ck.Errorf("cert_file", "cannot use with key_file: %v", err)
			}
		}
	case TLSDev:
		if t.CertFile != "" || t.KeyFile != "" {
			ck.Errorf("mode", "dev generates its own certificate: remove cert_file/key_file or set mode: files")
		}
	}
	switch {
	case t.clientAuth() != tls.NoClientCert && t.ClientCAFile == "":
		ck.Errorf("client_ca_file", "required when client_auth is %s", t.ClientAuth)
	case t.clientAuth() == tls.NoClientCert && t.ClientCAFile != "":
		ck.Errorf("client_auth", "client_ca_file is set but client_auth is none: set optional or require")
	case t.ClientCAFile != "":
		checkFile(ck, "client_ca_file", t.ClientCAFile)
		if fileExists(t.ClientCAFile) {
			if _, err := loadPool(t.ClientCAFile); err != nil {
				ck.Errorf("client_ca_file", "%v", err)
			}
		}
	}
}

func checkFile(ck config.Checker, field, path string) {
	if path == "" {
		ck.Errorf(field, "required with mode files")
		return
	}
	if _, err := os.Stat(path); err != nil {
		ck.Errorf(field, "cannot read %q: %v", path, unwrapPathError(err))
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return path != "" && err == nil
}

func (t TLS) clientAuth() tls.ClientAuthType {
	switch t.ClientAuth {
	case "optional":
		return tls.VerifyClientCertIfGiven
	case "require":
		return tls.RequireAndVerifyClientCert
	}
	return tls.NoClientCert
}

func (t TLS) minVersion() uint16 {
	if t.MinVersion == "1.3" {
		return tls.VersionTLS13
	}
	return tls.VersionTLS12
}

func loadPool(path string) (*x509.CertPool, error) {
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, errNoCertificates
	}
	return pool, nil
}
