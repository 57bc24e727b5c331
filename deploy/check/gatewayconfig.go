package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// GatewayConfig is the gateway configuration a container sees: the YAML file it is given, its
// environment, and the files that only exist once it runs (mounted Secrets, volumes).
type GatewayConfig struct {
	// Source names where the YAML came from, for messages ("ConfigMap welfaregov-gateway-config").
	Source string
	YAML   []byte
	// Env is the container's environment. Values that come from Secrets are placeholders.
	Env map[string]string
	// RuntimeFiles are the files (or, ending in "/", directory trees) that the orchestrator mounts
	// into the container. `gateway check-config` cannot read them here; that problem alone is
	// accepted, and only for paths listed.
	RuntimeFiles []string
}

// checkConfigTimeout bounds one `gateway check-config`: it opens no connection, so a second is a lot.
const checkConfigTimeout = 30 * time.Second

// absPathRE finds the absolute path a "cannot read" problem names, quoted or after "open ".
var absPathRE = regexp.MustCompile(`(?:^|[\s"])(/[^\s"]*[^\s":])`)

// Check runs `gateway check-config` (the binary at gatewayBin) on the configuration with exactly
// its environment, and returns every problem it reports except a file missing under
// RuntimeFiles. The error is for a check that could not run.
func (c GatewayConfig) Check(ctx context.Context, gatewayBin string) ([]string, error) {
	dir, err := os.MkdirTemp("", "gateway-config-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(file, c.YAML, 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, checkConfigTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatewayBin, "check-config", "--config", file)
	cmd.Env = []string{}
	for k, v := range c.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil, nil
	case !errors.As(err, &exit) || exit.ExitCode() != 1:
		return nil, fmt.Errorf("gateway check-config on %s: %v: %s", c.Source, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "invalid configuration") {
		return nil, fmt.Errorf("gateway check-config on %s: unexpected output %q", c.Source, stderr.String())
	}
	var problems []string
	for _, line := range lines[1:] {
		if !c.providedAtRunTime(line) {
			problems = append(problems, line)
		}
	}
	return problems, nil
}

// providedAtRunTime reports whether a check-config problem is only a file that the orchestrator
// mounts.
func (c GatewayConfig) providedAtRunTime(problem string) bool {
	if !strings.Contains(problem, "cannot read") || !strings.Contains(problem, "no such file or directory") {
		return false
	}
	m := absPathRE.FindStringSubmatch(problem)
	if m == nil {
		return false
	}
	file := path.Clean(m[1])
	for _, rf := range c.RuntimeFiles {
		if rf == file || (strings.HasSuffix(rf, "/") && strings.HasPrefix(file, rf)) {
			return true
		}
	}
	return false
}

// Value returns the effective value of a configuration key as the gateway computes it: the WGW_
// environment variable when set (README.md, "Environment overrides"), else the YAML value, else
// "" (the documented default applies). path is the key's segments: "listeners", "admin", "address".
func (c GatewayConfig) Value(keyPath ...string) (string, error) {
	env := "WGW_" + strings.ToUpper(strings.Join(keyPath, "__"))
	if v, ok := c.Env[env]; ok && v != "" {
		return v, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(c.YAML, &root); err != nil {
		return "", fmt.Errorf("%s: %w", c.Source, err)
	}
	node := &root
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	for _, seg := range keyPath {
		if node.Kind != yaml.MappingNode {
			return "", nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == seg {
				next = node.Content[i+1]
			}
		}
		if next == nil {
			return "", nil
		}
		node = next
	}
	if node.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s: %s is not a single value", c.Source, strings.Join(keyPath, "."))
	}
	return node.Value, nil
}

// ListenerPort is the port a listener binds, from its effective address (or the default).
func (c GatewayConfig) ListenerPort(listener string) (int, error) {
	addr, err := c.Value("listeners", listener, "address")
	if err != nil {
		return 0, err
	}
	if addr == "" {
		addr = defaultListenerAddress[listener]
	}
	i := strings.LastIndex(addr, ":")
	port, err := strconv.Atoi(addr[i+1:])
	if i < 0 || err != nil {
		return 0, fmt.Errorf("%s: listeners.%s.address %q has no port", c.Source, listener, addr)
	}
	return port, nil
}

// ShutdownGrace is the effective listeners.shutdown_grace.
func (c GatewayConfig) ShutdownGrace() (time.Duration, error) {
	v, err := c.Value("listeners", "shutdown_grace")
	if err != nil || v == "" {
		return defaultShutdownGrace, err
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(v)
}

// The gateway's documented defaults (README.md, "Configuration reference").
var defaultListenerAddress = map[string]string{
	"eservices": "127.0.0.1:8443",
	"internal":  "127.0.0.1:8080",
	"admin":     "127.0.0.1:9090",
}

const defaultShutdownGrace = 20 * time.Second

// Listeners are the gateway's three listeners, which are also the names of its container ports.
var Listeners = []string{"eservices", "internal", "admin"}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
