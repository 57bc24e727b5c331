package audit

import (
	"encoding/json"
	"strconv"
)

// appendCanonical appends the canonical encoding of e (see Chain.Seal: encoding/json's output for
// Entry) to dst. The chain hashes and the verifier re-encodes these exact bytes, so this must match
// json.Marshal byte for byte; TestAppendCanonicalIsJSONMarshal and FuzzAppendCanonical hold it to
// that. It exists because reflection-driven json.Marshal was a third of the cost of writing a record,
// and a record is written for every e-service call. Call entries hold only printable ASCII (the Logger
// cleans every field); anything else, and start entries, go through json.Marshal.
func appendCanonical(dst []byte, e *Entry) ([]byte, error) {
	if e.Start != nil || !e.printableASCII() {
		body, err := json.Marshal(e)
		return append(dst, body...), err
	}
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = appendMember(dst, `,"kind":`, e.Kind)
	dst = appendMember(dst, `,"time":`, e.Time)
	dst = appendMember(dst, `,"instance":`, e.Instance)
	dst = appendOptional(dst, `,"eservice":`, e.EService)
	dst = appendOptional(dst, `,"operation":`, e.Operation)
	dst = appendOptional(dst, `,"method":`, e.Method)
	if e.Status != 0 {
		dst = strconv.AppendInt(append(dst, `,"status":`...), int64(e.Status), 10)
	}
	dst = appendOptional(dst, `,"outcome":`, e.Outcome)
	dst = appendOptional(dst, `,"clientId":`, e.ClientID)
	dst = appendOptional(dst, `,"consumerId":`, e.ConsumerID)
	dst = appendOptional(dst, `,"purposeId":`, e.PurposeID)
	dst = appendOptional(dst, `,"voucherJti":`, e.VoucherJTI)
	dst = appendOptional(dst, `,"signatureJti":`, e.SignatureJTI)
	dst = appendOptional(dst, `,"trackingJti":`, e.TrackingJTI)
	dst = appendOptional(dst, `,"userId":`, e.UserID)
	dst = appendOptional(dst, `,"userLocation":`, e.UserLocation)
	dst = appendOptional(dst, `,"loa":`, e.LoA)
	dst = appendOptional(dst, `,"requestId":`, e.RequestID)
	if e.LatencyUs != 0 {
		dst = strconv.AppendInt(append(dst, `,"latencyUs":`...), e.LatencyUs, 10)
	}
	dst = appendOptional(dst, `,"requestSha256":`, e.RequestSHA256)
	dst = appendOptional(dst, `,"responseSha256":`, e.ResponseSHA256)
	dst = appendOptional(dst, `,"clientIp":`, e.ClientIP)
	dst = appendMember(dst, `,"prev":`, e.Prev)
	return append(dst, '}'), nil
}

// printableASCII reports whether every encoded string of e is printable ASCII, the only text
// appendCanonical escapes itself.
func (e *Entry) printableASCII() bool {
	for _, s := range [...]string{e.Kind, e.Time, e.Instance, e.EService, e.Operation, e.Method, e.Outcome,
		e.ClientID, e.ConsumerID, e.PurposeID, e.VoucherJTI, e.SignatureJTI, e.TrackingJTI,
		e.UserID, e.UserLocation, e.LoA, e.RequestID, e.RequestSHA256, e.ResponseSHA256, e.ClientIP, e.Prev} {
		if !printableASCII(s) {
			return false
		}
	}
	return true
}

func appendOptional(dst []byte, name, s string) []byte {
	if s == "" {
		return dst // omitempty
	}
	return appendMember(dst, name, s)
}

// appendMember appends name and s as a JSON string escaped as encoding/json escapes printable
// ASCII: quote and backslash with a backslash, and <, > and & as \u00XX (its HTML-safe default).
func appendMember(dst []byte, name, s string) []byte {
	dst = append(append(dst, name...), '"')
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '<':
			esc = `\u003c`
		case '>':
			esc = `\u003e`
		case '&':
			esc = `\u0026`
		default:
			continue
		}
		dst = append(append(dst, s[start:i]...), esc...)
		start = i + 1
	}
	return append(append(dst, s[start:]...), '"')
}
