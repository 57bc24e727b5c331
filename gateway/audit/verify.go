package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// FindingKind classifies what Verify found.
type FindingKind string

// Problems (the trail was altered, or damaged) and notices (nothing wrong, worth knowing).
const (
	// FindingTampered: an entry's content does not match its hash (a field was changed).
	FindingTampered FindingKind = "tampered"
	// FindingMalformed: a line is not an entry (edited by hand, garbage inserted, a line split or
	// merged), or not in the canonical encoding.
	FindingMalformed FindingKind = "malformed"
	// FindingGap: sequence numbers are missing: entries (or whole files) were deleted.
	FindingGap FindingKind = "gap"
	// FindingOutOfOrder: a sequence number goes back or repeats: entries were reordered or duplicated.
	FindingOutOfOrder FindingKind = "out-of-order"
	// FindingChainBreak: the sequence is right but prev is not the previous entry's hash: an entry was
	// replaced by one with a recomputed hash.
	FindingChainBreak FindingKind = "chain-break"
	// FindingTornTail: a file ends with an incomplete line that no later start entry explains (the
	// writer is dead and was not restarted yet, or the file was truncated mid-line).
	FindingTornTail FindingKind = "torn-tail"
	// FindingMisplaced: an entry or file does not belong where it is (another instance's entry, a
	// file name that disagrees with its content).
	FindingMisplaced FindingKind = "misplaced"
	// FindingAnchor: an anchor given to VerifyOptions does not match the chain (the end of the chain
	// was cut off, or rewritten).
	FindingAnchor FindingKind = "anchor-mismatch"

	// NoticeChainStart: the chain given starts after seq 1 (earlier files were not given).
	NoticeChainStart FindingKind = "partial-chain"
	// NoticeRestart: a start entry explains the torn line of the previous file.
	NoticeRestart FindingKind = "restart-after-crash"
	// NoticeEmptyFile: a file without entries (the writer died right after creating it).
	NoticeEmptyFile FindingKind = "empty-file"
)

// Finding is one thing Verify reports, located as precisely as possible. Line is 1-based (0: the
// whole file); Seq is 0 when unknown.
type Finding struct {
	Kind   FindingKind `json:"kind"`
	File   string      `json:"file"`
	Line   int         `json:"line,omitempty"`
	Seq    uint64      `json:"seq,omitempty"`
	Detail string      `json:"detail"`
}

func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc += ":" + strconv.Itoa(f.Line)
	}
	if f.Seq > 0 {
		loc += " (seq " + strconv.FormatUint(f.Seq, 10) + ")"
	}
	return loc + ": " + string(f.Kind) + ": " + f.Detail
}

// ChainSummary describes one verified chain.
type ChainSummary struct {
	Instance string `json:"instance"`
	Files    int    `json:"files"`
	Entries  int    `json:"entries"`
	Calls    int    `json:"calls"`
	Starts   int    `json:"starts"`
	FirstSeq uint64 `json:"firstSeq"`
	LastSeq  uint64 `json:"lastSeq"`
	// LastHash is the hash of the last intact entry: an anchor to keep for the next verification.
	LastHash  string `json:"lastHash"`
	FirstTime string `json:"firstTime,omitempty"`
	LastTime  string `json:"lastTime,omitempty"`
}

// Report is the result of Verify.
type Report struct {
	Chains   []ChainSummary `json:"chains"`
	Problems []Finding      `json:"problems"`
	Notices  []Finding      `json:"notices"`
}

// OK reports whether no problem was found.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Anchor is a (seq, hash) of a chain recorded elsewhere (a checkpoint in the application log, a
// ticket): Verify checks that the chain still has that entry with that hash.
type Anchor struct {
	Instance string
	Seq      uint64
	Hash     string
}

// ParseAnchor reads "INSTANCE:SEQ:HASH".
func ParseAnchor(s string) (Anchor, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || !ValidInstanceID(parts[0]) || !isLowerHex([]byte(parts[2])) {
		return Anchor{}, fmt.Errorf("anchor %q is not INSTANCE:SEQ:HASH (HASH: 64 lowercase hex digits)", s)
	}
	seq, err := strconv.ParseUint(parts[1], 10, 64)
	if err != nil || seq == 0 {
		return Anchor{}, fmt.Errorf("anchor %q: SEQ must be a positive integer", s)
	}
	return Anchor{parts[0], seq, parts[2]}, nil
}

// VerifyOptions refine Verify.
type VerifyOptions struct {
	Anchors []Anchor
}

// Verify checks audit files (any order, any mix of instances): every line is an intact entry, and
// every instance's entries form one unbroken chain across its files. It returns an error only when a
// file cannot be read; what is wrong with the content is in the Report.
func Verify(paths ...string) (*Report, error) { return VerifyWith(VerifyOptions{}, paths...) }

// VerifyWith is Verify with anchors.
func VerifyWith(o VerifyOptions, paths ...string) (*Report, error) {
	rep := &Report{Problems: []Finding{}, Notices: []Finding{}}
	var files []*scannedFile
	for _, p := range paths {
		sf, err := scanFile(p)
		if err != nil {
			return nil, err
		}
		files = append(files, sf)
	}
	groups := map[string][]*scannedFile{}
	var instances []string
	for _, sf := range files {
		if _, ok := groups[sf.instance]; !ok {
			instances = append(instances, sf.instance)
		}
		groups[sf.instance] = append(groups[sf.instance], sf)
	}
	sort.Strings(instances)
	for _, inst := range instances {
		g := groups[inst]
		sort.SliceStable(g, func(i, j int) bool { return g[i].firstSeq < g[j].firstSeq })
		rep.Chains = append(rep.Chains, verifyChain(rep, inst, g, o.Anchors))
	}
	for _, a := range o.Anchors {
		if groups[a.Instance] == nil {
			rep.Problems = append(rep.Problems, Finding{Kind: FindingAnchor, Seq: a.Seq,
				Detail: fmt.Sprintf("anchor for instance %s: no file of that instance was given", a.Instance)})
		}
	}
	return rep, nil
}

type scannedLine struct {
	no    int
	entry *Entry
	err   error
}

type scannedFile struct {
	path     string
	name     string
	instance string
	firstSeq uint64
	lines    []scannedLine
	torn     *TornTail
	tornHead []byte // the first bytes of the torn line
	nameSeq  uint64
	nameOK   bool
}

// scanFile reads and parses every line of a file.
func scanFile(path string) (*scannedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	sf := &scannedFile{path: path, name: filepath.Base(path)}
	var nameInst string
	nameInst, _, sf.nameSeq, sf.nameOK = parseFileName(sf.name)
	r := bufio.NewReaderSize(f, MaxLineBytes+1)
	var offset int64
	for no := 1; ; no++ {
		line, err := r.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			// An over-long line: report it and skip to its end.
			n := int64(len(line))
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = r.ReadSlice('\n')
				n += int64(len(line))
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("audit: reading %s: %w", path, err)
			}
			sf.lines = append(sf.lines, scannedLine{no: no, err: &LineError{LineMalformed, fmt.Sprintf("line of %d bytes exceeds %d", n, MaxLineBytes)}})
			offset += n
			if errors.Is(err, io.EOF) {
				no = -1
			}
		case errors.Is(err, io.EOF):
			if len(line) > 0 {
				sum := sha256.Sum256(line)
				sf.torn = &TornTail{File: sf.name, Offset: offset, Length: int64(len(line)), SHA256: hex.EncodeToString(sum[:])}
				sf.tornHead = append([]byte(nil), line[:min(len(line), 32)]...)
			}
			no = -1
		case err != nil:
			return nil, fmt.Errorf("audit: reading %s: %w", path, err)
		default:
			e, perr := ParseLine(line[:len(line)-1])
			sf.lines = append(sf.lines, scannedLine{no: no, entry: e, err: perr})
			offset += int64(len(line))
		}
		if no < 0 {
			break
		}
	}
	sf.instance, sf.firstSeq = nameInst, sf.nameSeq
	for _, l := range sf.lines {
		if l.entry != nil {
			sf.instance, sf.firstSeq = l.entry.Instance, l.entry.Seq
			break
		}
	}
	return sf, nil
}

// verifyChain walks the files of one instance in order. A first pass indexes every intact entry by
// seq, so that each problem is reported once, where it is: a moved entry is "out of order" where it
// landed (not also a gap where it left), a deleted one is a gap, a replaced one breaks the link of
// its successor.
func verifyChain(rep *Report, instance string, files []*scannedFile, anchors []Anchor) ChainSummary {
	sum := ChainSummary{Instance: instance, Files: len(files)}
	hashOf := map[uint64]string{} // seq -> hash of its first occurrence
	cut := map[uint64]bool{}      // seqs whose line is torn
	for _, sf := range files {
		for _, l := range sf.lines {
			if e := l.entry; e != nil {
				if _, dup := hashOf[e.Seq]; !dup {
					hashOf[e.Seq] = e.Hash
				}
			}
		}
		if sf.torn != nil {
			if seq, ok := tornSeq(sf); ok {
				cut[seq] = true
			}
		}
	}
	problem := func(k FindingKind, sf *scannedFile, line int, seq uint64, format string, args ...any) {
		rep.Problems = append(rep.Problems, Finding{k, sf.name, line, seq, fmt.Sprintf(format, args...)})
	}
	notice := func(k FindingKind, sf *scannedFile, line int, seq uint64, format string, args ...any) {
		rep.Notices = append(rep.Notices, Finding{k, sf.name, line, seq, fmt.Sprintf(format, args...)})
	}
	var (
		have            bool   // an entry was seen
		unreadable      uint64 // unreadable lines since the last entry
		maxSeq          uint64 // the highest seq seen so far
		pendingTorn     *TornTail
		pendingTornFile *scannedFile
	)
	for fi, sf := range files {
		if len(sf.lines) == 0 && sf.torn == nil {
			notice(NoticeEmptyFile, sf, 0, 0, "the file has no entries")
		}
		firstInFile := true
		for _, l := range sf.lines {
			if l.err != nil {
				var le *LineError
				kind := FindingMalformed
				if !errors.As(l.err, &le) {
					le = nil
				} else if le.Reason == LineHashMismatch {
					kind = FindingTampered
				}
				var seq uint64
				if l.entry != nil {
					seq = l.entry.Seq
				}
				detail := l.err.Error()
				if le != nil {
					detail = le.Detail
				}
				problem(kind, sf, l.no, seq, "%s", detail)
				if l.entry == nil {
					unreadable++
					continue
				}
			}
			e := l.entry
			if e.Instance != instance {
				problem(FindingMisplaced, sf, l.no, e.Seq, "entry of instance %q in a file of instance %q", e.Instance, instance)
			}
			if firstInFile {
				firstInFile = false
				if sf.nameOK && sf.nameSeq != e.Seq {
					problem(FindingMisplaced, sf, l.no, e.Seq, "the file name says the first entry is seq %d", sf.nameSeq)
				}
				explains := e.Kind == KindStart && e.Start != nil && e.Start.TornTail != nil
				switch {
				case pendingTorn != nil && explains && *e.Start.TornTail == *pendingTorn:
					notice(NoticeRestart, pendingTornFile, 0, 0, "ends with an incomplete line of %d bytes at offset %d, left by a process that died while writing it (never acknowledged); the start entry seq %d in %s records it", pendingTorn.Length, pendingTorn.Offset, e.Seq, sf.name)
				case pendingTorn != nil:
					problem(FindingTornTail, pendingTornFile, 0, 0, "ends with an incomplete line of %d bytes at offset %d%s that the next file's first entry does not explain: the file was truncated or edited", pendingTorn.Length, pendingTorn.Offset, cutSeqText(pendingTornFile))
				case explains && have:
					problem(FindingMisplaced, sf, l.no, e.Seq, "the start entry records an incomplete line at the end of %s that is not there (that file was repaired or replaced)", e.Start.TornTail.File)
				}
				pendingTorn = nil
			}
			switch {
			case !have && e.Seq == 1 && e.Prev != ZeroHash:
				problem(FindingChainBreak, sf, l.no, e.Seq, "the first entry of a chain must have prev = 64 zeros")
			case !have && e.Seq > 1:
				notice(NoticeChainStart, sf, l.no, e.Seq, "the files given start at seq %d: earlier entries were not checked", e.Seq)
			case !have:
			case e.Seq <= maxSeq:
				what := "reordered"
				if hashOf[e.Seq] != e.Hash || countSeq(files, e.Seq) > 1 {
					what = "duplicated or reordered"
				}
				problem(FindingOutOfOrder, sf, l.no, e.Seq, "seq %d comes after seq %d: entries %s", e.Seq, maxSeq, what)
			case e.Seq > maxSeq+1:
				// Each unreadable line just before (already reported) may be one of the missing.
				if missing := missingBetween(maxSeq, e.Seq, hashOf, cut); missing > unreadable {
					problem(FindingGap, sf, l.no, e.Seq, "seq %d follows seq %d: %d entries missing (deleted)", e.Seq, maxSeq, missing-unreadable)
				}
			}
			unreadable = 0
			if have || e.Seq > 1 {
				if prev, ok := hashOf[e.Seq-1]; ok && e.Seq > 1 && prev != e.Prev {
					problem(FindingChainBreak, sf, l.no, e.Seq, "prev is not the hash of seq %d: that entry was replaced (with a recomputed hash), or this one was", e.Seq-1)
				}
			}
			if !have {
				sum.FirstSeq, sum.FirstTime = e.Seq, e.Time
			}
			have = true
			maxSeq = max(maxSeq, e.Seq)
			sum.Entries++
			if e.Kind == KindStart {
				sum.Starts++
			} else {
				sum.Calls++
			}
			if l.err == nil && e.Seq == maxSeq {
				sum.LastSeq, sum.LastHash, sum.LastTime = e.Seq, e.Hash, e.Time
			}
		}
		if sf.torn != nil {
			if fi == len(files)-1 {
				problem(FindingTornTail, sf, 0, 0, "ends with an incomplete line of %d bytes at offset %d%s: the writer died while writing it (it was never acknowledged) and has not restarted, or the file was truncated; the chain is intact up to seq %d", sf.torn.Length, sf.torn.Offset, cutSeqText(sf), maxSeq)
			} else {
				pendingTorn, pendingTornFile = sf.torn, sf
			}
		}
	}
	for _, a := range anchors {
		if a.Instance != instance {
			continue
		}
		got, ok := hashOf[a.Seq]
		switch {
		case !ok && a.Seq > maxSeq:
			rep.Problems = append(rep.Problems, Finding{FindingAnchor, "", 0, a.Seq, fmt.Sprintf("instance %s: the anchor's entry is beyond the end of the chain (last seq %d): the end of the chain was cut off", instance, maxSeq)})
		case !ok:
			rep.Problems = append(rep.Problems, Finding{FindingAnchor, "", 0, a.Seq, fmt.Sprintf("instance %s: the anchor's entry is not in the files given", instance)})
		case got != a.Hash:
			rep.Problems = append(rep.Problems, Finding{FindingAnchor, "", 0, a.Seq, fmt.Sprintf("instance %s: the entry's hash differs from the anchor: the chain was rewritten from there", instance)})
		}
	}
	return sum
}

// missingBetween counts the seqs strictly between lo and hi that are nowhere in the chain (an entry
// that is only elsewhere was moved, reported where it landed; a torn one is reported with its file).
func missingBetween(lo, hi uint64, hashOf map[uint64]string, cut map[uint64]bool) uint64 {
	var n uint64
	for s := lo + 1; s < hi; s++ {
		if _, ok := hashOf[s]; !ok && !cut[s] {
			n++
		}
	}
	return n
}

func countSeq(files []*scannedFile, seq uint64) int {
	n := 0
	for _, sf := range files {
		for _, l := range sf.lines {
			if l.entry != nil && l.entry.Seq == seq {
				n++
			}
		}
	}
	return n
}

// tornSeq reads the seq at the start of a torn line, when that much of it was written.
func tornSeq(sf *scannedFile) (uint64, bool) {
	if sf.tornHead == nil {
		return 0, false
	}
	rest, ok := bytes.CutPrefix(sf.tornHead, []byte(`{"seq":`))
	if !ok {
		return 0, false
	}
	i := bytes.IndexByte(rest, ',')
	if i <= 0 {
		return 0, false
	}
	seq, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	return seq, err == nil && seq > 0
}

func cutSeqText(sf *scannedFile) string {
	if seq, ok := tornSeq(sf); ok {
		return fmt.Sprintf(" (the entry seq %d, cut)", seq)
	}
	return ""
}

// summary writes the human report.
func (r *Report) summary(w io.Writer) {
	var b bytes.Buffer
	for _, c := range r.Chains {
		fmt.Fprintf(&b, "instance %s: %d files, %d entries (%d calls, %d starts), seq %d..%d", c.Instance, c.Files, c.Entries, c.Calls, c.Starts, c.FirstSeq, c.LastSeq)
		if c.FirstTime != "" {
			fmt.Fprintf(&b, ", %s .. %s", c.FirstTime, c.LastTime)
		}
		if c.LastHash != "" {
			fmt.Fprintf(&b, "\n  anchor: %s:%d:%s", c.Instance, c.LastSeq, c.LastHash)
		}
		b.WriteByte('\n')
	}
	for _, n := range r.Notices {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "PROBLEM: %s\n", p)
	}
	if r.OK() {
		b.WriteString("OK: every entry is intact and every chain is unbroken\n")
	} else {
		fmt.Fprintf(&b, "FAILED: %d problems\n", len(r.Problems))
	}
	_, _ = w.Write(b.Bytes())
}
