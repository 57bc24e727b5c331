package tracing

import (
	"fmt"
	"time"
)

// Day is a calendar day in the reporting time zone, written YYYY-MM-DD: the `date` of a tracing.
type Day string

// DayOf is the day t falls on in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	return Day(t.In(loc).Format(time.DateOnly))
}

// ParseDay reads YYYY-MM-DD (a real date: 2026-02-30 is refused).
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return "", fmt.Errorf("tracing: %q is not a YYYY-MM-DD date", s)
	}
	return Day(s), nil
}

func (d Day) date() time.Time {
	t, _ := time.Parse(time.DateOnly, string(d))
	return t
}

// Start is midnight of d in loc.
func (d Day) Start(loc *time.Location) time.Time {
	y, m, dd := d.date().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// Add returns the day n days after d (before, for negative n).
func (d Day) Add(n int) Day { return Day(d.date().AddDate(0, 0, n).Format(time.DateOnly)) }

// Before reports whether d is earlier than e.
func (d Day) Before(e Day) bool { return d < e } // YYYY-MM-DD sorts as it reads

// compact is YYYYMMDD, for store keys.
func (d Day) compact() string { return d.date().Format("20060102") }
