package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FsyncPolicy says when a FileSink makes written entries durable against a machine crash. Every
// policy writes the entry to the file (the kernel) before Write returns, so a killed process never
// loses an acknowledged entry; the policies differ on power loss and kernel crashes.
type FsyncPolicy int

const (
	// FsyncBatch (the default) is group commit: every Write waits for an fsync that covers its
	// entry, and concurrent writers share one fsync. Durable on power loss; throughput grows with
	// concurrency.
	FsyncBatch FsyncPolicy = iota
	// FsyncAlways writes and fsyncs each entry on its own, one at a time. Durable on power loss; the
	// slowest.
	FsyncAlways
	// FsyncNever leaves syncing to the kernel (typically within 30 s). Entries survive a killed
	// process but not a power loss.
	FsyncNever
)

// ParseFsyncPolicy reads "batch", "always" or "never" ("" is batch).
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	switch s {
	case "", "batch":
		return FsyncBatch, nil
	case "always":
		return FsyncAlways, nil
	case "never":
		return FsyncNever, nil
	}
	return 0, fmt.Errorf("audit: fsync policy %q is not one of always, batch, never", s)
}

func (p FsyncPolicy) String() string {
	switch p {
	case FsyncAlways:
		return "always"
	case FsyncNever:
		return "never"
	}
	return "batch"
}

// DefaultMaxFileBytes is the size after which a FileSink starts a new file.
const DefaultMaxFileBytes = 64 << 20

// FileOptions configure a FileSink.
type FileOptions struct {
	// Dir holds the files; created (0750) if missing.
	Dir string
	// Instance names the chain; one process at a time may write it (a lock file enforces it).
	Instance string
	// Fsync is the durability policy; the zero value is FsyncBatch.
	Fsync FsyncPolicy
	// MaxFileBytes starts a new file once a file would grow past it. Zero means DefaultMaxFileBytes.
	MaxFileBytes int64
	// Version is recorded in the start entry.
	Version string
	// Now is the clock of start entries and of daily rotation (UTC days). Nil means time.Now.
	Now func() time.Time
}

// FileSink appends sealed entries to JSON Lines files named
//
//	audit-<instance>-<UTC day YYYYMMDD>-<seq of the first entry, 20 digits>.jsonl
//
// starting a new file at each open, each UTC day and whenever a file would exceed MaxFileBytes. The
// chain continues across files: the first entry of a file links to the last of the previous one. A
// file is never rewritten: at open, a torn last line left by a killed process stays where it is and
// the new file's start entry records its position and digest.
//
// Write batches concurrent entries into one write(2) (and one fsync under FsyncBatch). If a write
// fails (disk full), the partial bytes are truncated away, the chain is rolled back to the last
// stored entry and every entry of the batch gets the error; later writes try again. If an fsync or
// that truncation fails the sink stops (every Write fails) because the file's state is unknown.
type FileSink struct {
	dir, instance string
	policy        FsyncPolicy
	maxBytes      int64
	now           func() time.Time
	lock          *os.File

	mu       sync.Mutex
	cond     *sync.Cond
	chain    Chain // head including queued entries
	stored   Chain // head of what is in the file
	queue    []*queued
	flushing bool
	closed   bool
	broken   error

	// Owned by the flusher (the goroutine with flushing set), or by Open/Close.
	f    *os.File
	name string
	// dayEnd is the first instant of the UTC day after the file's: the file rotates from then on.
	dayEnd time.Time
	size   int64
	// batchBuf joins the lines of a batch into one write(2); reused from batch to batch.
	batchBuf []byte
}

// maxBatchBuf bounds the join buffer kept between batches (a burst may need a bigger one once).
const maxBatchBuf = 256 << 10

type queued struct {
	line []byte
	head Chain // chain head after this entry
	done bool
	err  error
}

var _ Sink = (*FileSink)(nil)

// OpenFileSink takes the instance's lock, finds the end of its chain in Dir (verifying the last
// stored entry), and writes a start entry into a new file. It fails if another process holds the
// lock or the last stored entry is not intact: an operator must look (gateway audit verify) before
// the chain goes on.
func OpenFileSink(o FileOptions) (*FileSink, error) {
	if !ValidInstanceID(o.Instance) {
		return nil, fmt.Errorf("audit: instance id %q must be 1 to 64 characters of A-Z a-z 0-9 . _ -", o.Instance)
	}
	if o.Dir == "" {
		return nil, errors.New("audit: no directory")
	}
	s := &FileSink{dir: o.Dir, instance: o.Instance, policy: o.Fsync, maxBytes: o.MaxFileBytes, now: o.Now}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxFileBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.cond = sync.NewCond(&s.mu)
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("audit: creating %s: %w", o.Dir, err)
	}
	lock, err := lockFile(filepath.Join(o.Dir, "audit-"+o.Instance+".lock"))
	if err != nil {
		return nil, fmt.Errorf("audit: instance %s in %s: %w", o.Instance, o.Dir, err)
	}
	s.lock = lock
	head, torn, err := findChainEnd(o.Dir, o.Instance)
	if err != nil {
		_ = unlockFile(lock)
		return nil, err
	}
	s.chain, s.stored = head, head
	start := &Entry{Kind: KindStart, Time: formatTime(s.now()), Instance: o.Instance,
		Start: &StartInfo{Version: clean(o.Version), TornTail: torn}}
	line, err := s.chain.Seal(start)
	if err == nil {
		s.f = nil // a start always opens a new file
		err = s.writeBatch([]*queued{{line: line, head: s.chain}})
	}
	if err != nil {
		s.closeFile()
		_ = unlockFile(lock)
		return nil, err
	}
	s.stored = s.chain
	return s, nil
}

// Write seals e as the next entry and returns once it is written (and synced, per the policy).
func (s *FileSink) Write(ctx context.Context, e *Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.broken != nil:
		return s.broken
	}
	line, err := s.chain.Seal(e)
	if err != nil {
		return err
	}
	q := &queued{line: line, head: s.chain}
	s.queue = append(s.queue, q)
	for !q.done {
		if !s.flushing {
			s.flushLocked()
			continue
		}
		s.cond.Wait()
	}
	return q.err
}

// flushLocked writes the queue (one entry under FsyncAlways). Called with mu held; releases it
// during the I/O so other writers can queue behind.
func (s *FileSink) flushLocked() {
	// Let the goroutines that are ready to run reach Write first, so that under load one write(2)
	// (and one fsync) carries their entries too: the commit delay of database group commit, without
	// a timer. With nothing else to run, Gosched returns at once.
	if s.policy != FsyncAlways { // which writes one entry at a time anyway
		s.flushing = true
		s.mu.Unlock()
		runtime.Gosched()
		s.mu.Lock()
	}
	n := len(s.queue)
	if s.policy == FsyncAlways {
		n = 1
	}
	batch := s.queue[:n:n]
	s.queue = s.queue[n:]
	s.flushing = true
	s.mu.Unlock()
	err := s.writeBatch(batch)
	s.mu.Lock()
	s.flushing = false
	if err != nil {
		// Entries queued behind the batch were sealed on top of it: they fail too, and the chain
		// goes back to the last stored entry.
		for _, q := range append(batch, s.queue...) {
			q.done, q.err = true, err
		}
		s.queue = nil
		s.chain = s.stored
	} else {
		for _, q := range batch {
			q.done = true
		}
		s.stored = batch[len(batch)-1].head
	}
	s.cond.Broadcast()
}

// writeBatch appends the lines with one write, rotating first when needed. Only the flusher calls it.
func (s *FileSink) writeBatch(batch []*queued) error {
	var total int64
	for _, q := range batch {
		total += int64(len(q.line))
	}
	now := s.now()
	if s.f == nil || !now.Before(s.dayEnd) || (s.size > 0 && s.size+total > s.maxBytes) {
		if err := s.rotate(now, batch[0].head.Seq); err != nil {
			return err
		}
	}
	buf := batch[0].line
	if len(batch) > 1 {
		buf = s.batchBuf[:0]
		for _, q := range batch {
			buf = append(buf, q.line...)
		}
		if cap(buf) <= maxBatchBuf {
			s.batchBuf = buf
		}
	}
	n, err := s.f.Write(buf)
	if err != nil {
		if n > 0 {
			if terr := s.f.Truncate(s.size); terr != nil {
				s.setBroken(fmt.Errorf("audit: %s: write failed (%v) and the partial entry could not be removed: %w", s.name, err, terr))
				return s.broken
			}
		}
		return fmt.Errorf("audit: writing %s: %w", s.name, err)
	}
	s.size += int64(n)
	if s.policy != FsyncNever {
		if err := s.f.Sync(); err != nil {
			// After a failed fsync the kernel may have dropped the dirty pages: the file's content
			// is unknown, so nothing more is acknowledged.
			s.setBroken(fmt.Errorf("audit: fsync of %s failed: %w", s.name, err))
			return s.broken
		}
	}
	return nil
}

func (s *FileSink) setBroken(err error) {
	s.mu.Lock()
	s.broken = err
	s.mu.Unlock()
}

func (s *FileSink) rotate(now time.Time, firstSeq uint64) error {
	s.closeFile()
	now = now.UTC()
	day := now.Format("20060102")
	dayEnd := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	name := fmt.Sprintf("audit-%s-%s-%020d.jsonl", s.instance, day, firstSeq)
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("audit: creating %s: %w", name, err)
	}
	if s.policy != FsyncNever {
		if err := syncDir(s.dir); err != nil {
			_ = f.Close()
			return fmt.Errorf("audit: syncing %s after creating %s: %w", s.dir, name, err)
		}
	}
	s.f, s.name, s.dayEnd, s.size = f, name, dayEnd, 0
	return nil
}

func (s *FileSink) closeFile() {
	if s.f != nil {
		if s.policy != FsyncNever {
			_ = s.f.Sync()
		}
		_ = s.f.Close()
		s.f = nil
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Close waits for queued entries, closes the file and releases the instance lock.
func (s *FileSink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for s.flushing || len(s.queue) > 0 {
		s.cond.Wait()
	}
	s.mu.Unlock()
	var err error
	if s.f != nil {
		if s.policy != FsyncNever {
			err = s.f.Sync()
		}
		err = errors.Join(err, s.f.Close())
		s.f = nil
	}
	return errors.Join(err, unlockFile(s.lock))
}

// Head is the chain head of what is stored: the seq and hash of the last entry written. A
// checkpoint worth logging elsewhere (see README.md, "Limits").
func (s *FileSink) Head() Chain {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored
}

// chainFile is one file of a chain, by name.
type chainFile struct {
	path     string
	firstSeq uint64
}

// instanceFiles lists the files of instance in dir, ordered by their first seq.
func instanceFiles(dir, instance string) ([]chainFile, error) {
	names, err := filepath.Glob(filepath.Join(dir, "audit-"+instance+"-*.jsonl"))
	if err != nil {
		return nil, err
	}
	var out []chainFile
	for _, p := range names {
		inst, _, seq, ok := parseFileName(filepath.Base(p))
		if ok && inst == instance {
			out = append(out, chainFile{p, seq})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].firstSeq < out[j].firstSeq })
	return out, nil
}

// parseFileName splits audit-<instance>-<YYYYMMDD>-<seq>.jsonl.
func parseFileName(name string) (instance, day string, seq uint64, ok bool) {
	rest, found := strings.CutPrefix(name, "audit-")
	if !found {
		return "", "", 0, false
	}
	rest, found = strings.CutSuffix(rest, ".jsonl")
	if !found || len(rest) < 1+1+8+1+20 {
		return "", "", 0, false
	}
	seqText, day := rest[len(rest)-20:], rest[len(rest)-29:len(rest)-21]
	if rest[len(rest)-21] != '-' || rest[len(rest)-30] != '-' {
		return "", "", 0, false
	}
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if err != nil {
		return "", "", 0, false
	}
	return rest[:len(rest)-30], day, seq, true
}

// findChainEnd returns the head of the stored chain and the torn tail of the last file, if any.
func findChainEnd(dir, instance string) (Chain, *TornTail, error) {
	files, err := instanceFiles(dir, instance)
	if err != nil {
		return Chain{}, nil, fmt.Errorf("audit: listing %s: %w", dir, err)
	}
	var torn *TornTail
	for i := len(files) - 1; i >= 0; i-- {
		last, t, err := readTail(files[i].path)
		if err != nil {
			return Chain{}, nil, err
		}
		if t != nil {
			if i != len(files)-1 {
				return Chain{}, nil, fmt.Errorf("audit: %s ends with an incomplete line but is not the last file of the chain: run `gateway audit verify`", files[i].path)
			}
			torn = t
		}
		if last == nil {
			continue // empty, or a torn line only: the head is in an earlier file
		}
		e, err := ParseLine(last)
		if err != nil {
			return Chain{}, nil, fmt.Errorf("audit: the last entry of %s is not intact (%w): run `gateway audit verify` and move the damaged file aside before starting", files[i].path, err)
		}
		if e.Instance != instance {
			return Chain{}, nil, fmt.Errorf("audit: the last entry of %s belongs to instance %q", files[i].path, e.Instance)
		}
		return Chain{Seq: e.Seq, Hash: e.Hash}, torn, nil
	}
	return Chain{}, torn, nil
}

// readTail returns the last complete line of a file (without newline; nil if none) and describes
// the bytes after the last newline, if any.
func readTail(path string) ([]byte, *TornTail, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("audit: %w", err)
	}
	size := st.Size()
	start := max(0, size-2*MaxLineBytes-2)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("audit: reading %s: %w", path, err)
	}
	var torn *TornTail
	end := bytes.LastIndexByte(buf, '\n')
	if tail := buf[end+1:]; len(tail) > 0 {
		if len(tail) > MaxLineBytes {
			return nil, nil, fmt.Errorf("audit: %s ends with more than %d bytes without a newline: not an audit file", path, MaxLineBytes)
		}
		sum := sha256.Sum256(tail)
		torn = &TornTail{File: filepath.Base(path), Offset: start + int64(end+1), Length: int64(len(tail)), SHA256: hex.EncodeToString(sum[:])}
	}
	if end < 0 {
		return nil, torn, nil
	}
	lineStart := bytes.LastIndexByte(buf[:end], '\n') + 1
	if lineStart == 0 && start > 0 {
		return nil, nil, fmt.Errorf("audit: the last line of %s is longer than %d bytes: not an audit file", path, MaxLineBytes)
	}
	return buf[lineStart:end], torn, nil
}
