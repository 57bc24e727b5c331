package telemetry

import (
	"context"
	"errors"
	"time"

	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

var _ eservice.CallObserver = (*Telemetry)(nil)

// Served counts an e-service call by e-service, operation, purpose name and outcome, and the
// consumer for the dashboard's top consumers (never a label).
func (t *Telemetry) Served(_ context.Context, s eservice.Served) {
	outcome := t.outcomes.value(s.Outcome)
	t.eserviceCalls.WithLabelValues(s.EService, t.operations.value(s.Operation), t.purpose(s.PurposeID), outcome).Inc()
	t.eserviceDuration.WithLabelValues(s.EService).Observe(s.Elapsed.Seconds())
	if s.ConsumerID == "" {
		return
	}
	t.mu.Lock()
	tc, ok := t.consumers[s.EService]
	if !ok {
		tc = newTopCounter(maxConsumers)
		t.consumers[s.EService] = tc
	}
	tc.add(s.ConsumerID)
	t.mu.Unlock()
}

// TopConsumers returns the n consumers (PDND consumer ids: organisations, not persons) that called
// the e-service most since the start, as far as a bounded count can tell.
func (t *Telemetry) TopConsumers(eservice string, n int) []Count {
	t.mu.Lock()
	defer t.mu.Unlock()
	tc, ok := t.consumers[eservice]
	if !ok {
		return nil
	}
	return tc.top(n)
}

// AuditSink is what the e-service chain writes audit records to (audit.Logger).
type AuditSink = eservice.AuditSink

// ObserveAudit wraps sink: every append's duration and every failure are measured.
func (t *Telemetry) ObserveAudit(sink AuditSink) AuditSink { return &observedAudit{sink, t} }

type observedAudit struct {
	sink AuditSink
	t    *Telemetry
}

func (o *observedAudit) Append(ctx context.Context, r *audit.Record) error {
	start := time.Now()
	err := o.sink.Append(ctx, r)
	o.t.auditDuration.Observe(time.Since(start).Seconds())
	if err != nil {
		o.t.auditFailures.Inc()
	}
	return err
}

// VoucherRequested counts one token request to PDND (pdnd.WithRequestObserver): ok, rejected (PDND
// refused the client assertion or the purpose: a configuration to fix), unavailable (no answer,
// 429, 5xx: PDND may come back) or error (the request could not be prepared).
func (t *Telemetry) VoucherRequested(purposeID string, err error) {
	outcome := "ok"
	var te *pdnd.TokenError
	switch {
	case err == nil:
	case errors.As(err, &te) && te.Temporary():
		outcome = "unavailable"
	case errors.As(err, &te):
		outcome = "rejected"
	default:
		outcome = "error"
	}
	p := t.purpose(purposeID)
	if p == "" {
		p = "pdnd-api"
	}
	t.voucherRequests.WithLabelValues(p, outcome).Inc()
}
