package check

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// overlays are the kustomizations operators apply; each must render clean.
var overlays = map[string]string{
	"ok/uat":                       filepath.Join(deployDir, "k8s", "overlays", "uat"),
	"ok/production":                filepath.Join(deployDir, "k8s", "overlays", "production"),
	"ok/production+servicemonitor": filepath.Join("testdata", "ok", "production-servicemonitor"),
}

func TestKubernetesOverlays(t *testing.T) {
	img := buildImage(t)
	opts := KubeOptions{Schemas: kubeSchemas(t), GatewayBin: img.gateway}
	for name, dir := range overlays {
		t.Run(name, func(t *testing.T) {
			objs, err := Render(dir)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o["kind"].(string)]++
			}
			for kind, n := range map[string]int{"Deployment": 1, "Service": 3, "HorizontalPodAutoscaler": 1,
				"PodDisruptionBudget": 1, "NetworkPolicy": 1, "ConfigMap": 2, "ServiceAccount": 1} {
				if kinds[kind] != n {
					t.Errorf("%d %s objects, want %d", kinds[kind], kind, n)
				}
			}
			if strings.Contains(name, "servicemonitor") && kinds["ServiceMonitor"] != 1 {
				t.Errorf("%d ServiceMonitors, want 1", kinds["ServiceMonitor"])
			}
			fs, err := CheckKube(context.Background(), objs, opts)
			if err != nil {
				t.Fatal(err)
			}
			expectNone(t, fs)
		})
	}
}

// TestKubernetesBroken renders each testdata/broken/<case> kustomization (the production overlay
// with one deliberate mistake) and expects the finding its "want" file names: first line the
// rule, second a part of the detail. A check that cannot fail proves nothing.
func TestKubernetesBroken(t *testing.T) {
	img := buildImage(t)
	opts := KubeOptions{Schemas: kubeSchemas(t), GatewayBin: img.gateway}
	cases, err := filepath.Glob(filepath.Join("testdata", "broken", "*"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no broken fixtures: %v", err)
	}
	for _, dir := range cases {
		t.Run("fail/"+filepath.Base(dir), func(t *testing.T) {
			want := strings.SplitN(strings.TrimSpace(readFile(t, filepath.Join(dir, "want"))), "\n", 2)
			if len(want) != 2 {
				t.Fatalf("%s/want: give the rule on line 1 and a part of the detail on line 2", dir)
			}
			objs, err := Render(dir)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := CheckKube(context.Background(), objs, opts)
			if err != nil {
				t.Fatal(err)
			}
			expectFinding(t, fs, Rule(want[0]), want[1])
		})
	}
}

// TestNoSecretValuesInManifests: every file under deploy/k8s is free of Secret objects and of
// secretGenerators (which would put values in the repository).
func TestNoSecretValuesInManifests(t *testing.T) {
	err := filepath.WalkDir(filepath.Join(deployDir, "k8s"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text := readFile(t, p)
		for _, bad := range []string{"kind: Secret", "secretGenerator"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s contains %q: reference Secrets the operators create, never their values", p, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPinnedImage(t *testing.T) {
	for ref, want := range map[string]bool{
		"registry.example.it/welfaregov/gateway:0.1.0":            true,
		"registry:5000/gateway@sha256:" + strings.Repeat("a", 64): true,
		"registry:5000/gateway":                                   false,
		"gateway:latest":                                          false,
		"welfaregov-gateway":                                      false,
	} {
		if got := pinnedImage(ref); got != want {
			t.Errorf("pinnedImage(%q) = %v, want %v", ref, got, want)
		}
	}
}
