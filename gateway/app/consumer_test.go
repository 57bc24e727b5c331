package app

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/config"
)

// The consumer side is checked across sections, every problem naming its field: the PDND client
// that upstreams with auth pdnd need, a purpose for every operation the adapter declares, an
// operation name the adapter does not have, and a way for WelfareGOV to authenticate.
func TestConsumerConfigCheck(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if err := os.WriteFile(key, []byte(strings.Repeat("k", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("shortkey"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		yaml string
		want []string
	}{
		"ok/auth-none-with-key": {yaml: `
upstreams: {icef: {base_url: "http://127.0.0.1:7004/rest/icef/v1", auth: none}}
internal_api: {api_keys: [{name: wg, key: {file: ` + key + `}}]}
`},
		"fail/pdnd-without-client-and-purposes": {yaml: `
upstreams:
  inps: {base_url: "https://api.inps.it/pdnd/soap/ConsultazioneISEE/v1"}
  anpr:
    base_url: "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/"
    operations: {C030: {pdnd: {purpose_id: c24ba3ee-78a7-423c-9fcd-f5f0d6a0f6af}}, C999: {timeout: 1s}}
internal_api: {api_keys: [{name: wg, key: {file: ` + key + `}}]}
`, want: []string{"pdnd.client", "upstreams.anpr.operations.C015.pdnd.purpose_id", "upstreams.anpr.operations.C018.pdnd.purpose_id",
			"upstreams.anpr.operations.C019.pdnd.purpose_id", "upstreams.anpr.operations.C020.pdnd.purpose_id",
			"upstreams.anpr.operations.C021.pdnd.purpose_id", "upstreams.anpr.operations.C999", "upstreams.inps.pdnd.purpose_id"}},
		"fail/internal-api-without-auth": {yaml: `
internal_api: {client_certificates: {subjects: [wg]}}
`, want: []string{"internal_api.api_keys", "internal_api.client_certificates.subjects"}},
		"fail/internal-api-values": {yaml: `
internal_api:
  api_keys: [{name: "bad name", key: {file: ` + short + `}}, {name: wg, key: {file: ` + key + `}}, {name: wg, key: {file: ` + key + `}}]
  rate_limit: {requests: 0}
  inps: {user_id: "<x>"}
  anpr: {id_prefix: "TOO-LONG-PREFIX"}
`, want: []string{"internal_api.anpr.id_prefix", "internal_api.api_keys[0].key", "internal_api.api_keys[0].name",
			"internal_api.api_keys[2].key", "internal_api.api_keys[2].name", "internal_api.inps.user_id",
			"internal_api.rate_limit.period", "internal_api.rate_limit.requests"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.yaml), nil)
			var got []string
			var inv *config.Invalid
			if err != nil {
				if !errors.As(err, &inv) {
					t.Fatal(err)
				}
				got = inv.Fields()
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("problems at %v\nwant %v\n%v", got, tc.want, err)
			}
		})
	}
}
