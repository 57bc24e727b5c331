package audit

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/welfaregov/gateway/gateway/config"
)

// Exit codes of RunVerifyCommand.
const (
	ExitOK       = 0
	ExitProblems = 1
	ExitUsage    = 2
)

type anchorFlags []Anchor

func (a *anchorFlags) String() string { return "" }
func (a *anchorFlags) Set(s string) error {
	an, err := ParseAnchor(s)
	if err != nil {
		return err
	}
	*a = append(*a, an)
	return nil
}

// RunVerifyCommand is `gateway audit verify [-json] [-anchor INSTANCE:SEQ:HASH]... FILE|DIR...`:
// it verifies the files (a directory means every audit-*.jsonl in it), prints a summary (or the
// Report as JSON) on stdout and returns ExitOK when nothing is wrong, ExitProblems when something
// is (each problem located by file, line and seq), ExitUsage for bad arguments or unreadable files.
func RunVerifyCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	var anchors anchorFlags
	fs.Var(&anchors, "anchor", "INSTANCE:SEQ:HASH of an entry recorded elsewhere (a checkpoint); repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gateway audit verify [-json] [-anchor INSTANCE:SEQ:HASH]... FILE|DIR...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return ExitUsage
	}
	var paths []string
	for _, a := range fs.Args() {
		st, err := os.Stat(a)
		if err != nil {
			fmt.Fprintf(stderr, "audit verify: %v\n", err)
			return ExitUsage
		}
		if !st.IsDir() {
			paths = append(paths, a)
			continue
		}
		found, err := filepath.Glob(filepath.Join(a, "audit-*.jsonl"))
		if err != nil || len(found) == 0 {
			fmt.Fprintf(stderr, "audit verify: no audit-*.jsonl file in %s\n", a)
			return ExitUsage
		}
		paths = append(paths, found...)
	}
	rep, err := VerifyWith(VerifyOptions{Anchors: anchors}, paths...)
	if err != nil {
		fmt.Fprintf(stderr, "audit verify: %v\n", err)
		return ExitUsage
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.summary(stdout)
	}
	if !rep.OK() {
		return ExitProblems
	}
	return ExitOK
}

// RunPseudonymCommand is `gateway audit pseudonym (-key-file F | -key-env VAR) [-key-id ID] -claim
// CLAIM VALUE...`: it prints the pseudonym of each VALUE under the claim (userID, userLocation, LoA)
// as the audit entries store it, so an authorised auditor holding the key can find the records of a
// known person or workstation (grep the printed value in the files). Exit codes as RunVerifyCommand.
func RunPseudonymCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit pseudonym", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key-file", "", "file holding the pseudonymisation key (the audit.pseudonym_key secret)")
	keyEnv := fs.String("key-env", "", "environment variable holding the key")
	keyID := fs.String("key-id", DefaultPseudonymKeyID, "key id the records carry (hmac-sha256:<key id>:...)")
	claim := fs.String("claim", ClaimUserID, "claim name: userID, userLocation or LoA")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gateway audit pseudonym (-key-file FILE | -key-env VAR) [-key-id ID] [-claim userID|userLocation|LoA] VALUE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() == 0 || (*keyFile == "") == (*keyEnv == "") {
		fs.Usage()
		return ExitUsage
	}
	switch *claim {
	case ClaimUserID, ClaimUserLocation, ClaimLoA:
	default:
		fmt.Fprintf(stderr, "audit pseudonym: -claim %q is not userID, userLocation or LoA\n", *claim)
		return ExitUsage
	}
	key, err := config.Secret{File: *keyFile, Env: *keyEnv}.Value()
	if err != nil {
		fmt.Fprintf(stderr, "audit pseudonym: %v\n", err)
		return ExitUsage
	}
	p, err := NewPseudonymizer(key, *keyID)
	if err != nil {
		fmt.Fprintf(stderr, "audit pseudonym: %v\n", err)
		return ExitUsage
	}
	for _, v := range fs.Args() {
		fmt.Fprintln(stdout, p.Pseudonym(*claim, v))
	}
	return ExitOK
}
