package tracing

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	simtracing "github.com/welfaregov/gateway/cmd/pasim/sim/tracing"
	"github.com/welfaregov/gateway/gateway/internal/redistest"
)

// The tests below run the reporter against the Tracing API simulator over loopback HTTP. The day
// reported is dayD; the clock then stands at 03:30 (Rome) of the next day, past submit_at.
var (
	dayD      = Day("2026-03-10")
	duringD   = time.Date(2026, 3, 10, 10, 0, 0, 0, rome)
	afterD    = time.Date(2026, 3, 11, 3, 30, 0, 0, rome)
	csvHeader = Header + "\r\n"
)

func TestNormalDay(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 3)
	e.count(duringD.Add(time.Hour), purpose1, token1, 404, 2)
	e.count(duringD, purpose2, token2, 0, 1)                                          // no answer: reported as 500
	e.count(time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC), purpose2, token2, 200, 1)  // 00:30 in Rome: day D
	e.count(time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC), purpose2, token2, 200, 1) // 00:30 in Rome: day D+1

	e.clk.Set(time.Date(2026, 3, 11, 2, 59, 0, 0, rome))
	e.run()
	if calls := e.sim.Calls(); calls["submit"] != 0 {
		t.Fatalf("submitted before submit_at: %v", calls)
	}
	e.clk.Set(afterD)
	e.run()
	s := e.day(dayD)
	if s.State != LocalPending || s.Method != "SUBMIT" || s.TracingID == "" || s.Rows != 4 || s.Requests != 7 {
		t.Fatalf("after the submit: %+v", s)
	}
	want := csvHeader +
		"2026-03-10," + purpose2 + ",500," + token2 + ",1\r\n" +
		"2026-03-10," + purpose2 + ",200," + token2 + ",1\r\n" +
		"2026-03-10," + purpose1 + ",200," + token1 + ",3\r\n" +
		"2026-03-10," + purpose1 + ",404," + token1 + ",2\r\n"
	if got := string(e.remote(dayD).File); got != sortedCSV(want) {
		t.Fatalf("file:\n%s\nwant:\n%s", got, sortedCSV(want))
	}
	// Still PENDING at PDND: the next run polls and changes nothing.
	e.clk.Add(5 * time.Minute)
	e.run()
	if s := e.day(dayD); s.State != LocalPending {
		t.Fatalf("%+v", s)
	}
	e.sim.ProcessPending()
	e.clk.Add(5 * time.Minute)
	e.run()
	if s := e.day(dayD); s.State != LocalCompleted || s.Remote != StateCompleted || s.Attempts != 0 {
		t.Fatalf("after processing: %+v", s)
	}
	e.clk.Add(5 * time.Minute)
	e.run()
	if calls := e.sim.Calls(); calls["submit"] != 1 || calls["replace"] != 0 || calls["recover"] != 0 {
		t.Fatalf("calls %v", calls)
	}
}

// sortedCSV orders the rows as GenerateCSV does (purpose, status, token), so expectations can be
// written in any order.
func sortedCSV(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	rows := lines[1:]
	for i := range rows {
		for j := i + 1; j < len(rows); j++ {
			if rowKey(rows[j]) < rowKey(rows[i]) {
				rows[i], rows[j] = rows[j], rows[i]
			}
		}
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

func rowKey(r string) string {
	f := strings.Split(r, ",")
	return f[1] + "," + strings.Repeat("0", 3-len(f[2])) + f[2] + "," + f[3]
}

func TestEmptyDayIsAHeaderOnlyFile(t *testing.T) {
	e := newEnv(t, afterD, memStore(t), simtracing.Options{})
	e.cfg.ReportFrom = string(dayD)
	e.rep = e.reporter("gw-1")
	e.run()
	if got := string(e.remote(dayD).File); got != csvHeader {
		t.Fatalf("file %q", got)
	}
	e.sim.ProcessPending()
	e.run()
	if s := e.day(dayD); s.State != LocalCompleted || s.Rows != 0 || s.Requests != 0 {
		t.Fatalf("%+v", s)
	}
}

func TestRejectedFileIsRecoveredWithoutTheRefusedPurpose(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 4)
	e.count(duringD, purpose2, token2, 200, 2)
	e.sim.SetPurpose(purpose2, simtracing.PurposeUnknown) // PDND does not know it
	e.clk.Set(afterD)
	e.run()
	e.sim.ProcessPending()
	if tr := e.remote(dayD); tr.State != "ERROR" || len(tr.Errors) != 1 || tr.Errors[0].ErrorCode != CodePurposeNotFound {
		t.Fatalf("the simulator must refuse the file: %+v", tr)
	}
	e.run()
	s := e.day(dayD)
	if s.State != LocalPending || s.Method != "RECOVER" || len(s.Excluded) != 1 || s.Excluded[0] != purpose2 || s.Rows != 1 || s.Requests != 4 {
		t.Fatalf("after the recover: %+v", s)
	}
	if len(s.Errors) != 1 || s.Errors[0].RowNumber != 1 || s.Errors[0].PurposeID != purpose2 {
		t.Fatalf("PDND's errors are kept for the operator: %+v", s.Errors)
	}
	tr := e.remote(dayD)
	if tr.Version != 2 || strings.Contains(string(tr.File), purpose2) {
		t.Fatalf("recovered file v%d:\n%s", tr.Version, tr.File)
	}
	e.sim.ProcessPending()
	e.run()
	if s := e.day(dayD); s.State != LocalCompleted {
		t.Fatalf("%+v", s)
	}

	// PDND learns the purpose; the operator resets the day: the full file replaces the partial one.
	e.sim.SetPurpose(purpose2, simtracing.PurposeOwned)
	if err := e.rep.Reset(context.Background(), tenantA, dayD); err != nil {
		t.Fatal(err)
	}
	e.run()
	if s := e.day(dayD); s.Method != "REPLACE" || len(s.Excluded) != 0 || s.Requests != 6 {
		t.Fatalf("after the reset: %+v", s)
	}
	e.sim.ProcessPending()
	e.run()
	if s, tr := e.day(dayD), e.remote(dayD); s.State != LocalCompleted || !strings.Contains(string(tr.File), purpose2) || tr.Version != 3 {
		t.Fatalf("%+v v%d", s, tr.Version)
	}
}

func TestExcludingTheOnlyPurposeLeavesAnEmptyDay(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 1)
	e.sim.SetPurpose(purpose1, simtracing.PurposeUnknown)
	e.clk.Set(afterD)
	e.run()
	e.sim.ProcessPending()
	e.run()
	e.sim.ProcessPending()
	e.run()
	// The day is reported (empty) rather than left in ERROR, and the operator sees what was left out.
	if s := e.day(dayD); s.State != LocalCompleted || len(s.Excluded) != 1 || s.Requests != 0 {
		t.Fatalf("%+v", s)
	}
}

func TestRefusedFileIsRetriedThenLeftToAnOperator(t *testing.T) {
	faults := fault.New(fault.Options{})
	e := newEnv(t, duringD, memStore(t), simtracing.Options{Faults: faults})
	e.cfg.MaxAttempts = 3
	e.rep = e.reporter("gw-1")
	e.count(duringD, purpose1, token1, 200, 1)
	reject := fault.Spec{Semantic: "reject-file"}
	_ = faults.Set("tracing.submit", reject)
	_ = faults.Set("tracing.recover", reject)
	e.clk.Set(afterD)
	e.run()
	e.sim.ProcessPending()
	// PDND refuses a file nothing in it explains: the same file is sent again after 1m, 2m, then
	// the day is left to an operator.
	e.run()
	if s := e.day(dayD); s.State != LocalWaiting || !s.NextAttempt.Equal(afterD.Add(time.Minute)) || !strings.Contains(s.LastError, "INVALID_CSV x1") {
		t.Fatalf("%+v", s)
	}
	for _, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		e.clk.Add(wait)
		e.run()
		e.sim.ProcessPending()
		e.run()
	}
	s := e.day(dayD)
	if s.State != LocalFailed || s.Attempts != 3 || e.sim.Calls()["recover"] != 2 || len(s.Errors) != 1 {
		t.Fatalf("%+v, calls %v", s, e.sim.Calls())
	}
	// PDND fixes its side; the operator resets the day.
	_ = faults.Clear("tracing.recover")
	if err := e.rep.Reset(context.Background(), tenantA, dayD); err != nil {
		t.Fatal(err)
	}
	e.run()
	e.sim.ProcessPending()
	e.run()
	if s := e.day(dayD); s.State != LocalCompleted || s.Method != "RECOVER" {
		t.Fatalf("after the reset: %+v", s)
	}
}

func TestWarningIsAcceptedAndReported(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 1)
	e.sim.SetPurpose(purpose1, simtracing.PurposeOfOthers)
	e.clk.Set(afterD)
	e.run()
	e.sim.ProcessPending()
	e.run()
	s := e.day(dayD)
	if s.State != LocalWarning || len(s.Errors) != 1 || s.Errors[0].ErrorCode != CodeTenantNotProducer || s.Errors[0].Severity != "WARNING" {
		t.Fatalf("%+v", s)
	}
	if calls := e.sim.Calls(); calls["recover"] != 0 {
		t.Fatal("a WARNING day needs no recover")
	}
}

func TestLostAnswerThenAlreadyExists(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{Faults: fault.New(fault.Options{})})
	e.sim = nil
	faults := fault.New(fault.Options{})
	e.sim = simtracing.New(simtracing.Options{Faults: faults, Now: e.clk.Now, ProcessDelay: -1})
	e.srv.Config.Handler = e.sim.Handler()
	if err := faults.Set("tracing.submit", fault.Spec{Semantic: "stored-then-500"}); err != nil {
		t.Fatal(err)
	}
	e.count(duringD, purpose1, token1, 200, 1)
	e.clk.Set(afterD)
	e.run()
	s := e.day(dayD)
	if s.State != LocalWaiting || !s.Uncertain || s.Attempts != 1 || !s.NextAttempt.Equal(afterD.Add(time.Minute)) || !strings.Contains(s.LastError, "500") {
		t.Fatalf("after a lost answer: %+v", s)
	}
	_ = faults.Clear("tracing.submit")
	e.run() // before NextAttempt: nothing
	if e.sim.Calls()["submit"] != 1 {
		t.Fatal("retried before the backoff")
	}
	e.clk.Add(time.Minute)
	e.run()
	s = e.day(dayD)
	if s.State != LocalPending || s.Uncertain || s.UploadedSHA256 == "" || s.TracingID != e.remote(dayD).ID {
		t.Fatalf("TRACING_ALREADY_EXISTS after a lost answer: the tracing is ours: %+v", s)
	}
	e.sim.ProcessPending()
	e.run()
	if s := e.day(dayD); s.State != LocalCompleted {
		t.Fatalf("%+v", s)
	}
	if calls := e.sim.Calls(); calls["submit"] != 1 || calls["replace"] != 0 {
		t.Fatalf("calls %v", calls)
	}
}

func TestSomeoneElsesTracingIsLeftAlone(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 1)
	e.clk.Set(afterD)
	other := &Client{BaseURL: e.srv.URL, Tokens: e.token, HTTP: e.rep.tenants[0].client.HTTP}
	if _, _, err := other.Submit(context.Background(), dayD, []byte(csvHeader)); err != nil {
		t.Fatal(err)
	}
	e.sim.ProcessPending()
	e.run()
	s := e.day(dayD)
	if s.State != LocalForeign || s.Remote != StateCompleted {
		t.Fatalf("%+v", s)
	}
	e.run()
	if calls := e.sim.Calls(); calls["replace"] != 0 {
		t.Fatal("replaced a tracing this gateway did not upload")
	}
	// The operator decides the gateway's data is right.
	if err := e.rep.Reset(context.Background(), tenantA, dayD); err != nil {
		t.Fatal(err)
	}
	e.run()
	if s := e.day(dayD); s.Method != "REPLACE" || s.State != LocalPending {
		t.Fatalf("%+v", s)
	}
}

func TestMissingDaysAreRecovered(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 1)
	e.count(duringD.AddDate(0, 0, 1), purpose1, token1, 200, 2)
	e.clk.Set(afterD)
	e.run()
	e.sim.ProcessPending()
	e.run()
	// The gateway is down for three days; PDND's daily job marks D+1 and D+2 MISSING meanwhile.
	e.clk.Set(time.Date(2026, 3, 14, 4, 0, 0, 0, rome))
	missing := 0
	for _, tr := range e.sim.Tracings(tenantA) {
		if tr.State == "MISSING" {
			missing++
		}
	}
	if missing != 2 {
		t.Fatalf("the simulator's job should have marked 2 days MISSING, got %d", missing)
	}
	e.run()
	for _, d := range []Day{dayD.Add(1), dayD.Add(2)} {
		if s := e.day(d); s.State != LocalPending || s.Method != "RECOVER" {
			t.Fatalf("%s: %+v", d, s)
		}
	}
	if s := e.day(dayD.Add(3)); s.State != LocalPending || s.Method != "SUBMIT" {
		t.Fatalf("D+3: %+v", s)
	}
	if !strings.Contains(string(e.remote(dayD.Add(1)).File), ",2\r\n") {
		t.Fatalf("D+1 carries its counts: %s", e.remote(dayD.Add(1)).File)
	}
	e.sim.ProcessPending()
	e.run()
	st, err := e.rep.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	completed := 0
	for _, s := range st {
		if s.State == LocalCompleted {
			completed++
		}
		if s.Date == DayOf(e.clk.Now(), rome) && s.State != LocalOpen {
			t.Fatalf("today is OPEN: %+v", s)
		}
	}
	if completed != 4 {
		t.Fatalf("status: %+v", st)
	}
}

func TestReconciliationFindsDaysWithoutData(t *testing.T) {
	e := newEnv(t, afterD, memStore(t), simtracing.Options{})
	other := &Client{BaseURL: e.srv.URL, Tokens: e.token, HTTP: e.rep.tenants[0].client.HTTP}
	// Another system reported up to D-5; PDND marks D-3 MISSING (before this gateway's data).
	if _, _, err := other.Submit(context.Background(), dayD.Add(-5), []byte(csvHeader)); err != nil {
		t.Fatal(err)
	}
	e.sim.RunMissingJob(string(dayD.Add(-1)))
	e.cfg.ReportFrom = string(dayD)
	e.rep = e.reporter("gw-1")
	e.run()
	s, err := storedDay(context.Background(), e.st, tenantA, dayD.Add(-3))
	if err != nil || s == nil || s.State != LocalNoData || s.Remote != StateMissing {
		t.Fatalf("%+v %v", s, err)
	}
	if e.sim.Calls()["recover"] != 0 {
		t.Fatal("recovered a day without data")
	}
	// The operator accepts sending this gateway's (empty) file for it.
	if err := e.rep.Reset(context.Background(), tenantA, dayD.Add(-3)); err != nil {
		t.Fatal(err)
	}
	e.run()
	if s := e.day(dayD.Add(-3)); s.State != LocalPending || s.Method != "RECOVER" || e.remote(dayD.Add(-3)).State != "PENDING" {
		t.Fatalf("after the reset: %+v", s)
	}
	if err := e.rep.Reset(context.Background(), tenantA, dayD.Add(-40)); err == nil {
		t.Fatal("a reset beyond the retention was accepted")
	}
	if err := e.rep.Reset(context.Background(), tenantB, dayD); err == nil {
		t.Fatal("a reset of an unknown tenant was accepted")
	}
}

func TestLateCountsReplaceACompletedDay(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 1)
	e.clk.Set(afterD)
	e.run()
	e.sim.ProcessPending()
	e.run()
	first := e.day(dayD).UploadedSHA256
	// A replica whose counter write was slow adds a call of day D after the upload.
	e.count(duringD, purpose1, token1, 200, 1)
	e.clk.Add(5 * time.Minute)
	e.run()
	s := e.day(dayD)
	if s.Method != "REPLACE" || s.UploadedSHA256 == first || s.Requests != 2 {
		t.Fatalf("%+v", s)
	}
	if tr := e.remote(dayD); !strings.HasSuffix(string(tr.File), ",2\r\n") || tr.Version != 2 {
		t.Fatalf("%s", tr.File)
	}
	e.sim.ProcessPending()
	e.run()
	e.run()
	if s := e.day(dayD); s.State != LocalCompleted || e.sim.Calls()["replace"] != 1 {
		t.Fatalf("%+v %v", s, e.sim.Calls())
	}
}

func TestServerErrorsAreRetriedWithBackoffThenFail(t *testing.T) {
	faults := fault.New(fault.Options{})
	e := newEnv(t, duringD, memStore(t), simtracing.Options{Faults: faults})
	e.cfg.MaxAttempts = 3
	e.rep = e.reporter("gw-1")
	e.count(duringD, purpose1, token1, 200, 1)
	e.clk.Set(afterD)

	// PDND down altogether (/status fails): no attempt is spent.
	_ = faults.Set("tracing.status", fault.Spec{ErrorRate: 1, ErrorStatus: 503})
	if err := e.rep.RunOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Fatalf("run with /status down: %v", err)
	}
	if s := e.day(dayD); s.Attempts != 0 {
		t.Fatalf("%+v", s)
	}
	_ = faults.Clear("tracing.status")

	_ = faults.Set("tracing.submit", fault.Spec{ErrorRate: 1, ErrorStatus: 503, RetryAfter: fault.Duration(90 * time.Second)})
	e.run()
	s := e.day(dayD)
	if s.State != LocalWaiting || s.Attempts != 1 || !s.NextAttempt.Equal(afterD.Add(90*time.Second)) {
		t.Fatalf("Retry-After longer than the backoff wins: %+v", s)
	}
	e.clk.Add(90 * time.Second)
	e.run()
	if s := e.day(dayD); s.Attempts != 2 || !s.NextAttempt.Equal(e.clk.Now().Add(2*time.Minute)) {
		t.Fatalf("the backoff doubles: %+v", s)
	}
	_ = faults.Clear("tracing.submit")
	e.clk.Add(2 * time.Minute)
	e.run()
	if s := e.day(dayD); s.State != LocalPending || s.Attempts != 0 {
		t.Fatalf("after recovery: %+v", s)
	}

	// A permanent failure: every attempt refused until max_attempts.
	e.count(duringD.AddDate(0, 0, 1), purpose1, token1, 200, 1)
	e.clk.Set(afterD.AddDate(0, 0, 1))
	_ = faults.Set("tracing.submit", fault.Spec{ErrorRate: 1, ErrorStatus: 500})
	for i := 0; i < 5; i++ {
		_ = e.rep.RunOnce(context.Background())
		e.clk.Add(time.Hour)
	}
	if s := e.day(dayD.Add(1)); s.State != LocalFailed || s.Attempts != 3 {
		t.Fatalf("%+v", s)
	}
}

func TestTwoReplicasRacingSubmitOnce(t *testing.T) {
	url, prefix := redistest.Shared(t, redisDB)
	e := newEnv(t, duringD, redistest.Store(t, url, prefix), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 5)
	e.clk.Set(afterD)
	var reporters []*Reporter
	for i := 0; i < 4; i++ {
		// Each replica has its own Redis client, as separate processes would.
		e.st = redistest.Store(t, url, prefix)
		reporters = append(reporters, e.reporter("gw-"+string(rune('a'+i))))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	leaders, notLeader := 0, 0
	for round := 0; round < 5; round++ {
		for _, r := range reporters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := r.RunOnce(context.Background())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.Is(err, ErrNotLeader):
					notLeader++
				case err != nil:
					t.Error(err)
				default:
					leaders++
				}
			}()
		}
		wg.Wait()
	}
	if calls := e.sim.Calls(); calls["submit"] != 1 {
		t.Fatalf("submits %v", calls)
	}
	if leaders == 0 || notLeader == 0 {
		t.Logf("leaders %d, refused %d (the race did not overlap every round)", leaders, notLeader)
	}
	s := e.day(dayD)
	if s.State != LocalPending || s.Requests != 5 {
		t.Fatalf("%+v", s)
	}
}

func TestCountFromSeveralReplicasLandsInOneFile(t *testing.T) {
	url, prefix := redistest.Shared(t, redisDB)
	st1, st2 := redistest.Store(t, url, prefix), redistest.Store(t, url, prefix)
	r1 := NewRecorder(st1, rome, 0, func() time.Time { return duringD })
	r2 := NewRecorder(st2, rome, 0, func() time.Time { return duringD })
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_ = r1.Count(context.Background(), Call{tenantA, purpose1, token1, 200, duringD})
		}()
		go func() {
			defer wg.Done()
			_ = r2.Count(context.Background(), Call{tenantA, purpose1, token1, 200, duringD})
		}()
	}
	wg.Wait()
	rows, skipped, err := Aggregate(context.Background(), st1, tenantA, dayD)
	if err != nil || skipped != 0 || len(rows) != 1 || rows[0].Requests != 100 {
		t.Fatalf("%+v %d %v", rows, skipped, err)
	}
	ttl, err := st1.Client().PTTL(context.Background(), prefix+countsKey(tenantA, dayD)).Result()
	if err != nil || ttl < 30*24*time.Hour || ttl > 31*24*time.Hour {
		t.Fatalf("the counters live until the end of the day plus the retention: %v %v", ttl, err)
	}
}

func TestCollectorExposesTheStates(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 1)
	e.clk.Set(afterD)
	e.run()
	e.sim.ProcessPending()
	e.run()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.rep.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "," + l.GetName() + "=" + l.GetValue()
			}
			got[name] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"wgw_pdnd_tracing_status_up":                                               1,
		"wgw_pdnd_tracing_days,state=COMPLETED,tenant=" + tenantA:                  1,
		"wgw_pdnd_tracing_days,state=OPEN,tenant=" + tenantA:                       1, // today
		"wgw_pdnd_tracing_days,state=FAILED,tenant=" + tenantA:                     0,
		"wgw_pdnd_tracing_latest_accepted_day_timestamp_seconds,tenant=" + tenantA: float64(dayD.Start(rome).Unix()),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != 1+8+1 {
		t.Fatalf("series: %v", got)
	}
}

func TestNoUploadAfterTheLockWasLost(t *testing.T) {
	e := newEnv(t, duringD, memStore(t), simtracing.Options{})
	e.count(duringD, purpose1, token1, 200, 1)
	e.clk.Set(afterD)
	// This replica stalled past its lease; another one holds the lock now.
	mine := &lease{st: e.st, key: keyLock, owner: []byte("gw-1:stalled"), ttl: time.Minute}
	if ok, err := e.st.SetIfAbsent(context.Background(), keyLock, []byte("gw-2:fresh"), time.Minute); err != nil || !ok {
		t.Fatal(ok, err)
	}
	ctx := context.WithValue(context.Background(), leaseKey{}, mine)
	if err := e.rep.runTenant(ctx, e.rep.tenants[0]); !errors.Is(err, errLostLock) {
		t.Fatalf("run with a lost lock: %v", err)
	}
	if calls := e.sim.Calls(); calls["submit"] != 0 {
		t.Fatalf("uploaded without the lock: %v", calls)
	}
	if s := e.day(dayD); s.Attempts != 0 {
		t.Fatalf("a lost lock is not the day's failure: %+v", s)
	}
}
