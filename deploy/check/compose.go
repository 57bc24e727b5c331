package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/welfaregov/gateway/deploy/internal/dockerfile"
)

// LoadCompose loads a compose file with compose-go, the loader `docker compose` itself uses: it
// validates the file against the Compose specification's schema, resolves YAML anchors and
// merges, relative paths and defaults, and checks that what services use is declared. The
// environment is empty, so the file cannot depend on the developer's. Relative paths are
// resolved from workDir (the file's directory for `docker compose -f FILE`).
func LoadCompose(ctx context.Context, file, workDir string) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(workDir),
		cli.WithEnv(nil),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(ctx)
}

// ComposeOptions are what CheckCompose compares the compose project with.
type ComposeOptions struct {
	// Dockerfile is the parsed deploy/Dockerfile; DockerfilePath its path.
	Dockerfile     *dockerfile.File
	DockerfilePath string
	// GatewayBin runs check-config on the configuration each gateway service mounts.
	GatewayBin string
	// PasimListeners are the simulators' listeners and default ports (`pasim serve --help`).
	PasimListeners map[string]int
}

// CheckCompose checks the compose project: at least two gateway replicas built from the
// Dockerfile's gateway target, hardened like the Kubernetes pods, each given a configuration that
// passes check-config; the Redis the configuration names is a service the replicas wait for;
// every simulator listens on all interfaces on its documented port; Prometheus scrapes every
// replica's admin listener; nothing is published beyond 127.0.0.1.
func CheckCompose(ctx context.Context, p *types.Project, o ComposeOptions) ([]Finding, error) {
	var fs findings
	var gateways []types.ServiceConfig
	published := map[string]string{}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		obj := "compose service " + name
		for _, port := range svc.Ports {
			if port.HostIP != "127.0.0.1" && port.Published != "" {
				fs.add(RuleCompose, obj, "publishes %s on %q: publish on 127.0.0.1 only (a demo, no authentication on admin)", port.Published, port.HostIP)
			}
			if other, dup := published[port.Published]; dup && port.Published != "" {
				fs.add(RuleCompose, obj, "host port %s is also published by %s", port.Published, other)
			}
			published[port.Published] = name
		}
		if svc.Build == nil {
			continue
		}
		if filepath.Clean(filepath.Join(svc.Build.Context, svc.Build.Dockerfile)) != filepath.Clean(o.DockerfilePath) {
			fs.add(RuleCompose, obj, "builds from %s, not deploy/Dockerfile", filepath.Join(svc.Build.Context, svc.Build.Dockerfile))
		}
		if o.Dockerfile.Stage(svc.Build.Target) == nil {
			fs.add(RuleCompose, obj, "build target %q is not a stage of deploy/Dockerfile", svc.Build.Target)
		}
		checkComposeHardening(&fs, obj, svc)
		switch svc.Build.Target {
		case StageGateway:
			gateways = append(gateways, svc)
		case StagePasim:
			checkComposePasim(&fs, obj, svc, o.PasimListeners)
		}
	}
	if len(gateways) < 2 {
		fs.add(RuleCompose, "compose.yaml", "%d gateway services (build target %q): run at least two, so shared state is exercised across replicas", len(gateways), StageGateway)
	}
	adminTargets := map[string]bool{}
	for _, svc := range gateways {
		cfg, err := composeGatewayConfig(p, svc)
		if err != nil {
			fs.add(RuleConfig, "compose service "+svc.Name, "%v", err)
			continue
		}
		if err := checkComposeGateway(ctx, &fs, p, svc, cfg, o.GatewayBin); err != nil {
			return nil, err
		}
		if port, err := cfg.ListenerPort("admin"); err == nil {
			adminTargets[svc.Name+":"+strconv.Itoa(port)] = true
		}
	}
	checkPrometheus(&fs, p, adminTargets)
	return fs, nil
}

func checkComposeHardening(fs *findings, obj string, svc types.ServiceConfig) {
	if !svc.ReadOnly {
		fs.add(RuleCompose, obj, "read_only must be true, as readOnlyRootFilesystem on Kubernetes")
	}
	uid, _, _ := strings.Cut(svc.User, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		fs.add(RuleCompose, obj, "user %q: run as the image's numeric non-root user (65532:65532)", svc.User)
	}
	if !slices.Contains(svc.CapDrop, "ALL") {
		fs.add(RuleCompose, obj, "cap_drop must contain ALL")
	}
	if !slices.Contains(svc.SecurityOpt, "no-new-privileges:true") {
		fs.add(RuleCompose, obj, "security_opt must contain no-new-privileges:true")
	}
}

// listenFlagRE reads one --listen-NAME=HOST:PORT argument of pasim.
var listenFlagRE = regexp.MustCompile(`^--?listen-([a-z0-9]+)=(.*):(\d+)$`)

func checkComposePasim(fs *findings, obj string, svc types.ServiceConfig, listeners map[string]int) {
	bound := map[string]string{}
	for _, arg := range svc.Command {
		if m := listenFlagRE.FindStringSubmatch(arg); m != nil {
			bound[m[1]] = m[2] + ":" + m[3]
		}
	}
	for _, name := range sortedKeys(listeners) {
		want := "0.0.0.0:" + strconv.Itoa(listeners[name])
		if got := bound[name]; got != want {
			fs.add(RuleSimulatorExpose, obj, "pasim listener %s is bound to %q: add --listen-%s=%s to its command so the gateways reach it on its documented port", name, got, name, want)
		}
	}
	for name := range bound {
		if _, ok := listeners[name]; !ok {
			fs.add(RuleSimulatorExpose, obj, "--listen-%s: pasim has no such listener (pasim serve --help)", name)
		}
	}
}

// composeGatewayConfig reconstructs what a gateway service is given: the file its --config names
// (a bind mount of a repository file), its environment, and the volumes mounted in it.
func composeGatewayConfig(p *types.Project, svc types.ServiceConfig) (GatewayConfig, error) {
	cfgPath := ""
	for i, a := range svc.Command {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			cfgPath = v
		} else if a == "--config" && i+1 < len(svc.Command) {
			cfgPath = svc.Command[i+1]
		}
	}
	if cfgPath == "" {
		return GatewayConfig{}, fmt.Errorf("the command does not pass --config FILE")
	}
	cfg := GatewayConfig{Env: map[string]string{}}
	for k, v := range svc.Environment {
		if v != nil {
			cfg.Env[k] = *v
		}
	}
	for _, v := range svc.Volumes {
		switch {
		case v.Target == cfgPath && v.Type == types.VolumeTypeBind:
			b, err := os.ReadFile(v.Source)
			if err != nil {
				return cfg, fmt.Errorf("--config %s is mounted from %s: %w", cfgPath, v.Source, err)
			}
			cfg.Source, cfg.YAML = v.Source, b
		case v.Type == types.VolumeTypeVolume:
			cfg.RuntimeFiles = append(cfg.RuntimeFiles, strings.TrimSuffix(v.Target, "/")+"/")
		}
	}
	if cfg.YAML == nil {
		return cfg, fmt.Errorf("--config %s is not bind-mounted from a file", cfgPath)
	}
	return cfg, nil
}

func checkComposeGateway(ctx context.Context, fs *findings, p *types.Project, svc types.ServiceConfig, cfg GatewayConfig, gatewayBin string) error {
	obj := "compose service " + svc.Name
	problems, err := cfg.Check(ctx, gatewayBin)
	if err != nil {
		return err
	}
	for _, pr := range problems {
		fs.add(RuleConfig, cfg.Source, "gateway check-config (%s): %s", svc.Name, pr)
	}
	runDir, _ := cfg.Value("run_dir")
	if !strings.HasPrefix(runDir, "/") {
		fs.add(RuleCompose, obj, "run_dir %q must be an absolute path on a writable volume (the root filesystem is read-only)", runDir)
	} else if !writableAt(svc, runDir) {
		fs.add(RuleCompose, obj, "run_dir %s is not on a writable volume or tmpfs: the root filesystem is read-only", runDir)
	}
	if grace, err := cfg.ShutdownGrace(); err == nil {
		if svc.StopGracePeriod == nil || time.Duration(*svc.StopGracePeriod) <= grace {
			fs.add(RuleGracefulStop, obj, "stop_grace_period must exceed listeners.shutdown_grace (%s), or compose kills requests in flight", grace)
		}
	}
	for _, l := range Listeners {
		port, err := cfg.ListenerPort(l)
		if err != nil {
			fs.add(RuleConfig, cfg.Source, "%v", err)
			continue
		}
		addr, _ := cfg.Value("listeners", l, "address")
		if !strings.HasPrefix(addr, "0.0.0.0:") && !strings.HasPrefix(addr, ":") {
			fs.add(RuleCompose, obj, "listeners.%s.address %q: bind all interfaces in a container, or nothing outside it connects", l, addr)
		}
		if !slices.ContainsFunc(svc.Ports, func(pc types.ServicePortConfig) bool { return int(pc.Target) == port }) {
			fs.add(RuleCompose, obj, "the %s listener (port %d) is not published", l, port)
		}
	}
	if backend, _ := cfg.Value("store", "backend"); backend == "redis" {
		raw, _ := cfg.Value("store", "redis", "url")
		host := strings.TrimPrefix(strings.TrimPrefix(raw, "redis://"), "rediss://")
		host, _, _ = strings.Cut(host, "/")
		host, _, _ = strings.Cut(host, ":")
		if _, ok := p.Services[host]; !ok {
			fs.add(RuleCompose, obj, "store.redis.url %q: %q is not a compose service", raw, host)
		} else if _, ok := svc.DependsOn[host]; !ok || svc.DependsOn[host].Condition != types.ServiceConditionHealthy {
			fs.add(RuleCompose, obj, "must depend on %s being healthy: replay protection and rate limits need it", host)
		}
	} else {
		fs.add(RuleCompose, obj, "store.backend %q: the replicas must share state through Redis", backend)
	}
	return nil
}

// writableAt reports whether dir is inside a writable volume or tmpfs of the service.
func writableAt(svc types.ServiceConfig, dir string) bool {
	under := func(target string) bool {
		return dir == target || strings.HasPrefix(dir, strings.TrimSuffix(target, "/")+"/")
	}
	for _, v := range svc.Volumes {
		if !v.ReadOnly && under(v.Target) {
			return true
		}
	}
	for _, t := range svc.Tmpfs {
		target, _, _ := strings.Cut(t, ":")
		if under(target) {
			return true
		}
	}
	return false
}

// prometheusConfig is the part of prometheus.yml the check reads.
type prometheusConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// checkPrometheus finds the Prometheus service's prometheus.yml (the file bind-mounted at
// /etc/prometheus/prometheus.yml) and checks that the scrape jobs on /metrics name exactly the
// gateways' admin listeners.
func checkPrometheus(fs *findings, p *types.Project, adminTargets map[string]bool) {
	for _, name := range p.ServiceNames() {
		for _, v := range p.Services[name].Volumes {
			if v.Target != "/etc/prometheus/prometheus.yml" {
				continue
			}
			raw, err := os.ReadFile(v.Source)
			if err != nil {
				fs.add(RulePrometheus, "compose service "+name, "%v", err)
				return
			}
			var cfg prometheusConfig
			dec := yaml.NewDecoder(strings.NewReader(string(raw)))
			dec.KnownFields(false)
			if err := dec.Decode(&cfg); err != nil {
				fs.add(RulePrometheus, v.Source, "%v", err)
				return
			}
			scraped := map[string]bool{}
			for _, sc := range cfg.ScrapeConfigs {
				for _, st := range sc.StaticConfigs {
					for _, t := range st.Targets {
						if adminTargets[t] {
							scraped[t] = true
							if sc.MetricsPath != "/metrics" {
								fs.add(RulePrometheus, v.Source, "job %s scrapes %s on %q, not /metrics", sc.JobName, t, sc.MetricsPath)
							}
						} else if host, _, _ := strings.Cut(t, ":"); p.Services[host].Build != nil {
							fs.add(RulePrometheus, v.Source, "job %s target %s is not a gateway's admin listener", sc.JobName, t)
						}
					}
				}
			}
			for _, t := range sortedKeys(adminTargets) {
				if !scraped[t] {
					fs.add(RulePrometheus, v.Source, "no job scrapes %s (a gateway replica's admin listener)", t)
				}
			}
			return
		}
	}
	fs.add(RulePrometheus, "compose.yaml", "no service mounts a prometheus.yml at /etc/prometheus/prometheus.yml")
}

// PasimListenerRE reads a --listen-NAME flag and its default from `pasim serve --help`.
var PasimListenerRE = regexp.MustCompile(`(?m)^\s+-listen-([a-z0-9]+) string\n[^\n]*\(default "[^"]*:(\d+)"\)`)

// PasimListeners runs `pasim serve --help` and returns each simulator listener with its default
// port: the ports the compose file and the pasim image must serve.
func PasimListeners(ctx context.Context, pasimBin string) (map[string]int, error) {
	out, _ := execOutput(ctx, pasimBin, "serve", "--help") // --help exits non-zero by flag convention
	ls := map[string]int{}
	for _, m := range PasimListenerRE.FindAllStringSubmatch(out, -1) {
		ls[m[1]], _ = strconv.Atoi(m[2])
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("%s serve --help lists no --listen-NAME flag:\n%s", pasimBin, out)
	}
	return ls, nil
}
