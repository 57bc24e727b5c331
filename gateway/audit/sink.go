package audit

import (
	"context"
	"sync"
)

// Sink stores entries. The JSONL file (FileSink) is the default; MemorySink serves tests.
//
// Implementations are safe for concurrent use. Write returns only when the entry is as durable as
// the sink promises (FileSink: written, and synced per its fsync policy); a nil error is the
// acknowledgement the e-service chain waits for before it answers, and an error means the entry is
// not stored. A sink that chains entries calls Chain.Seal under the same lock that orders its
// writes, so the stored order is the chain order. Close flushes what was acknowledged and releases
// the resources; Write after Close returns ErrClosed.
//
// Adding a sink (syslog, Kafka, an object store): implement Write by sealing the entry with a Chain
// held by the sink and sending the sealed line, and acknowledge only once the remote end has
// acknowledged it (Kafka acks=all, RELP for syslog; plain UDP syslog cannot acknowledge and is not
// an audit sink). Keep one chain per instance. Verify reads JSON Lines, so a remote store must be
// exportable back to the same lines to be verified.
type Sink interface {
	Write(ctx context.Context, e *Entry) error
	Close() error
}

// MemorySink keeps sealed entries in memory, for tests of code that audits. Safe for concurrent use.
type MemorySink struct {
	mu      sync.Mutex
	chain   Chain
	entries []Entry
	lines   [][]byte
	closed  bool
}

var _ Sink = (*MemorySink)(nil)

// Write seals e and keeps a copy.
func (m *MemorySink) Write(ctx context.Context, e *Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	line, err := m.chain.Seal(e)
	if err != nil {
		return err
	}
	m.entries = append(m.entries, *e)
	m.lines = append(m.lines, line)
	return nil
}

// Close makes later writes fail with ErrClosed.
func (m *MemorySink) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// Entries returns a copy of the entries written so far, in chain order.
func (m *MemorySink) Entries() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Entry(nil), m.entries...)
}

// Lines returns the sealed lines written so far (each ending in a newline), in chain order.
func (m *MemorySink) Lines() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][]byte, len(m.lines))
	for i, l := range m.lines {
		out[i] = append([]byte(nil), l...)
	}
	return out
}
