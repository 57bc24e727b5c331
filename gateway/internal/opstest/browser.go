// Package opstest gives the tests of the operators' side what they share: a real headless
// Chromium, an in-process OTLP/HTTP receiver, and a scraper of /metrics that checks every label
// value against an allow-list.
package opstest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPaths are where Debian's chromium package (and others) put the browser.
var chromiumPaths = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}

// Browser starts a headless Chromium (Debian's package: apt-get install -y chromium; .ci/run
// installs it) with a fresh profile and returns a chromedp context for one tab, closed at the end
// of the test. The test fails, never skips, when no browser is installed: CI must have it.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, p := range chromiumPaths {
			if _, err := exec.LookPath(p); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Fatal("no Chromium found: install Debian's package (apt-get install -y chromium; .ci/run does it) or set CHROMIUM to the browser's path")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first action starts the browser, which lives as long as this context: no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium %s: %v", path, err)
	}
	return ctx
}

// Eventually evaluates the JavaScript expression in the page until it returns want (as a string),
// for up to within; it fails the test with the last value otherwise.
func Eventually(t testing.TB, ctx context.Context, expr, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got string
	var err error
	for time.Now().Before(deadline) {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		got, err = chromedp.Run(actx, chromedp.Evaluate[string](expr))
		cancel()
		if err == nil && got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("in the browser, %s = %q (err %v) after %s; want %q", expr, got, err, within, want)
}
