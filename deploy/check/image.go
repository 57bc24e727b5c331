package check

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/welfaregov/gateway/deploy/internal/dockerfile"
)

// Stage names of deploy/Dockerfile.
const (
	StageBuild   = "build"
	StageGateway = "gateway"
	StagePasim   = "pasim"
)

// BuildCommand is what the build stage runs, and what CI runs: one build recipe for both.
const BuildCommand = "make build"

// BuildContext lists the files `docker build` sends from repo with the ignore file (deploy/
// Dockerfile.dockerignore): every file of the working tree, untracked ones included, minus the
// ignored ones. Paths are slash-separated and relative to repo.
func BuildContext(repo, ignoreFile string) ([]string, error) {
	f, err := os.Open(ignoreFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ignoreFile, err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ignoreFile, err)
	}
	var files []string
	err = filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(repo, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		ignored, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		switch {
		case ignored && d.IsDir() && !pm.Exclusions():
			return fs.SkipDir
		case ignored || d.IsDir():
			return nil
		}
		files = append(files, rel)
		return nil
	})
	return files, err
}

// credentialFileRE names files that hold credentials whatever their content.
var credentialFileRE = regexp.MustCompile(`(^|/)(\.env(\..*)?|id_rsa|id_ecdsa|id_ed25519|\.netrc|\.npmrc|\.pypirc|.*\.(p12|pfx|jks|keystore))$`)

// CheckContext looks for secrets in the build context: files that hold a PEM private key, and
// files named like credentials. The build stage copies the whole context, so anything here
// could reach an image layer.
func CheckContext(repo string, files []string) ([]Finding, error) {
	var fs findings
	for _, rel := range files {
		if credentialFileRE.MatchString(rel) {
			fs.add(RuleBuildContext, rel, "a credentials file is in the build context: add it to deploy/Dockerfile.dockerignore")
			continue
		}
		b, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		if block := privateKeyBlock(b); block != "" {
			fs.add(RuleBuildContext, rel, "holds a PEM %s: a private key must never be in the repository or the build context", block)
		}
	}
	return fs, nil
}

// privateKeyBlock returns the type of the first PEM private key in b, or "".
func privateKeyBlock(b []byte) string {
	for {
		i := bytes.Index(b, []byte("-----BEGIN "))
		if i < 0 {
			return ""
		}
		block, rest := pem.Decode(b[i:])
		if block == nil {
			b = b[i+len("-----BEGIN "):]
			continue
		}
		if strings.Contains(block.Type, "PRIVATE KEY") && len(block.Bytes) > 0 {
			return block.Type
		}
		b = rest
	}
}

// CopyContext copies the context's files from repo into dst, as the build stage's `COPY . .`.
func CopyContext(repo string, files []string, dst string) error {
	for _, rel := range files {
		from := filepath.Join(repo, filepath.FromSlash(rel))
		to := filepath.Join(dst, filepath.FromSlash(rel))
		info, err := os.Lstat(from)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(from)
			if err == nil {
				err = os.Symlink(target, to)
			}
			if err != nil {
				return err
			}
			continue
		}
		if err := copyFile(from, to, info.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// RunBuild runs the build stage's command in dir with the environment the Dockerfile gives it
// (VERSION from its ARG) plus the caller's (PATH, the Go caches), and returns its output.
func RunBuild(ctx context.Context, dir, version string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", BuildCommand)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VERSION="+version)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s in %s: %w\n%s", BuildCommand, dir, err, out)
	}
	return out, nil
}

// execOutput runs a command and returns its combined output.
func execOutput(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// CheckStatic reports a binary that needs a dynamic loader or shared libraries, which a
// distroless static or scratch image does not have.
func CheckStatic(binary string) []Finding {
	var fs findings
	f, err := elf.Open(binary)
	if err != nil {
		fs.add(RuleStaticBinaries, binary, "not an ELF binary: %v", err)
		return fs
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			fs.add(RuleStaticBinaries, binary, "needs a dynamic loader (PT_INTERP): build with CGO_ENABLED=0")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		fs.add(RuleStaticBinaries, binary, "links shared libraries %v", libs)
	}
	return fs
}

// goBuildRE finds a direct go build in an instruction.
var goBuildRE = regexp.MustCompile(`\bgo (build|install)\b`)

// distrolessStaticRE matches the distroless images that carry CA certificates and tzdata.
var distrolessStaticRE = regexp.MustCompile(`^gcr\.io/distroless/static(-debian\d+)?(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$`)

// DockerfileExpect is what CheckDockerfile compares the Dockerfile with.
type DockerfileExpect struct {
	// GatewayPorts are the listener ports the gateway image must EXPOSE, by listener.
	GatewayPorts map[string]int
	// PasimPorts are the simulators' listener ports the pasim image must EXPOSE.
	PasimPorts map[string]int
}

// CheckDockerfile checks the invariants of deploy/Dockerfile: the build stage runs exactly
// BuildCommand; the gateway (default target) and pasim images start from a base with CA
// certificates and tzdata, copy only the build stage's output, run as a numeric non-root user,
// expose their listener ports, and start the binary as PID 1 (exec form) so SIGTERM reaches it.
func CheckDockerfile(f *dockerfile.File, want DockerfileExpect) []Finding {
	var fs findings
	at := func(in dockerfile.Instruction) string { return "Dockerfile:" + strconv.Itoa(in.Line) }
	if f.Directives["syntax"] == "" {
		fs.add(RuleDockerfile, "Dockerfile:1", "no # syntax= directive: RUN --mount and Dockerfile.dockerignore need BuildKit's Dockerfile frontend")
	}
	build := f.Stage(StageBuild)
	if build == nil {
		fs.add(RuleDockerfile, "Dockerfile", "no stage %q", StageBuild)
	} else {
		runs := build.Find("RUN")
		if len(runs) != 1 || strings.Join(strings.Fields(strings.Join(runs[0].Args, " ")), " ") != BuildCommand {
			fs.add(RuleDockerfile, at(build.From), "the build stage must run exactly one RUN, %q (the command CI runs); it has %d: %v", BuildCommand, len(runs), runs)
		}
	}
	for _, st := range f.Stages {
		for _, in := range st.Instructions {
			text := strings.Join(in.Args, " ")
			if goBuildRE.MatchString(text) {
				fs.add(RuleDockerfile, at(in), "builds with the go command directly: the image must be built by %q", BuildCommand)
			}
			if (in.Cmd == "ENV" || in.Cmd == "ARG") && secretNameRE.MatchString(text) {
				fs.add(RuleDockerfile, at(in), "%s %s: build arguments and environment are kept in the image; secrets are mounted at run time", in.Cmd, text)
			}
		}
	}
	if final := f.Final(); final.Name != StageGateway {
		fs.add(RuleDockerfile, at(final.From), "the last stage (the default target) must be %q, is %q", StageGateway, final.Name)
	}
	for name, ports := range map[string]map[string]int{StageGateway: want.GatewayPorts, StagePasim: want.PasimPorts} {
		st := f.Stage(name)
		if st == nil {
			fs.add(RuleDockerfile, "Dockerfile", "no stage %q", name)
			continue
		}
		checkRuntimeStage(&fs, f, st, ports)
	}
	return fs
}

func checkRuntimeStage(fs *findings, f *dockerfile.File, st *dockerfile.Stage, ports map[string]int) {
	where := fmt.Sprintf("Dockerfile:%d (stage %s)", st.From.Line, st.Name)
	base, err := f.BaseImage(st, nil)
	switch {
	case err != nil:
		fs.add(RuleDockerfile, where, "%v", err)
	case base == "scratch":
		copied := ""
		for _, in := range st.Find("COPY") {
			copied += strings.Join(in.Args, " ")
		}
		if !strings.Contains(copied, "zoneinfo") || !strings.Contains(copied, "ca-certificates") {
			fs.add(RuleDockerfile, where, "FROM scratch without /usr/share/zoneinfo and CA certificates: Europe/Rome days and TLS to PDND would fail")
		}
	case !distrolessStaticRE.MatchString(base):
		fs.add(RuleDockerfile, where, "base %q: use gcr.io/distroless/static (CA certificates, tzdata, no shell) or scratch with both copied in", base)
	}
	for _, in := range st.Instructions {
		switch in.Cmd {
		case "RUN":
			fs.add(RuleDockerfile, where, "RUN in a runtime stage (line %d): the image has no shell; build in the build stage", in.Line)
		case "ADD":
			fs.add(RuleDockerfile, where, "ADD (line %d): use COPY --from=%s", in.Line, StageBuild)
		case "COPY":
			if from := in.FlagValues("from"); len(from) != 1 || from[0] != StageBuild {
				fs.add(RuleDockerfile, where, "COPY (line %d) from the build context: a runtime image takes only the build stage's output", in.Line)
			}
		}
	}
	users := st.Find("USER")
	if len(users) == 0 {
		fs.add(RuleDockerfile, where, "no USER: the image would run as root")
	} else {
		u := users[len(users)-1]
		uid, gid, _ := strings.Cut(strings.Join(u.Args, ""), ":")
		n, err := strconv.Atoi(uid)
		if err != nil || n == 0 {
			fs.add(RuleDockerfile, where, "USER %s: must be a numeric, non-zero UID (Kubernetes' runAsNonRoot cannot check a name)", uid)
		}
		if gid != "" {
			if _, err := strconv.Atoi(gid); err != nil {
				fs.add(RuleDockerfile, where, "USER group %q must be numeric", gid)
			}
		}
	}
	exposed := map[int]bool{}
	for _, in := range st.Find("EXPOSE") {
		for _, a := range in.Args {
			spec, _, _ := strings.Cut(a, "/")
			lo, hi, isRange := strings.Cut(spec, "-")
			from, err1 := strconv.Atoi(lo)
			to := from
			var err2 error
			if isRange {
				to, err2 = strconv.Atoi(hi)
			}
			if err1 != nil || err2 != nil || to < from {
				fs.add(RuleDockerfile, where, "EXPOSE %s (line %d) is not a port or range", a, in.Line)
				continue
			}
			for p := from; p <= to; p++ {
				exposed[p] = true
			}
		}
	}
	for _, name := range sortedKeys(ports) {
		if !exposed[ports[name]] {
			fs.add(RuleDockerfile, where, "does not EXPOSE %d (%s)", ports[name], name)
		}
	}
	eps := st.Find("ENTRYPOINT")
	if len(eps) == 0 || !eps[len(eps)-1].JSON {
		fs.add(RuleDockerfile, where, "ENTRYPOINT must be in exec form ([\"/usr/local/bin/...\"]) so the binary is PID 1 and receives SIGTERM")
	}
}

// CopiedFromBuild lists the build-stage paths that the runtime stages copy, relative to the
// build stage's WORKDIR (the context root), so a test can check that `make build` produced them.
func CopiedFromBuild(f *dockerfile.File) ([]string, error) {
	build := f.Stage(StageBuild)
	if build == nil {
		return nil, fmt.Errorf("no stage %q", StageBuild)
	}
	workdir := "/"
	for _, in := range build.Find("WORKDIR") {
		workdir = path.Join(workdir, in.Args[0])
	}
	var out []string
	for _, st := range f.Stages {
		for _, in := range st.Find("COPY") {
			if !slices.Contains(in.FlagValues("from"), StageBuild) || len(in.Args) < 2 {
				continue
			}
			for _, src := range in.Args[:len(in.Args)-1] {
				rel, err := filepath.Rel(workdir, path.Clean(src))
				if err != nil || strings.HasPrefix(rel, "..") {
					return nil, fmt.Errorf("deploy/Dockerfile line %d copies %s, outside the build stage's WORKDIR %s", in.Line, src, workdir)
				}
				out = append(out, filepath.ToSlash(rel))
			}
		}
	}
	return out, nil
}
