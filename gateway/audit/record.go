// Package audit keeps the audit trail of the gateway's e-services: one record per call, appended to a
// hash-chained JSON Lines file (or another Sink) and synced before the caller answers, so an answered
// request always leaves a record that nobody can change, delete or reorder unnoticed.
//
// The e-service chain fills a Record (plain values it already has: claims of the verified tokens,
// status, latency, body digests) and calls Logger.Append. The Logger turns it into an Entry: it
// pseudonymises the tracking-evidence claims that may identify a consumer's operator (keyed HMAC, see
// Pseudonymizer), replaces foreign identifiers that could carry personal data or are oversized with
// their SHA-256, and never stores a token, a token signature or a request body. Verify checks a set of
// files and says exactly where one was tampered with. README.md documents the format and guarantees.
package audit

import (
	"crypto/sha256"
	"errors"
	"time"
)

// OutcomeOK is the Outcome of a call the gateway served (whatever the HTTP status the backend chose).
// A call the gateway refused or failed carries the problem code instead (for example
// "voucher.expired", "upstream-unavailable").
const OutcomeOK = "ok"

// Record is what the e-service chain knows about one call. Every field is optional except Time,
// EService, Operation and Status; the Logger validates and transforms it (see Entry). A Record is
// read during Append only, so the caller may reuse it afterwards.
type Record struct {
	// Time is when the request arrived (any location; stored in UTC with millisecond precision).
	Time time.Time
	// EService is the e-service's configured name.
	EService string
	// Operation is the OpenAPI operationId, or the route template ("GET /indicatori/{id}"). Never the
	// raw request path: it can carry personal data (a codice fiscale in a path parameter).
	Operation string
	// Method is the HTTP method.
	Method string
	// Status is the HTTP status returned to the caller.
	Status int
	// Outcome is OutcomeOK, or the stable problem code that rejected or failed the call.
	Outcome string
	// ClientID, ConsumerID and PurposeID come from the verified PDND voucher (client_id,
	// consumerId, purposeId).
	ClientID, ConsumerID, PurposeID string
	// VoucherJTI, SignatureJTI and TrackingJTI are the jti of the voucher, of Agid-JWT-Signature and of
	// Agid-JWT-TrackingEvidence. Never the tokens themselves.
	VoucherJTI, SignatureJTI, TrackingJTI string
	// Tracking holds the audit claims of the verified Agid-JWT-TrackingEvidence, in clear: the Logger
	// pseudonymises them before they are stored.
	Tracking TrackingClaims
	// RequestID is the gateway's request id (the one in problem responses and logs).
	RequestID string
	// Latency is the time from arrival to the response.
	Latency time.Duration
	// RequestBodySHA256 and ResponseBodySHA256 are the SHA-256 of the bodies as received and as sent
	// (see Digest); nil when not recorded. Any other length is an error.
	RequestBodySHA256, ResponseBodySHA256 []byte
	// ClientIP is the address of the caller as the listener saw it (or the trusted proxy reported).
	ClientIP string
}

// TrackingClaims are the AUDIT_REST_01 claims (pdnd-modi.md §2.4) of the consumer's operator.
type TrackingClaims struct {
	UserID       string
	UserLocation string
	LoA          string
}

// Digest returns the SHA-256 of body, for Record.RequestBodySHA256 and ResponseBodySHA256.
func Digest(body []byte) []byte {
	sum := sha256.Sum256(body)
	return sum[:]
}

// Entry kinds.
const (
	// KindCall is the record of one e-service call.
	KindCall = "call"
	// KindStart is written by a file sink each time it opens: it marks a process start in the chain
	// and explains a torn line the previous process left behind.
	KindStart = "start"
)

// Entry is one stored record: the chained, pseudonymised form of a Record. Field order is the
// canonical encoding order (see README.md); every string is printable ASCII of bounded length.
type Entry struct {
	// Seq numbers the entries of one chain (one instance) from 1, without gaps, across files.
	Seq uint64 `json:"seq"`
	// Kind is KindCall or KindStart.
	Kind string `json:"kind"`
	// Time is UTC RFC 3339 with milliseconds and uppercase T and Z (RAC_GEN_LOG_01).
	Time string `json:"time"`
	// Instance identifies the replica whose chain this is.
	Instance string `json:"instance"`

	EService  string `json:"eservice,omitempty"`
	Operation string `json:"operation,omitempty"`
	Method    string `json:"method,omitempty"`
	Status    int    `json:"status,omitempty"`
	Outcome   string `json:"outcome,omitempty"`

	ClientID   string `json:"clientId,omitempty"`
	ConsumerID string `json:"consumerId,omitempty"`
	PurposeID  string `json:"purposeId,omitempty"`

	VoucherJTI   string `json:"voucherJti,omitempty"`
	SignatureJTI string `json:"signatureJti,omitempty"`
	TrackingJTI  string `json:"trackingJti,omitempty"`

	// UserID and UserLocation are pseudonyms ("hmac-sha256:<keyId>:<hex>"); LoA is in clear when it is
	// one of the configured assurance levels, a pseudonym otherwise.
	UserID       string `json:"userId,omitempty"`
	UserLocation string `json:"userLocation,omitempty"`
	LoA          string `json:"loa,omitempty"`

	RequestID      string `json:"requestId,omitempty"`
	LatencyUs      int64  `json:"latencyUs,omitempty"`
	RequestSHA256  string `json:"requestSha256,omitempty"`
	ResponseSHA256 string `json:"responseSha256,omitempty"`
	ClientIP       string `json:"clientIp,omitempty"`

	// Start is set on KindStart entries.
	Start *StartInfo `json:"start,omitempty"`

	// Prev is the Hash of the previous entry of the chain (64 zeros for seq 1). Hash is the SHA-256 of
	// this entry's canonical encoding without the hash member; it is not part of the JSON body the
	// struct encodes to, but is appended by Seal.
	Prev string `json:"prev"`
	Hash string `json:"-"`
}

// StartInfo describes a sink start.
type StartInfo struct {
	// Version is the gateway's version, when known.
	Version string `json:"version,omitempty"`
	// TornTail, when set, says the previous file of this chain ended with an incomplete line (the
	// process died while writing it; the record was never acknowledged). The file is left as it was.
	TornTail *TornTail `json:"tornTail,omitempty"`
}

// TornTail locates the incomplete last line of a file.
type TornTail struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"`
}

// ErrClosed is returned by Append and Sink.Write after Close.
var ErrClosed = errors.New("audit: closed")
