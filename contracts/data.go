package contracts

import (
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // Europe/Rome without a zoneinfo database
)

// DatePrecision says which parts of a Data are known.
type DatePrecision uint8

const (
	// PrecisionNone is the precision of the zero Data: no date at all.
	PrecisionNone DatePrecision = iota
	// PrecisionYear: only the year is known (ANPR senzaGiornoMese).
	PrecisionYear
	// PrecisionMonth: year and month are known (ANPR senzaGiorno).
	PrecisionMonth
	// PrecisionDay: a full calendar date.
	PrecisionDay
)

func (p DatePrecision) String() string {
	switch p {
	case PrecisionYear:
		return "year"
	case PrecisionMonth:
		return "month"
	case PrecisionDay:
		return "day"
	}
	return "none"
}

// Data is a civil date with no time zone, possibly partial: ANPR records people whose day, or day and
// month, of birth or death are unknown. A Data holds a year (1..9999) and optionally a month and a day;
// a day is only present with a month. Every non-zero Data is a real calendar date (no 30 February).
//
// The zero value is "no date": IsZero reports true and optional fields tagged `omitzero` are left
// out of JSON. Marshalling a zero Data fails, so a translator that forgets a required date is caught
// instead of sending a malformed value.
//
// JSON and text forms: "2001-05-17" (day), "2001-05" (month), "2001" (year). Data values are
// comparable with ==; two dates with different precisions are never equal.
type Data struct {
	year  uint16
	month uint8
	day   uint8
}

// ErrData matches every error returned by the Data constructors and parsers (errors.Is).
var ErrData = errors.New("contracts: invalid date")

func dataErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrData}, args...)...)
}

// NewData returns the full date year-month-day, or an error if it is not a real calendar day.
func NewData(year, month, day int) (Data, error) {
	if err := checkYearMonth(year, month); err != nil {
		return Data{}, err
	}
	if day < 1 || day > daysIn(year, month) {
		return Data{}, dataErr("day %d is not in %04d-%02d", day, year, month)
	}
	return Data{uint16(year), uint8(month), uint8(day)}, nil
}

// NewDataMonth returns a date known only to the month (ANPR senzaGiorno).
func NewDataMonth(year, month int) (Data, error) {
	if err := checkYearMonth(year, month); err != nil {
		return Data{}, err
	}
	return Data{uint16(year), uint8(month), 0}, nil
}

// NewDataYear returns a date known only to the year (ANPR senzaGiornoMese).
func NewDataYear(year int) (Data, error) {
	if err := checkYearMonth(year, 1); err != nil {
		return Data{}, err
	}
	return Data{uint16(year), 0, 0}, nil
}

// MustData is NewData for constants in tests and tables; it panics on an invalid date.
func MustData(year, month, day int) Data {
	d, err := NewData(year, month, day)
	if err != nil {
		panic(err)
	}
	return d
}

// RomeZone is Europe/Rome, the time zone of Italian civil dates: the day an ISEE expires, "today"
// for a question without a date.
var RomeZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic("contracts: Europe/Rome is missing from the embedded time zone database: " + err.Error())
	}
	return loc
}()

// TodayInItaly is the civil date in Italy at instant t.
func TodayInItaly(t time.Time) Data { return DataOf(t.In(RomeZone)) }

// DataOf returns the civil date of t in t's own location, or the zero Data when t's year is outside
// 1..9999.
func DataOf(t time.Time) Data {
	y, m, d := t.Date()
	if y < 1 || y > 9999 {
		return Data{}
	}
	return Data{uint16(y), uint8(m), uint8(d)}
}

func checkYearMonth(year, month int) error {
	if year < 1 || year > 9999 {
		return dataErr("year %d is outside 1..9999", year)
	}
	if month < 1 || month > 12 {
		return dataErr("month %d is outside 1..12", month)
	}
	return nil
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ParseData parses the forms "YYYY-MM-DD", "YYYY-MM" and "YYYY" (exactly four-digit years, two-digit
// months and days, ASCII digits only) and checks the calendar.
func ParseData(s string) (Data, error) {
	switch len(s) {
	case 4, 7, 10:
	default:
		return Data{}, dataErr("%q is not YYYY, YYYY-MM or YYYY-MM-DD", truncateForError(s))
	}
	year, ok := digits(s[0:4])
	if !ok {
		return Data{}, dataErr("%q: the year must be four digits", s)
	}
	if len(s) == 4 {
		return NewDataYear(year)
	}
	month, ok := digits(s[5:7])
	if s[4] != '-' || !ok {
		return Data{}, dataErr("%q: expected -MM after the year", s)
	}
	if len(s) == 7 {
		return NewDataMonth(year, month)
	}
	day, ok := digits(s[8:10])
	if s[7] != '-' || !ok {
		return Data{}, dataErr("%q: expected -DD after the month", s)
	}
	return NewData(year, month, day)
}

// DataFromANPR builds a Data from an ANPR date and its flags. In ANPR (tipoDato.xsd) the date string
// is always a full "YYYY-MM-DD"; senzaGiorno says the day is filler, senzaGiornoMese says day and month
// are filler (it wins over senzaGiorno). Filler parts must be two digits but are otherwise ignored, so
// "1950-00-00" with senzaGiornoMese is the year 1950. Parts that are data are checked against the
// calendar.
func DataFromANPR(date string, senzaGiorno, senzaGiornoMese bool) (Data, error) {
	if len(date) != 10 || date[4] != '-' || date[7] != '-' {
		return Data{}, dataErr("ANPR date %q is not YYYY-MM-DD", truncateForError(date))
	}
	year, okY := digits(date[0:4])
	month, okM := digits(date[5:7])
	day, okD := digits(date[8:10])
	if !okY || !okM || !okD {
		return Data{}, dataErr("ANPR date %q has non-digits", date)
	}
	switch {
	case senzaGiornoMese:
		return NewDataYear(year)
	case senzaGiorno:
		return NewDataMonth(year, month)
	}
	return NewData(year, month, day)
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

// truncateForError keeps error messages bounded when a parser is fed a huge value.
func truncateForError(s string) string {
	const maxShown = 32
	if len(s) > maxShown {
		return s[:maxShown] + "..."
	}
	return s
}

// IsZero reports whether d is the zero Data (no date).
func (d Data) IsZero() bool { return d.year == 0 }

// Precision says which parts of d are known.
func (d Data) Precision() DatePrecision {
	switch {
	case d.year == 0:
		return PrecisionNone
	case d.month == 0:
		return PrecisionYear
	case d.day == 0:
		return PrecisionMonth
	}
	return PrecisionDay
}

// Year returns the year, or 0 for the zero Data.
func (d Data) Year() int { return int(d.year) }

// Month returns the month 1..12, or 0 when unknown.
func (d Data) Month() int { return int(d.month) }

// Day returns the day 1..31, or 0 when unknown.
func (d Data) Day() int { return int(d.day) }

// String returns the JSON form without quotes ("2001-05-17", "2001-05", "2001"), or "" for the zero
// Data.
func (d Data) String() string {
	p := d.Precision()
	if p == PrecisionNone {
		return ""
	}
	// Without fmt: dates are formatted on every cache key and answer.
	b := make([]byte, 0, 10)
	b = appendPadded(b, int(d.year), 4)
	if p == PrecisionYear {
		return string(b)
	}
	b = appendPadded(append(b, '-'), int(d.month), 2)
	if p == PrecisionMonth {
		return string(b)
	}
	return string(appendPadded(append(b, '-'), int(d.day), 2))
}

// appendPadded appends n in decimal, zero-padded to width digits.
func appendPadded(b []byte, n, width int) []byte {
	var digits [4]byte
	for i := width - 1; i >= 0; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, digits[:width]...)
}

// Time returns midnight of a full date in loc. It fails for partial and zero dates, which have no
// single instant.
func (d Data) Time(loc *time.Location) (time.Time, error) {
	if d.Precision() != PrecisionDay {
		return time.Time{}, dataErr("%q is not a full date", d.String())
	}
	return time.Date(int(d.year), time.Month(d.month), int(d.day), 0, 0, 0, 0, loc), nil
}

// Compare orders dates by their known parts: -1 if d is before e, +1 if after, 0 if the dates are
// equal or cannot be told apart (one is partial and contains the other, e.g. "2001" and "2001-05-17").
// The zero Data sorts before every date.
func (d Data) Compare(e Data) int {
	a := [3]int{int(d.year), int(d.month), int(d.day)}
	b := [3]int{int(e.year), int(e.month), int(e.day)}
	for i := range a {
		if a[i] == 0 || b[i] == 0 {
			switch {
			case i == 0 && a[0] == 0 && b[0] != 0:
				return -1
			case i == 0 && b[0] == 0 && a[0] != 0:
				return 1
			}
			return 0
		}
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// MarshalText implements encoding.TextMarshaler. It fails on the zero Data.
func (d Data) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return nil, dataErr("zero Data in a required field (tag optional fields `omitzero`)")
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseData.
func (d *Data) UnmarshalText(b []byte) error {
	v, err := ParseData(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes the JSON string form. It fails on the zero Data.
func (d Data) MarshalJSON() ([]byte, error) {
	t, err := d.MarshalText()
	if err != nil {
		return nil, err
	}
	return append(append([]byte{'"'}, t...), '"'), nil
}

// UnmarshalJSON reads a JSON string in one of the three forms. JSON null leaves d unchanged, as
// encoding/json does for other types.
func (d *Data) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return dataErr("a date must be a JSON string, got %s", truncateForError(string(b)))
	}
	return d.UnmarshalText(b[1 : len(b)-1])
}
