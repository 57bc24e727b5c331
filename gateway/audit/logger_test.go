package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/problem"
)

func memLogger(t *testing.T) (*Logger, *MemorySink, *Pseudonymizer) {
	t.Helper()
	sink := &MemorySink{}
	p := testPseudonymizer(t)
	l, err := NewLogger(sink, p, "gw-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	return l, sink, p
}

func TestEntryHasTheRecordWithoutPersonalDataInClear(t *testing.T) {
	l, sink, p := memLogger(t)
	r := call(7)
	r.Time = time.Date(2026, 1, 31, 11, 0, 0, 123456789, time.FixedZone("CET", 3600))
	r.Tracking = TrackingClaims{UserID: "RSSMRA80A01H501U", UserLocation: "PC-ufficio-anagrafe-2", LoA: "SPID_L2"}
	if err := l.Append(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	e := sink.Entries()[0]
	line := sink.Lines()[0]
	if e.Time != "2026-01-31T10:00:00.123Z" {
		t.Fatalf("time %q: want UTC RFC 3339 with ms and Z", e.Time)
	}
	if e.Seq != 1 || e.Kind != KindCall || e.Instance != "gw-1" || e.Status != 200 || e.Outcome != "ok" ||
		e.VoucherJTI != r.VoucherJTI || e.PurposeID != r.PurposeID || e.LatencyUs != 1500 || e.ClientIP != "10.1.2.3" ||
		e.RequestSHA256 != hex.EncodeToString(r.RequestBodySHA256) || e.ResponseSHA256 != "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" {
		t.Fatalf("entry %+v", e)
	}
	if bytes.Contains(line, []byte("RSSMRA80A01H501U")) || bytes.Contains(line, []byte("PC-ufficio")) {
		t.Fatalf("a tracking claim is in clear: %s", line)
	}
	if e.UserID != p.Pseudonym(ClaimUserID, "RSSMRA80A01H501U") || !strings.HasPrefix(e.UserID, "hmac-sha256:test:") || len(e.UserID) != len("hmac-sha256:test:")+64 {
		t.Fatalf("userId %q is not the keyed pseudonym", e.UserID)
	}
	if e.UserLocation == p.Pseudonym(ClaimUserID, "PC-ufficio-anagrafe-2") || e.UserLocation != p.Pseudonym(ClaimUserLocation, "PC-ufficio-anagrafe-2") {
		t.Fatal("the claim name must be part of the pseudonym")
	}
	if e.LoA != "SPID_L2" {
		t.Fatalf("a known LoA stays in clear: %q", e.LoA)
	}
	// The request body's codice fiscale is only a digest.
	if bytes.Contains(line, []byte(`codiceFiscale`)) {
		t.Fatal("body content in the entry")
	}
	if _, err := ParseLine(bytes.TrimSuffix(line, []byte("\n"))); err != nil {
		t.Fatal(err)
	}
}

func TestForeignValuesAreBoundedAndNeverCarryACodiceFiscale(t *testing.T) {
	l, sink, p := memLogger(t)
	long := strings.Repeat("a", 129)
	r := call(1)
	r.SignatureJTI = "jti-RSSMRA80A01H501U"               // a codice fiscale inside an id
	r.TrackingJTI = "rssmra80a01h501x"                    // lower case, wrong check character: still one
	r.ClientID = long                                     // oversized
	r.RequestID = "req\n{\"status\":500}"                 // control characters
	r.ConsumerID = "a2f3c1d0-8f34-4b7e-9b6c-0f1e2d3c4b5a" // a UUID stays
	r.PurposeID = "p:rssmraURa0MhRLMx"                    // omocodia in every digit position, lower case
	r.ClientIP = "::ffff:10.0.0.1"
	r.Tracking.LoA = "livello alto, operatore Mario Rossi"
	if err := l.Append(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	e := sink.Entries()[0]
	for name, v := range map[string]string{"signatureJti": e.SignatureJTI, "purposeId": e.PurposeID, "trackingJti": e.TrackingJTI, "clientId": e.ClientID, "requestId": e.RequestID} {
		if !strings.HasPrefix(v, "sha256:") || len(v) != 7+64 {
			t.Errorf("%s = %q, want its sha256", name, v)
		}
	}
	if e.ConsumerID != r.ConsumerID || e.ClientIP != "::ffff:10.0.0.1" {
		t.Fatalf("%q %q", e.ConsumerID, e.ClientIP)
	}
	if e.LoA != p.Pseudonym(ClaimLoA, r.Tracking.LoA) {
		t.Fatalf("an unknown LoA is pseudonymised, got %q", e.LoA)
	}
	if bytes.Contains(sink.Lines()[0], []byte("Rossi")) {
		t.Fatal("free text in clear")
	}
}

func TestAppendRefusesAMisfilledRecord(t *testing.T) {
	l, sink, _ := memLogger(t)
	cases := map[string]func(r *Record){
		"fail/no-time":      func(r *Record) { r.Time = time.Time{} },
		"fail/no-eservice":  func(r *Record) { r.EService = "" },
		"fail/no-operation": func(r *Record) { r.Operation = "" },
		"fail/status-0":     func(r *Record) { r.Status = 0 },
		"fail/short-digest": func(r *Record) { r.RequestBodySHA256 = []byte{1, 2, 3} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := call(1)
			mutate(r)
			if err := l.Append(context.Background(), r); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if len(sink.Entries()) != 0 {
		t.Fatal("a refused record was stored")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Append(ctx, call(1)); err == nil {
		t.Fatal("a cancelled context was accepted")
	}
}

func TestNewLoggerAndPseudonymizerValidate(t *testing.T) {
	if _, err := NewPseudonymizer(make([]byte, 31), "k1"); err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
	if _, err := NewPseudonymizer(make([]byte, 32), "k 1"); err == nil {
		t.Fatal("a key id with a space was accepted")
	}
	p := testPseudonymizer(t)
	for _, bad := range []string{"", "-gw", "gw/1", strings.Repeat("g", 65)} {
		if _, err := NewLogger(&MemorySink{}, p, bad, nil); err == nil {
			t.Errorf("instance %q accepted", bad)
		}
	}
	l, err := NewLogger(&MemorySink{}, p, "gw", []string{"alto"})
	if err != nil {
		t.Fatal(err)
	}
	r := call(1)
	r.Tracking.LoA = "SPID_L2" // not in the configured list
	_ = l.Append(context.Background(), r)
	b, _ := json.Marshal(l.sink.(*MemorySink).Entries()[0])
	if bytes.Contains(b, []byte(`"loa":"SPID_L2"`)) {
		t.Fatal("the configured LoA list replaces the default")
	}
}

func TestUnavailableProblem(t *testing.T) {
	_, sink, _ := memLogger(t)
	_ = sink.Close()
	l, _ := NewLogger(sink, testPseudonymizer(t), "gw", nil)
	err := l.Append(context.Background(), call(1))
	resp := problem.From(Unavailable(err), "req-1")
	if resp.Status != 503 || resp.Problem.Code != "audit-unavailable" || resp.Header["Retry-After"] != "30" || strings.Contains(resp.Problem.Detail, "closed") {
		t.Fatalf("%+v", resp)
	}
}
