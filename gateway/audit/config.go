package audit

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
)

// DefaultPseudonymKeyID is the key id when the configuration gives none.
const DefaultPseudonymKeyID = "k1"

// DefaultDir is where the audit files go when the configuration names no directory.
const DefaultDir = "audit"

// Config is the `audit` section.
//
//	audit:
//	  dir: /var/lib/welfaregov-gateway/audit
//	  fsync: batch
//	  pseudonym_key: {file: /run/secrets/audit-pseudonym-key}
//	  pseudonym_key_id: "2026a"
type Config struct {
	// Dir holds the JSON Lines files (created 0750 if missing). Relative paths are from the working
	// directory. Default "audit". Put it on a persistent volume: the files are the legal trail.
	Dir string `yaml:"dir"`
	// InstanceID names this replica's chain and appears in file names: 1 to 64 characters of
	// A-Z a-z 0-9 . _ - . Two processes must never share one (a lock file refuses the second).
	// Default: the host name (the pod name on Kubernetes), with other characters replaced by '-'.
	InstanceID string `yaml:"instance_id"`
	// Fsync is when entries are made durable against a power loss: "batch" (default: group commit,
	// every call waits for an fsync shared with concurrent calls), "always" (one fsync per entry) or
	// "never" (the kernel decides; a killed process loses nothing, a power loss may).
	Fsync string `yaml:"fsync"`
	// MaxFileMB starts a new file when one would grow past this many MiB. Default 64; 1..4096. Files
	// also change every UTC day.
	MaxFileMB int `yaml:"max_file_mb"`
	// PseudonymKey is the HMAC key that pseudonymises userID, userLocation and unknown LoA values
	// (at least 32 bytes; generate with `openssl rand -base64 48`). Required unless
	// pseudonym_key_ephemeral is true. Keep every key for as long as the records it wrote: without it
	// they cannot be re-identified.
	PseudonymKey config.Secret `yaml:"pseudonym_key"`
	// PseudonymKeyID names the key generation in every pseudonym (hmac-sha256:<id>:...). Change it
	// when you change the key. Default "k1"; 1..32 characters of A-Z a-z 0-9 . _ -.
	PseudonymKeyID string `yaml:"pseudonym_key_id"`
	// PseudonymKeyEphemeral uses a random key generated at start instead of pseudonym_key, so no
	// record can ever be re-identified (key id "ephemeral-..."). For demos and tests only.
	PseudonymKeyEphemeral bool `yaml:"pseudonym_key_ephemeral"`
	// LoAValues are the tracking-evidence LoA values stored in clear; any other value is
	// pseudonymised. Default: DefaultLoAValues (SPID and eIDAS levels).
	LoAValues []string `yaml:"loa_values"`
}

// Check records every problem of the section.
func (c *Config) Check(ck config.Checker) {
	if c.InstanceID != "" && !ValidInstanceID(c.InstanceID) {
		ck.Errorf("instance_id", "%q: use 1 to 64 characters of A-Z a-z 0-9 . _ - (not starting with . or -)", c.InstanceID)
	}
	if _, err := ParseFsyncPolicy(c.Fsync); err != nil {
		ck.Errorf("fsync", "%q: use always, batch or never", c.Fsync)
	}
	if c.MaxFileMB < 0 || c.MaxFileMB > 4096 {
		ck.Errorf("max_file_mb", "%d: must be between 1 and 4096 (0 means 64)", c.MaxFileMB)
	}
	if c.PseudonymKeyID != "" && !validKeyID(c.PseudonymKeyID) {
		ck.Errorf("pseudonym_key_id", "%q: use 1 to 32 characters of A-Z a-z 0-9 . _ -", c.PseudonymKeyID)
	}
	switch {
	case c.PseudonymKeyEphemeral && c.PseudonymKey.IsSet():
		ck.Errorf("pseudonym_key_ephemeral", "true together with pseudonym_key: choose one")
	case !c.PseudonymKeyEphemeral:
		c.PseudonymKey.Check(ck, "pseudonym_key", true)
	}
	for i, v := range c.LoAValues {
		if v == "" || len(v) > maxFieldBytes || !printableASCII(v) || containsCodiceFiscale(v) {
			ck.At("loa_values").Index(i).Errorf("", "%q: an assurance level name of 1 to %d printable ASCII characters", v, maxFieldBytes)
		}
	}
}

// Options are what the process gives Open besides the configuration.
type Options struct {
	// Version is recorded in each start entry.
	Version string
	// Now is the clock of start entries and daily rotation. Nil means time.Now.
	Now func() time.Time
}

// Open builds the Logger the section describes, with a FileSink. cfg must have passed Check; the
// key's length and the directory are checked here (errors name the field).
func Open(cfg Config, o Options) (*Logger, error) {
	policy, err := ParseFsyncPolicy(cfg.Fsync)
	if err != nil {
		return nil, err
	}
	instance := cfg.InstanceID
	if instance == "" {
		instance = DefaultInstanceID()
	}
	p, err := cfg.pseudonymizer()
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		dir = DefaultDir
	}
	sink, err := OpenFileSink(FileOptions{Dir: dir, Instance: instance, Fsync: policy,
		MaxFileBytes: int64(cfg.MaxFileMB) << 20, Version: o.Version, Now: o.Now})
	if err != nil {
		return nil, fmt.Errorf("audit.dir: %w", err)
	}
	l, err := NewLogger(sink, p, instance, cfg.LoAValues)
	if err != nil {
		_ = sink.Close()
		return nil, err
	}
	return l, nil
}

func (c *Config) pseudonymizer() (*Pseudonymizer, error) {
	keyID := c.PseudonymKeyID
	if keyID == "" {
		keyID = DefaultPseudonymKeyID
	}
	if c.PseudonymKeyEphemeral {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		tag := make([]byte, 4)
		_, _ = rand.Read(tag)
		return NewPseudonymizer(key, fmt.Sprintf("ephemeral-%x", tag))
	}
	key, err := c.PseudonymKey.Value()
	if err != nil {
		return nil, fmt.Errorf("audit.pseudonym_key: %w", err)
	}
	p, err := NewPseudonymizer(key, keyID)
	if err != nil {
		return nil, fmt.Errorf("audit.pseudonym_key: %w", err)
	}
	return p, nil
}

// DefaultInstanceID is the host name with characters outside A-Z a-z 0-9 . _ - replaced by '-'
// ("gateway" if there is none).
func DefaultInstanceID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "gateway"
	}
	id := strings.Map(func(r rune) rune {
		if strings.ContainsRune(idChars, r) {
			return r
		}
		return '-'
	}, h)
	id = strings.TrimLeft(id, ".-")
	if len(id) > 64 {
		id = id[:64]
	}
	if !ValidInstanceID(id) {
		return "gateway"
	}
	return id
}
