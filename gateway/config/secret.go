package config

import (
	"fmt"
	"os"
	"strings"
)

// Secret names where a secret value lives: a file (a mounted Kubernetes Secret, a Docker secret) or
// an environment variable. Secrets never appear in the YAML itself, so the committed configuration
// files can be shared and reviewed.
//
//	admin_token: {file: /run/secrets/admin-token}
//	redis_password: {env: WGW_REDIS_PASSWORD}
type Secret struct {
	File string `yaml:"file"`
	Env  string `yaml:"env"`
}

// IsSet reports whether a source is configured.
func (s Secret) IsSet() bool { return s.File != "" || s.Env != "" }

// Check reports a Secret with both or neither source (when required), or a file that cannot be read.
func (s Secret) Check(ck Checker, field string, required bool) {
	switch {
	case s.File != "" && s.Env != "":
		ck.Errorf(field, "give either file or env, not both")
	case !s.IsSet() && required:
		ck.Errorf(field, "required: give {file: PATH} or {env: VARIABLE}")
	case s.File != "":
		if _, err := os.Stat(s.File); err != nil {
			ck.Errorf(field+".file", "cannot read %q: %v", s.File, err)
		}
	case s.Env != "":
		if os.Getenv(s.Env) == "" {
			ck.Errorf(field+".env", "environment variable %s is not set or empty", s.Env)
		}
	}
}

// Value reads the secret. A file's trailing newline is trimmed (editors and `echo` add one).
func (s Secret) Value() ([]byte, error) {
	switch {
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return nil, fmt.Errorf("config: reading secret file: %w", err)
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	case s.Env != "":
		v := os.Getenv(s.Env)
		if v == "" {
			return nil, fmt.Errorf("config: secret environment variable %s is empty", s.Env)
		}
		return []byte(v), nil
	}
	return nil, nil
}
