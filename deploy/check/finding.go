// Package check holds the checks of the deployment artifacts in deploy/: the Dockerfile and its
// build context, the compose file, and the Kubernetes manifests rendered by kustomize. No Docker
// engine or cluster is needed: the checks parse the files, run `make build` as the image's build
// stage would, validate every rendered object against the Kubernetes OpenAPI schemas, run
// `gateway check-config` on every configuration a container is given, and enforce this
// project's rules (non-root, read-only root filesystem, probes on the admin listener, graceful
// shutdown, no secret values ...). Each rule is a function returning Findings, so the tests can
// prove, with broken fixtures, that a rule fails when it should.
//
// `make deploy-check` (part of `make test`) runs them: cd deploy && go test ./...
package check

import "fmt"

// Rule names one invariant; tests assert on it rather than on message text.
type Rule string

// The rules. deploy/README.md explains the reasons behind them.
const (
	RuleSchema          Rule = "schema"            // the object matches the Kubernetes OpenAPI schema
	RuleSecretValues    Rule = "secret-values"     // no secret value in the repository's manifests
	RulePodSecurity     Rule = "pod-security"      // non-root, read-only root, no capabilities, seccomp
	RuleProbes          Rule = "probes"            // startup/liveness/readiness on the admin listener
	RuleGracefulStop    Rule = "graceful-shutdown" // preStop pause + shutdown_grace < termination grace
	RuleResources       Rule = "resources"         // requests and limits; GOMEMLIMIT below the limit
	RuleSpread          Rule = "topology-spread"   // replicas on different nodes
	RuleReplicas        Rule = "replicas"          // HPA from 2, no fixed count fighting it
	RuleDisruption      Rule = "disruption-budget" // PDB minAvailable 1 over the gateway pods
	RuleServices        Rule = "services"          // one Service per listener, selectors match
	RuleAdminExposure   Rule = "admin-exposure"    // the admin listener never leaves the cluster
	RuleNetworkPolicy   Rule = "network-policy"    // ingress to the three ports, egress as needed
	RuleConfig          Rule = "config"            // the mounted configuration passes check-config
	RuleImage           Rule = "image"             // images pinned, never :latest
	RuleDockerfile      Rule = "dockerfile"        // build stage, base, user, ports
	RuleBuildContext    Rule = "build-context"     // what the image build can see
	RuleCompose         Rule = "compose"           // compose services, ports, volumes
	RulePrometheus      Rule = "prometheus"        // prometheus.yml scrapes every replica
	RuleServiceMonitor  Rule = "servicemonitor"    // the optional ServiceMonitor finds the admin port
	RuleStaticBinaries  Rule = "static-binaries"   // the images' binaries need no libc
	RuleSimulatorExpose Rule = "simulator-ports"   // every pasim listener reachable in compose
)

// Finding is one broken rule.
type Finding struct {
	Rule   Rule
	Object string // "Deployment/welfaregov-gateway", "compose service gateway-1", "Dockerfile:12"
	Detail string
}

func (f Finding) String() string { return fmt.Sprintf("[%s] %s: %s", f.Rule, f.Object, f.Detail) }

// findings collects Findings; the zero value is ready to use.
type findings []Finding

func (fs *findings) add(rule Rule, object, format string, args ...any) {
	*fs = append(*fs, Finding{Rule: rule, Object: object, Detail: fmt.Sprintf(format, args...)})
}
