package cache

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
)

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "key")
	short := filepath.Join(dir, "short")
	_ = os.WriteFile(good, []byte("an-operator-made-secret-of-enough-random-bytes\n"), 0o600)
	_ = os.WriteFile(short, []byte("short"), 0o600)
	d := func(v time.Duration) *config.Duration { x := config.Duration(v); return &x }
	for name, tc := range map[string]struct {
		cfg    Config
		shared bool
		want   []string
	}{
		"ok/memory-no-key":  {cfg: Config{}},
		"ok/redis-with-key": {cfg: Config{Key: config.Secret{File: good}}, shared: true},
		"ok/tuned": {cfg: Config{LocalMaxSize: 128 << 20, LocalTTL: config.Duration(5 * time.Second), Kinds: map[string]KindConfig{
			"anpr_famiglia": {TTL: config.Duration(30 * time.Minute), StaleFor: d(0)},
			"regione_x":     {TTL: config.Duration(time.Hour), NegativeTTL: d(time.Minute)},
		}}},
		"fail/redis-without-key": {cfg: Config{}, shared: true, want: []string{"key"}},
		"fail/short-key":         {cfg: Config{Key: config.Secret{File: short}}, want: []string{"key"}},
		"fail/bounds": {cfg: Config{LocalMaxSize: 1024, LocalTTL: config.Duration(time.Millisecond), LoadTimeout: config.Duration(time.Hour)},
			want: []string{"load_timeout", "local_max_size", "local_ttl"}},
		"fail/kinds": {cfg: Config{Kinds: map[string]KindConfig{
			"Bad Name":      {TTL: config.Duration(time.Hour)},
			"new_kind":      {},
			"anpr_famiglia": {StaleFor: d(-time.Second), NegativeTTL: d(48 * time.Hour)},
		}}, want: []string{"kinds.Bad Name", "kinds.anpr_famiglia.negative_ttl", "kinds.anpr_famiglia.stale_for", "kinds.new_kind.ttl"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			tc.cfg.Check(ck, tc.shared)
			var got []string
			for _, p := range ck.Problems() {
				got = append(got, p.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("problems %v, want fields %v", ck.Problems(), tc.want)
			}
		})
	}
}

// The section's kinds override the built-in ones field by field and add new ones; an explicit
// 0s turns stale serving off.
func TestConfigKinds(t *testing.T) {
	zero := config.Duration(0)
	c := Config{Kinds: map[string]KindConfig{
		"anpr_famiglia": {TTL: config.Duration(30 * time.Minute), StaleFor: &zero},
		"regione_x":     {TTL: config.Duration(time.Hour)},
	}}
	o, err := c.Options(nil, nil)
	if err != nil || len(o.Key) != MinKeySize {
		t.Fatalf("%v, key %d bytes", err, len(o.Key))
	}
	byName := map[string]Kind{}
	for _, k := range o.Kinds {
		byName[k.Name] = k
	}
	if k := byName["anpr_famiglia"]; k.TTL != 30*time.Minute || k.StaleFor != 0 || k.NegativeTTL != 10*time.Minute {
		t.Fatalf("anpr_famiglia %+v", k)
	}
	if k := byName["regione_x"]; k.TTL != time.Hour || k.StaleFor != 0 {
		t.Fatalf("regione_x %+v", k)
	}
	if k := byName["isee_attestazione"]; k.TTL != 24*time.Hour {
		t.Fatalf("built-in kinds must stay: %+v", k)
	}
}
