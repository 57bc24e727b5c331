package kubeschema

import (
	"context"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

var (
	dirOnce sync.Once
	dir     string
	dirErr  error
)

func validator(t *testing.T) *Validator {
	t.Helper()
	dirOnce.Do(func() { dir, dirErr = Download(context.Background(), "") })
	if dirErr != nil {
		t.Fatal(dirErr)
	}
	return New(dir)
}

func decode(t *testing.T, src string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(src), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          ports: [{containerPort: 8080, name: http}]
          resources: {limits: {cpu: "1", memory: 128Mi}, requests: {cpu: 0.5}}
          readinessProbe: {httpGet: {path: /, port: http}}
          lifecycle: {preStop: {sleep: {seconds: 5}}}
`

func TestValidate(t *testing.T) {
	v := validator(t)
	for name, tc := range map[string]struct {
		src  string
		edit func(string) string
		want []string // substrings of the problems, in order; none: valid
	}{
		"ok/deployment":         {src: deployment},
		"ok/int-or-string-port": {src: deployment, edit: func(s string) string { return strings.Replace(s, "port: http", "port: 8080", 1) }},
		"ok/null-dropped": {src: deployment, edit: func(s string) string {
			return strings.Replace(s, "metadata: {name: web}", "metadata: {name: web, annotations: null}", 1)
		}},
		"ok/service": {src: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{port: 443, targetPort: https}], selector: {a: b}}`},
		"fail/unknown-field": {src: deployment, edit: func(s string) string {
			return strings.Replace(s, "image: nginx", "image: nginx\n          imagePullPolice: Always", 1)
		},
			want: []string{"Deployment/web: /spec/template/spec/containers/0: additional properties 'imagePullPolice' not allowed"}},
		"fail/wrong-type": {src: deployment, edit: func(s string) string {
			return strings.Replace(s, "spec:\n  selector", "spec:\n  replicas: two\n  selector", 1)
		},
			want: []string{"/spec/replicas: got string, want integer"}},
		"fail/missing-required": {src: deployment, edit: func(s string) string { return strings.Replace(s, "- name: web\n          image", "- image", 1) },
			want: []string{"/spec/template/spec/containers/0: missing property 'name'"}},
		"fail/unknown-kind": {src: "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n",
			want: []string{"no schema for kind Deploymnet in apps/v1"}},
		"fail/unknown-version": {src: "apiVersion: autoscaling/v3\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n",
			want: []string{"no schema for apiVersion autoscaling/v3"}},
		"fail/no-kind": {src: "apiVersion: v1\nmetadata: {name: x}\n", want: []string{"apiVersion and kind are required"}},
	} {
		t.Run(name, func(t *testing.T) {
			src := tc.src
			if tc.edit != nil {
				src = tc.edit(src)
				if src == tc.src {
					t.Fatal("the edit changed nothing")
				}
			}
			problems := v.Validate(decode(t, src))
			if len(problems) != len(tc.want) {
				t.Fatalf("problems = %q, want %d matching %q", problems, len(tc.want), tc.want)
			}
			for i, p := range problems {
				if !strings.Contains(p.String(), tc.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, p, tc.want[i])
				}
			}
		})
	}
}
