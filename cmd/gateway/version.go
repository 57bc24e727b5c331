package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at build time by `make build` (-ldflags "-X main.version=..."); without it the
// module version recorded by the Go toolchain is used.
var version string

type buildInfo struct {
	Module    string
	Version   string
	Revision  string
	Time      string
	Modified  bool
	GoVersion string
}

func readBuildInfo() buildInfo {
	info := buildInfo{Version: version, GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if info.Version == "" {
			info.Version = "unknown"
		}
		return info
	}
	info.Module = bi.Main.Path
	if info.Version == "" {
		info.Version = bi.Main.Version // "(devel)" for go run, vX.Y.Z[-pseudo][+dirty] for builds in a repo
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// short is "v1.2.0 (abc1234)" or "v1.2.0 (abc1234, modified)".
func (b buildInfo) short() string {
	if b.Revision == "" {
		return b.Version
	}
	rev := b.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if b.Modified {
		rev += ", modified"
	}
	return b.Version + " (" + rev + ")"
}

func versionCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "", "Prints the gateway's version, the VCS revision it was built from and the Go version.", stderr)
	if code, done := parse(fs, args); done {
		return code
	}
	b := readBuildInfo()
	fmt.Fprintf(stdout, "gateway %s\n", b.Version)
	if b.Module != "" {
		fmt.Fprintf(stdout, "module    %s\n", b.Module)
	}
	if b.Revision != "" {
		modified := ""
		if b.Modified {
			modified = " (modified)"
		}
		fmt.Fprintf(stdout, "revision  %s%s\n", b.Revision, modified)
	}
	if b.Time != "" {
		fmt.Fprintf(stdout, "committed %s\n", b.Time)
	}
	fmt.Fprintf(stdout, "go        %s\n", b.GoVersion)
	return exitOK
}
