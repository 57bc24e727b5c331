package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRestartContinuesTheChainInANewFile(t *testing.T) {
	dir := t.TempDir()
	l := openLogger(t, dir, FileOptions{Version: "v1.2.3"})
	appendN(t, l, 0, 5)
	head, _ := l.Head()
	if head.Seq != 6 {
		t.Fatalf("head after a start and 5 calls: %+v", head)
	}
	_ = l.Close()
	l = openLogger(t, dir, FileOptions{})
	appendN(t, l, 5, 2)
	_ = l.Close()
	files := chainFiles(t, dir)
	if len(files) != 2 || !strings.HasSuffix(files[1], fmt.Sprintf("-%020d.jsonl", 7)) {
		t.Fatalf("a restart opens a new file named by its first seq: %v", files)
	}
	rep := verifyDir(t, dir)
	if !rep.OK() || rep.Chains[0].Entries != 9 || rep.Chains[0].Starts != 2 {
		t.Fatalf("%+v %v", rep.Chains, rep.Problems)
	}
	first, _ := os.ReadFile(files[0])
	if !bytes.Contains(first, []byte(`"kind":"start"`)) || !bytes.Contains(first, []byte(`"version":"v1.2.3"`)) {
		t.Fatalf("start entry: %s", first[:200])
	}
}

func TestDailyAndSizeRotation(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 28, 23, 59, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := openLogger(t, dir, FileOptions{Now: clock, MaxFileBytes: 4 << 10})
	appendN(t, l, 0, 2)
	now = now.Add(2 * time.Minute) // a new UTC day
	appendN(t, l, 2, 12)           // and enough bytes for a size rotation
	_ = l.Close()
	files := chainFiles(t, dir)
	if !strings.Contains(files[0], "-20260328-") || !strings.Contains(files[1], "-20260329-") || len(files) < 3 {
		t.Fatalf("rotation by day then size: %v", files)
	}
	for _, f := range files {
		if st, _ := os.Stat(f); st.Size() > 4<<10 {
			t.Fatalf("%s has %d bytes, over the limit", f, st.Size())
		}
	}
	if rep := verifyDir(t, dir); !rep.OK() || rep.Chains[0].Entries != 15 {
		t.Fatalf("%+v %v", rep.Chains, rep.Problems)
	}
}

func TestTornTailIsReportedThenExplainedByTheRestart(t *testing.T) {
	dir := t.TempDir()
	l := openLogger(t, dir, FileOptions{})
	appendN(t, l, 0, 3)
	_ = l.Close()
	files := chainFiles(t, dir)
	// What a process killed in the middle of a write would leave: the start of the next line.
	f, _ := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"seq":5,"kind":"call","time":"2026-01-31T10:0`)
	_ = f.Close()

	rep := verifyDir(t, dir)
	if len(rep.Problems) != 1 || rep.Problems[0].Kind != FindingTornTail || !strings.Contains(rep.Problems[0].Detail, "intact up to seq 4") {
		t.Fatalf("a torn last line must be reported: %v", rep.Problems)
	}
	if code := RunVerifyCommand([]string{dir}, &bytes.Buffer{}, &bytes.Buffer{}); code != ExitProblems {
		t.Fatalf("verify exit code %d", code)
	}

	l = openLogger(t, dir, FileOptions{})
	appendN(t, l, 3, 1)
	_ = l.Close()
	rep = verifyDir(t, dir)
	if !rep.OK() || len(rep.Notices) != 1 || rep.Notices[0].Kind != NoticeRestart || rep.Notices[0].File != filepath.Base(files[0]) {
		t.Fatalf("after the restart the torn line is explained: %v %v", rep.Problems, rep.Notices)
	}
	// The torn bytes are still there: the file was not rewritten.
	b, _ := os.ReadFile(files[0])
	if !bytes.HasSuffix(b, []byte(`"time":"2026-01-31T10:0`)) {
		t.Fatal("the old file was modified")
	}
	// Replacing the torn bytes afterwards is caught: the start entry no longer matches.
	_ = os.WriteFile(files[0], append(b[:len(b)-3], "XYZ"...), 0o640)
	if rep := verifyDir(t, dir); rep.OK() {
		t.Fatal("altered torn bytes were accepted")
	}
}

func TestOpenRefusesASecondWriterAndADamagedEnd(t *testing.T) {
	dir := t.TempDir()
	l := openLogger(t, dir, FileOptions{})
	appendN(t, l, 0, 2)
	if _, err := OpenFileSink(FileOptions{Dir: dir, Instance: "gw-1"}); err == nil || !strings.Contains(err.Error(), "instance_id") {
		t.Fatalf("a second writer of the same chain: %v", err)
	}
	// Another instance in the same directory is fine.
	other, err := OpenFileSink(FileOptions{Dir: dir, Instance: "gw-1b"})
	if err != nil {
		t.Fatal(err)
	}
	_ = other.Close()
	_ = l.Close()
	files := chainFiles(t, dir)
	editLines(t, files[0], func(l [][]byte) [][]byte {
		last := len(l) - 1
		l[last] = bytes.Replace(l[last], []byte(`"status":200`), []byte(`"status":201`), 1)
		return l
	})
	if _, err := OpenFileSink(FileOptions{Dir: dir, Instance: "gw-1"}); err == nil || !strings.Contains(err.Error(), "not intact") {
		t.Fatalf("a damaged last entry must stop the start: %v", err)
	}
}

func TestConcurrentAppendsUnderEachPolicy(t *testing.T) {
	for _, policy := range []FsyncPolicy{FsyncBatch, FsyncAlways, FsyncNever} {
		t.Run(policy.String(), func(t *testing.T) {
			dir := t.TempDir()
			l := openLogger(t, dir, FileOptions{Fsync: policy, MaxFileBytes: 64 << 10})
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 60; i++ {
						r := call(i)
						r.RequestID = fmt.Sprintf("g%d-%d", g, i)
						if err := l.Append(context.Background(), r); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := l.Append(context.Background(), call(0)); !errors.Is(err, ErrClosed) {
				t.Fatalf("append after close: %v", err)
			}
			rep := verifyDir(t, dir)
			if !rep.OK() || rep.Chains[0].Calls != 480 {
				t.Fatalf("%+v %v", rep.Chains, rep.Problems)
			}
		})
	}
}

func TestParseFileName(t *testing.T) {
	inst, day, seq, ok := parseFileName("audit-gw-2-x-20260131-00000000000000000042.jsonl")
	if !ok || inst != "gw-2-x" || day != "20260131" || seq != 42 {
		t.Fatalf("%q %q %d %v", inst, day, seq, ok)
	}
	for _, bad := range []string{"audit-gw.jsonl", "gw-20260131-00000000000000000042.jsonl", "audit-gw-20260131_00000000000000000042.jsonl", "audit--20260131-0000000000000000004x.jsonl"} {
		if _, _, _, ok := parseFileName(bad); ok {
			t.Errorf("%s parsed", bad)
		}
	}
}
