package estrazione

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/eservice/prestazioni"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/store"
)

const purpose = "66666666-6666-4666-8666-000000000004"

func handler(max int) *Handler {
	return &Handler{MaxCodiciFiscali: max}
}

func TestParse(t *testing.T) {
	for name, c := range map[string]struct {
		body   string
		status int
		params []string
	}{
		"ok/two":             {`{"codiciFiscali":["RSSMRA80A01H501U","00355870221"],"dataRiferimento":"2026-03-01"}`, 0, nil},
		"fail/empty-list":    {`{"codiciFiscali":[],"dataRiferimento":"2026-03-01"}`, 400, []string{"codiciFiscali"}},
		"fail/too-many":      {`{"codiciFiscali":["RSSMRA80A01H501U","RSSMRA80A01H501U","RSSMRA80A01H501U","RSSMRA80A01H501U"],"dataRiferimento":"2026-03-01"}`, 400, []string{"codiciFiscali"}},
		"fail/bad-code":      {`{"codiciFiscali":["RSSMRA80A01H501U","RSSMRA80A01H501X"],"dataRiferimento":"2026-03-01"}`, 400, []string{"codiciFiscali[1]"}},
		"fail/bad-date":      {`{"codiciFiscali":["RSSMRA80A01H501U"],"dataRiferimento":"01/03/2026"}`, 400, []string{"dataRiferimento"}},
		"fail/unknown":       {`{"codiciFiscali":["RSSMRA80A01H501U"],"dataRiferimento":"2026-03-01","x":1}`, 400, nil},
		"fail/not-json":      {`codiciFiscali=RSSMRA80A01H501U`, 400, nil},
		"fail/trailing-data": {`{"codiciFiscali":["RSSMRA80A01H501U"],"dataRiferimento":"2026-03-01"}x`, 400, nil},
		"fail/too-large":     {`{"codiciFiscali":["` + strings.Repeat("A", 400) + `"]}`, 413, nil},
	} {
		t.Run(name, func(t *testing.T) {
			on, cfs, perr := handler(3).parse([]byte(c.body))
			if c.status == 0 {
				if perr != nil || len(cfs) != 2 || on.IsZero() {
					t.Fatalf("%v %v %v", on, cfs, perr)
				}
				return
			}
			if perr == nil || perr.HTTPStatus() != c.status {
				t.Fatalf("%v, want %d", perr, c.status)
			}
			var names []string
			for _, p := range perr.Invalid {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, c.params) {
				t.Fatalf("invalidParams %v, want %v", names, c.params)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"codiciFiscali":["RSSMRA80A01H501U"],"dataRiferimento":"2026-03-01"}`))
	f.Add([]byte(`{"codiciFiscali":null,"dataRiferimento":null}`))
	h := handler(5)
	f.Fuzz(func(t *testing.T, body []byte) {
		on, cfs, perr := h.parse(body)
		if perr == nil {
			if len(cfs) == 0 || len(cfs) > 5 || on.Precision() != contracts.PrecisionDay {
				t.Fatalf("accepted %v %v", cfs, on)
			}
			for _, cf := range cfs {
				if contracts.ValidateCodiceFiscale(cf) != nil {
					t.Fatalf("accepted %q", cf)
				}
			}
		}
	})
}

func TestConfigCheck(t *testing.T) {
	t.Setenv("WGW_TEST_JOB_KEY", strings.Repeat("k", 40))
	t.Setenv("WGW_TEST_SHORT_KEY", "short")
	valid := func() Config {
		c := Config{Purposes: map[string][]string{purpose: {"ente"}}}
		c.Security.Audience = "https://a.it/x"
		return c
	}
	for name, c := range map[string]struct {
		mod    func(*Config)
		shared bool
		fields []string
	}{
		"ok/memory":         {func(*Config) {}, false, nil},
		"ok/redis-with-key": {func(c *Config) { c.EncryptionKey = config.Secret{Env: "WGW_TEST_JOB_KEY"} }, true, nil},
		"fail/redis-no-key": {func(*Config) {}, true, []string{"encryption_key"}},
		"fail/short-key":    {func(c *Config) { c.EncryptionKey = config.Secret{Env: "WGW_TEST_SHORT_KEY"} }, false, []string{"encryption_key"}},
		"fail/max-list":     {func(c *Config) { c.MaxCodiciFiscali = 1001 }, false, []string{"max_codici_fiscali"}},
		"fail/result-ttl":   {func(c *Config) { c.ResultTTL = config.Duration(time.Second) }, false, []string{"result_ttl"}},
		"fail/workers":      {func(c *Config) { c.Workers = 33 }, false, []string{"workers"}},
		"fail/lease":        {func(c *Config) { c.LeaseTTL = config.Duration(time.Second) }, false, []string{"lease_ttl"}},
		"fail/no-purposes":  {func(c *Config) { c.Purposes = nil }, false, []string{"purposes"}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := valid()
			c.mod(&cfg)
			ck := config.NewChecker()
			cfg.Check(ck, "https://a.it", 1<<20, c.shared)
			got := ck.Fields()
			if !slices.Equal(got, c.fields) {
				t.Fatalf("problems %v, want %v", ck.Problems(), c.fields)
			}
		})
	}
}

// searcher answers every search with one benefit of the code asked, counting the calls; block, when
// set, holds every search until it is closed.
type searcher struct {
	calls atomic.Int64
	block chan struct{}
}

func (s *searcher) Ricerca(ctx context.Context, cf string) ([]welfaregov.Prestazione, error) {
	s.calls.Add(1)
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, nil
}

func newJobs(t *testing.T, st store.Store, s *searcher, key string, lease time.Duration) *Jobs {
	t.Helper()
	fs, _ := prestazioni.NewFieldSet([]string{"ente"})
	j, err := NewJobs(st, &prestazioni.Service{Backend: s}, map[string]prestazioni.FieldSet{purpose: fs},
		JobsOptions{Key: []byte(key), LeaseTTL: lease})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func job(id string) *Job {
	d, _ := contracts.ParseData("2026-03-01")
	return &Job{ID: id, Owner: "owner-a", PurposeID: purpose, Status: StatusProcessing, Created: time.Now(), DataRiferimento: d,
		CodiciFiscali: []string{"RSSMRA80A01H501U", "00355870221"}}
}

func waitDone(t *testing.T, j *Jobs, id string) *Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		got, err := j.Load(t.Context(), id, "owner-a")
		if err != nil {
			t.Fatal(err)
		}
		if got != nil && got.Status == StatusDone {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the job did not finish")
	return nil
}

// TestJobState: a job's state is sealed in the store (no codice fiscale in clear), another key
// cannot open it, another owner does not see it, and a closed replica's job is finished by another
// one that polls it.
func TestJobState(t *testing.T) {
	st := sectest.NewMemory(t)
	s := &searcher{}
	a := newJobs(t, st, s, strings.Repeat("a", 32), 3*time.Second)
	if err := a.Start(t.Context(), job("11111111-1111-4111-8111-000000000001")); err != nil {
		t.Fatal(err)
	}
	done := waitDone(t, a, "11111111-1111-4111-8111-000000000001")
	if len(done.Risultati) != 2 || done.Risultati[0].Esito != EsitoOK || s.calls.Load() != 2 {
		t.Fatalf("result %+v after %d searches", done.Risultati, s.calls.Load())
	}
	raw, err := st.Get(t.Context(), jobKey(done.ID))
	if err != nil || bytes.Contains(raw, []byte("RSSMRA80A01H501U")) || bytes.Contains(raw, []byte(`"status"`)) {
		t.Fatalf("the stored job is not sealed: %q %v", raw, err)
	}
	other := newJobs(t, st, s, strings.Repeat("b", 32), 3*time.Second)
	if _, err := other.Load(t.Context(), done.ID, "owner-a"); err == nil {
		t.Fatal("a replica with another key opened the job")
	}
	if got, err := a.Load(t.Context(), done.ID, "owner-b"); err != nil || got != nil {
		t.Fatalf("another owner sees the job: %v %v", got, err)
	}

	// A replica stops (Close: its run is cancelled, its lease released) mid-job; another resumes it.
	blocked := &searcher{block: make(chan struct{})}
	b := newJobs(t, st, blocked, strings.Repeat("a", 32), 3*time.Second)
	if err := b.Start(t.Context(), job("11111111-1111-4111-8111-000000000002")); err != nil {
		t.Fatal(err)
	}
	for blocked.calls.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	_ = b.Close()
	c := newJobs(t, st, s, strings.Repeat("a", 32), 3*time.Second)
	if got := waitDone(t, c, "11111111-1111-4111-8111-000000000002"); len(got.Risultati) != 2 {
		t.Fatalf("resumed job %+v", got)
	}
}

// TestSearchRetriesThenGivesUp: an unavailable backend is retried, then the code is NON_DISPONIBILE
// without failing the job.
func TestSearchRetriesThenGivesUp(t *testing.T) {
	calls := 0
	svc := &prestazioni.Service{Backend: searchFunc(func() error {
		calls++
		return &welfaregov.Error{Kind: welfaregov.Unavailable, Op: "ricerca"}
	})}
	j, err := NewJobs(sectest.NewMemory(t), svc, nil, JobsOptions{Key: []byte(strings.Repeat("a", 32))})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r := j.search(t.Context(), "RSSMRA80A01H501U", contracts.Data{}, prestazioni.FieldSet{})
	if r.Esito != EsitoNonDisponibile || calls != searchAttempts || r.Prestazioni == nil {
		t.Fatalf("%+v after %d calls", r, calls)
	}
}

type searchFunc func() error

func (f searchFunc) Ricerca(context.Context, string) ([]welfaregov.Prestazione, error) {
	return nil, f()
}

func TestOwnerOf(t *testing.T) {
	mk := func(client, purpose string) *eservice.Caller {
		return &eservice.Caller{Result: &modi.Result{Voucher: voucher(client, purpose)}}
	}
	a, b, c := ownerOf(mk("c1", "p1")), ownerOf(mk("c2", "p1")), ownerOf(mk("c1", "p2"))
	if a == b || a == c || a == "" || ownerOf(nil) != "" {
		t.Fatalf("owners %s %s %s", a, b, c)
	}
	if js, _ := json.Marshal(a); bytes.Contains(js, []byte("c1")) {
		t.Fatal("the owner key carries the client id in clear")
	}
}

func voucher(client, purpose string) *pdnd.Voucher {
	return &pdnd.Voucher{ClientID: client, PurposeID: purpose}
}

// A poll that read a job while it was processing, and takes the lease only after the run stored
// the result and released it, does not run the job again.
func TestResumeOfAFinishedJobDoesNotRunIt(t *testing.T) {
	st := sectest.NewMemory(t)
	s := &searcher{}
	a := newJobs(t, st, s, strings.Repeat("a", 32), 3*time.Second)
	const id = "11111111-1111-4111-8111-000000000003"
	stale := job(id) // what the poll read: still processing
	done := job(id)
	done.Status, done.Risultati = StatusDone, []Risultato{}
	if err := a.save(t.Context(), done); err != nil {
		t.Fatal(err)
	}
	a.resume(t.Context(), stale)
	// A run, had one started, releases the lease only once it has searched and stored.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := st.Get(t.Context(), leaseKey(id)); errors.Is(err, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease is still held")
		}
	}
	if n := s.calls.Load(); n != 0 {
		t.Fatalf("the finished job was run again: %d searches", n)
	}
	// A job still processing is resumed.
	b := newJobs(t, st, s, strings.Repeat("a", 32), 3*time.Second)
	const id2 = "11111111-1111-4111-8111-000000000004"
	if err := b.save(t.Context(), job(id2)); err != nil {
		t.Fatal(err)
	}
	b.resume(t.Context(), job(id2))
	if got := waitDone(t, b, id2); len(got.Risultati) != 2 || s.calls.Load() != 2 {
		t.Fatalf("resumed job %+v after %d searches", got, s.calls.Load())
	}
}
