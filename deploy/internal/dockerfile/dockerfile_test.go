package dockerfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const sample = "# syntax=docker/dockerfile:1.7\n" +
	"# escape=\\\n" +
	"\n" +
	"# a comment\n" +
	"ARG GO_IMAGE=golang:1.26\n" +
	"ARG BASE=\"gcr.io/distroless/static\"\n" +
	"FROM ${GO_IMAGE} AS Build\n" +
	"RUN --mount=type=cache,target=/root/go/pkg/mod \\\n" +
	"    # a comment inside the continuation is dropped\n" +
	"\n" +
	"    --mount=type=cache,target=/root/.cache/go-build \\\n" +
	"    make build\n" +
	"FROM $BASE:nonroot\n" +
	"copy --from=build --chown=65532:65532 /src/bin/gateway /usr/local/bin/\n" +
	"USER 65532:65532\n" +
	"EXPOSE 8443 8080/tcp\n" +
	"ENTRYPOINT [\"/usr/local/bin/gateway\"]\n" +
	"CMD serve --config /etc/x.yaml\n"

func TestParse(t *testing.T) {
	f, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"syntax": "docker/dockerfile:1.7", "escape": `\`}; !reflect.DeepEqual(f.Directives, want) {
		t.Errorf("directives = %v, want %v", f.Directives, want)
	}
	if len(f.GlobalArgs) != 2 || len(f.Stages) != 2 {
		t.Fatalf("got %d global args and %d stages, want 2 and 2", len(f.GlobalArgs), len(f.Stages))
	}
	build := f.Stage("BUILD")
	if build == nil || build.Name != "build" || build.Base != "${GO_IMAGE}" {
		t.Fatalf("stage build = %+v", build)
	}
	runs := build.Find("RUN")
	if len(runs) != 1 {
		t.Fatalf("RUN instructions = %d, want 1", len(runs))
	}
	run := runs[0]
	if run.Line != 8 || run.JSON || !reflect.DeepEqual(run.Args, []string{"make build"}) {
		t.Errorf("RUN = %+v, want line 8, shell form, args [make build]", run)
	}
	if got := run.FlagValues("mount"); !reflect.DeepEqual(got, []string{"type=cache,target=/root/go/pkg/mod", "type=cache,target=/root/.cache/go-build"}) {
		t.Errorf("RUN mounts = %q", got)
	}
	final := f.Final()
	if final.Name != "" || final != f.Stages[1] {
		t.Errorf("final stage = %+v, want the unnamed second stage", final)
	}
	cp := final.Find("COPY")[0]
	if cp.FlagValues("from")[0] != "build" || cp.FlagValues("chown")[0] != "65532:65532" || !reflect.DeepEqual(cp.Args, []string{"/src/bin/gateway", "/usr/local/bin/"}) {
		t.Errorf("COPY (lower-case keyword) = %+v", cp)
	}
	if ep := final.Find("ENTRYPOINT")[0]; !ep.JSON || !reflect.DeepEqual(ep.Args, []string{"/usr/local/bin/gateway"}) {
		t.Errorf("ENTRYPOINT = %+v, want exec form", ep)
	}
	if cmd := final.Find("CMD")[0]; cmd.JSON || !reflect.DeepEqual(cmd.Args, []string{"serve --config /etc/x.yaml"}) {
		t.Errorf("CMD = %+v, want one shell command line", cmd)
	}
	if ex := final.Find("EXPOSE")[0]; !reflect.DeepEqual(ex.Args, []string{"8443", "8080/tcp"}) {
		t.Errorf("EXPOSE args = %q", ex.Args)
	}
	for name, tc := range map[string]struct {
		stage *Stage
		args  map[string]string
		want  string
	}{
		"ok/defaults":           {build, nil, "golang:1.26"},
		"ok/build-arg":          {build, map[string]string{"GO_IMAGE": "golang@sha256:abc"}, "golang@sha256:abc"},
		"ok/bare-var-and-quote": {final, nil, "gcr.io/distroless/static:nonroot"},
	} {
		got, err := f.BaseImage(tc.stage, tc.args)
		if err != nil || got != tc.want {
			t.Errorf("%s: BaseImage = %q, %v; want %q", name, got, err, tc.want)
		}
	}
	if _, err := f.BaseImage(build, map[string]string{"GO_IMAGE": ""}); err == nil {
		t.Error("fail/empty-arg: BaseImage accepted an empty value")
	}
}

func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		line int
		msg  string
	}{
		"fail/no-from":             {"# nothing\nARG A=1\n", 2, "no FROM"},
		"fail/before-from":         {"RUN true\nFROM x\n", 1, "before the first FROM"},
		"fail/unknown":             {"FROM x\nRUNN true\n", 2, "unknown instruction"},
		"fail/heredoc":             {"FROM x\nRUN <<EOF\necho\nEOF\n", 2, "heredocs"},
		"fail/dangling-escape":     {"FROM x\nRUN a \\\n", 2, "continuation"},
		"fail/duplicate-stage":     {"FROM a AS x\nFROM b AS X\n", 2, "used twice"},
		"fail/from-garbage":        {"FROM a B c\n", 1, "expected AS"},
		"fail/bad-escape":          {"# escape=x\nFROM a\n", 1, "escape"},
		"fail/duplicate-directive": {"# syntax=a\n# syntax=b\nFROM a\n", 2, "twice"},
	} {
		_, err := Parse(strings.NewReader(tc.src))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: err = %v, want a *SyntaxError", name, err)
			continue
		}
		if se.Line != tc.line || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%s: %v, want line %d mentioning %q", name, se, tc.line, tc.msg)
		}
	}
}

func TestBacktickEscape(t *testing.T) {
	f, err := Parse(strings.NewReader("# escape=`\nFROM x\nRUN a `\n  b\nRUN c:\\d\n"))
	if err != nil {
		t.Fatal(err)
	}
	runs := f.Final().Find("RUN")
	if len(runs) != 2 || runs[0].Args[0] != "a   b" || runs[1].Args[0] != `c:\d` {
		t.Errorf("runs = %+v", runs)
	}
}
