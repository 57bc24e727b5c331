package population

import (
	"fmt"
	"time"
)

// Date is a civil date (no time zone), serialised as "YYYY-MM-DD". The zero value is "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// D builds a Date.
func D(y int, m time.Month, d int) Date { return Date{y, m, d} }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Time is d at midnight UTC.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// DateOf is the civil date of t in t's location.
func DateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// AgeAt is the age in whole years on date at.
func (d Date) AgeAt(at Date) int {
	age := at.Year - d.Year
	if at.Month < d.Month || (at.Month == d.Month && at.Day < d.Day) {
		age--
	}
	return age
}

// MarshalText writes "YYYY-MM-DD" (JSON strings through encoding.TextMarshaler).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "YYYY-MM-DD".
func (d *Date) UnmarshalText(b []byte) error {
	t, err := time.Parse(time.DateOnly, string(b))
	if err != nil {
		return fmt.Errorf("population: date %q is not YYYY-MM-DD", b)
	}
	*d = DateOf(t)
	return nil
}
