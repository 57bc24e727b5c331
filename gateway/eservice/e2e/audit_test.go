package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	simtracing "github.com/welfaregov/gateway/cmd/pasim/sim/tracing"
	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// TestAuditAndTracing: every e-service call leaves an audit record written before the answer
// (accepted or refused: status, outcome code, the verified tokens' ids and claims, pseudonymised
// operator, request id, latency, body digests), the trail verifies intact, and PDND Tracing counts
// exactly the calls whose voucher verified for the e-service, under its producer.
func TestAuditAndTracing(t *testing.T) {
	w := newWorld(t)
	ts := httptest.NewServer(simtracing.New(simtracing.Options{}).Handler())
	t.Cleanup(ts.Close)
	st, shared := redisShared(t)
	tracingSection := fmt.Sprintf(`tracing:
  enabled: true
  base_url: %s
  tenants:
    - {id: %s, api_client: api_client}
    - {id: %s, api_client: api_client}
    - {id: %s, api_client: api_client}
`, ts.URL, producerID, trentoTenant, roveretoTen)
	text := w.config(st, tracingSection)
	auditDir := text[strings.Index(text, "audit: {dir: ")+len("audit: {dir: "):]
	auditDir = auditDir[:strings.Index(auditDir, ",")]
	g := w.start(t, text)
	cf, on := subject(t, w.pop)
	c := w.newConsumer(clientID, purposeFull, audPrest, mountPrest, true, true)

	ok := c.call(t, g, "POST", "/ricerca", ricerca(cf, on))
	noVoucher := c.prepare(t, g, "POST", "/ricerca", ricerca(cf, on))
	noVoucher.Header.Del("Authorization")
	refusedAuth := g.do(t, noVoucher)
	badBody := c.prepare(t, g, "POST", "/ricerca", ricerca(cf, on))
	badBody.Header.Set("Digest", modi.Digest([]byte("another body")))
	refusedIntegrity := g.do(t, badBody)
	if ok.status != 200 || refusedAuth.status != 401 || refusedIntegrity.status != 400 {
		t.Fatalf("statuses %d %d %d", ok.status, refusedAuth.status, refusedIntegrity.status)
	}
	g.shutdown() // closes the trail

	entries := readAudit(t, auditDir)
	want := map[string]struct {
		status  int
		outcome string
		voucher bool
	}{
		ok.header.Get("X-Correlation-ID"):               {200, audit.OutcomeOK, true},
		refusedAuth.header.Get("X-Correlation-ID"):      {401, "voucher.missing", false},
		refusedIntegrity.header.Get("X-Correlation-ID"): {400, "integrity.signed_header_mismatch", true},
	}
	if len(entries) != len(want) {
		t.Fatalf("%d call records, want %d: %+v", len(entries), len(want), entries)
	}
	for _, e := range entries {
		wnt, found := want[e.RequestID]
		switch {
		case !found:
			t.Fatalf("a record for an unknown request id %s", e.RequestID)
		case e.Status != wnt.status || e.Outcome != wnt.outcome || e.EService != "prestazioni" || e.Operation != "ricercaPrestazioni":
			t.Fatalf("record %+v, want status %d outcome %s", e, wnt.status, wnt.outcome)
		case e.RequestSHA256 == "" || e.ResponseSHA256 == "" || e.Method != "POST" || e.Time == "":
			t.Fatalf("record without digests, method or time: %+v", e)
		case wnt.voucher && (e.ClientID != clientID || e.PurposeID != purposeFull || e.ConsumerID != consumerID || e.VoucherJTI == ""):
			t.Fatalf("record of a call with a verified voucher lacks its claims: %+v", e)
		case !wnt.voucher && (e.ClientID != "" || e.VoucherJTI != ""):
			t.Fatalf("record of a call without a verified voucher names a client: %+v", e)
		}
		if e.Outcome == audit.OutcomeOK && (e.SignatureJTI == "" || e.TrackingJTI == "" || !strings.HasPrefix(e.UserID, "hmac-sha256:") || e.LoA != "SPID_L2") {
			t.Fatalf("accepted call's record lacks the ModI token ids or the pseudonymised operator: %+v", e)
		}
		if strings.Contains(e.UserID, "operatore-17") {
			t.Fatal("the operator's userID is stored in clear")
		}
	}
	files, _ := filepath.Glob(filepath.Join(auditDir, "audit-*.jsonl"))
	rep, err := audit.Verify(files...)
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("audit verify: %v %+v", err, rep)
	}

	loc, _ := time.LoadLocation("Europe/Rome")
	rows, _, err := tracing.Aggregate(context.Background(), shared, producerID, tracing.DayOf(time.Now(), loc))
	if err != nil {
		t.Fatal(err)
	}
	counted := map[int]int64{}
	for _, r := range rows {
		if r.PurposeID != purposeFull {
			t.Fatalf("row of purpose %s", r.PurposeID)
		}
		counted[r.Status] += r.Requests
	}
	if counted[200] != 1 || counted[400] != 1 || len(counted) != 2 {
		t.Fatalf("PDND Tracing counted %v; want one 200 and one 400 (the call without a voucher is not counted)", counted)
	}
}

// readAudit reads the call entries of every audit file in dir.
func readAudit(t testing.TB, dir string) []audit.Entry {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no audit files in %s: %v", dir, err)
	}
	var out []audit.Entry
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e audit.Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			if e.Kind == audit.KindCall {
				out = append(out, e)
			}
		}
		_ = fh.Close()
	}
	return out
}
