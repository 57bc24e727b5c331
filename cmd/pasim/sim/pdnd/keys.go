package pdnd

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/welfaregov/gateway/gateway/jose"
)

// Key is one generated key of a simulated client or keychain.
type Key struct {
	// Name is the key's name in the seed.
	Name string `json:"name"`
	// Kid is the RFC 7638 thumbprint: the kid PDND assigns and the one tokens must carry.
	Kid string `json:"kid"`
	// PrivateKeyFile is the PKCS #8 PEM private key (mode 0600): jose.KeyConfig, `modi --key`.
	PrivateKeyFile string `json:"privateKeyFile"`
	// PublicJWKFile is the public JWK with its kid (what an integrator uploads to PDND).
	PublicJWKFile string `json:"publicJwkFile"`
	// Signer signs with the key, for in-process users (tests, the demo).
	Signer *jose.Signer `json:"-"`
}

// generateKeys makes an RSA-2048 key per name, in parallel (key generation dominates the
// simulator's start), and writes each to dir/<name>.key.pem (0600) and dir/<name>.jwk.json.
func generateKeys(dir string, names []string) (map[string]*Key, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pdnd: key directory: %w", err)
	}
	keys := make([]*Key, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { keys[i], errs[i] = generateKey(dir, name) })
	}
	wg.Wait()
	out := map[string]*Key{}
	for i, k := range keys {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[names[i]] = k
	}
	return out, nil
}

func generateKey(dir, name string) (*Key, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(priv)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	k := &Key{Name: name, Kid: signer.Kid(), Signer: signer,
		PrivateKeyFile: filepath.Join(dir, name+".key.pem"), PublicJWKFile: filepath.Join(dir, name+".jwk.json")}
	if err := writePrivate(k.PrivateKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}
	pub, err := jose.PublicJWK(signer.Public(), k.Kid)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(pub, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(k.PublicJWKFile, append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("pdnd: writing %s: %w", k.PublicJWKFile, err)
	}
	return k, nil
}

// writePrivate writes a private key readable by its owner only. The file is replaced (removed
// first), so an older file with looser permissions never keeps them.
func writePrivate(path string, data []byte) error {
	_ = os.Remove(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("pdnd: writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("pdnd: writing %s: %w", path, err)
	}
	return f.Close()
}
