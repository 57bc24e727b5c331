package tracing

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// What PDND's processing service checks, reimplemented from pagopa/interop-tracing-core
// (packages/processing: processingService.ts, checkCSVFormalErrors.ts, models/db.ts,
// enricherService.ts) at the level the client can observe: error codes, messages, row numbers,
// severities and the resulting state.

// PurposeErrorCodes of interop-tracing-core (packages/commons/src/constants/purposeErrorCodes.ts).
// The simulator keeps its own copy of PDND's vocabulary, so it models PDND independently of the
// client it tests.
const (
	codeInvalidStatusCode   = "INVALID_STATUS_CODE"
	codeInvalidPurpose      = "INVALID_PURPOSE"
	codeInvalidToken        = "INVALID_TOKEN"
	codeInvalidDate         = "INVALID_DATE"
	codeTenantNotProducer   = "TENANT_IS_NOT_PRODUCER_OR_CONSUMER"
	codePurposeNotFound     = "PURPOSE_NOT_FOUND"
	codeInvalidRequestCount = "INVALID_REQUEST_COUNT"
	codeInvalidCSVHeaders   = "INVALID_CSV_HEADERS"
	codeInvalidDelimiter    = "INVALID_DELIMITER"
	codeNotUnique           = "PURPOSE_AND_STATUS_AND_TOKEN_NOT_UNIQUE"
)

// nodeStatusCodes are the keys of Node.js's http.STATUS_CODES (v20), the list the status column is
// checked against. The test compares it with the gateway's list and with node itself.
var nodeStatusCodes = func() map[int]bool {
	m := map[int]bool{}
	for _, c := range []int{100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
		300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410,
		411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
		500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511} {
		m[c] = true
	}
	return m
}()

// expectedHeaders is processing's expectedInputCSVHeaders, sorted as the check compares them.
var expectedHeaders = []string{"date", "purpose_id", "requests_count", "status", "token_id"}

// zodUUID is zod 3.23's uuid() regular expression (any version, either case).
var zodUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{12}$`)

// PurposeStatus is what PDND's database says about a purpose, for the uploading tenant.
type PurposeStatus int

const (
	// PurposeOwned: the purpose exists and the tenant is its e-service's producer (or consumer).
	PurposeOwned PurposeStatus = iota
	// PurposeUnknown: no such purpose (PURPOSE_NOT_FOUND, blocking).
	PurposeUnknown
	// PurposeOfOthers: the purpose exists but concerns other tenants
	// (TENANT_IS_NOT_PRODUCER_OR_CONSUMER, a warning).
	PurposeOfOthers
)

// RowError is one entry of GET /tracings/{id}/errors.
type RowError struct {
	PurposeID string `json:"purposeId"`
	Severity  string `json:"severity"`
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
	RowNumber int    `json:"rowNumber"`
}

const (
	severityInvalid = "INVALID"
	severityWarning = "WARNING"
)

func rowError(purpose, code, message string, row int) RowError {
	sev := severityInvalid
	if code == codeTenantNotProducer {
		sev = severityWarning
	}
	return RowError{PurposeID: purpose, Severity: sev, ErrorCode: code, Message: message, RowNumber: row}
}

// record is a parsed row: values by header name (absent when the row was short), like csv-parser's
// objects.
type record struct {
	row    int
	values map[string]string
}

func (r record) get(k string) (string, bool) { v, ok := r.values[k]; return v, ok }

// parseCSV splits a file like the npm csv-parser with default options: ',' separator, '"' quotes
// with "" as an escaped quote, LF or CRLF, the first line is the header, empty lines are skipped, a
// value beyond the header's columns gets the key "_<index>". A BOM is not removed.
func parseCSV(data []byte) (headers []string, rows []record) {
	lines := splitRecords(string(data))
	if len(lines) == 0 {
		return nil, nil
	}
	headers = lines[0]
	for i, fields := range lines[1:] {
		rec := record{row: i + 1, values: map[string]string{}}
		for j, v := range fields {
			key := "_" + strconv.Itoa(j)
			if j < len(headers) {
				key = headers[j]
			}
			rec.values[key] = v
		}
		rows = append(rows, rec)
	}
	return headers, rows
}

func splitRecords(s string) [][]string {
	var out [][]string
	var field strings.Builder
	var fields []string
	inQuotes := false
	flush := func() {
		fields = append(fields, field.String())
		field.Reset()
		if !(len(fields) == 1 && fields[0] == "") {
			out = append(out, fields)
		}
		fields = nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuotes && c == '"' && i+1 < len(s) && s[i+1] == '"':
			field.WriteByte('"')
			i++
		case c == '"':
			inQuotes = !inQuotes
		case !inQuotes && c == ',':
			fields = append(fields, field.String())
			field.Reset()
		case !inQuotes && (c == '\n' || c == '\r'):
			if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			flush()
		default:
			field.WriteByte(c)
		}
	}
	if field.Len() > 0 || len(fields) > 0 {
		flush()
	}
	return out
}

// validate processes a file uploaded for date by tenant and returns the errors and the final state.
func validate(data []byte, date, tenant string, purposes func(tenant, purposeID string) PurposeStatus) ([]RowError, string) {
	_, rows := parseCSV(data)
	if len(rows) == 0 {
		return nil, stateCompleted // processing returns early without rows: even the header is not checked
	}
	// The header check reads the keys of the first row, as processing does: a short first row
	// lacks keys, a long one has "_<index>" keys.
	keys := make([]string, 0, len(rows[0].values))
	for k := range rows[0].values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, expectedHeaders) {
		msg := fmt.Sprintf("CSV headers invalid. Expected [%s] but got [%s]", strings.Join(expectedHeaders, ","), strings.Join(keys, ","))
		return []RowError{rowError("", codeInvalidCSVHeaders, msg, 0)}, stateError
	}
	for _, k := range keys {
		if strings.Contains(k, ";") {
			return []RowError{rowError("", codeInvalidDelimiter, "Invalid delimiter found on csv", 0)}, stateError
		}
	}
	var errs []RowError
	dup := map[string][]int{}
	for _, r := range rows {
		p, _ := r.get("purpose_id")
		s, _ := r.get("status")
		t, _ := r.get("token_id")
		k := p + "#" + s + "#" + t
		dup[k] = append(dup[k], r.row)
	}
	blocking := map[int]bool{}
	for _, r := range rows {
		purpose, _ := r.get("purpose_id")
		add := func(code, msg string) {
			e := rowError(purpose, code, msg, r.row)
			if e.Severity == severityInvalid {
				blocking[r.row] = true
			}
			errs = append(errs, e)
		}
		// The zod schema, issue by issue, in field order.
		if v, ok := r.get("purpose_id"); !ok {
			add(codeInvalidPurpose, "purpose_id: Required")
		} else if !zodUUID.MatchString(v) {
			add(codeInvalidPurpose, "purpose_id: Invalid uuid")
		}
		if v, ok := r.get("status"); !ok {
			add(codeInvalidStatusCode, "status: Expected number, received nan")
		} else if n := jsNumber(v); math.IsNaN(n) {
			add(codeInvalidStatusCode, "status: Expected number, received nan")
		} else if n != math.Trunc(n) || !nodeStatusCodes[int(n)] {
			add(codeInvalidStatusCode, "status: Invalid HTTP status code")
		}
		if v, ok := r.get("token_id"); !ok {
			add(codeInvalidToken, "token_id: Required")
		} else if !zodUUID.MatchString(v) {
			add(codeInvalidToken, "token_id: Invalid uuid")
		}
		if v, ok := r.get("requests_count"); !ok {
			add(codeInvalidRequestCount, "requests_count: Required")
		} else if v == "" {
			add(codeInvalidRequestCount, "requests_count: Expected number, received null")
		} else if n := jsNumber(v); math.IsNaN(n) {
			add(codeInvalidRequestCount, "requests_count: Invalid input")
		} else if n < 0 {
			add(codeInvalidRequestCount, "requests_count: Number must be greater than or equal to 0")
		}
		d, ok := r.get("date")
		if !ok {
			d = "undefined" // z.coerce.string() of a missing value
		}
		if d != date {
			add(codeInvalidDate, fmt.Sprintf("date: Date field (%s) in csv is different from tracing date (%s).", d, date))
		}
		s, _ := r.get("status")
		t, _ := r.get("token_id")
		if rowsOf := dup[purpose+"#"+s+"#"+t]; len(rowsOf) > 1 {
			add(codeNotUnique, fmt.Sprintf("Duplicate status found. The current row number %d with status %s and token_id %s has already been declared at rows: %s.", r.row, s, t, formatRows(rowsOf)))
		}
	}
	// Enrichment: rows without a blocking formal error are looked up in PDND's database.
	for _, r := range rows {
		if blocking[r.row] {
			continue
		}
		purpose, _ := r.get("purpose_id")
		switch purposes(tenant, strings.ToLower(purpose)) {
		case PurposeUnknown:
			errs = append(errs, rowError(purpose, codePurposeNotFound, "purpose_id: Invalid purpose id "+purpose, r.row))
		case PurposeOfOthers:
			errs = append(errs, rowError(purpose, codeTenantNotProducer, "purpose_id: Invalid purpose id "+purpose, r.row))
		}
	}
	slices.SortStableFunc(errs, func(a, b RowError) int { return a.RowNumber - b.RowNumber })
	state := stateCompleted
	for _, e := range errs {
		if e.Severity == severityInvalid {
			return errs, stateError
		}
		state = stateWarning
	}
	return errs, state
}

func formatRows(rows []int) string {
	parts := make([]string, 0, min(len(rows), 10))
	for _, r := range rows[:min(len(rows), 10)] {
		parts = append(parts, strconv.Itoa(r))
	}
	s := strings.Join(parts, ",")
	if len(rows) > 10 {
		s += fmt.Sprintf(" ... and %d more", len(rows)-10)
	}
	return s
}
