package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/cmd/demo/democonfig"
	"github.com/welfaregov/gateway/gateway/jose"
)

// secretFileNames are the names of the files the demo and pasim write credentials to (and the
// committed demo values once were): none may be tracked, whatever it holds.
var secretFileNames = map[string]bool{
	democonfig.AdminTokenFile: true, democonfig.InternalAPIKeyFile: true, democonfig.BackendAPIKeyFile: true,
}

// secretFilePattern matches other paths that hold credentials: generated PDND keys (*.key.pem),
// private keys and keystores, and the demo-secrets directory that once held demo values.
var secretFilePattern = regexp.MustCompile(`(^|/)demo-secrets/|\.key\.pem$|\.(key|p12|pfx|jks)$`)

// jwkObject is a JSON object with a kty member: a JWK, private when it has a long "d".
var (
	jwkObject  = regexp.MustCompile(`\{[^{}]*"kty"\s*:[^{}]*\}`)
	jwkPrivate = regexp.MustCompile(`"d"\s*:\s*"[A-Za-z0-9_-]{32,}"`)
)

// secretFindings lists what, in the file at rel (slash-separated, from the repository root) with
// content b, looks like a committed secret: a credentials file name, a PEM private key (a block
// that decodes to key-sized DER: the type names quoted in code and tests are not keys), a private
// JWK, or a value of the shape the demo generates (democonfig.SecretPattern).
func secretFindings(rel string, b []byte) []string {
	var out []string
	if secretFileNames[path.Base(rel)] || secretFilePattern.MatchString(rel) {
		out = append(out, "a credentials file name")
	}
	for rest := b; ; {
		i := bytes.Index(rest, []byte("-----BEGIN "))
		if i < 0 {
			break
		}
		block, after := pem.Decode(rest[i:])
		if block == nil {
			rest = rest[i+len("-----BEGIN "):]
			continue
		}
		if strings.Contains(block.Type, "PRIVATE KEY") && len(block.Bytes) >= 64 {
			out = append(out, "a PEM "+block.Type)
		}
		rest = after
	}
	for _, obj := range jwkObject.FindAll(b, -1) {
		if jwkPrivate.Match(obj) {
			out = append(out, "a private JWK")
		}
	}
	if democonfig.SecretPattern.Match(b) {
		out = append(out, "a generated demo secret")
	}
	return out
}

// The scanner finds each kind of secret and leaves alone what only names one.
func TestSecretFindings(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	ecKey, _ := x509.MarshalECPrivateKey(key)
	jwk, err := jose.PublicJWK(key.Public(), "k1")
	if err != nil {
		t.Fatal(err)
	}
	public, err := json.Marshal(jwk)
	if err != nil {
		t.Fatal(err)
	}
	private := bytes.Replace(public, []byte(`"kty"`), []byte(`"d":"`+strings.Repeat("Ab_-", 11)+`","kty"`), 1)
	secrets, err := democonfig.NewSecrets(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		path    string
		content []byte
		want    string
	}{
		"fail/pem-key":          {"notes/handover.txt", append([]byte("the key:\n"), pemKey...), "a PEM PRIVATE KEY"},
		"fail/ec-key":           {"x.go", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecKey}), "a PEM EC PRIVATE KEY"},
		"fail/private-jwk":      {"keys/k.jwk.json", private, "a private JWK"},
		"fail/admin-token":      {"README.md", []byte("curl -H 'Authorization: Bearer " + secrets.AdminToken + "'"), "a generated demo secret"},
		"fail/api-key":          {"deploy/x.yaml", []byte("key: " + secrets.InternalAPIKey), "a generated demo secret"},
		"fail/demo-secrets-dir": {"deploy/config/demo-secrets/README.md", []byte("values"), "a credentials file name"},
		"fail/token-file":       {"deploy/config/admin-token", []byte("x"), "a credentials file name"},
		"fail/pasim-key-file":   {".run/pasim/pdnd/keys/comune-trento.key.pem", []byte("x"), "a credentials file name"},
		"ok/type-name-in-code":  {"gateway/jose/keys.go", []byte(`const pemType = "-----BEGIN PRIVATE KEY-----" // a type name, not a key`), ""},
		"ok/malformed-in-test":  {"gateway/jose/jose_test.go", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), ""},
		"ok/public-jwk":         {"keys/k.jwk.json", public, ""},
		"ok/elided-example":     {"README.md", []byte("-H 'Api-Key: wgwdemo_apikey_18b1e0708f1bca5c…'"), ""},
		"ok/sha256":             {"README.md", []byte("anchor: vm:3:37672278a50e1497ddd5554015171760b7e7f59ed05511bbdc873208a42b7ab6"), ""},
	} {
		t.Run(name, func(t *testing.T) {
			got := secretFindings(c.path, c.content)
			if c.want == "" && len(got) > 0 || c.want != "" && (len(got) != 1 || got[0] != c.want) {
				t.Fatalf("findings %v, want %q", got, c.want)
			}
		})
	}
}

// TestNoSecretsInTrackedFiles: no file git tracks holds a private key, a private JWK, a value of the
// demo's generated shape, or has the name of a credentials file. The demo's credentials are
// generated at every start into .run/ (never tracked), pasim's keys too.
func TestNoSecretsInTrackedFiles(t *testing.T) {
	root := filepath.Join("..", "..")
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	list, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files (the test reads the files git tracks): %v", err)
	}
	files := strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00")
	if len(files) < 100 {
		t.Fatalf("git ls-files lists %d files: not the repository", len(files))
	}
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range secretFindings(rel, b) {
			t.Errorf("%s: %s is tracked; credentials are generated at run time, never committed", rel, f)
		}
	}
}
