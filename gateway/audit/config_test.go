package audit

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/config"
)

func TestConfigCheckNamesEveryField(t *testing.T) {
	c := Config{InstanceID: "gw/1", Fsync: "sometimes", MaxFileMB: 5000, PseudonymKeyID: "k 1",
		PseudonymKey: config.Secret{Env: "WGW_TEST_SURELY_UNSET_AUDIT_KEY"}, LoAValues: []string{"ok", ""}}
	ck := config.NewChecker()
	c.Check(ck.At("audit"))
	var inv *config.Invalid
	if !errors.As(ck.Err(), &inv) {
		t.Fatal("no error")
	}
	want := []string{"audit.instance_id", "audit.fsync", "audit.max_file_mb", "audit.pseudonym_key_id", "audit.pseudonym_key.env", "audit.loa_values[1]"}
	if got := inv.Fields(); !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}

	ck = config.NewChecker()
	(&Config{}).Check(ck)
	if err := ck.Err(); err == nil || !strings.Contains(err.Error(), "pseudonym_key: required") {
		t.Fatalf("the key is required: %v", err)
	}
	ck = config.NewChecker()
	(&Config{PseudonymKeyEphemeral: true, PseudonymKey: config.Secret{Env: "X"}}).Check(ck)
	if err := ck.Err(); err == nil || !strings.Contains(err.Error(), "pseudonym_key_ephemeral") {
		t.Fatalf("ephemeral and a key: %v", err)
	}
	ck = config.NewChecker()
	(&Config{PseudonymKeyEphemeral: true}).Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenChecksTheKeyAndUsesDefaults(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	_ = os.WriteFile(short, []byte("too short\n"), 0o600)
	if _, err := Open(Config{Dir: dir, PseudonymKey: config.Secret{File: short}}, Options{}); err == nil || !strings.Contains(err.Error(), "audit.pseudonym_key") {
		t.Fatalf("short key: %v", err)
	}
	l, err := Open(Config{Dir: filepath.Join(dir, "sub"), PseudonymKeyEphemeral: true}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Instance() != DefaultInstanceID() || !ValidInstanceID(l.Instance()) {
		t.Fatalf("instance %q", l.Instance())
	}
	if !strings.HasPrefix(l.pseud.KeyID(), "ephemeral-") {
		t.Fatalf("key id %q", l.pseud.KeyID())
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "sub", "audit-*.jsonl")); len(files) != 1 {
		t.Fatalf("files %v", files)
	}
}
