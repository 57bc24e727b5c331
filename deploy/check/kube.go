package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/welfaregov/gateway/deploy/internal/kubeschema"
)

// GatewayContainer is the name of the gateway's container; the Deployment that has it is the
// gateway's.
const GatewayContainer = "gateway"

// Render builds the kustomization in dir, as `kubectl kustomize dir` does, and returns its
// objects.
func Render(dir string) ([]map[string]any, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var objs []map[string]any
	for _, r := range m.Resources() {
		obj, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// KubeOptions are what CheckKube needs besides the objects.
type KubeOptions struct {
	// Schemas validates the built-in kinds.
	Schemas *kubeschema.Validator
	// GatewayBin is the gateway binary that runs check-config on the mounted configuration.
	GatewayBin string
}

// cluster indexes the typed objects of one rendered kustomization.
type cluster struct {
	deployments     []appsv1.Deployment
	services        []corev1.Service
	hpas            []autoscalingv2.HorizontalPodAutoscaler
	pdbs            []policyv1.PodDisruptionBudget
	netpols         []networkingv1.NetworkPolicy
	configMaps      map[string]corev1.ConfigMap
	serviceMonitors []monitoringv1.ServiceMonitor
}

// CheckKube checks the objects of one rendered kustomization: each against its schema, then the
// gateway's rules. The error is for a check that could not run (check-config failing to start).
func CheckKube(ctx context.Context, objs []map[string]any, o KubeOptions) ([]Finding, error) {
	var fs findings
	c := cluster{configMaps: map[string]corev1.ConfigMap{}}
	for _, obj := range objs {
		name := fmt.Sprintf("%v/%v", obj["kind"], nameOf(obj))
		if obj["apiVersion"] == "monitoring.coreos.com/v1" {
			// Not a built-in kind: its schema is the Prometheus Operator's Go type, which c.add
			// decodes strictly (unknown fields refused).
			if obj["kind"] != "ServiceMonitor" {
				fs.add(RuleSchema, name, "no schema for %v %v", obj["apiVersion"], obj["kind"])
				continue
			}
		} else {
			for _, p := range o.Schemas.Validate(obj) {
				fs.add(RuleSchema, p.Object, "%s", strings.TrimPrefix(p.String(), p.Object+": "))
			}
		}
		if err := c.add(obj); err != nil {
			fs.add(RuleSchema, name, "%v", err)
		}
		if obj["kind"] == "Secret" {
			fs.add(RuleSecretValues, name, "a Secret in the manifests carries its values into the repository; reference a Secret the operators create instead (deploy/README.md, \"Secrets\")")
		}
	}
	var gw *appsv1.Deployment
	for i := range c.deployments {
		if c.deployments[i].Spec.Template.Spec.Containers != nil && gatewayContainer(&c.deployments[i].Spec.Template.Spec) != nil {
			gw = &c.deployments[i]
		}
	}
	if gw == nil {
		fs.add(RuleReplicas, "Deployment", "no Deployment with a container named %q", GatewayContainer)
		return fs, nil
	}
	cfg, err := c.gatewayConfig(gw)
	if err != nil {
		fs.add(RuleConfig, "Deployment/"+gw.Name, "%v", err)
		return fs, nil
	}
	problems, err := cfg.Check(ctx, o.GatewayBin)
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		fs.add(RuleConfig, cfg.Source, "gateway check-config: %s", p)
	}
	for _, rule := range []func(*findings, *appsv1.Deployment, GatewayConfig){
		c.checkPodSecurity, c.checkProbes, c.checkGracefulStop, c.checkResources, c.checkSpread,
		c.checkReplicas, c.checkDisruption, c.checkServices, c.checkNetworkPolicy, c.checkSecretValues,
		c.checkImages, c.checkServiceMonitors,
	} {
		rule(&fs, gw, cfg)
	}
	return fs, nil
}

func nameOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	n, _ := meta["name"].(string)
	return n
}

// decodeStrict decodes obj into a typed object, refusing fields the type does not have.
func decodeStrict(obj map[string]any, into any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func (c *cluster) add(obj map[string]any) error {
	switch fmt.Sprintf("%v %v", obj["apiVersion"], obj["kind"]) {
	case "apps/v1 Deployment":
		return decodeAppend(obj, &c.deployments)
	case "v1 Service":
		return decodeAppend(obj, &c.services)
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return decodeAppend(obj, &c.hpas)
	case "policy/v1 PodDisruptionBudget":
		return decodeAppend(obj, &c.pdbs)
	case "networking.k8s.io/v1 NetworkPolicy":
		return decodeAppend(obj, &c.netpols)
	case "monitoring.coreos.com/v1 ServiceMonitor":
		return decodeAppend(obj, &c.serviceMonitors)
	case "v1 ConfigMap":
		var cm corev1.ConfigMap
		err := decodeStrict(obj, &cm)
		if err == nil {
			c.configMaps[cm.Name] = cm
		}
		return err
	}
	return nil
}

// decodeAppend decodes obj strictly into a new T and appends it to list.
func decodeAppend[T any](obj map[string]any, list *[]T) error {
	var v T
	if err := decodeStrict(obj, &v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}

func gatewayContainer(pod *corev1.PodSpec) *corev1.Container {
	for i := range pod.Containers {
		if pod.Containers[i].Name == GatewayContainer {
			return &pod.Containers[i]
		}
	}
	return nil
}

// podObject names the gateway Deployment in findings.
func podObject(d *appsv1.Deployment) string { return "Deployment/" + d.Name }

// secretRedactedValue stands for a value an environment variable takes from a Secret.
const secretRedactedValue = "value-from-a-secret"

// gatewayConfig reconstructs what the gateway container is given: the file its --config names
// (from the ConfigMap mounted there), its environment, and the files mounted from Secrets.
func (c *cluster) gatewayConfig(d *appsv1.Deployment) (GatewayConfig, error) {
	ctr := gatewayContainer(&d.Spec.Template.Spec)
	args := append(slices.Clone(ctr.Command), ctr.Args...)
	cfgPath := ""
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			cfgPath = v
		} else if a == "--config" && i+1 < len(args) {
			cfgPath = args[i+1]
		}
	}
	if cfgPath == "" {
		return GatewayConfig{}, fmt.Errorf("the gateway container is not given --config FILE")
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range d.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v
	}
	cfg := GatewayConfig{Env: map[string]string{}}
	for _, m := range ctr.VolumeMounts {
		v := volumes[m.Name]
		switch {
		case v.ConfigMap != nil && (m.MountPath == cfgPath || strings.HasPrefix(cfgPath, m.MountPath+"/")):
			key := m.SubPath
			if m.MountPath != cfgPath {
				key = strings.TrimPrefix(cfgPath, m.MountPath+"/")
			}
			cm, ok := c.configMaps[v.ConfigMap.Name]
			if !ok {
				return cfg, fmt.Errorf("--config %s is mounted from ConfigMap %s, which the manifests do not contain", cfgPath, v.ConfigMap.Name)
			}
			data, ok := cm.Data[key]
			if !ok {
				return cfg, fmt.Errorf("--config %s: ConfigMap %s has no key %q", cfgPath, cm.Name, key)
			}
			cfg.Source, cfg.YAML = "ConfigMap/"+cm.Name+" "+key, []byte(data)
		case v.Secret != nil:
			cfg.RuntimeFiles = append(cfg.RuntimeFiles, secretFiles(m.MountPath, v.Secret.Items)...)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					cfg.RuntimeFiles = append(cfg.RuntimeFiles, secretFiles(m.MountPath, src.Secret.Items)...)
				}
			}
		}
	}
	if cfg.YAML == nil {
		return cfg, fmt.Errorf("--config %s is not mounted from a ConfigMap", cfgPath)
	}
	for _, ef := range ctr.EnvFrom {
		if ef.ConfigMapRef == nil {
			return cfg, fmt.Errorf("envFrom other than a ConfigMap: the environment could not be checked")
		}
		cm, ok := c.configMaps[ef.ConfigMapRef.Name]
		if !ok {
			return cfg, fmt.Errorf("envFrom ConfigMap %s is not in the manifests", ef.ConfigMapRef.Name)
		}
		for k, v := range cm.Data {
			cfg.Env[ef.Prefix+k] = v
		}
	}
	for _, e := range ctr.Env {
		switch {
		case e.ValueFrom == nil:
			cfg.Env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			cfg.Env[e.Name] = secretRedactedValue
		case e.ValueFrom.ConfigMapKeyRef != nil:
			cfg.Env[e.Name] = c.configMaps[e.ValueFrom.ConfigMapKeyRef.Name].Data[e.ValueFrom.ConfigMapKeyRef.Key]
		default:
			cfg.Env[e.Name] = "value-from-the-pod"
		}
	}
	return cfg, nil
}

// secretFiles lists the files a Secret volume provides: each item's path, or the whole tree.
func secretFiles(mountPath string, items []corev1.KeyToPath) []string {
	if len(items) == 0 {
		return []string{strings.TrimSuffix(mountPath, "/") + "/"}
	}
	var out []string
	for _, it := range items {
		out = append(out, strings.TrimSuffix(mountPath, "/")+"/"+it.Path)
	}
	return out
}

func (c *cluster) checkPodSecurity(fs *findings, d *appsv1.Deployment, _ GatewayConfig) {
	obj, pod := podObject(d), &d.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		fs.add(RulePodSecurity, obj, "spec.template.spec.securityContext.runAsNonRoot must be true")
	}
	if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		fs.add(RulePodSecurity, obj, "the pod runs as UID 0")
	}
	podSeccomp := psc != nil && psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		fs.add(RulePodSecurity, obj, "automountServiceAccountToken must be false: the gateway never calls the Kubernetes API")
	}
	for _, ctr := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		where := fmt.Sprintf("%s container %s", obj, ctr.Name)
		sc := ctr.SecurityContext
		if sc == nil {
			fs.add(RulePodSecurity, where, "no securityContext")
			continue
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			fs.add(RulePodSecurity, where, "readOnlyRootFilesystem must be true (writes go to the run emptyDir)")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			fs.add(RulePodSecurity, where, "allowPrivilegeEscalation must be false")
		}
		if sc.Privileged != nil && *sc.Privileged {
			fs.add(RulePodSecurity, where, "privileged")
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			fs.add(RulePodSecurity, where, "runs as UID 0")
		}
		if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
			fs.add(RulePodSecurity, where, "runAsNonRoot false overrides the pod's")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			fs.add(RulePodSecurity, where, "capabilities.drop must contain ALL")
		}
		if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
			fs.add(RulePodSecurity, where, "adds capabilities %v (the listener ports are above 1024)", sc.Capabilities.Add)
		}
		if !podSeccomp && (sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault) {
			fs.add(RulePodSecurity, where, "seccompProfile must be RuntimeDefault (on the pod or the container)")
		}
	}
}

// resolvePort finds the container port a probe or Service names, by name or number.
func resolvePort(ctr *corev1.Container, p intstr.IntOrString) (corev1.ContainerPort, bool) {
	for _, cp := range ctr.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}

func (c *cluster) checkProbes(fs *findings, d *appsv1.Deployment, cfg GatewayConfig) {
	obj, ctr := podObject(d), gatewayContainer(&d.Spec.Template.Spec)
	for _, l := range Listeners {
		want, err := cfg.ListenerPort(l)
		if err != nil {
			fs.add(RuleConfig, cfg.Source, "%v", err)
			continue
		}
		cp, ok := resolvePort(ctr, intstr.FromString(l))
		if !ok || cp.ContainerPort != int32(want) {
			fs.add(RuleProbes, obj, "container port %q must be %d, the port of listeners.%s in %s", l, want, l, cfg.Source)
		}
	}
	adminTLS, _ := cfg.Value("listeners", "admin", "tls", "mode")
	wantScheme := corev1.URISchemeHTTP
	if adminTLS != "" && adminTLS != "off" {
		wantScheme = corev1.URISchemeHTTPS
	}
	for _, p := range []struct {
		kind, path string
		probe      *corev1.Probe
	}{{"startupProbe", "/livez", ctr.StartupProbe}, {"livenessProbe", "/livez", ctr.LivenessProbe}, {"readinessProbe", "/readyz", ctr.ReadinessProbe}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			fs.add(RuleProbes, obj, "%s must be an httpGet of %s on the admin listener", p.kind, p.path)
			continue
		}
		g := p.probe.HTTPGet
		cp, ok := resolvePort(ctr, g.Port)
		if !ok || cp.Name != "admin" {
			fs.add(RuleProbes, obj, "%s port %s is not the admin listener's port", p.kind, g.Port.String())
		}
		if g.Path != p.path {
			fs.add(RuleProbes, obj, "%s path %q, want %q", p.kind, g.Path, p.path)
		}
		scheme := g.Scheme
		if scheme == "" {
			scheme = corev1.URISchemeHTTP
		}
		if scheme != wantScheme {
			fs.add(RuleProbes, obj, "%s scheme %s, but the admin listener's TLS mode is %q", p.kind, scheme, adminTLS)
		}
	}
}

func (c *cluster) checkGracefulStop(fs *findings, d *appsv1.Deployment, cfg GatewayConfig) {
	obj, ctr := podObject(d), gatewayContainer(&d.Spec.Template.Spec)
	grace, err := cfg.ShutdownGrace()
	if err != nil {
		fs.add(RuleConfig, cfg.Source, "listeners.shutdown_grace: %v", err)
		return
	}
	var pause int64
	if ctr.Lifecycle == nil || ctr.Lifecycle.PreStop == nil || ctr.Lifecycle.PreStop.Sleep == nil || ctr.Lifecycle.PreStop.Sleep.Seconds < 1 {
		fs.add(RuleGracefulStop, obj, "a preStop sleep of a few seconds must let the endpoints drain before SIGTERM")
	} else {
		pause = ctr.Lifecycle.PreStop.Sleep.Seconds
	}
	total := int64(30) // Kubernetes' default
	if d.Spec.Template.Spec.TerminationGracePeriodSeconds != nil {
		total = *d.Spec.Template.Spec.TerminationGracePeriodSeconds
	}
	need := pause + int64(grace.Seconds())
	if total <= need {
		fs.add(RuleGracefulStop, obj, "terminationGracePeriodSeconds %d must exceed the preStop pause (%ds) plus listeners.shutdown_grace (%s) = %ds, or requests in flight are killed", total, pause, grace, need)
	}
}

// goMemLimitRE reads GOMEMLIMIT (runtime/debug.SetMemoryLimit syntax).
var goMemLimitRE = regexp.MustCompile(`^(\d+)(B|KiB|MiB|GiB|TiB)?$`)

func (c *cluster) checkResources(fs *findings, d *appsv1.Deployment, _ GatewayConfig) {
	obj := podObject(d)
	for _, ctr := range d.Spec.Template.Spec.Containers {
		where := fmt.Sprintf("%s container %s", obj, ctr.Name)
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := ctr.Resources.Requests[name]
			limit, hasLimit := ctr.Resources.Limits[name]
			if !hasReq || !hasLimit {
				fs.add(RuleResources, where, "%s needs a request and a limit", name)
			} else if req.Cmp(limit) > 0 {
				fs.add(RuleResources, where, "%s request %s above its limit %s", name, req.String(), limit.String())
			}
		}
		if ctr.Name != GatewayContainer {
			continue
		}
		limit := ctr.Resources.Limits[corev1.ResourceMemory]
		var gml string
		for _, e := range ctr.Env {
			if e.Name == "GOMEMLIMIT" {
				gml = e.Value
			}
		}
		m := goMemLimitRE.FindStringSubmatch(gml)
		if m == nil {
			fs.add(RuleResources, where, "GOMEMLIMIT %q: set it below the memory limit (e.g. 450MiB for 512Mi) so the GC works before the OOM killer", gml)
			continue
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		bytes := n * map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
		if lim := limit.Value(); lim == 0 || bytes >= lim {
			fs.add(RuleResources, where, "GOMEMLIMIT %s must be below the memory limit %s", gml, limit.String())
		}
	}
}

func podLabels(d *appsv1.Deployment) labels.Set { return labels.Set(d.Spec.Template.Labels) }

// selects reports whether a label selector selects the gateway pods (a nil selector selects none).
func selects(sel *metav1.LabelSelector, d *appsv1.Deployment) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(podLabels(d))
}

func (c *cluster) checkSpread(fs *findings, d *appsv1.Deployment, _ GatewayConfig) {
	for _, t := range d.Spec.Template.Spec.TopologySpreadConstraints {
		if t.TopologyKey == corev1.LabelHostname && selects(t.LabelSelector, d) {
			return
		}
	}
	fs.add(RuleSpread, podObject(d), "no topologySpreadConstraint over %s selecting the gateway pods: replicas could share a node", corev1.LabelHostname)
}

// hpa returns the HorizontalPodAutoscaler that scales the gateway Deployment, or nil.
func (c *cluster) hpa(d *appsv1.Deployment) *autoscalingv2.HorizontalPodAutoscaler {
	for i, h := range c.hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind == "Deployment" && ref.Name == d.Name && ref.APIVersion == "apps/v1" {
			return &c.hpas[i]
		}
	}
	return nil
}

// minReplicas is the fewest gateway replicas (HPA minReplicas, else spec.replicas, else 1).
func (c *cluster) minReplicas(d *appsv1.Deployment) int32 {
	if h := c.hpa(d); h != nil && h.Spec.MinReplicas != nil {
		return *h.Spec.MinReplicas
	}
	if d.Spec.Replicas != nil {
		return *d.Spec.Replicas
	}
	return 1
}

func (c *cluster) checkReplicas(fs *findings, d *appsv1.Deployment, _ GatewayConfig) {
	obj := podObject(d)
	h := c.hpa(d)
	if h == nil {
		fs.add(RuleReplicas, obj, "no HorizontalPodAutoscaler (autoscaling/v2) targets the Deployment")
		return
	}
	hobj := "HorizontalPodAutoscaler/" + h.Name
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
		fs.add(RuleReplicas, hobj, "minReplicas must be at least 2: one replica lost must not stop the service")
	}
	if d.Spec.Replicas != nil {
		fs.add(RuleReplicas, obj, "spec.replicas is set although the HPA owns the count: every apply would reset it")
	}
	cpu := false
	for _, m := range h.Spec.Metrics {
		cpu = cpu || (m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU)
	}
	if !cpu {
		fs.add(RuleReplicas, hobj, "no CPU resource metric")
	}
}

func (c *cluster) checkDisruption(fs *findings, d *appsv1.Deployment, _ GatewayConfig) {
	for _, p := range c.pdbs {
		if !selects(p.Spec.Selector, d) {
			continue
		}
		obj := "PodDisruptionBudget/" + p.Name
		switch {
		case p.Spec.MinAvailable == nil || p.Spec.MinAvailable.Type != intstr.Int:
			fs.add(RuleDisruption, obj, "minAvailable must be a number of pods (1)")
		case p.Spec.MinAvailable.IntVal < 1:
			fs.add(RuleDisruption, obj, "minAvailable %d protects nothing", p.Spec.MinAvailable.IntVal)
		case p.Spec.MinAvailable.IntVal >= c.minReplicas(d):
			fs.add(RuleDisruption, obj, "minAvailable %d with as few as %d replicas blocks every node drain", p.Spec.MinAvailable.IntVal, c.minReplicas(d))
		}
		return
	}
	fs.add(RuleDisruption, podObject(d), "no PodDisruptionBudget selects the gateway pods")
}

func (c *cluster) checkServices(fs *findings, d *appsv1.Deployment, _ GatewayConfig) {
	ctr := gatewayContainer(&d.Spec.Template.Spec)
	served := map[string]bool{}
	for _, s := range c.services {
		obj := "Service/" + s.Name
		if len(s.Spec.Selector) == 0 || !labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels(d)) {
			fs.add(RuleServices, obj, "selector %v does not select the gateway pods", s.Spec.Selector)
			continue
		}
		for _, p := range s.Spec.Ports {
			target := p.TargetPort
			if target.Type == intstr.Int && target.IntVal == 0 {
				target = intstr.FromInt32(p.Port)
			}
			cp, ok := resolvePort(ctr, target)
			if !ok {
				fs.add(RuleServices, obj, "port %s targets %s, which the gateway container does not expose", p.Name, target.String())
				continue
			}
			served[cp.Name] = true
			if cp.Name == "admin" && (s.Spec.Type != "" && s.Spec.Type != corev1.ServiceTypeClusterIP || len(s.Spec.ExternalIPs) > 0) {
				fs.add(RuleAdminExposure, obj, "exposes the admin listener outside the cluster (type %s): keep it ClusterIP", s.Spec.Type)
			}
		}
	}
	for _, l := range Listeners {
		if !served[l] {
			fs.add(RuleServices, podObject(d), "no Service routes to the %s listener", l)
		}
	}
}

// allows reports whether a NetworkPolicy port entry admits protocol/port of the gateway.
func allows(p networkingv1.NetworkPolicyPort, ctr *corev1.Container, proto corev1.Protocol, port int32) bool {
	pp := corev1.ProtocolTCP
	if p.Protocol != nil {
		pp = *p.Protocol
	}
	if pp != proto {
		return false
	}
	if p.Port == nil {
		return true
	}
	if p.Port.Type == intstr.String {
		cp, ok := resolvePort(ctr, *p.Port)
		return ok && cp.ContainerPort == port
	}
	end := p.Port.IntVal
	if p.EndPort != nil {
		end = *p.EndPort
	}
	return port >= p.Port.IntVal && port <= end
}

func (c *cluster) checkNetworkPolicy(fs *findings, d *appsv1.Deployment, cfg GatewayConfig) {
	ctr := gatewayContainer(&d.Spec.Template.Spec)
	var np *networkingv1.NetworkPolicy
	for i := range c.netpols {
		if selects(&c.netpols[i].Spec.PodSelector, d) {
			np = &c.netpols[i]
		}
	}
	if np == nil {
		fs.add(RuleNetworkPolicy, podObject(d), "no NetworkPolicy selects the gateway pods")
		return
	}
	obj := "NetworkPolicy/" + np.Name
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		fs.add(RuleNetworkPolicy, obj, "policyTypes must list Ingress and Egress, so everything not listed is denied")
	}
	admitted := map[string]bool{}
	for i, rule := range np.Spec.Ingress {
		if len(rule.Ports) == 0 {
			fs.add(RuleNetworkPolicy, obj, "ingress[%d] admits every port: name the listener ports", i)
		}
		for _, p := range rule.Ports {
			matched := false
			for _, cp := range ctr.Ports {
				if allows(p, ctr, cp.Protocol, cp.ContainerPort) {
					matched, admitted[cp.Name] = true, true
					if cp.Name == "admin" && (len(rule.From) == 0 || anyAddress(rule.From)) {
						fs.add(RuleAdminExposure, obj, "ingress[%d] admits the admin port from anywhere: name the monitoring namespace", i)
					}
				}
			}
			if !matched {
				fs.add(RuleNetworkPolicy, obj, "ingress[%d] admits a port the gateway does not listen on", i)
			}
		}
	}
	for _, l := range Listeners {
		if !admitted[l] {
			fs.add(RuleNetworkPolicy, obj, "no ingress rule admits the %s listener", l)
		}
	}
	egress := func(proto corev1.Protocol, port int32) bool {
		for _, rule := range np.Spec.Egress {
			if len(rule.Ports) == 0 {
				return true
			}
			for _, p := range rule.Ports {
				if allows(p, ctr, proto, port) {
					return true
				}
			}
		}
		return false
	}
	if !egress(corev1.ProtocolUDP, 53) {
		fs.add(RuleNetworkPolicy, obj, "no egress to DNS (UDP 53): no upstream name resolves")
	}
	if !egress(corev1.ProtocolTCP, 443) {
		fs.add(RuleNetworkPolicy, obj, "no egress to HTTPS (TCP 443): PDND and the upstream e-services are unreachable")
	}
	if port, ok := redisPort(cfg); ok && !egress(corev1.ProtocolTCP, port) {
		fs.add(RuleNetworkPolicy, obj, "no egress to Redis port %d (store.redis.url)", port)
	}
}

func anyAddress(peers []networkingv1.NetworkPolicyPeer) bool {
	for _, p := range peers {
		if p.IPBlock != nil && (p.IPBlock.CIDR == "0.0.0.0/0" || p.IPBlock.CIDR == "::/0") {
			return true
		}
	}
	return false
}

// redisPort is the port of the configured Redis URL (6379 when it has none).
func redisPort(cfg GatewayConfig) (int32, bool) {
	if b, _ := cfg.Value("store", "backend"); b != "redis" {
		return 0, false
	}
	raw, _ := cfg.Value("store", "redis", "url")
	u, err := url.Parse(raw)
	if raw == "" || err != nil {
		return 0, false
	}
	if u.Port() == "" {
		return 6379, true
	}
	p, err := strconv.Atoi(u.Port())
	return int32(p), err == nil
}

// secretNameRE matches environment variable names that carry credentials.
var secretNameRE = regexp.MustCompile(`(?i)(password|passwd|secret|token|api_?key|private_?key)`)

func (c *cluster) checkSecretValues(fs *findings, d *appsv1.Deployment, cfg GatewayConfig) {
	for _, ctr := range d.Spec.Template.Spec.Containers {
		for _, e := range ctr.Env {
			if e.ValueFrom == nil && e.Value != "" && secretNameRE.MatchString(e.Name) {
				fs.add(RuleSecretValues, podObject(d), "env %s has a literal value: take it from a Secret (secretKeyRef) or a mounted file", e.Name)
			}
		}
	}
	for _, k := range sortedKeys(cfg.Env) {
		v := cfg.Env[k]
		isReference := v == secretRedactedValue || strings.HasPrefix(strings.TrimSpace(v), "{") || strings.HasSuffix(k, "__FILE") || strings.HasSuffix(k, "__ENV")
		if secretNameRE.MatchString(k) && !isReference {
			fs.add(RuleSecretValues, podObject(d), "environment variable %s is set from a ConfigMap: take it from a Secret", k)
		}
	}
}

func (c *cluster) checkImages(fs *findings, d *appsv1.Deployment, _ GatewayConfig) {
	for _, ctr := range append(slices.Clone(d.Spec.Template.Spec.InitContainers), d.Spec.Template.Spec.Containers...) {
		if !pinnedImage(ctr.Image) {
			fs.add(RuleImage, podObject(d), "container %s image %q: give a version tag or a digest, never latest (the overlays' images:)", ctr.Name, ctr.Image)
		}
	}
}

// pinnedImage reports whether an image reference names a digest or a tag other than latest.
func pinnedImage(ref string) bool {
	if strings.Contains(ref, "@sha256:") {
		return true
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	return ok && tag != "" && tag != "latest"
}

func (c *cluster) checkServiceMonitors(fs *findings, d *appsv1.Deployment, _ GatewayConfig) {
	ctr := gatewayContainer(&d.Spec.Template.Spec)
	for _, sm := range c.serviceMonitors {
		obj := "ServiceMonitor/" + sm.Name
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil {
			fs.add(RuleServiceMonitor, obj, "selector: %v", err)
			continue
		}
		found := false
		for _, s := range c.services {
			if sel.Empty() || !sel.Matches(labels.Set(s.Labels)) {
				continue
			}
			for _, ep := range sm.Spec.Endpoints {
				for _, p := range s.Spec.Ports {
					cp, ok := resolvePort(ctr, p.TargetPort)
					if p.Name == ep.Port && ok && cp.Name == "admin" {
						found = true
						if ep.Path != "/metrics" {
							fs.add(RuleServiceMonitor, obj, "path %q, want /metrics", ep.Path)
						}
					}
				}
			}
		}
		if !found {
			fs.add(RuleServiceMonitor, obj, "selects no Service port that routes to the admin listener")
		}
	}
}
