package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildTrail writes 30 calls over several files (small files force rotation) and returns the dir.
func buildTrail(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	l := openLogger(t, dir, FileOptions{MaxFileBytes: 8 << 10})
	appendN(t, l, 0, 30)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(chainFiles(t, dir)); n < 3 {
		t.Fatalf("want several files to test the chain across them, got %d", n)
	}
	return dir
}

func onlyProblem(t *testing.T, rep *Report, kind FindingKind, file string, line int, seq uint64) {
	t.Helper()
	if len(rep.Problems) != 1 {
		t.Fatalf("want exactly one %s problem, got %v", kind, rep.Problems)
	}
	p := rep.Problems[0]
	if p.Kind != kind || p.File != file || p.Line != line || p.Seq != seq {
		t.Fatalf("got %v, want %s at %s:%d (seq %d)", p, kind, file, line, seq)
	}
}

func TestVerifyIntactTrail(t *testing.T) {
	dir := buildTrail(t)
	rep := verifyDir(t, dir)
	if !rep.OK() || len(rep.Notices) != 0 {
		t.Fatalf("intact trail: problems %v notices %v", rep.Problems, rep.Notices)
	}
	c := rep.Chains[0]
	if len(rep.Chains) != 1 || c.Instance != "gw-1" || c.Entries != 31 || c.Calls != 30 || c.Starts != 1 || c.FirstSeq != 1 || c.LastSeq != 31 {
		t.Fatalf("summary %+v", rep.Chains)
	}
}

func TestVerifyFindsEachTamperClass(t *testing.T) {
	type tc struct {
		edit func(t *testing.T, files []string) // alters the trail
		kind FindingKind
		file int // index in files of the problem
		line int
		seq  uint64
	}
	// Lines of file 1 (the second file) are edited: the chain must hold across files too.
	cases := map[string]tc{
		"fail/changed-field": {func(t *testing.T, files []string) {
			editLines(t, files[1], func(l [][]byte) [][]byte {
				l[2] = bytes.Replace(l[2], []byte(`"status":200`), []byte(`"status":500`), 1)
				return l
			})
		}, FindingTampered, 1, 3, 0},
		"fail/deleted-record": {func(t *testing.T, files []string) {
			editLines(t, files[1], func(l [][]byte) [][]byte { return append(l[:2:2], l[3:]...) })
		}, FindingGap, 1, 3, 0},
		"fail/reordered-records": {func(t *testing.T, files []string) {
			editLines(t, files[1], func(l [][]byte) [][]byte { l[2], l[3] = l[3], l[2]; return l })
		}, FindingOutOfOrder, 1, 4, 0},
		"fail/replaced-with-recomputed-hash": {func(t *testing.T, files []string) {
			editLines(t, files[1], func(l [][]byte) [][]byte {
				e, err := ParseLine(l[2])
				if err != nil {
					t.Fatal(err)
				}
				e.Status = 403
				c := Chain{Seq: e.Seq - 1, Hash: e.Prev}
				line, err := c.Seal(e)
				if err != nil {
					t.Fatal(err)
				}
				l[2] = bytes.TrimSuffix(line, []byte("\n"))
				return l
			})
		}, FindingChainBreak, 1, 4, 0},
		"fail/not-canonical": {func(t *testing.T, files []string) {
			editLines(t, files[1], func(l [][]byte) [][]byte {
				l[1] = bytes.Replace(l[1], []byte(`"kind":"call"`), []byte(`"kind": "call"`), 1)
				return l
			})
		}, FindingMalformed, 1, 2, 0},
		"fail/garbage-line": {func(t *testing.T, files []string) {
			editLines(t, files[1], func(l [][]byte) [][]byte { l[1] = []byte("hello"); return l })
		}, FindingMalformed, 1, 2, 0},
		"fail/torn-tail": {func(t *testing.T, files []string) {
			last := files[len(files)-1]
			b, _ := os.ReadFile(last)
			if err := os.WriteFile(last, b[:len(b)-40], 0o640); err != nil {
				t.Fatal(err)
			}
		}, FindingTornTail, -1, 0, 0},
		"fail/torn-middle-file": {func(t *testing.T, files []string) {
			b, _ := os.ReadFile(files[0])
			if err := os.WriteFile(files[0], b[:len(b)-40], 0o640); err != nil {
				t.Fatal(err)
			}
		}, FindingTornTail, 0, 0, 0},
		"fail/deleted-file": {func(t *testing.T, files []string) {
			if err := os.Remove(files[1]); err != nil {
				t.Fatal(err)
			}
		}, FindingGap, 2, 1, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := buildTrail(t)
			files := chainFiles(t, dir)
			c.edit(t, files)
			rep := verifyDir(t, dir)
			fi := c.file
			if fi < 0 {
				fi = len(files) - 1
			}
			if len(rep.Problems) != 1 {
				t.Fatalf("want exactly one problem, got %v", rep.Problems)
			}
			p := rep.Problems[0]
			if p.Kind != c.kind || p.File != filepath.Base(files[fi]) || p.Line != c.line {
				t.Fatalf("got %v, want %s at %s:%d", p, c.kind, filepath.Base(files[fi]), c.line)
			}
		})
	}
}

func TestVerifyReportsTheSeqOfATamperedEntry(t *testing.T) {
	dir := buildTrail(t)
	files := chainFiles(t, dir)
	var seq uint64
	editLines(t, files[0], func(l [][]byte) [][]byte {
		e, _ := ParseLine(l[4])
		seq = e.Seq
		l[4] = bytes.Replace(l[4], []byte(`"clientIp":"10.1.2.3"`), []byte(`"clientIp":"10.1.2.4"`), 1)
		return l
	})
	onlyProblem(t, verifyDir(t, dir), FindingTampered, filepath.Base(files[0]), 5, seq)
}

func TestVerifyAnchorsCatchACutTail(t *testing.T) {
	dir := buildTrail(t)
	rep := verifyDir(t, dir)
	head := rep.Chains[0]
	anchor := Anchor{head.Instance, head.LastSeq, head.LastHash}
	files := chainFiles(t, dir)
	// Deleting whole last lines leaves a chain that is intact on its own...
	editLines(t, files[len(files)-1], func(l [][]byte) [][]byte { return l[:len(l)-2] })
	if rep := verifyDir(t, dir); !rep.OK() {
		t.Fatalf("a cut at a line boundary is invisible without an anchor, got %v", rep.Problems)
	}
	// ...which the anchor recorded earlier exposes.
	rep, err := VerifyWith(VerifyOptions{Anchors: []Anchor{anchor}}, files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Kind != FindingAnchor || rep.Problems[0].Seq != anchor.Seq {
		t.Fatalf("got %v", rep.Problems)
	}
	// A wrong hash for an existing seq is a rewrite.
	bad := Anchor{head.Instance, 3, strings.Repeat("a", 64)}
	rep, _ = VerifyWith(VerifyOptions{Anchors: []Anchor{bad}}, files...)
	if len(rep.Problems) != 1 || rep.Problems[0].Kind != FindingAnchor || !strings.Contains(rep.Problems[0].Detail, "rewritten") {
		t.Fatalf("got %v", rep.Problems)
	}
}

func TestVerifyPartialChainAndSeveralInstances(t *testing.T) {
	dir := buildTrail(t)
	l2 := openLogger(t, dir, FileOptions{Instance: "gw-2"})
	appendN(t, l2, 100, 5)
	_ = l2.Close()
	files := chainFiles(t, dir)
	rep, err := Verify(files...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Chains) != 2 || rep.Chains[1].Instance != "gw-2" || rep.Chains[1].Calls != 5 {
		t.Fatalf("two instances: %+v %v", rep.Chains, rep.Problems)
	}
	// Only the later files of gw-1: fine, with a notice that the start was not checked.
	var later []string
	for _, f := range files {
		if strings.Contains(f, "gw-1") {
			later = append(later, f)
		}
	}
	rep, _ = Verify(later[1:]...)
	if !rep.OK() || len(rep.Notices) != 1 || rep.Notices[0].Kind != NoticeChainStart {
		t.Fatalf("partial chain: %v %v", rep.Problems, rep.Notices)
	}
}

func TestVerifyMisplacedEntries(t *testing.T) {
	dir := buildTrail(t)
	other := t.TempDir()
	l2 := openLogger(t, other, FileOptions{Instance: "gw-2"})
	appendN(t, l2, 0, 3)
	_ = l2.Close()
	files := chainFiles(t, dir)
	foreign, _ := os.ReadFile(chainFiles(t, other)[0])
	// Append another instance's entry to gw-1's last file.
	lines := bytes.Split(bytes.TrimSpace(foreign), []byte("\n"))
	f, _ := os.OpenFile(files[len(files)-1], os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.Write(append(lines[1], '\n'))
	_ = f.Close()
	rep := verifyDir(t, dir)
	var kinds []FindingKind
	for _, p := range rep.Problems {
		kinds = append(kinds, p.Kind)
	}
	if len(kinds) == 0 || kinds[0] != FindingMisplaced {
		t.Fatalf("got %v", rep.Problems)
	}
}

func TestParseLineRejectsShapes(t *testing.T) {
	var c Chain
	good, err := c.Seal(&Entry{Kind: KindCall, Time: "2026-01-31T10:00:00.000Z", Instance: "gw", Status: 200})
	if err != nil {
		t.Fatal(err)
	}
	good = bytes.TrimSuffix(good, []byte("\n"))
	if _, err := ParseLine(good); err != nil {
		t.Fatal(err)
	}
	withField := func(extra string) []byte {
		body := good[:len(good)-hashSuffixLen]
		body = append(append(append([]byte{}, body...), extra...), '}')
		sum := sha256.Sum256(body)
		return append(body[:len(body)-1:len(body)-1], `,"hash":"`+hex.EncodeToString(sum[:])+`"}`...)
	}
	cases := map[string]struct {
		line   []byte
		reason LineReason
	}{
		"fail/empty":          {nil, LineMalformed},
		"fail/no-hash":        {[]byte(`{"seq":1}`), LineMalformed},
		"fail/upper-hex-hash": {append(good[:len(good)-66:len(good)-66], []byte(strings.ToUpper(string(good[len(good)-66:len(good)-2]))+`"}`)...), LineMalformed},
		"fail/unknown-member": {withField(`,"token":"eyJ..."`), LineMalformed},
		"fail/duplicate-key":  {withField(`,"status":500`), LineNotCanonical},
		"fail/zero-seq":       {bytes.Replace(good, []byte(`"seq":1`), []byte(`"seq":0`), 1), LineMalformed},
		"fail/bad-kind":       {bytes.Replace(good, []byte(`"kind":"call"`), []byte(`"kind":"boot"`), 1), LineMalformed},
		"fail/too-long":       {bytes.Repeat([]byte("x"), MaxLineBytes+1), LineMalformed},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseLine(c.line)
			le, ok := err.(*LineError)
			if !ok || le.Reason != c.reason {
				t.Fatalf("got %v, want %s", err, c.reason)
			}
		})
	}
}

func TestReportJSONIsStable(t *testing.T) {
	dir := buildTrail(t)
	b, err := json.Marshal(verifyDir(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"problems":[]`)) || !bytes.Contains(b, []byte(`"lastSeq":31`)) {
		t.Fatalf("report JSON: %s", b)
	}
}

// An entry whose line would exceed MaxLineBytes is refused without moving the chain, so the next
// entry still links to the last stored one; the line limit counts the hash member and the newline.
func TestSealRefusesOversizedEntry(t *testing.T) {
	var c Chain
	first, err := c.Seal(&Entry{Kind: KindCall, Time: "2026-01-31T10:00:00.000Z", Instance: "gw", Status: 200})
	if err != nil {
		t.Fatal(err)
	}
	head := c
	base := len(first) // a line of the same shape with an empty operation
	for _, extra := range []int{MaxLineBytes - base + 1, 64 << 10} {
		e := &Entry{Kind: KindCall, Time: "2026-01-31T10:00:00.000Z", Instance: "gw", Status: 200,
			Operation: strings.Repeat("o", extra)}
		if _, err := c.Seal(e); err == nil || !strings.Contains(err.Error(), "exceeds") {
			t.Fatalf("%d bytes more: got %v, want an error saying the entry exceeds the limit", extra, err)
		}
		if c != head {
			t.Fatalf("the chain moved to %+v after a refused entry", c)
		}
	}
	// The largest line that fits is accepted, at exactly MaxLineBytes with its newline.
	e := &Entry{Kind: KindCall, Time: "2026-01-31T10:00:00.000Z", Instance: "gw", Status: 200,
		Operation: strings.Repeat("o", MaxLineBytes-base-len(`,"operation":""`))}
	line, err := c.Seal(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(line) != MaxLineBytes {
		t.Fatalf("line of %d bytes, want %d", len(line), MaxLineBytes)
	}
	if _, err := ParseLine(bytes.TrimSuffix(line, []byte("\n"))); err != nil {
		t.Fatal(err)
	}
}
