package server

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/welfaregov/gateway/gateway/config"
)

func TestAdminConfigCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	long, short := write("long", "0123456789abcdef0123456789abcdef"), write("short", "letmein")
	for name, c := range map[string]struct {
		cfg    AdminConfig
		fields []string
	}{
		"ok/no-token":     {AdminConfig{}, nil},
		"ok/token":        {AdminConfig{Token: config.Secret{File: long}}, nil},
		"fail/short":      {AdminConfig{Token: config.Secret{File: short}}, []string{"admin.token"}},
		"fail/missing":    {AdminConfig{Token: config.Secret{File: filepath.Join(dir, "none")}}, []string{"admin.token.file"}},
		"fail/two-places": {AdminConfig{Token: config.Secret{File: long, Env: "X"}}, []string{"admin.token"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			c.cfg.Check(ck.At("admin"))
			got := ck.Fields()
			if !slices.Equal(got, c.fields) {
				t.Fatalf("problems %v, want %v", ck.Problems(), c.fields)
			}
		})
	}
}
