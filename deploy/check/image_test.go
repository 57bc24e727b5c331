package check

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImageBuild does what `docker build -f deploy/Dockerfile .` would do up to the runtime
// stages, without a Docker engine: it sends the same build context (the working tree minus
// deploy/Dockerfile.dockerignore), runs the build stage's `make build` in it with the VERSION
// build argument, and checks that what the runtime stages copy exists and runs on a base
// without libc.
func TestImageBuild(t *testing.T) {
	img := buildImage(t)
	for _, want := range []string{"Makefile", "go.mod", "go.sum", "cmd/gateway/main.go", "deploy/image/gateway/run/welfaregov-gateway/.keep"} {
		if !slices.Contains(img.files, want) {
			t.Errorf("the build context lacks %s", want)
		}
	}
	for _, f := range img.files {
		if strings.HasPrefix(f, ".git/") || f == ".git" || strings.HasPrefix(f, "bin/") || strings.HasPrefix(f, ".run/") {
			t.Errorf("the build context contains %s (see deploy/Dockerfile.dockerignore)", f)
		}
	}
	fs, err := CheckContext(repoRoot, img.files)
	if err != nil {
		t.Fatal(err)
	}
	expectNone(t, fs)

	copied, err := CopiedFromBuild(parseDockerfile(t, readFile(t, dockerfilePath)))
	if err != nil {
		t.Fatal(err)
	}
	if len(copied) == 0 {
		t.Fatal("the runtime stages copy nothing from the build stage")
	}
	for _, rel := range copied {
		if _, err := os.Stat(filepath.Join(img.contextDir, filepath.FromSlash(rel))); err != nil {
			t.Errorf("a runtime stage copies %s from the build stage, which `make build` did not produce: %v", rel, err)
		}
	}
	for _, bin := range []string{img.gateway, img.pasim} {
		expectNone(t, CheckStatic(bin))
	}
	out, err := exec.Command(img.gateway, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), imageVersion) {
		t.Errorf("gateway version = %q, %v; want the VERSION build argument %s stamped in", out, err, imageVersion)
	}
}

// TestTimeZoneData: the gateway computes days in Europe/Rome, so the image must carry zoneinfo
// (the distroless base does) unless the binary embeds it (time/tzdata). Reports which holds.
func TestTimeZoneData(t *testing.T) {
	f := parseDockerfile(t, readFile(t, dockerfilePath))
	base, err := f.BaseImage(f.Stage(StageGateway), nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goCommand(), "list", "-deps", "./cmd/gateway")
	cmd.Dir = repoRoot
	deps, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/gateway: %v", err)
	}
	embedded := slices.Contains(strings.Fields(string(deps)), "time/tzdata")
	distroless := distrolessStaticRE.MatchString(base)
	t.Logf("gateway image base %s (zoneinfo: %v); time/tzdata embedded in the binary: %v", base, distroless, embedded)
	if !embedded && !distroless {
		t.Errorf("neither the base %s nor the binary carries time zone data: Europe/Rome would not load", base)
	}
}

func goCommand() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// TestBuildContextRefusesSecrets proves the context check finds a private key and a credentials
// file that the ignore file does not exclude, and that the ignore file excludes key-named files.
func TestBuildContextRefusesSecrets(t *testing.T) {
	repo := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	files := map[string][]byte{
		"go.mod":                    []byte("module x\n"),
		"notes/handover.txt":        append([]byte("the key, for now:\n"), pemKey...),
		"certs/eservices.key":       pemKey, // excluded by *.key
		"deploy/.env.production":    []byte("WGW_REDIS_PASSWORD=x\n"),
		"gateway/jose/keys.go":      []byte("const pemType = \"-----BEGIN PRIVATE KEY-----\" // a type name, not a key\n"),
		"deploy/keystore/store.jks": []byte("binary"),
	}
	for name, b := range files {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, err := BuildContext(repo, dockerIgnore)
	if err != nil {
		t.Fatal(err)
	}
	for _, excluded := range []string{"certs/eservices.key", "deploy/.env.production", "deploy/keystore/store.jks"} {
		if slices.Contains(ctx, excluded) {
			t.Errorf("%s is in the build context; the ignore file must exclude it", excluded)
		}
	}
	fs, err := CheckContext(repo, ctx)
	if err != nil {
		t.Fatal(err)
	}
	expectFinding(t, fs, RuleBuildContext, "EC PRIVATE KEY")
	if len(fs) != 1 || fs[0].Object != "notes/handover.txt" {
		t.Errorf("findings = %v, want exactly notes/handover.txt", fs)
	}
	// Without the ignore file, the credentials files are found by name too.
	all := []string{"deploy/.env.production", "deploy/keystore/store.jks", "certs/eservices.key"}
	fs, err = CheckContext(repo, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 {
		t.Errorf("findings = %v, want one per file", fs)
	}
}

func TestStaticBinaryCheck(t *testing.T) {
	// /bin/sh is dynamically linked on every distribution this runs on: it must be refused.
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(sh)
	expectFinding(t, CheckStatic(real), RuleStaticBinaries, "dynamic loader")
	expectFinding(t, CheckStatic(dockerfilePath), RuleStaticBinaries, "not an ELF")
}

func TestDockerfile(t *testing.T) {
	src := readFile(t, dockerfilePath)
	img := buildImage(t)
	pasim, err := PasimListeners(context.Background(), img.pasim)
	if err != nil {
		t.Fatal(err)
	}
	want := DockerfileExpect{GatewayPorts: listenerPorts(t, productionConfig(t)), PasimPorts: pasim}
	t.Run("ok/deploy-Dockerfile", func(t *testing.T) {
		expectNone(t, CheckDockerfile(parseDockerfile(t, src), want))
	})
	for name, tc := range map[string]struct{ old, new, detail string }{
		"fail/build-stage-runs-go-build": {"    make build\n", "    go build -o bin/ ./cmd/...\n", "exactly one RUN"},
		"fail/second-run":                {"    make build\n", "    make build\nRUN make test\n", "it has 2"},
		"fail/root-user":                 {"USER 65532:65532\nWORKDIR", "USER 0\nWORKDIR", "non-zero UID"},
		"fail/named-user":                {"USER 65532:65532\nWORKDIR", "USER nonroot\nWORKDIR", "numeric"},
		"fail/no-user":                   {"USER 65532:65532\nWORKDIR", "WORKDIR", "no USER"},
		"fail/copy-from-context":         {"COPY --from=build /src/bin/gateway", "COPY deploy/config/production.yaml /etc/\nCOPY --from=build /src/bin/gateway", "from the build context"},
		"fail/missing-port":              {"EXPOSE 8443 8080 9090", "EXPOSE 8443 8080", "9090 (admin)"},
		"fail/pasim-port-range":          {"EXPOSE 7000-7006", "EXPOSE 7000-7002", "(anpr)"},
		"fail/shell-entrypoint":          {`ENTRYPOINT ["/usr/local/bin/gateway"]`, "ENTRYPOINT /usr/local/bin/gateway", "exec form"},
		"fail/base-with-libc-only":       {"BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot", "BASE_IMAGE=alpine:3.20", "use gcr.io/distroless/static"},
		"fail/scratch-without-tzdata":    {"BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot", "BASE_IMAGE=scratch", "zoneinfo"},
		"fail/secret-build-arg":          {"ARG VERSION=dev", "ARG VERSION=dev\nARG REDIS_PASSWORD", "secrets are mounted"},
		"fail/run-in-runtime-stage":      {"USER 65532:65532\nWORKDIR", "RUN mkdir /data\nUSER 65532:65532\nWORKDIR", "RUN in a runtime stage"},
		"fail/no-syntax-directive":       {"# syntax=docker/dockerfile:1.7\n", "", "BuildKit"},
	} {
		t.Run(name, func(t *testing.T) {
			fs := CheckDockerfile(parseDockerfile(t, edit(t, src, tc.old, tc.new)), want)
			expectFinding(t, fs, RuleDockerfile, tc.detail)
		})
	}
	t.Run("fail/gateway-not-last", func(t *testing.T) {
		gateway, pasim := strings.Index(src, "# ---- gateway"), strings.Index(src, "# ---- pasim")
		reordered := src[:pasim] + src[gateway:] + src[pasim:gateway]
		expectFinding(t, CheckDockerfile(parseDockerfile(t, reordered), want), RuleDockerfile, "default target")
	})
}
