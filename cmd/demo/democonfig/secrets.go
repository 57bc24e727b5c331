package democonfig

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Secrets are the demo's credentials: new random values at every start, each in its own file (mode
// 0600) in Dir, so that nothing secret, not even a demo value, is ever in the repository. The
// gateway reads them from their files ({file: ...} in the composed configuration); pasim's backend
// gets BackendAPIKey through sim.Options.
type Secrets struct {
	// Dir holds the files (absolute).
	Dir string
	// AdminToken is the bearer token of the admin listener's controls and queues.
	AdminToken string
	// InternalAPIKey is the Api-Key WelfareGOV sends to the internal API.
	InternalAPIKey string
	// BackendAPIKey is the X-Api-Key of pasim's WelfareGOV backend.
	BackendAPIKey string
}

// The secrets' file names in Secrets.Dir.
const (
	AdminTokenFile     = "admin-token"
	InternalAPIKeyFile = "internal-api.key"
	BackendAPIKeyFile  = "backend-api-key"
)

// SecretPattern matches every value NewSecrets makes: a "wgwdemo_" prefix, what it is for, and 32
// random bytes in hex. The prefix makes a demo secret recognisable wherever it is pasted, and the
// repository test that scans the tracked files for secrets looks for this shape.
var SecretPattern = regexp.MustCompile(`wgwdemo_[a-z]+_[0-9a-f]{64}`)

// NewSecrets makes new secrets and writes them to dir (created with mode 0700), replacing those
// of an earlier start.
func NewSecrets(dir string) (*Secrets, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("democonfig: %w", err)
	}
	s := &Secrets{Dir: abs}
	for _, v := range []struct {
		dst        *string
		file, kind string
	}{
		{&s.AdminToken, AdminTokenFile, "admin"},
		{&s.InternalAPIKey, InternalAPIKeyFile, "apikey"},
		{&s.BackendAPIKey, BackendAPIKeyFile, "backend"},
	} {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		*v.dst = "wgwdemo_" + v.kind + "_" + hex.EncodeToString(raw)
		if err := writeSecret(s.Path(v.file), *v.dst); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Path is the absolute path of one of the secrets' files.
func (s *Secrets) Path(file string) string { return filepath.Join(s.Dir, file) }

// writeSecret writes value to path with mode 0600, also when the file exists with a wider mode.
func writeSecret(path, value string) error {
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		return fmt.Errorf("democonfig: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("democonfig: %w", err)
	}
	return nil
}
