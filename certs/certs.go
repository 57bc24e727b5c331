// Package certs generates X.509 material at run time: the development certificate of the e-service
// listener in demo mode, and the certificate chains tests need (ModI x5c tokens, mTLS, chains that
// must fail: expired, wrong key usage, unknown root). Nothing it makes is ever written to the
// repository; private keys live in memory or in a temporary directory of the running process.
//
// It follows smallstep's minica: a root, optional intermediates, leaves, each shaped by options.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// KeyType selects the key algorithm of a generated certificate.
type KeyType int

const (
	// RSA2048 is the default: PDND and ModI tokens are RS256 with RSA keys of at least 2048 bits.
	RSA2048 KeyType = iota
	// ECDSAP256 is faster to generate; fine for TLS server certificates.
	ECDSAP256
)

// options shape one certificate. The zero value of each field means the documented default.
type options struct {
	commonName  string
	org         string
	dnsNames    []string
	ips         []net.IP
	notBefore   time.Time
	notAfter    time.Time
	keyType     KeyType
	keyUsage    x509.KeyUsage
	keyUsageSet bool
	extKeyUsage []x509.ExtKeyUsage
	now         func() time.Time
}

// Option changes how a certificate is made.
type Option func(*options)

// WithCommonName sets the subject CN.
func WithCommonName(cn string) Option { return func(o *options) { o.commonName = cn } }

// WithOrganization sets the subject O.
func WithOrganization(org string) Option { return func(o *options) { o.org = org } }

// WithHosts adds DNS names and IP addresses (parsed from the strings) to a leaf's SAN.
func WithHosts(hosts ...string) Option {
	return func(o *options) {
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				o.ips = append(o.ips, ip)
			} else {
				o.dnsNames = append(o.dnsNames, h)
			}
		}
	}
}

// WithValidity sets the validity window. Default: from one hour ago to 24 hours from now for
// leaves, ten years for authorities.
func WithValidity(notBefore, notAfter time.Time) Option {
	return func(o *options) { o.notBefore, o.notAfter = notBefore, notAfter }
}

// WithKeyType selects the key algorithm (default RSA2048).
func WithKeyType(k KeyType) Option { return func(o *options) { o.keyType = k } }

// WithKeyUsage replaces the key usage. Leaves default to DigitalSignature (plus KeyEncipherment
// for RSA), authorities to CertSign|CRLSign. Tests use it to make a leaf without DigitalSignature,
// which ModI verification must reject.
func WithKeyUsage(ku x509.KeyUsage) Option {
	return func(o *options) { o.keyUsage, o.keyUsageSet = ku, true }
}

// WithExtKeyUsage replaces the extended key usage of a leaf (default: server and client auth).
func WithExtKeyUsage(eku ...x509.ExtKeyUsage) Option {
	return func(o *options) { o.extKeyUsage = eku }
}

func build(isCA bool, opts []Option) *options {
	o := &options{now: time.Now}
	for _, opt := range opts {
		opt(o)
	}
	now := o.now()
	if o.notBefore.IsZero() {
		o.notBefore = now.Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		if isCA {
			o.notAfter = now.AddDate(10, 0, 0)
		} else {
			o.notAfter = now.Add(24 * time.Hour)
		}
	}
	if !o.keyUsageSet {
		switch {
		case isCA:
			o.keyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		case o.keyType == RSA2048:
			o.keyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		default:
			o.keyUsage = x509.KeyUsageDigitalSignature
		}
	}
	if !isCA && o.extKeyUsage == nil {
		o.extKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	return o
}

func newKey(k KeyType) (crypto.Signer, error) {
	switch k {
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("certs: unknown key type %d", k)
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// Authority is a certificate authority (a root or an intermediate) that can issue certificates.
type Authority struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Chain is this authority's certificate followed by its issuers up to (excluding) the root.
	// For a root it is empty.
	Chain []*x509.Certificate
	root  *x509.Certificate
}

// NewRoot makes a self-signed root authority.
func NewRoot(opts ...Option) (*Authority, error) {
	o := build(true, opts)
	if o.commonName == "" {
		o.commonName = "WelfareGOV gateway development root"
	}
	key, err := newKey(o.keyType)
	if err != nil {
		return nil, err
	}
	tmpl, err := template(o, true)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("certs: creating root: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parsing root: %w", err)
	}
	return &Authority{Cert: cert, Key: key, root: cert}, nil
}

// NewIntermediate issues an intermediate authority under a.
func (a *Authority) NewIntermediate(opts ...Option) (*Authority, error) {
	o := build(true, opts)
	if o.commonName == "" {
		o.commonName = "WelfareGOV gateway development intermediate"
	}
	cert, key, err := a.issue(o, true)
	if err != nil {
		return nil, err
	}
	chain := append([]*x509.Certificate{cert}, a.Chain...)
	return &Authority{Cert: cert, Key: key, Chain: chain, root: a.root}, nil
}

// Root is the self-signed certificate at the top of a's chain.
func (a *Authority) Root() *x509.Certificate { return a.root }

// Pool returns a pool holding only the root, for x509.VerifyOptions.Roots or tls.Config.
func (a *Authority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.root)
	return p
}

// Leaf is an end-entity certificate with its key and the chain that links it to the root.
type Leaf struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Chain is the leaf followed by its intermediates (not the root): what a TLS server sends and
	// what a JOSE "x5c" header carries.
	Chain []*x509.Certificate
}

// Issue makes a leaf certificate signed by a.
func (a *Authority) Issue(opts ...Option) (*Leaf, error) {
	o := build(false, opts)
	if o.commonName == "" {
		o.commonName = "localhost"
	}
	cert, key, err := a.issue(o, false)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: cert, Key: key, Chain: append([]*x509.Certificate{cert}, a.Chain...)}, nil
}

func (a *Authority) issue(o *options, isCA bool) (*x509.Certificate, crypto.Signer, error) {
	key, err := newKey(o.keyType)
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := template(o, isCA)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, key.Public(), a.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: issuing %q: %w", o.commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: parsing %q: %w", o.commonName, err)
	}
	return cert, key, nil
}

func template(o *options, isCA bool) (*x509.Certificate, error) {
	sn, err := serial()
	if err != nil {
		return nil, fmt.Errorf("certs: serial number: %w", err)
	}
	subject := pkix.Name{CommonName: o.commonName}
	if o.org != "" {
		subject.Organization = []string{o.org}
	}
	t := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               subject,
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		KeyUsage:              o.keyUsage,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if !isCA {
		t.DNSNames, t.IPAddresses, t.ExtKeyUsage = o.dnsNames, o.ips, o.extKeyUsage
	}
	return t, nil
}

// X5C returns the chain as a JOSE "x5c" header value: standard (not URL) base64 of each DER
// certificate, leaf first (RFC 7515 §4.1.6).
func (l *Leaf) X5C() []string {
	out := make([]string, len(l.Chain))
	for i, c := range l.Chain {
		out[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	return out
}

// X5TS256 returns the JOSE "x5t#S256" thumbprint: base64url without padding of SHA-256 of the
// leaf's DER (RFC 7515 §4.1.8).
func (l *Leaf) X5TS256() string {
	sum := sha256.Sum256(l.Cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CertPEM encodes certificates as concatenated PEM blocks.
func CertPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// KeyPEM encodes a private key as PKCS #8 PEM.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("certs: encoding key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// DevServer is the demo's TLS material: a fresh root and a server leaf for the given hosts,
// written to dir (created with mode 0700) as root.pem, server.pem (leaf + chain) and server-key.pem
// (mode 0600), so curl can be pointed at root.pem. Returns the file paths.
type DevServer struct {
	Dir      string
	RootFile string
	CertFile string
	KeyFile  string
	Root     *Authority
	Leaf     *Leaf
}

// WriteDevServer generates and writes the demo TLS material. hosts defaults to localhost and
// 127.0.0.1.
func WriteDevServer(dir string, hosts ...string) (*DevServer, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	root, err := NewRoot(WithKeyType(ECDSAP256))
	if err != nil {
		return nil, err
	}
	leaf, err := root.Issue(WithKeyType(ECDSAP256), WithCommonName(hosts[0]), WithHosts(hosts...),
		WithExtKeyUsage(x509.ExtKeyUsageServerAuth))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	keyPEM, err := KeyPEM(leaf.Key)
	if err != nil {
		return nil, err
	}
	d := &DevServer{
		Dir:      dir,
		RootFile: filepath.Join(dir, "root.pem"),
		CertFile: filepath.Join(dir, "server.pem"),
		KeyFile:  filepath.Join(dir, "server-key.pem"),
		Root:     root,
		Leaf:     leaf,
	}
	err = errors.Join(
		os.WriteFile(d.RootFile, CertPEM(root.Cert), 0o644),
		os.WriteFile(d.CertFile, CertPEM(leaf.Chain...), 0o644),
		os.WriteFile(d.KeyFile, keyPEM, 0o600),
	)
	if err != nil {
		return nil, fmt.Errorf("certs: writing dev material: %w", err)
	}
	return d, nil
}
