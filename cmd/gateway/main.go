// Command gateway is the WelfareGOV interoperability gateway.
//
//	gateway serve --config FILE          run the gateway until SIGINT or SIGTERM
//	gateway check-config --config FILE   validate a configuration and list every problem
//	gateway version                      print the version, VCS revision and Go version
//
// Exit codes: 0 success, 1 failure (invalid configuration, start-up error, serving error),
// 2 wrong usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // PDND days are Europe/Rome days: the binary must not depend on the host's zoneinfo

	"github.com/welfaregov/gateway/gateway/app"
	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Environ()))
}

const usage = `Usage: gateway COMMAND [flags]

The WelfareGOV interoperability gateway: publishes WelfareGOV's e-services through PDND and calls
INPS, ANPR and regional e-services for WelfareGOV, under the AgID ModI rules.

Commands:
  serve         run the gateway (stops gracefully on SIGINT or SIGTERM)
  check-config  validate a configuration file and list every problem
  audit         audit verify FILE|DIR... checks the e-services' audit trail (tampering, gaps, order);
                audit pseudonym ... recomputes an operator's pseudonym to find their records
  version       print the version, VCS revision and Go version

Run 'gateway COMMAND --help' for a command's flags. Environment variables WGW_<PATH> override
configuration keys (WGW_LISTENERS__ADMIN__ADDRESS=127.0.0.1:9191); see README.md.
`

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func run(args []string, stdout, stderr io.Writer, env []string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr, env)
	case "check-config":
		return checkConfig(args[1:], stdout, stderr, env)
	case "version":
		return versionCmd(args[1:], stdout, stderr)
	case "audit":
		return auditCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "gateway: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// newFlags makes a command's flag set; description is printed by --help.
func newFlags(name, synopsis, description string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: gateway %s %s\n\n%s\n", name, synopsis, description)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(fs.Output(), "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses args; done is true when the command must stop with code (help or a usage error).
func parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	case err != nil:
		return exitUsage, true
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "gateway %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, true
	}
	return exitOK, false
}

func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "configuration `FILE` (YAML); deploy/config/production.yaml is a template, `make run` runs the demo")
}

// loadConfig loads and checks the configuration, printing every problem on stderr.
func loadConfig(fs *flag.FlagSet, path string, stderr io.Writer, env []string) (*app.Config, int) {
	if path == "" {
		fmt.Fprintf(stderr, "gateway %s: --config FILE is required (deploy/config/production.yaml is a template; `make run` starts the demo)\n", fs.Name())
		return nil, exitUsage
	}
	cfg, err := app.Load(path, env)
	if err != nil {
		printProblems(stderr, path, err)
		return nil, exitFail
	}
	return cfg, exitOK
}

// printProblems writes a header line, then one problem per line: "field: message".
func printProblems(w io.Writer, path string, err error) {
	var inv *config.Invalid
	if !errors.As(err, &inv) {
		fmt.Fprintf(w, "gateway: %s: %v\n", path, err)
		return
	}
	problems := inv.Unwrap()
	noun := "problems"
	if len(problems) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(w, "invalid configuration %s: %d %s\n", path, len(problems), noun)
	for _, p := range problems {
		fmt.Fprintln(w, p.Error())
	}
}

func checkConfig(args []string, stdout, stderr io.Writer, env []string) int {
	fs := newFlags("check-config", "--config FILE",
		"Validates the configuration exactly as serve would (the file, then the WGW_ environment\n"+
			"overrides), without opening a port or a connection. Prints \"configuration OK\" or every\n"+
			"problem, one per line, each naming its field, and exits 1.", stderr)
	path := configFlag(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	if _, code := loadConfig(fs, *path, stderr, env); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "configuration OK: %s\n", *path)
	return exitOK
}

func serve(args []string, stdout, stderr io.Writer, env []string) int {
	fs := newFlags("serve", "--config FILE",
		"Runs the gateway: the e-service, internal API and admin listeners. Logs are JSON lines on\n"+
			"standard error; the listeners' URLs are printed on standard output once they accept\n"+
			"connections. SIGINT or SIGTERM stops accepting, drains requests in flight for up to\n"+
			"listeners.shutdown_grace, then exits 0.", stderr)
	path := configFlag(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	cfg, code := loadConfig(fs, *path, stderr, env)
	if code != exitOK {
		return code
	}
	info := readBuildInfo()
	a, err := app.New(cfg, app.Options{LogOutput: stderr, Version: info.short()})
	if err != nil {
		fmt.Fprintf(stderr, "gateway: cannot start: %v\n", err)
		return exitFail
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	printBanner(stdout, a, info)
	if err := a.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "gateway: %v\n", err)
		return exitFail
	}
	return exitOK
}

var audiences = map[string]string{
	"eservices": "other administrations, through PDND",
	"internal":  "WelfareGOV",
	"admin":     "operators",
}

// printBanner tells a person at a terminal where the gateway is and how to try it.
func printBanner(w io.Writer, a *app.App, info buildInfo) {
	var b strings.Builder
	fmt.Fprintf(&b, "WelfareGOV gateway %s is serving:\n", info.short())
	for _, e := range a.Endpoints() {
		fmt.Fprintf(&b, "  %-10s %-28s %s\n", e.Name, e.URL, audiences[e.Name])
	}
	root := a.DevRootFile()
	if root != "" {
		fmt.Fprintf(&b, "Development root certificate (new at every start): %s\n", root)
	}
	b.WriteString("Try:\n")
	for _, e := range a.Endpoints() {
		if strings.HasPrefix(e.URL, "https://") && root != "" {
			fmt.Fprintf(&b, "  curl --cacert %s %s/status\n", root, e.URL)
		} else {
			fmt.Fprintf(&b, "  curl %s/status\n", e.URL)
		}
	}
	b.WriteString("Stop with Ctrl-C.\n")
	fmt.Fprint(w, b.String())
}

// auditCmd runs the audit trail's commands (gateway/audit/README.md).
func auditCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "verify":
			return audit.RunVerifyCommand(args[1:], stdout, stderr)
		case "pseudonym":
			return audit.RunPseudonymCommand(args[1:], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, "Usage: gateway audit verify [-json] [-anchor INSTANCE:SEQ:HASH] FILE|DIR...\n       gateway audit pseudonym -key-file FILE [-key-id ID] -claim userID VALUE\n")
	return exitUsage
}
