package tracing

// nodeStatusCodes are the keys of Node.js's http.STATUS_CODES (Node v20 lib/_http_server.js), the
// list PDND's validator checks the status column against (pdnd-tracing.md §2.1): any other code
// makes the row INVALID_STATUS_CODE and the whole day ERROR. TestStatusCodesMatchNode compares it
// with the node on PATH.
var nodeStatusCodes = [...]int{
	100, 101, 102, 103,
	200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
	300, 301, 302, 303, 304, 305, 307, 308,
	400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
	421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
	500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511,
}

var reportable = func() map[int]bool {
	m := make(map[int]bool, len(nodeStatusCodes))
	for _, c := range nodeStatusCodes {
		m[c] = true
	}
	return m
}()

// IsReportableStatus reports whether PDND Tracing accepts code in the status column.
func IsReportableStatus(code int) bool { return reportable[code] }

// ReportableStatuses returns the accepted codes in ascending order (a copy).
func ReportableStatuses() []int { return append([]int(nil), nodeStatusCodes[:]...) }

// NormalizeStatus maps the status returned to a caller to one PDND accepts. Accepted codes stay; an
// unknown code of a known class becomes the class's generic code (RFC 9110 §15: a client treats an
// unrecognised status as x00 of its class, so 499 becomes 400 and 520 becomes 500); anything outside
// 100..599 (0 for "no answer") becomes 500, because the caller did not get a valid answer.
func NormalizeStatus(code int) int {
	switch {
	case reportable[code]:
		return code
	case code >= 100 && code <= 599:
		return code / 100 * 100
	}
	return 500
}
