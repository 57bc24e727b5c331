package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/welfaregov/gateway/gateway/resilience"
)

// attemptFailure turns the error of an attempt that got no usable answer into the runtime's
// vocabulary. callerCtx is the caller's context, callCtx the call's (caller's plus call_timeout),
// attemptCtx the attempt's (plus the operation's timeout): whichever ended first says whose
// deadline it was. A caller that cancelled is not the upstream's failure (ErrCallerGone); a
// caller's deadline that passed is a timeout like ours, or a hanging upstream would never open its
// breaker whenever callers' deadlines are shorter than the operation's timeout.
func attemptFailure(op string, err error, callerCtx, callCtx, attemptCtx context.Context, timeout, callTimeout time.Duration) error {
	timedOut := func(detail string) error {
		return &resilience.Error{Reason: resilience.ReasonTimeout, Operation: op, Cause: err, Detail: detail}
	}
	switch {
	case errors.Is(callerCtx.Err(), context.Canceled):
		return fmt.Errorf("%w: %w", resilience.ErrCallerGone, err)
	case callerCtx.Err() != nil:
		return timedOut("no complete answer before the caller's deadline")
	case callCtx.Err() != nil:
		return timedOut(fmt.Sprintf("no complete answer within the call timeout of %s", callTimeout))
	case attemptCtx.Err() != nil || isTimeout(err):
		return timedOut(fmt.Sprintf("no complete answer within %s", timeout))
	}
	if detail, ok := tlsFailure(err); ok {
		return &resilience.Error{Reason: resilience.ReasonTLS, Operation: op, Detail: detail, Cause: err}
	}
	return &resilience.Error{Reason: resilience.ReasonTransport, Operation: op, Detail: transportDetail(err), Cause: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// tlsFailure recognises a server certificate that does not verify: retrying cannot fix it.
func tlsFailure(err error) (string, bool) {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknown):
		return "the upstream's TLS certificate is signed by an unknown authority (check tls.ca_file)", true
	case errors.As(err, &invalid):
		return "the upstream's TLS certificate is not valid (" + invalidReason(invalid.Reason) + ")", true
	case errors.As(err, &hostname):
		return "the upstream's TLS certificate does not name the host called (check base_url or tls.server_name)", true
	case errors.As(err, &verify):
		return "the upstream's TLS certificate did not verify", true
	}
	return "", false
}

func invalidReason(r x509.InvalidReason) string {
	switch r {
	case x509.Expired:
		return "expired or not yet valid"
	case x509.IncompatibleUsage:
		return "not usable for TLS servers"
	}
	return "rejected by the chain verification"
}

// transportDetail names a connection failure without its addresses.
func transportDetail(err error) string {
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset by the upstream"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the connection closed before the answer was complete"
	case errors.As(err, &dns):
		return "the upstream's host name did not resolve"
	}
	return "the connection failed"
}
