package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/welfaregov/gateway/gateway/jose"
)

func runKeygen(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("keygen", "--out DIR [--name NAME] [--force]", stderr)
	out := fs.String("out", "", "directory to write NAME.key.pem (private, mode 0600) and NAME.jwk.json (public JWK to upload to PDND)")
	name := fs.String("name", "modi", "base name of the two files")
	force := fs.Bool("force", false, "replace existing files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if !namePattern(*name) {
		return usagef("--name %q must be letters, digits, '-', '_' or '.'", *name)
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	keyFile, jwkFile := filepath.Join(*out, *name+".key.pem"), filepath.Join(*out, *name+".jwk.json")
	if !*force {
		for _, f := range []string{keyFile, jwkFile} {
			if _, err := os.Stat(f); err == nil {
				return fmt.Errorf("%s exists; use --force to replace it", f)
			}
		}
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	kid, err := jose.Thumbprint(priv.Public())
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	_ = os.Remove(keyFile)
	f, err := os.OpenFile(keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := errors.Join(werr, f.Close()); err != nil {
		return err
	}
	pub, err := jose.PublicJWK(priv.Public(), kid)
	if err != nil {
		return err
	}
	_ = pub.Set("use", "sig")
	_ = pub.Set("alg", jose.RS256)
	b, err := json.MarshalIndent(pub, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(jwkFile, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kid %s\nprivate key %s (mode 0600: keep it secret)\npublic JWK  %s (upload it to your PDND client; PDND shows the same kid)\n", kid, keyFile, jwkFile)
	return nil
}

func namePattern(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}
