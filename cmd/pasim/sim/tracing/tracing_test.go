package tracing

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gwtracing "github.com/welfaregov/gateway/gateway/tracing"
)

const (
	tenantA  = "6f2d3c1a-0b1e-4c2d-9e3f-4a5b6c7d8e9f"
	tenantB  = "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9"
	purpose1 = "1cafea11-08a0-4eaf-a3ee-3e9839c8c2a9"
	token1   = "8f3e3665-5d89-4600-be2f-79aeb18f702d"
	day      = "2026-03-10"
)

type fixture struct {
	t   *testing.T
	srv *httptest.Server
	s   *Server
	mu  sync.Mutex
	now time.Time
}

func newFixture(t *testing.T, o Options) *fixture {
	f := &fixture{t: t, now: time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC)}
	o.Now = func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
	f.s = New(o)
	f.srv = httptest.NewServer(f.s.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) code() string {
	errs, _ := a.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["code"].(string)
}

func (f *fixture) do(method, path, tenant string, body io.Reader, ctype string) answer {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tenant != "" {
		req.Header.Set("Authorization", "Bearer opaque")
		req.Header.Set("X-Organization-Id", tenant)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func form(file, date string) (*bytes.Buffer, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if file != "\x00" {
		p, _ := w.CreateFormFile("file", "t.csv")
		_, _ = p.Write([]byte(file))
	}
	if date != "" {
		_ = w.WriteField("date", date)
	}
	_ = w.Close()
	return &b, w.FormDataContentType()
}

func (f *fixture) submit(tenant, date, file string) answer {
	b, ct := form(file, date)
	return f.do("POST", "/tracings/submit", tenant, b, ct)
}

func (f *fixture) upload(op, id, tenant, file string) answer {
	b, ct := form(file, "")
	return f.do("POST", "/tracings/"+id+"/"+op, tenant, b, ct)
}

func row(date, purpose, status, token, count string) string {
	return strings.Join([]string{date, purpose, status, token, count}, ",") + "\n"
}

const header = "date,purpose_id,status,token_id,requests_count\n"

func TestProcessingErrorsMatchPDND(t *testing.T) {
	other := "0e1e4c98-6f2e-4f55-90e3-45f7d3f1dbf8"
	cases := map[string]struct {
		file  string
		state string
		want  []RowError // compared on code, row, severity and message
	}{
		"ok/complete":                     {header + row(day, purpose1, "200", token1, "3"), "COMPLETED", nil},
		"ok/empty":                        {header, "COMPLETED", nil},
		"ok/no-header-check-without-rows": {"whatever\n", "COMPLETED", nil},
		"ok/js-numbers":                   {header + row(day, purpose1, " 200 ", token1, "1.5") + row(day, purpose1, "0x1F4", token1, "2e1"), "COMPLETED", nil},
		"ok/other-column-order":           {"date,purpose_id,token_id,status,requests_count\n" + day + "," + purpose1 + "," + token1 + ",200,1\n", "COMPLETED", nil},
		"fail/headers": {"date,purpose,status,token_id,requests_count\n" + row(day, purpose1, "200", token1, "1"), "ERROR",
			[]RowError{{ErrorCode: "INVALID_CSV_HEADERS", RowNumber: 0, Message: "CSV headers invalid. Expected [date,purpose_id,requests_count,status,token_id] but got [date,purpose,requests_count,status,token_id]"}}},
		"fail/bom": {"\ufeff" + header + row(day, purpose1, "200", token1, "1"), "ERROR",
			[]RowError{{ErrorCode: "INVALID_CSV_HEADERS", RowNumber: 0}}},
		"fail/semicolons": {strings.ReplaceAll(header+row(day, purpose1, "200", token1, "1"), ",", ";"), "ERROR",
			[]RowError{{ErrorCode: "INVALID_CSV_HEADERS", RowNumber: 0}}},
		"fail/row-checks": {header + row(day, "x", "499", "y", "-1"), "ERROR", []RowError{
			{ErrorCode: "INVALID_PURPOSE", RowNumber: 1, Message: "purpose_id: Invalid uuid"},
			{ErrorCode: "INVALID_STATUS_CODE", RowNumber: 1, Message: "status: Invalid HTTP status code"},
			{ErrorCode: "INVALID_TOKEN", RowNumber: 1, Message: "token_id: Invalid uuid"},
			{ErrorCode: "INVALID_REQUEST_COUNT", RowNumber: 1, Message: "requests_count: Number must be greater than or equal to 0"}}},
		"fail/nan-and-null": {header + row(day, purpose1, "ok", token1, "") + row(day, purpose1, "200", token1, "many"), "ERROR", []RowError{
			{ErrorCode: "INVALID_STATUS_CODE", RowNumber: 1, Message: "status: Expected number, received nan"},
			{ErrorCode: "INVALID_REQUEST_COUNT", RowNumber: 1, Message: "requests_count: Expected number, received null"},
			{ErrorCode: "INVALID_REQUEST_COUNT", RowNumber: 2, Message: "requests_count: Invalid input"}}},
		"fail/date": {header + row("2026-03-09", purpose1, "200", token1, "1"), "ERROR", []RowError{
			{ErrorCode: "INVALID_DATE", RowNumber: 1, Message: "date: Date field (2026-03-09) in csv is different from tracing date (2026-03-10)."}}},
		"fail/duplicates": {header + row(day, purpose1, "200", token1, "1") + row(day, purpose1, "404", token1, "1") + row(day, purpose1, "200", token1, "2"), "ERROR", []RowError{
			{ErrorCode: "PURPOSE_AND_STATUS_AND_TOKEN_NOT_UNIQUE", RowNumber: 1, Message: "Duplicate status found. The current row number 1 with status 200 and token_id " + token1 + " has already been declared at rows: 1,3."},
			{ErrorCode: "PURPOSE_AND_STATUS_AND_TOKEN_NOT_UNIQUE", RowNumber: 3}}},
		"fail/unknown-purpose": {header + row(day, other, "200", token1, "1") + row(day, purpose1, "200", token1, "1"), "ERROR", []RowError{
			{ErrorCode: "PURPOSE_NOT_FOUND", RowNumber: 1, Message: "purpose_id: Invalid purpose id " + other}}},
		"warn/purpose-of-others": {header + row(day, purpose1, "200", token1, "1") + row(day, "2a2a2a2a-2a2a-4a2a-8a2a-2a2a2a2a2a2a", "200", token1, "1"), "WARNING", []RowError{
			{ErrorCode: "TENANT_IS_NOT_PRODUCER_OR_CONSUMER", RowNumber: 2, Severity: "WARNING"}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, Options{ProcessDelay: -1})
			f.s.SetPurpose(other, PurposeUnknown)
			f.s.SetPurpose("2a2a2a2a-2a2a-4a2a-8a2a-2a2a2a2a2a2a", PurposeOfOthers)
			a := f.submit(tenantA, day, c.file)
			if a.status != 200 {
				t.Fatalf("%d %v", a.status, a.body)
			}
			id := a.body["tracingId"].(string)
			if list := f.do("GET", "/tracings?offset=0&limit=1", tenantA, nil, ""); list.body["results"].([]any)[0].(map[string]any)["state"] != "PENDING" {
				t.Fatalf("before processing: %v", list.body)
			}
			f.s.ProcessPending()
			list := f.do("GET", "/tracings?offset=0&limit=1&states="+c.state, tenantA, nil, "")
			if list.body["totalCount"].(float64) != 1 {
				t.Fatalf("state: %v (want %s)", f.s.Tracings(tenantA)[0].State, c.state)
			}
			errs := f.do("GET", "/tracings/"+id+"/errors?offset=0&limit=50", tenantA, nil, "")
			var got []RowError
			b, _ := json.Marshal(errs.body["results"])
			_ = json.Unmarshal(b, &got)
			if len(got) != len(c.want) {
				t.Fatalf("errors %+v, want %+v", got, c.want)
			}
			for i, w := range c.want {
				g := got[i]
				if g.ErrorCode != w.ErrorCode || g.RowNumber != w.RowNumber || (w.Message != "" && g.Message != w.Message) ||
					(w.Severity != "" && g.Severity != w.Severity) || (w.Severity == "" && g.Severity != "INVALID") {
					t.Fatalf("error %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestSubmitRules(t *testing.T) {
	f := newFixture(t, Options{ProcessDelay: -1})
	if a := f.submit(tenantA, "2026-03-11", header); a.status != 400 || a.code() != "INVALID_TRACING_DATE" {
		t.Fatalf("today: %d %v", a.status, a.body)
	}
	if a := f.submit(tenantA, "2026-3-10", header); a.status != 400 || a.code() != "BAD_REQUEST_ERROR" {
		t.Fatalf("bad date: %d %v", a.status, a.body)
	}
	b, ct := form("\x00", day)
	if a := f.do("POST", "/tracings/submit", tenantA, b, ct); a.status != 400 || !strings.Contains(fmt.Sprint(a.body["errors"]), `Required at "file"`) {
		t.Fatalf("no file: %d %v", a.status, a.body)
	}
	b, ct = form(header, day)
	a := f.do("POST", "/tracings/submit", tenantA, b, strings.Replace(ct, "; ", ";\t", 1))
	if a.status != 400 || len(a.body["errors"].([]any)) != 2 {
		t.Fatalf("a TAB in Content-Type (GovWay's bug): %d %v", a.status, a.body)
	}
	first := f.submit(tenantA, day, header)
	if first.status != 200 || first.body["errors"] != false || first.header.Get("X-Correlation-Id") == "" {
		t.Fatalf("%d %v", first.status, first.body)
	}
	again := f.submit(tenantA, day, header)
	if again.status != 400 || again.code() != "TRACING_ALREADY_EXISTS" || !strings.Contains(again.body["detail"].(string), day) {
		t.Fatalf("%d %v", again.status, again.body)
	}
	if again.header.Get("X-Correlation-Id") == first.header.Get("X-Correlation-Id") || again.body["correlationId"] != again.header.Get("X-Correlation-Id") {
		t.Fatal("each answer has its own correlation id, in the header and the body")
	}
	// Another tenant may report the same day.
	if a := f.submit(tenantB, day, header); a.status != 200 {
		t.Fatalf("%d %v", a.status, a.body)
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, Options{})
	req, _ := http.NewRequest("GET", f.srv.URL+"/tracings?offset=0&limit=1", nil)
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != 400 {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// The default reads organizationId from the voucher's payload (unverified).
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"organizationId":"` + tenantB + `","role":"m2m"}`))
	for token, want := range map[string]int{"h." + payload + ".s": 200, "not-a-jwt": 401, "h.e30.s": 401} {
		req, _ := http.NewRequest("GET", f.srv.URL+"/tracings?offset=0&limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, _ := http.DefaultClient.Do(req)
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", token, resp.StatusCode, want)
		}
		resp.Body.Close()
	}
	if a := f.do("GET", "/status", "", nil, ""); a.status != 200 {
		t.Fatal("/status needs no token")
	}
}

func TestRecoverReplaceAndOwnership(t *testing.T) {
	f := newFixture(t, Options{ProcessDelay: -1})
	bad := header + row(day, "x", "200", token1, "1")
	id := f.submit(tenantA, day, bad).body["tracingId"].(string)
	if a := f.upload("recover", id, tenantA, header); a.status != 409 || a.code() != "TRACING_CANNOT_BE_UPDATED" {
		t.Fatalf("recover while PENDING: %d %v", a.status, a.body)
	}
	f.s.ProcessPending()
	if a := f.upload("replace", id, tenantA, header); a.status != 409 {
		t.Fatalf("replace while ERROR: %d", a.status)
	}
	if a := f.upload("recover", id, tenantB, header); a.status != 500 || a.code() != "UNAUTHORIZED_ERROR" {
		t.Fatalf("another tenant: %d %v", a.status, a.body)
	}
	if a := f.do("GET", "/tracings/"+id+"/errors?offset=0&limit=5", tenantB, nil, ""); a.status != 500 {
		t.Fatalf("another tenant's errors: %d", a.status)
	}
	if a := f.upload("recover", id, tenantA, header+row(day, purpose1, "200", token1, "1")); a.status != 200 || a.body["tracingId"] != id {
		t.Fatalf("%d %v", a.status, a.body)
	}
	f.s.ProcessPending()
	tr := f.s.Tracings(tenantA)[0]
	if tr.State != "COMPLETED" || tr.Version != 2 || len(tr.Errors) != 0 {
		t.Fatalf("%+v", tr)
	}
	if a := f.upload("replace", id, tenantA, header); a.status != 200 {
		t.Fatalf("%d", a.status)
	}
	if f.s.Tracings(tenantA)[0].Version != 3 || f.s.Calls()["replace"] != 1 || f.s.Calls()["recover"] != 1 {
		t.Fatalf("%+v %v", f.s.Tracings(tenantA)[0], f.s.Calls())
	}
	if a := f.upload("recover", "nope", tenantA, header); a.status != 404 || a.code() != "TRACING_NOT_FOUND" {
		t.Fatalf("%d %v", a.status, a.body)
	}
}

func TestListPagingAndStates(t *testing.T) {
	f := newFixture(t, Options{ProcessDelay: -1})
	for _, q := range []string{"", "offset=0", "offset=0&limit=0", "offset=0&limit=51", "offset=-1&limit=5", "offset=0&limit=5&states=DONE"} {
		if a := f.do("GET", "/tracings?"+q, tenantA, nil, ""); a.status != 400 || a.code() != "BAD_REQUEST_ERROR" {
			t.Errorf("%q: %d", q, a.status)
		}
	}
	for i := 9; i >= 1; i-- {
		f.submit(tenantA, fmt.Sprintf("2026-03-0%d", i), header)
	}
	a := f.do("GET", "/tracings?offset=3&limit=2", tenantA, nil, "")
	res := a.body["results"].([]any)
	if a.body["totalCount"].(float64) != 9 || len(res) != 2 || res[0].(map[string]any)["date"] != "2026-03-04" {
		t.Fatalf("%v", a.body)
	}
	if a := f.do("GET", "/tracings?offset=0&limit=50&states=ERROR,MISSING", tenantA, nil, ""); a.body["totalCount"].(float64) != 0 {
		t.Fatalf("%v", a.body)
	}
	if a := f.do("GET", "/tracings?offset=0&limit=50", tenantB, nil, ""); a.body["totalCount"].(float64) != 0 {
		t.Fatal("a tenant sees only its own tracings")
	}
}

func TestProcessingDelayAndMissingJob(t *testing.T) {
	f := newFixture(t, Options{ProcessDelay: 30 * time.Second})
	id := f.submit(tenantA, "2026-03-09", header).body["tracingId"].(string)
	f.advance(29 * time.Second)
	if f.s.Tracings(tenantA)[0].State != "PENDING" {
		t.Fatal("processed early")
	}
	f.advance(time.Second)
	if tr := f.s.Tracings(tenantA)[0]; tr.State != "COMPLETED" || tr.ID != id {
		t.Fatalf("%+v", tr)
	}
	// Three midnights later the job has marked 03-10, 03-11 and 03-12 (two days back each night).
	f.advance(3 * 24 * time.Hour)
	var missing []string
	for _, tr := range f.s.Tracings(tenantA) {
		if tr.State == "MISSING" {
			missing = append(missing, tr.Date)
		}
	}
	if !slices.Equal(missing, []string{"2026-03-10", "2026-03-11", "2026-03-12"}) {
		t.Fatalf("missing %v", missing)
	}
	if len(f.s.Tracings(tenantB)) != 0 {
		t.Fatal("a tenant that never uploaded gets no MISSING days")
	}
	// A submit reuses a MISSING tracing (the code allows it); errors=true flags the other gaps.
	a := f.submit(tenantA, "2026-03-10", header)
	if a.status != 200 || a.body["errors"] != true {
		t.Fatalf("%d %v", a.status, a.body)
	}
}

func TestStatusListMatchesTheGatewayAndNode(t *testing.T) {
	var ours []int
	for c := range nodeStatusCodes {
		ours = append(ours, c)
	}
	slices.Sort(ours)
	if !slices.Equal(ours, gwtracing.ReportableStatuses()) {
		t.Fatal("the simulator's status list differs from the gateway's")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: compared with the gateway's list only")
	}
	out, err := exec.Command(node, "-e", `console.log(Object.keys(require("http").STATUS_CODES).join(","))`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var theirs []int
	for _, s := range strings.Split(strings.TrimSpace(string(out)), ",") {
		n, _ := strconv.Atoi(s)
		theirs = append(theirs, n)
	}
	if !slices.Equal(ours, theirs) {
		t.Fatalf("node: %v", theirs)
	}
}

func TestJSNumber(t *testing.T) {
	cases := map[string]float64{"": 0, " 200 ": 200, "2e2": 200, "0x1F4": 500, "0b11": 3, "0o17": 15, ".5": 0.5, "5.": 5, "-3": -3, "+4": 4, "Infinity": math.Inf(1)}
	for in, want := range cases {
		if got := jsNumber(in); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
	for _, nan := range []string{"abc", "inf", "1,5", "0x", "0xZZ", "1e", "--1", "NaN"} {
		if got := jsNumber(nan); !math.IsNaN(got) {
			t.Errorf("%q: %v, want NaN", nan, got)
		}
	}
}

// FuzzValidate feeds arbitrary uploads to the processing: no panic, and a state that matches the
// errors (ERROR iff a blocking one).
func FuzzValidate(f *testing.F) {
	f.Add([]byte(header + row(day, purpose1, "200", token1, "3")))
	f.Add([]byte("\"a,\"\"b\",c\r\n1,2\n"))
	f.Add([]byte(header + "\n\n,,,,,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		errs, state := validate(data, day, tenantA, func(string, string) PurposeStatus { return PurposeOwned })
		blocking := slices.ContainsFunc(errs, func(e RowError) bool { return e.Severity == severityInvalid })
		if blocking != (state == stateError) {
			t.Fatalf("state %s with errors %+v", state, errs)
		}
	})
}
