package tracing

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCountRefusesWhatCannotBeReported(t *testing.T) {
	st := memStore(t)
	rec := NewRecorder(st, rome, 0, func() time.Time { return duringD })
	ok := Call{tenantA, purpose1, token1, 200, duringD}
	cases := map[string]func(c *Call){
		"fail/tenant":           func(c *Call) { c.Tenant = "comune-di-trento" },
		"fail/purpose":          func(c *Call) { c.PurposeID = "" },
		"fail/forged-jti":       func(c *Call) { c.TokenID = "abc|200|def" },
		"fail/no-time":          func(c *Call) { c.Time = time.Time{} },
		"fail/beyond-retention": func(c *Call) { c.Time = duringD.AddDate(0, 0, -40) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			c := ok
			mutate(&c)
			var ice *InvalidCallError
			if err := rec.Count(context.Background(), c); !errors.As(err, &ice) {
				t.Fatalf("got %v", err)
			}
		})
	}
	rows, _, _ := Aggregate(context.Background(), st, tenantA, dayD)
	if len(rows) != 0 {
		t.Fatalf("a refused call was counted: %+v", rows)
	}
	// Upper-case ids and a non-standard status are normalised into the same row as their twins.
	_ = rec.Count(context.Background(), Call{tenantA, purpose1, token1, 502, duringD})
	_ = rec.Count(context.Background(), Call{"6F2D3C1A-0B1E-4C2D-9E3F-4A5B6C7D8E9F", "1CAFEA11-08A0-4EAF-A3EE-3E9839C8C2A9", token1, 520, duringD})
	rows, _, _ = Aggregate(context.Background(), st, tenantA, dayD)
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestAggregateSkipsForeignFields(t *testing.T) {
	st := memStore(t)
	key := countsKey(tenantA, dayD)
	for _, f := range []string{purpose1 + "|200|" + token1, "garbage", purpose1 + "|499|" + token1, "x|200|" + token1} {
		if _, err := st.HIncr(context.Background(), key, f, 1, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	rows, skipped, err := Aggregate(context.Background(), st, tenantA, dayD)
	if err != nil || len(rows) != 1 || skipped != 3 {
		t.Fatalf("%+v %d %v", rows, skipped, err)
	}
}

func TestDayArithmetic(t *testing.T) {
	if d := DayOf(time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), rome); d != "2026-03-29" {
		t.Fatalf("%s", d)
	}
	// The night the clocks go forward the day has 23 hours.
	if h := Day("2026-03-29").Add(1).Start(rome).Sub(Day("2026-03-29").Start(rome)); h != 23*time.Hour {
		t.Fatalf("%s", h)
	}
	if Day("2026-12-31").Add(1) != "2027-01-01" || !Day("2026-01-09").Before("2026-01-10") {
		t.Fatal("Add or Before")
	}
	for _, bad := range []string{"2026-02-30", "2026-3-1", "20260301", ""} {
		if _, err := ParseDay(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
