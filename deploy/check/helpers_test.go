package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/welfaregov/gateway/deploy/internal/dockerfile"
	"github.com/welfaregov/gateway/deploy/internal/kubeschema"
)

// Paths of the artifacts under test, from this package's directory (deploy/check).
var (
	repoRoot       = filepath.Join("..", "..")
	deployDir      = ".."
	dockerfilePath = filepath.Join(deployDir, "Dockerfile")
	dockerIgnore   = filepath.Join(deployDir, "Dockerfile.dockerignore")
	composePath    = filepath.Join(deployDir, "compose.yaml")
	productionYAML = filepath.Join(deployDir, "config", "production.yaml")
)

// imageVersion is what the tests pass as the Dockerfile's VERSION build argument.
const imageVersion = "v0.0.0-deploy-check"

// scratchDir holds what the tests build; TestMain removes it.
var scratchDir string

func TestMain(m *testing.M) {
	var err error
	if scratchDir, err = os.MkdirTemp("", "deploy-check-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(scratchDir)
	os.Exit(code)
}

// image is the result of the simulated image build: the build context copied as `docker build`
// would send it, and `make build` run in it, as the Dockerfile's build stage does.
type image struct {
	contextDir string
	files      []string // the context, relative slash paths
	gateway    string   // bin/gateway built in the context
	pasim      string
	output     []byte
	err        error
}

var (
	imageOnce sync.Once
	built     image
)

// buildImage runs the simulated image build once per test binary. Every test that needs the
// gateway binary uses this one, so the binary checked is the binary the image would contain.
func buildImage(t *testing.T) image {
	t.Helper()
	imageOnce.Do(func() {
		b := image{contextDir: filepath.Join(scratchDir, "context")}
		if b.files, b.err = BuildContext(repoRoot, dockerIgnore); b.err != nil {
			built = b
			return
		}
		if b.err = CopyContext(repoRoot, b.files, b.contextDir); b.err != nil {
			built = b
			return
		}
		b.output, b.err = RunBuild(context.Background(), b.contextDir, imageVersion)
		b.gateway = filepath.Join(b.contextDir, "bin", "gateway")
		b.pasim = filepath.Join(b.contextDir, "bin", "pasim")
		built = b
	})
	if built.err != nil {
		t.Fatalf("simulated image build: %v", built.err)
	}
	return built
}

var (
	schemasOnce sync.Once
	schemas     *kubeschema.Validator
	schemasErr  error
)

func kubeSchemas(t *testing.T) *kubeschema.Validator {
	t.Helper()
	schemasOnce.Do(func() {
		var dir string
		if dir, schemasErr = kubeschema.Download(context.Background(), os.Getenv("GO")); schemasErr == nil {
			schemas = kubeschema.New(dir)
		}
	})
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	return schemas
}

func parseDockerfile(t *testing.T, src string) *dockerfile.File {
	t.Helper()
	f, err := dockerfile.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// productionConfig is deploy/config/production.yaml, whose listener ports the image exposes.
func productionConfig(t *testing.T) GatewayConfig {
	return GatewayConfig{Source: productionYAML, YAML: []byte(readFile(t, productionYAML))}
}

func listenerPorts(t *testing.T, cfg GatewayConfig) map[string]int {
	t.Helper()
	ports := map[string]int{}
	for _, l := range Listeners {
		p, err := cfg.ListenerPort(l)
		if err != nil {
			t.Fatal(err)
		}
		ports[l] = p
	}
	return ports
}

// expectNone fails the test with every finding.
func expectNone(t *testing.T, fs []Finding) {
	t.Helper()
	for _, f := range fs {
		t.Error(f)
	}
}

// expectFinding fails unless fs has a finding of rule whose detail contains substr.
func expectFinding(t *testing.T, fs []Finding, rule Rule, substr string) {
	t.Helper()
	if !slices.ContainsFunc(fs, func(f Finding) bool { return f.Rule == rule && strings.Contains(f.Detail, substr) }) {
		t.Errorf("want a [%s] finding containing %q; got %d findings:", rule, substr, len(fs))
		for _, f := range fs {
			t.Log("  ", f)
		}
	}
}

// edit applies a textual change and fails if it changed nothing (a stale edit proves nothing).
func edit(t *testing.T, src, old, new string) string {
	t.Helper()
	out := strings.Replace(src, old, new, 1)
	if out == src {
		t.Fatalf("edit: %q not found", old)
	}
	return out
}
