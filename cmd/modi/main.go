// Command modi is the integrator's and operator's tool for PDND vouchers and AgID ModI security
// headers: it makes keys, client assertions and vouchers, signs requests, verifies them as an
// e-service does, decodes tokens and lists every mistake it can see in them, and makes complete
// calls to an e-service.
//
//	modi keygen     --out DIR
//	modi assertion  --client-id ID --purpose-id ID --key FILE [--kid KID] [--aud AUD] [--audit-jwt FILE]
//	modi voucher    --token-url URL --client-id ID [--purpose-id ID] --key FILE [--kid KID] [--audit k=v,...]
//	modi sign       --method M --url URL [--body FILE] --key FILE [--kid KID] --aud AUD [--audit k=v,...]
//	modi verify     --jwks URL|FILE --iss ISS --aud AUD [--keys FILE | --keys-url URL --keys-token T] --header 'Name: value'...
//	modi inspect    TOKEN|- [--body FILE] [--voucher TOKEN] [--header 'Name: value'...]
//	modi call       --url URL --token-url URL --client-id ID --purpose-id ID --key FILE [--integrity] [--audit k=v,...]
//
// Every subcommand has --help. Exit status: 0 success (valid, no problem found), 1 failure
// (invalid, problems found, an error), 2 wrong usage. See README.md in this folder.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// summaries describe the subcommands (the usage text); runners run them.
var summaries = map[string]string{
	"keygen":    "make an RSA-2048 key pair (PEM private key, public JWK with its RFC 7638 kid)",
	"assertion": "print a PDND client assertion (with the AUDIT_REST_02 digest of a tracking evidence)",
	"voucher":   "obtain a voucher from a PDND token endpoint (and the tracking evidence it binds)",
	"sign":      "print the ModI request headers: Digest, Agid-JWT-Signature, Agid-JWT-TrackingEvidence",
	"verify":    "verify a request's PDND and ModI headers as an e-service would; print a JSON verdict",
	"inspect":   "decode tokens WITHOUT verifying them and list every problem visible in them",
	"call":      "make a complete consumer call: voucher, ModI headers, body; print the answer",
}

type runner func(args []string, stdin io.Reader, stdout, stderr io.Writer) error

func runnerFor(name string) (runner, bool) {
	r, ok := map[string]runner{"keygen": runKeygen, "assertion": runAssertion, "voucher": runVoucher, "sign": runSign,
		"verify": runVerify, "inspect": runInspect, "call": runCall}[name]
	return r, ok
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError is a wrong invocation: exit 2, with the subcommand's usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// failed is a run whose outcome was already printed (an invalid verdict, problems found): exit 1
// without another message.
var errFailed = errors.New("failed")

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := runnerFor(args[0])
	if !ok {
		fmt.Fprintf(stderr, "modi: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return exitUsage
	}
	err := cmd(args[1:], stdin, stdout, stderr)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "modi %s: %s (see modi %s --help)\n", args[0], ue.msg, args[0])
		return exitUsage
	case errors.Is(err, errFailed):
		return exitFail
	}
	fmt.Fprintf(stderr, "modi %s: %v\n", args[0], err)
	return exitFail
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "modi: PDND vouchers and AgID ModI security headers for integrators and operators")
	fmt.Fprintln(w, "\nUsage: modi COMMAND [flags]   (modi COMMAND --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(summaries))
	for n := range summaries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, summaries[n])
	}
	fmt.Fprintln(w, "\nExit status: 0 success, 1 failure (invalid request, problems found, error), 2 wrong usage.")
}

// newFlags returns a flag set whose errors are usage errors and whose --help prints the synopsis.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("modi "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: modi %s %s\n\n%s\n\nFlags:\n", name, synopsis, summaries[name])
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; a flag error becomes a usage error (flag already printed it and the usage).
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return usagef("%v", err)
	}
	return nil
}

// required reports the first empty required flag as a usage error.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f == nil || f.Value.String() == "" {
			return usagef("--%s is required", n)
		}
	}
	return nil
}

// headerList is a repeatable --header 'Name: value' flag.
type headerList []string

func (h *headerList) String() string { return strings.Join(*h, "; ") }
func (h *headerList) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("header %q is not 'Name: value'", v)
	}
	*h = append(*h, strings.TrimSpace(name)+": "+strings.TrimSpace(value))
	return nil
}

// parseKV parses "k=v,k2=v2" (the audit claims); values may not contain commas.
func parseKV(s string) (map[string]any, error) {
	out := map[string]any{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", part)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// readInput reads a file, or stdin for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(stdin, 16<<20))
	}
	return os.ReadFile(name)
}
