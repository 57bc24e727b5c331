package contracts

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseData(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		want      DatePrecision
		y, m, d   int
		wantError bool
	}{
		{name: "ok/full", in: "2001-05-17", want: PrecisionDay, y: 2001, m: 5, d: 17},
		{name: "ok/month", in: "2001-05", want: PrecisionMonth, y: 2001, m: 5},
		{name: "ok/year", in: "2001", want: PrecisionYear, y: 2001},
		{name: "ok/leap day 2000", in: "2000-02-29", want: PrecisionDay, y: 2000, m: 2, d: 29},
		{name: "ok/leap day 2024", in: "2024-02-29", want: PrecisionDay, y: 2024, m: 2, d: 29},
		{name: "ok/first year", in: "0001-01-01", want: PrecisionDay, y: 1, m: 1, d: 1},
		{name: "ok/last day", in: "9999-12-31", want: PrecisionDay, y: 9999, m: 12, d: 31},
		{name: "fail/29 February 1900", in: "1900-02-29", wantError: true},
		{name: "fail/29 February 2025", in: "2025-02-29", wantError: true},
		{name: "fail/31 April", in: "2025-04-31", wantError: true},
		{name: "fail/day 00", in: "2025-04-00", wantError: true},
		{name: "fail/month 13", in: "2025-13-01", wantError: true},
		{name: "fail/month 00", in: "2025-00", wantError: true},
		{name: "fail/year 0000", in: "0000", wantError: true},
		{name: "fail/empty", in: "", wantError: true},
		{name: "fail/one-digit month", in: "2025-5-01", wantError: true},
		{name: "fail/slashes", in: "2025/05/01", wantError: true},
		{name: "fail/italian order", in: "17-05-2001", wantError: true},
		{name: "fail/time part", in: "2001-05-17T00:00:00Z", wantError: true},
		{name: "fail/sign", in: "+2001", wantError: true},
		{name: "fail/unicode digits", in: "٢٠٠١", wantError: true},
		{name: "fail/spaces", in: " 2001", wantError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseData(tc.in)
			if tc.wantError {
				if !errors.Is(err, ErrData) {
					t.Fatalf("ParseData(%q) = %v, %v; want ErrData", tc.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Precision() != tc.want || got.Year() != tc.y || got.Month() != tc.m || got.Day() != tc.d {
				t.Fatalf("ParseData(%q) = %d-%d-%d %v", tc.in, got.Year(), got.Month(), got.Day(), got.Precision())
			}
			if got.String() != tc.in {
				t.Fatalf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestDataFromANPR(t *testing.T) {
	for _, tc := range []struct {
		name            string
		date            string
		senzaG, senzaGM bool
		want            string
		wantError       bool
	}{
		{name: "ok/full", date: "1980-01-31", want: "1980-01-31"},
		{name: "ok/senzaGiorno drops the day", date: "1980-03-01", senzaG: true, want: "1980-03"},
		{name: "ok/senzaGiorno with filler 00", date: "1980-03-00", senzaG: true, want: "1980-03"},
		{name: "ok/senzaGiornoMese drops day and month", date: "1950-01-01", senzaGM: true, want: "1950"},
		{name: "ok/senzaGiornoMese with filler 00-00", date: "1950-00-00", senzaGM: true, want: "1950"},
		{name: "ok/senzaGiornoMese wins over senzaGiorno", date: "1950-07-01", senzaG: true, senzaGM: true, want: "1950"},
		{name: "fail/invalid day when the day is data", date: "1980-02-30", wantError: true},
		{name: "fail/invalid month when the month is data", date: "1980-13-00", senzaG: true, wantError: true},
		{name: "fail/partial string", date: "1980-03", senzaG: true, wantError: true},
		{name: "fail/non-digit filler", date: "1980-03-XX", senzaG: true, wantError: true},
		{name: "fail/year 0000", date: "0000-00-00", senzaGM: true, wantError: true},
		{name: "fail/empty", date: "", wantError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DataFromANPR(tc.date, tc.senzaG, tc.senzaGM)
			if tc.wantError {
				if !errors.Is(err, ErrData) {
					t.Fatalf("got %v, %v; want ErrData", got, err)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestDataJSON(t *testing.T) {
	type holder struct {
		Required Data `json:"required"`
		Optional Data `json:"optional,omitzero"`
	}
	b, err := json.Marshal(holder{Required: MustData(2001, 5, 17)})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"required":"2001-05-17"}` {
		t.Fatalf("got %s", b)
	}
	month, _ := NewDataMonth(2001, 5)
	b, _ = json.Marshal(holder{Required: month, Optional: Data{2001, 0, 0}})
	if string(b) != `{"required":"2001-05","optional":"2001"}` {
		t.Fatalf("got %s", b)
	}
	if _, err := json.Marshal(holder{}); !errors.Is(err, ErrData) {
		t.Fatalf("a zero Data in a required field must fail to marshal, got %v", err)
	}

	var h holder
	if err := json.Unmarshal([]byte(`{"required":"2001-05","optional":null}`), &h); err != nil {
		t.Fatal(err)
	}
	if h.Required != month || !h.Optional.IsZero() {
		t.Fatalf("got %+v", h)
	}
	for _, bad := range []string{
		`{"required":20010517}`, `{"required":"2001-02-30"}`, `{"required":""}`, `{"required":true}`,
		`{"required":"2001-05-17 "}`,
	} {
		if err := json.Unmarshal([]byte(bad), &h); !errors.Is(err, ErrData) {
			t.Errorf("Unmarshal(%s) = %v, want ErrData", bad, err)
		}
	}
}

func TestDataCompareAndTime(t *testing.T) {
	y2001, _ := NewDataYear(2001)
	m2001, _ := NewDataMonth(2001, 5)
	for _, tc := range []struct {
		a, b Data
		want int
	}{
		{MustData(2001, 5, 17), MustData(2001, 5, 18), -1},
		{MustData(2001, 6, 1), MustData(2001, 5, 31), 1},
		{MustData(2001, 5, 17), MustData(2001, 5, 17), 0},
		{y2001, MustData(2001, 5, 17), 0}, // cannot tell
		{m2001, MustData(2001, 5, 17), 0},
		{m2001, MustData(2001, 6, 1), -1},
		{y2001, MustData(2002, 1, 1), -1},
		{Data{}, y2001, -1},
		{y2001, Data{}, 1},
		{Data{}, Data{}, 0},
	} {
		if got := tc.a.Compare(tc.b); got != tc.want {
			t.Errorf("%q.Compare(%q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		rome = time.FixedZone("CET", 3600)
	}
	tm, err := MustData(2025, 3, 30).Time(rome)
	if err != nil || tm.Hour() != 0 || DataOf(tm) != MustData(2025, 3, 30) {
		t.Fatalf("Time = %v, %v", tm, err)
	}
	if _, err := m2001.Time(time.UTC); !errors.Is(err, ErrData) {
		t.Fatalf("a partial date has no instant, got %v", err)
	}
}

func FuzzDataJSON(f *testing.F) {
	for _, s := range []string{`"2001-05-17"`, `"2001-05"`, `"2001"`, `"2000-02-29"`, `"1900-02-29"`, `null`, `""`, `"9999-12-31"`, `"0000"`, `"2001-5"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var d Data
		if err := json.Unmarshal([]byte(in), &d); err != nil || d.IsZero() {
			return
		}
		// Whatever parses must be a real date and survive a round trip unchanged.
		if d.Precision() == PrecisionDay {
			if _, err := NewData(d.Year(), d.Month(), d.Day()); err != nil {
				t.Fatalf("%s parsed to an impossible date: %v", in, err)
			}
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Data
		if err := json.Unmarshal(out, &back); err != nil || back != d {
			t.Fatalf("round trip %s -> %s -> %v (%v)", in, out, back, err)
		}
	})
}

func FuzzDataFromANPR(f *testing.F) {
	f.Add("1980-01-31", false, false)
	f.Add("1950-00-00", true, true)
	f.Add("1980-03-00", true, false)
	f.Fuzz(func(t *testing.T, s string, senzaG, senzaGM bool) {
		d, err := DataFromANPR(s, senzaG, senzaGM)
		if err != nil {
			return
		}
		want := PrecisionDay
		switch {
		case senzaGM:
			want = PrecisionYear
		case senzaG:
			want = PrecisionMonth
		}
		if d.Precision() != want || s[:4] != d.String()[:4] {
			t.Fatalf("DataFromANPR(%q, %v, %v) = %q (%v)", s, senzaG, senzaGM, d, d.Precision())
		}
	})
}
