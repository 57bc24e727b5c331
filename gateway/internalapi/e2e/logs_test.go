package e2e

import (
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/logging/logtest"
)

// The codice fiscale travels in the path, but the logs record the route pattern; the operator,
// workstation, LoA and case of every call are in the log line of the internal API, with the client
// the API key names.
func TestLogsNameTheOperatorNeverTheCodiceFiscale(t *testing.T) {
	w := newWorld(t)
	logs := &logtest.Buffer{}
	w.logs = logs
	g := w.start(t, "", "WGW_LOG__LEVEL=info")
	who := withDSUAndICEF(t, w.pop)
	if a := g.get("/api/v1/soggetti/" + who.CodiceFiscale + "/famiglia?dataRiferimento=" + rif); a.status != 200 {
		t.Fatal(a.status)
	}
	if a := g.get("/api/v1/soggetti/" + who.CodiceFiscale[:15] + "Z/isee"); a.status != 400 {
		t.Fatal(a.status)
	}
	text := logs.String()
	if strings.Contains(text, who.CodiceFiscale) || strings.Contains(text, who.CodiceFiscale[:15]) {
		t.Fatalf("a codice fiscale reached the log:\n%s", text)
	}
	var access, calls int
	for _, m := range logs.Lines(t) {
		switch m["msg"] {
		case "request":
			if m["listener"] == "internal" && strings.HasPrefix(m["route"].(string), "/api/v1/soggetti/:codiceFiscale") {
				access++
			}
		case "internal api call":
			calls++
			if m["operator"] != operator["Operatore-Id"] || m["workstation"] != operator["Operatore-Postazione"] ||
				m["loa"] != operator["Operatore-LoA"] || m["case"] != operator["Riferimento-Pratica"] || m["client"] != "key:welfaregov-test" {
				t.Fatalf("call line %v", m)
			}
		}
	}
	if access != 2 || calls != 2 {
		t.Fatalf("%d access lines with the route pattern and %d call lines, want 2 and 2:\n%s", access, calls, text)
	}
}
