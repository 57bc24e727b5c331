package upstream

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckStatus(t *testing.T) {
	for name, tc := range map[string]struct {
		status     int
		retryAfter string
		class      Class
		fault      bool
		wait       time.Duration
	}{
		"ok/200":             {status: 200},
		"ok/204":             {status: 204},
		"fail/503-seconds":   {status: 503, retryAfter: "30", class: Retryable, fault: true, wait: 30 * time.Second},
		"fail/429":           {status: 429, retryAfter: "2", class: Retryable, fault: true, wait: 2 * time.Second},
		"fail/500":           {status: 500, class: Retryable, fault: true},
		"fail/408":           {status: 408, class: Retryable, fault: true},
		"fail/501":           {status: 501, class: Permanent, fault: true},
		"fail/505":           {status: 505, class: Permanent, fault: true},
		"fail/400":           {status: 400, class: Permanent},
		"fail/401":           {status: 401, class: Permanent},
		"fail/302-redirect":  {status: 302, class: Permanent, fault: true},
		"fail/bad-retry-hdr": {status: 503, retryAfter: "soon", class: Retryable, fault: true},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if tc.retryAfter != "" {
				h.Set("Retry-After", tc.retryAfter)
			}
			err := CheckStatus(tc.status, h, nil)
			if tc.class == Unclassified {
				if err != nil {
					t.Fatalf("%v, want success", err)
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status != tc.status || se.RetryAfter != tc.wait {
				t.Fatalf("%#v", err)
			}
			if ClassOf(err) != tc.class || IsUpstreamFault(err) != tc.fault {
				t.Fatalf("class %v fault %v", ClassOf(err), IsUpstreamFault(err))
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		in   string
		want time.Duration
		ok   bool
	}{
		"ok/seconds":       {"120", 2 * time.Minute, true},
		"ok/zero":          {"0", 0, true},
		"ok/spaces":        {" 5 ", 5 * time.Second, true},
		"ok/http-date":     {"Sat, 31 Jan 2026 12:00:30 GMT", 30 * time.Second, true},
		"ok/date-in-past":  {"Sat, 31 Jan 2026 11:00:00 GMT", 0, true},
		"fail/empty":       {"", 0, false},
		"fail/negative":    {"-1", 0, false},
		"fail/fraction":    {"1.5", 0, false},
		"fail/huge":        {"99999999999999999999", 0, false},
		"fail/garbage":     {"tomorrow", 0, false},
		"fail/overlong":    {strings.Repeat("9", 65), 0, false},
		"fail/digit-start": {"1 day", 0, false},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := ParseRetryAfter(tc.in, now)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// Retry-After comes from upstreams: no input may panic or yield a negative or absurd delay.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "Sat, 31 Jan 2026 12:00:30 GMT", "-1", "1e9", "", "Mon, 02 Jan 2006 15:04:05 MST"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

func TestOperationAndCallerTravelInContext(t *testing.T) {
	ctx := context.Background()
	if OperationFrom(ctx) != nil {
		t.Fatal("no operation expected")
	}
	if _, ok := CallerFrom(ctx); ok {
		t.Fatal("no caller expected")
	}
	op := &Operation{Name: "C021", Idempotent: true}
	c := Caller{UserID: "u1", CaseRef: "PRAT-1"}
	ctx = WithCaller(WithOperation(ctx, op), c)
	if OperationFrom(ctx) != op {
		t.Fatal("operation lost")
	}
	if got, ok := CallerFrom(ctx); !ok || got != c {
		t.Fatalf("caller %+v %v", got, ok)
	}
}

func TestCallerValidate(t *testing.T) {
	ok := Caller{UserID: "mario.rossi", Workstation: "TN-UFFICIO-3", LoA: "SPID_L2", CaseRef: "PRAT-2025-000123"}
	for name, tc := range map[string]struct {
		mutate func(*Caller)
		field  string
	}{
		"ok/full":            {func(*Caller) {}, ""},
		"ok/minimal":         {func(c *Caller) { c.Workstation, c.LoA = "", "" }, ""},
		"fail/no-user":       {func(c *Caller) { c.UserID = "" }, "userID"},
		"fail/no-case":       {func(c *Caller) { c.CaseRef = "" }, "caseRef"},
		"fail/too-long":      {func(c *Caller) { c.Workstation = strings.Repeat("x", MaxCallerField+1) }, "workstation"},
		"fail/control-char":  {func(c *Caller) { c.CaseRef = "PRAT\r\nX-Injected: 1" }, "caseRef"},
		"fail/invalid-utf8":  {func(c *Caller) { c.LoA = "\xff" }, "loA"},
		"fail/nul-in-userid": {func(c *Caller) { c.UserID = "a\x00b" }, "userID"},
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			tc.mutate(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "caller "+tc.field+" ") {
				t.Fatalf("%v, want a problem with %s", err, tc.field)
			}
			if strings.Contains(err.Error(), "X-Injected") {
				t.Fatal("the message must not quote the value")
			}
		})
	}
}
