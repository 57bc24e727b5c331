package tracing

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Header is the first line of every tracing file: the columns in the order the devportal and GovWay
// use (pdnd-tracing.md §2.1).
const Header = "date,purpose_id,status,token_id,requests_count"

// PDND's row error codes (pdnd-tracing.md §4.2), used by ValidateCSV too so a self-check failure
// reads like the PDND error it prevents.
const (
	CodeInvalidCSV          = "INVALID_CSV"
	CodeInvalidCSVHeaders   = "INVALID_CSV_HEADERS"
	CodeInvalidDelimiter    = "INVALID_DELIMITER"
	CodeInvalidRowSchema    = "INVALID_ROW_SCHEMA"
	CodeInvalidDate         = "INVALID_DATE"
	CodeInvalidPurpose      = "INVALID_PURPOSE"
	CodeInvalidStatusCode   = "INVALID_STATUS_CODE"
	CodeInvalidToken        = "INVALID_TOKEN"
	CodeInvalidRequestCount = "INVALID_REQUEST_COUNT"
	CodeNotUnique           = "PURPOSE_AND_STATUS_AND_TOKEN_NOT_UNIQUE"
	CodePurposeNotFound     = "PURPOSE_NOT_FOUND"
	CodeTenantNotProducer   = "TENANT_IS_NOT_PRODUCER_OR_CONSUMER"
)

// GenerateCSV writes the tracing file of day d: the header, then one row per (purpose, status,
// token) sorted by purpose, status and token, with the requests summed (rows repeating a key are
// merged). CRLF line ends (RFC 4180, as GovWay sends), UTF-8 without BOM, no quoting (no value needs
// it). A day without rows is the header alone: PDND needs a file for every day (§4.4).
func GenerateCSV(d Day, rows []Row) []byte {
	merged := map[[3]string]int64{}
	for _, r := range rows {
		k := [3]string{strings.ToLower(r.PurposeID), strconv.Itoa(r.Status), strings.ToLower(r.TokenID)}
		merged[k] += r.Requests
	}
	keys := make([][3]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [3]string) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		sa, _ := strconv.Atoi(a[1])
		sb, _ := strconv.Atoi(b[1])
		if c := cmp.Compare(sa, sb); c != 0 {
			return c
		}
		return cmp.Compare(a[2], b[2])
	})
	var b bytes.Buffer
	b.WriteString(Header + "\r\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%d\r\n", d, k[0], k[1], k[2], merged[k])
	}
	return b.Bytes()
}

// CSVError is one problem ValidateCSV found. Row counts data rows from 1 (0: the file), as PDND's
// rowNumber does.
type CSVError struct {
	Row     int
	Code    string
	Message string
}

func (e CSVError) String() string { return fmt.Sprintf("row %d: %s: %s", e.Row, e.Code, e.Message) }

// ValidationError lists what is wrong with a file.
type ValidationError struct{ Errors []CSVError }

func (e *ValidationError) Error() string {
	parts := make([]string, 0, min(len(e.Errors), 5))
	for i, ce := range e.Errors {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Errors)-5))
			break
		}
		parts = append(parts, ce.String())
	}
	return "tracing: invalid file: " + strings.Join(parts, "; ")
}

// ValidateCSV checks a file against PDND's rules for day d (pdnd-tracing.md §2), more strictly than
// PDND does (exact header order, integer counts, no blank lines) because it checks our own output:
// UTF-8 without BOM, the exact header, five comma-separated fields per row, date equal to d, UUIDs,
// a status in Node's list, a non-negative integer count, and (purpose, status, token) unique.
// It returns nil or a *ValidationError.
func ValidateCSV(d Day, data []byte) error {
	var errs []CSVError
	add := func(row int, code, format string, args ...any) {
		errs = append(errs, CSVError{row, code, fmt.Sprintf(format, args...)})
	}
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		add(0, CodeInvalidCSVHeaders, "the file starts with a byte order mark")
	case !utf8.Valid(data):
		add(0, CodeInvalidCSV, "the file is not UTF-8")
	}
	if len(errs) > 0 {
		return &ValidationError{errs}
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if !strings.HasSuffix(text, "\n") {
		add(0, CodeInvalidCSV, "the last line has no line end")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if lines[0] != Header {
		add(0, CodeInvalidCSVHeaders, "header %q, want %q", lines[0], Header)
		return &ValidationError{errs}
	}
	seen := map[string]int{}
	for i, line := range lines[1:] {
		row := i + 1
		f := strings.Split(line, ",")
		if len(f) != 5 {
			add(row, CodeInvalidRowSchema, "%d fields, want 5", len(f))
			continue
		}
		if f[0] != string(d) {
			add(row, CodeInvalidDate, "date %q differs from the tracing date %s", f[0], d)
		}
		if !isUUID(f[1]) {
			add(row, CodeInvalidPurpose, "purpose_id %q is not a UUID", f[1])
		}
		if s, err := strconv.Atoi(f[2]); err != nil || strconv.Itoa(s) != f[2] || !IsReportableStatus(s) {
			add(row, CodeInvalidStatusCode, "status %q is not an HTTP status code PDND accepts", f[2])
		}
		if !isUUID(f[3]) {
			add(row, CodeInvalidToken, "token_id %q is not a UUID", f[3])
		}
		if n, err := strconv.ParseInt(f[4], 10, 64); err != nil || n < 0 || strconv.FormatInt(n, 10) != f[4] {
			add(row, CodeInvalidRequestCount, "requests_count %q is not a non-negative integer", f[4])
		}
		key := strings.ToLower(f[1] + "#" + f[2] + "#" + f[3])
		if first, dup := seen[key]; dup {
			add(row, CodeNotUnique, "purpose_id, status and token_id repeat row %d", first)
		} else {
			seen[key] = row
		}
	}
	if len(errs) > 0 {
		return &ValidationError{errs}
	}
	return nil
}
