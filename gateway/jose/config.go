package jose

import (
	"crypto"
	"fmt"

	"github.com/welfaregov/gateway/gateway/config"
)

// KeyConfig is the configuration of one signing key:
//
//	signing_key:
//	  private_key: {file: /run/secrets/pdnd-client.key}   # PEM, PKCS #1 or PKCS #8, never inline
//	  kid: ""                                             # default: RFC 7638 thumbprint (PDND's kid)
//	  certificates: {file: /etc/gateway/modi-chain.pem}   # only for X.509 ModI patterns (x5c)
type KeyConfig struct {
	// PrivateKey holds the PEM private key: RSA of 2048 bits or more (PDND keys), or EC P-256
	// (X.509 ModI patterns only). Required.
	PrivateKey config.Secret `yaml:"private_key"`
	// Kid overrides the key id put in tokens. Default: the RFC 7638 thumbprint of the public key,
	// which is the kid PDND shows for an uploaded key. Set it only for keys uploaded before PDND
	// switched to thumbprint kids.
	Kid string `yaml:"kid"`
	// Certificates holds the PEM certificate chain (leaf first) sent in x5c. Needed only for
	// INTEGRITY_REST_01, ID_AUTH_REST_01/02 and AUDIT_REST_01 with X.509 trust.
	Certificates config.Secret `yaml:"certificates"`
}

// Check records configuration problems. It reads the secret files (without network) so that a key
// that cannot be loaded stops the start-up with the field named.
func (c *KeyConfig) Check(ck config.Checker) {
	c.PrivateKey.Check(ck, "private_key", true)
	c.Certificates.Check(ck, "certificates", false)
	if c.Kid != "" && !ValidKid(c.Kid) {
		ck.Errorf("kid", "%q has characters PDND does not use in key ids (allowed: letters, digits, - and _)", c.Kid)
	}
	if len(ck.Problems()) > 0 {
		return
	}
	if _, err := c.Load(); err != nil {
		ck.Errorf("", "%v", err)
	}
}

// Load reads the key (and chain) and returns a Signer. A later Load of the same files after the
// operator replaced them, followed by Signer.Rotate, rotates without a restart.
func (c *KeyConfig) Load() (*Signer, error) {
	key, opts, err := c.read()
	if err != nil {
		return nil, err
	}
	return NewSigner(key, opts...)
}

// Reload reads the key files again and rotates s to them.
func (c *KeyConfig) Reload(s *Signer) error {
	key, opts, err := c.read()
	if err != nil {
		return err
	}
	return s.Rotate(key, opts...)
}

func (c *KeyConfig) read() (key crypto.Signer, opts []Option, err error) {
	pemKey, err := c.PrivateKey.Value()
	if err != nil {
		return nil, nil, err
	}
	if key, err = ParsePrivateKey(pemKey); err != nil {
		return nil, nil, fmt.Errorf("private_key: %w", err)
	}
	if c.Kid != "" {
		opts = append(opts, WithKid(c.Kid))
	}
	if c.Certificates.IsSet() {
		pemChain, err := c.Certificates.Value()
		if err != nil {
			return nil, nil, err
		}
		chain, err := ParseCertificates(pemChain)
		if err != nil {
			return nil, nil, fmt.Errorf("certificates: %w", err)
		}
		opts = append(opts, WithCertificates(chain))
	}
	return key, opts, nil
}
