package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/welfaregov/gateway/contracts"
)

// maxFieldBytes bounds a foreign string kept in clear; longer ones are stored as their SHA-256.
const maxFieldBytes = 128

// TimeFormat is the entries' time format: UTC RFC 3339 with milliseconds, uppercase T and Z.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// DefaultLoAValues are the assurance levels stored in clear when the configuration lists none: the
// AgID/SPID and eIDAS names and their usual spellings. Any other LoA value is pseudonymised, because
// the claim is free text the consumer fills and could carry anything.
var DefaultLoAValues = []string{
	"LoA1", "LoA2", "LoA3", "LoA4",
	"SPID_L1", "SPID_L2", "SPID_L3", "SpidL1", "SpidL2", "SpidL3",
	"https://www.spid.gov.it/SpidL1", "https://www.spid.gov.it/SpidL2", "https://www.spid.gov.it/SpidL3",
	"low", "substantial", "high",
}

// Logger turns Records into Entries and hands them to its Sink. Safe for concurrent use.
type Logger struct {
	sink     Sink
	pseud    *Pseudonymizer
	loa      map[string]bool
	instance string
}

// NewLogger returns a Logger writing to sink as instance (the replica id, 1 to 64 characters of
// [A-Za-z0-9._-]). loaValues are the LoA values kept in clear (nil: DefaultLoAValues).
func NewLogger(sink Sink, p *Pseudonymizer, instance string, loaValues []string) (*Logger, error) {
	if sink == nil || p == nil {
		return nil, errors.New("audit: NewLogger needs a sink and a pseudonymizer")
	}
	if !ValidInstanceID(instance) {
		return nil, fmt.Errorf("audit: instance id %q must be 1 to 64 characters of A-Z a-z 0-9 . _ -", instance)
	}
	if loaValues == nil {
		loaValues = DefaultLoAValues
	}
	l := &Logger{sink: sink, pseud: p, instance: instance, loa: map[string]bool{}}
	for _, v := range loaValues {
		l.loa[v] = true
	}
	return l, nil
}

// Append stores the record of one call and returns once the sink acknowledged it. The e-service
// chain calls it after the response is built and before it is sent: when Append fails, the record
// is not stored and the chain should answer 503 instead (no call without a record). An error other
// than ErrClosed or the context's means a misfilled Record (missing Time, EService, Operation or
// Status; a digest that is not 32 bytes) or a sink failure.
func (l *Logger) Append(ctx context.Context, r *Record) error {
	e, err := l.entry(r)
	if err != nil {
		return err
	}
	if err := l.sink.Write(ctx, e); err != nil {
		return fmt.Errorf("audit: storing the record of %s %s: %w", r.EService, r.Operation, err)
	}
	return nil
}

// Close closes the sink.
func (l *Logger) Close() error { return l.sink.Close() }

// Head returns the stored chain head when the sink reports one (FileSink does): the (seq, hash) to
// log now and then as a checkpoint, so that `gateway audit verify -anchor` can later prove that no
// entry was cut from the end of the chain.
func (l *Logger) Head() (Chain, bool) {
	h, ok := l.sink.(interface{ Head() Chain })
	if !ok {
		return Chain{}, false
	}
	return h.Head(), true
}

// Instance is the chain's instance id.
func (l *Logger) Instance() string { return l.instance }

func (l *Logger) entry(r *Record) (*Entry, error) {
	switch {
	case r.Time.IsZero():
		return nil, errors.New("audit: Record.Time is required")
	case r.EService == "" || r.Operation == "":
		return nil, errors.New("audit: Record.EService and Record.Operation are required")
	case r.Status < 100 || r.Status > 999:
		return nil, fmt.Errorf("audit: Record.Status %d is not an HTTP status", r.Status)
	}
	reqDigest, err := digestHex("RequestBodySHA256", r.RequestBodySHA256)
	if err != nil {
		return nil, err
	}
	respDigest, err := digestHex("ResponseBodySHA256", r.ResponseBodySHA256)
	if err != nil {
		return nil, err
	}
	e := &Entry{
		Kind:           KindCall,
		Time:           formatTime(r.Time),
		Instance:       l.instance,
		EService:       clean(r.EService),
		Operation:      clean(r.Operation),
		Method:         clean(r.Method),
		Status:         r.Status,
		Outcome:        clean(r.Outcome),
		ClientID:       clean(r.ClientID),
		ConsumerID:     clean(r.ConsumerID),
		PurposeID:      clean(r.PurposeID),
		VoucherJTI:     clean(r.VoucherJTI),
		SignatureJTI:   clean(r.SignatureJTI),
		TrackingJTI:    clean(r.TrackingJTI),
		UserID:         l.pseud.Pseudonym(ClaimUserID, r.Tracking.UserID),
		UserLocation:   l.pseud.Pseudonym(ClaimUserLocation, r.Tracking.UserLocation),
		RequestID:      clean(r.RequestID),
		LatencyUs:      r.Latency.Microseconds(),
		RequestSHA256:  reqDigest,
		ResponseSHA256: respDigest,
		ClientIP:       cleanIP(r.ClientIP),
	}
	if r.Tracking.LoA != "" {
		if l.loa[r.Tracking.LoA] {
			e.LoA = r.Tracking.LoA
		} else {
			e.LoA = l.pseud.Pseudonym(ClaimLoA, r.Tracking.LoA)
		}
	}
	return e, nil
}

func digestHex(field string, d []byte) (string, error) {
	switch len(d) {
	case 0:
		return "", nil
	case sha256.Size:
		return hex.EncodeToString(d), nil
	}
	return "", fmt.Errorf("audit: Record.%s has %d bytes, want 32 (a SHA-256)", field, len(d))
}

// clean keeps a foreign string in clear only when it is short printable ASCII without anything shaped
// like a personal codice fiscale; otherwise it stores "sha256:<hex>" of it. Identifiers from tokens
// (jti, client ids) are chosen by the caller, so one could carry a codice fiscale, control
// characters or megabytes: none of that reaches the file, and equal values still compare equal.
func clean(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= maxFieldBytes && printableASCII(s) && !containsCodiceFiscale(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func cleanIP(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return clean(s)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// containsCodiceFiscale reports whether s holds anything contracts.MaskCodiciFiscaliInText masks: a
// 16-character window with the shape of a personal codice fiscale (any case, omocodia, whatever its
// check character: a mistyped code is still personal data), or a numeric one. It allocates nothing
// when s holds none, which is the case of ordinary identifiers.
func containsCodiceFiscale(s string) bool { return contracts.MaskCodiciFiscaliInText(s) != s }

// ValidInstanceID reports whether id can name a chain (and appear in file names).
func ValidInstanceID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	return onlyIDChars(id) && id[0] != '.' && id[0] != '-'
}

// idChars may appear in instance and key ids (and so in file names and pseudonyms).
const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

func onlyIDChars(s string) bool { return strings.Trim(s, idChars) == "" }

// formatTime is the entries' time text (TimeFormat, in UTC).
func formatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }
