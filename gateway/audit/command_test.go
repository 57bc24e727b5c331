package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/config"
)

func TestRunVerifyCommand(t *testing.T) {
	dir := buildTrail(t)
	files := chainFiles(t, dir)
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := RunVerifyCommand(args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, _ := run(dir)
	if code != ExitOK || !strings.Contains(out, "OK:") || !strings.Contains(out, "instance gw-1: ") || !strings.Contains(out, "anchor: gw-1:31:") {
		t.Fatalf("%d %s", code, out)
	}
	anchor := out[strings.Index(out, "anchor: ")+8:]
	anchor = anchor[:strings.IndexByte(anchor, '\n')]
	if code, out, _ := run(append([]string{"-anchor", anchor}, files...)...); code != ExitOK {
		t.Fatalf("with its own anchor: %d %s", code, out)
	}

	editLines(t, files[1], func(l [][]byte) [][]byte {
		l[0] = bytes.Replace(l[0], []byte(`"method":"POST"`), []byte(`"method":"GET"`), 1)
		return l
	})
	code, out, _ = run(dir)
	if code != ExitProblems || !strings.Contains(out, "PROBLEM: "+filepath.Base(files[1])+":1 (seq ") || !strings.Contains(out, "tampered") || !strings.Contains(out, "FAILED: 1 problems") {
		t.Fatalf("%d %s", code, out)
	}
	code, out, _ = run("-json", dir)
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitProblems || len(rep.Problems) != 1 || rep.Problems[0].Kind != FindingTampered || rep.Problems[0].Line != 1 {
		t.Fatalf("%d %v %s", code, err, out)
	}

	for name, args := range map[string][]string{
		"no-files":   {},
		"missing":    {filepath.Join(dir, "nope.jsonl")},
		"empty-dir":  {t.TempDir()},
		"bad-anchor": {"-anchor", "gw-1:x:00", dir},
		"bad-flag":   {"-frobnicate", dir},
	} {
		if code, _, errOut := run(args...); code != ExitUsage || errOut == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut)
		}
	}
}

func TestRunPseudonymCommandMatchesTheEntries(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	key := strings.Repeat("k", 40)
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := Open(Config{Dir: dir, InstanceID: "gw-7", PseudonymKey: config.Secret{File: keyFile}, PseudonymKeyID: "2026a"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := call(1)
	r.Tracking.UserID = "operatore.rossi@comune.example.it"
	if err := l.Append(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	_ = l.Close()

	var out, errOut bytes.Buffer
	if code := RunPseudonymCommand([]string{"-key-file", keyFile, "-key-id", "2026a", "-claim", "userID", "operatore.rossi@comune.example.it", "someone.else"}, &out, &errOut); code != ExitOK {
		t.Fatalf("%d %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	trail, _ := os.ReadFile(chainFiles(t, dir)[0])
	if len(lines) != 2 || !bytes.Contains(trail, []byte(`"userId":"`+lines[0]+`"`)) || bytes.Contains(trail, []byte(lines[1])) {
		t.Fatalf("the auditor's pseudonym must find the record (and only the right one): %v", lines)
	}
	t.Setenv("WGW_TEST_AUDIT_KEY", key)
	out.Reset()
	if code := RunPseudonymCommand([]string{"-key-env", "WGW_TEST_AUDIT_KEY", "-key-id", "2026a", "operatore.rossi@comune.example.it"}, &out, &errOut); code != ExitOK || strings.TrimSpace(out.String()) != lines[0] {
		t.Fatalf("from env: %d %q", code, out.String())
	}
	for name, args := range map[string][]string{
		"no-key":      {"x"},
		"both-keys":   {"-key-file", keyFile, "-key-env", "X", "x"},
		"no-value":    {"-key-file", keyFile},
		"bad-claim":   {"-key-file", keyFile, "-claim", "sub", "x"},
		"short-key":   {"-key-env", "WGW_TEST_SHORT", "x"},
		"missing-env": {"-key-env", "WGW_TEST_UNSET_" + strconv.Itoa(os.Getpid()), "x"},
	} {
		t.Setenv("WGW_TEST_SHORT", "short")
		if code := RunPseudonymCommand(args, &bytes.Buffer{}, &bytes.Buffer{}); code != ExitUsage {
			t.Errorf("%s: exit %d", name, code)
		}
	}
}
