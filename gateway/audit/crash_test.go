//go:build linux

package audit

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests below run the test binary again as a child process (TestAuditChild) that writes audit
// entries, so the parent can kill it or limit its file size like a real failure would.

const childEnv = "WGW_AUDIT_CHILD"

// TestAuditChild is the child's body; it does nothing in a normal run.
func TestAuditChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		return // the parent tests below start it
	}
	dir := os.Getenv("WGW_AUDIT_DIR")
	switch mode {
	case "load":
		childLoad(t, dir)
	case "fsize":
		childFileSizeLimit(t, dir)
	}
}

// childLoad appends from 8 goroutines until killed, printing "ack <requestId>" after each Append
// returned nil: from that moment the record must survive the kill.
func childLoad(t *testing.T, dir string) {
	l := openLogger(t, dir, FileOptions{Fsync: FsyncBatch, MaxFileBytes: 256 << 10})
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				r := call(i)
				r.RequestID = fmt.Sprintf("g%d-%d", g, i)
				if err := l.Append(context.Background(), r); err != nil {
					fmt.Fprintf(os.Stdout, "error %v\n", err)
					return
				}
				mu.Lock()
				_, _ = os.Stdout.WriteString("ack " + r.RequestID + "\n") // unbuffered: one write(2)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// childFileSizeLimit fills the file up to RLIMIT_FSIZE (a full disk, as far as the writer can tell),
// then raises the limit again and goes on.
func childFileSizeLimit(t *testing.T, dir string) {
	signal.Ignore(syscall.SIGXFSZ) // so write(2) fails with EFBIG instead of killing the process
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 20000, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	l := openLogger(t, dir, FileOptions{})
	ok, failed := 0, 0
	for i := 0; i < 60; i++ {
		if err := l.Append(context.Background(), call(i)); err != nil {
			failed++
		} else {
			ok++
		}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	for i := 60; i < 65; i++ {
		if err := l.Append(context.Background(), call(i)); err != nil {
			t.Fatalf("after space came back: %v", err)
		}
		ok++
	}
	_ = l.Close()
	fmt.Printf("result ok=%d failed=%d\n", ok, failed)
}

func startChild(t *testing.T, mode, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAuditChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "WGW_AUDIT_DIR="+dir)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestKilledWriterLosesNoAcknowledgedRecord(t *testing.T) {
	dir := t.TempDir()
	cmd := startChild(t, "load", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 3000 {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "ack "); ok {
			acked[id] = true
		} else if strings.HasPrefix(line, "error") {
			t.Fatalf("child: %s", line)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Acks already in the pipe were acknowledged before the kill too.
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked[id] = true
		}
	}
	_ = cmd.Wait()
	if len(acked) < 3000 {
		t.Fatalf("the child acknowledged only %d records", len(acked))
	}

	stored := map[string]bool{}
	for _, f := range chainFiles(t, dir) {
		b, _ := os.ReadFile(f)
		for _, line := range bytes.Split(b, []byte("\n")) {
			if e, err := ParseLine(line); err == nil && e.Kind == KindCall {
				stored[e.RequestID] = true
			}
		}
	}
	for id := range acked {
		if !stored[id] {
			t.Fatalf("record %s was acknowledged but is not in the files", id)
		}
	}
	rep := verifyDir(t, dir)
	files := chainFiles(t, dir)
	for _, p := range rep.Problems {
		// The kill may only ever leave a torn line at the very end, reported as such.
		if p.Kind != FindingTornTail || p.File != filepath.Base(files[len(files)-1]) {
			t.Fatalf("after the kill: %v", rep.Problems)
		}
	}
	// A restart goes on from the last complete line, and then everything verifies.
	l := openLogger(t, dir, FileOptions{})
	appendN(t, l, 0, 1)
	_ = l.Close()
	if rep := verifyDir(t, dir); !rep.OK() {
		t.Fatalf("after the restart: %v", rep.Problems)
	}
	t.Logf("%d records acknowledged, %d stored, %d files", len(acked), len(stored), len(chainFiles(t, dir)))
}

func TestFullDiskFailsTheCallAndRecovers(t *testing.T) {
	dir := t.TempDir()
	cmd := startChild(t, "fsize", dir)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("child hung")
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var ok, failed int
	if _, err := fmt.Sscanf(string(out[bytes.Index(out, []byte("result")):]), "result ok=%d failed=%d", &ok, &failed); err != nil {
		t.Fatalf("child output %q", out)
	}
	if failed == 0 || ok < 10 {
		t.Fatalf("the size limit must fail some appends and not others: ok=%d failed=%d", ok, failed)
	}
	// Nothing half-written stayed in the file, no seq was skipped, every acknowledged call is there.
	rep := verifyDir(t, dir)
	if !rep.OK() || rep.Chains[0].Calls != ok {
		t.Fatalf("after the full disk: %+v %v (acknowledged %d)", rep.Chains, rep.Problems, ok)
	}
}
