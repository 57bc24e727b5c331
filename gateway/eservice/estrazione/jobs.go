package estrazione

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/eservice/prestazioni"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/store"
)

// Job states, as GET /estrazioni/{id} reports them.
const (
	StatusProcessing = "processing"
	StatusDone       = "done"
)

// Outcomes of one codice fiscale in a result.
const (
	// EsitoOK: the search ran; prestazioni may be empty (an unknown person looks the same).
	EsitoOK = "OK"
	// EsitoNonDisponibile: the WelfareGOV backend did not answer for this codice fiscale after the
	// retries; ask again in a new extraction.
	EsitoNonDisponibile = "NON_DISPONIBILE"
)

// Job is an extraction as the shared store keeps it (sealed with AES-256-GCM: it holds codici
// fiscali and benefits). Results are already minimised for the creator's purpose.
type Job struct {
	ID string `json:"id"`
	// Owner is a hash of the creating client and purpose: only they may read the job.
	Owner           string         `json:"owner"`
	PurposeID       string         `json:"purposeId"`
	Status          string         `json:"status"`
	Created         time.Time      `json:"created"`
	DataRiferimento contracts.Data `json:"dataRiferimento"`
	CodiciFiscali   []string       `json:"codiciFiscali"`
	Risultati       []Risultato    `json:"risultati,omitempty"`
}

// Risultato is the outcome for one codice fiscale of the request, in request order.
type Risultato struct {
	CodiceFiscale string                    `json:"codiceFiscale"`
	Esito         string                    `json:"esito"`
	Prestazioni   []prestazioni.Prestazione `json:"prestazioni"`
}

// Jobs runs extractions and keeps their state in the shared store, so that any replica answers the
// polls and a job whose replica died is resumed by the replica that next sees it polled. Safe for
// concurrent use. Close stops the jobs this replica runs (another replica resumes them).
type Jobs struct {
	st        store.Store
	svc       *prestazioni.Service
	sets      map[string]prestazioni.FieldSet
	aead      cipher.AEAD
	resultTTL time.Duration
	leaseTTL  time.Duration
	workers   int
	owner     []byte
	log       *slog.Logger
	now       func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// JobsOptions configure NewJobs. Zero values mean the defaults of Config.
type JobsOptions struct {
	// Key is the job state's encryption key material (at least 32 bytes; SHA-256 makes the AES key).
	Key       []byte
	ResultTTL time.Duration
	LeaseTTL  time.Duration
	Workers   int
	Logger    *slog.Logger
	Now       func() time.Time
}

// NewJobs returns the job runner over st.
func NewJobs(st store.Store, svc *prestazioni.Service, sets map[string]prestazioni.FieldSet, o JobsOptions) (*Jobs, error) {
	if len(o.Key) < minKeyBytes {
		return nil, fmt.Errorf("estrazione: the encryption key has %d bytes, at least %d are needed", len(o.Key), minKeyBytes)
	}
	sum := sha256.Sum256(o.Key)
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	j := &Jobs{st: st, svc: svc, sets: sets, aead: aead, resultTTL: orDefault(o.ResultTTL, DefaultResultTTL),
		leaseTTL: orDefault(o.LeaseTTL, DefaultLeaseTTL), workers: o.Workers, log: o.Logger, now: o.Now}
	if j.workers <= 0 {
		j.workers = DefaultWorkers
	}
	if j.log == nil {
		j.log = slog.New(slog.DiscardHandler)
	}
	if j.now == nil {
		j.now = time.Now
	}
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	j.owner = []byte(hex.EncodeToString(token))
	j.ctx, j.cancel = context.WithCancel(context.Background())
	return j, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Close cancels the jobs this replica is running and waits for them to stop; their leases are
// released, so another replica resumes them at the next poll.
func (j *Jobs) Close() error {
	j.cancel()
	j.wg.Wait()
	return nil
}

func jobKey(id string) string   { return "job:estrazione:" + id }
func leaseKey(id string) string { return "lock:job:estrazione:" + id }

// JobsUnavailable: the shared store that keeps the jobs does not answer.
var JobsUnavailable = problem.Type{Code: "estrazione-unavailable", Status: http.StatusServiceUnavailable, Title: "Extraction state unavailable"}

// storeRetryAfter is the Retry-After when the jobs' store does not answer.
const storeRetryAfter = 5 * time.Second

func unavailable(err error, what string) *problem.Error {
	return problem.Wrap(JobsUnavailable, err, "the extraction state cannot be %s now; retry later", what).WithRetryAfter(storeRetryAfter)
}

// Start stores a new job and starts it on this replica.
func (j *Jobs) Start(ctx context.Context, job *Job) error {
	if err := j.save(ctx, job); err != nil {
		return unavailable(err, "stored")
	}
	ok, err := j.st.SetIfAbsent(ctx, leaseKey(job.ID), j.owner, j.leaseTTL)
	if err != nil || !ok {
		// Stored but not started: the first poll (on any replica) takes the lease and runs it.
		return nil
	}
	j.launch(job)
	return nil
}

// Load returns the job id for the caller owner, or nil when there is no such job for them (absent,
// expired, or someone else's: the answer is the same). A job still processing whose lease has
// expired (its replica died) is resumed here.
func (j *Jobs) Load(ctx context.Context, id, owner string) (*Job, error) {
	raw, err := j.st.Get(ctx, jobKey(id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, unavailable(err, "read")
	}
	job, err := j.open(id, raw)
	if err != nil {
		return nil, problem.Wrap(problem.Internal, err, "the extraction state could not be read; quote the requestId to the operator")
	}
	if job.Owner != owner {
		return nil, nil
	}
	if job.Status == StatusProcessing {
		j.resume(ctx, job)
	}
	return job, nil
}

// resume runs a job whose worker has gone (no lease), on this replica.
func (j *Jobs) resume(ctx context.Context, job *Job) {
	ok, err := j.st.SetIfAbsent(ctx, leaseKey(job.ID), j.owner, j.leaseTTL)
	if err != nil || !ok {
		return // someone runs it, or the store is down: the next poll tries again
	}
	// job was read before the lease was taken: its run may have stored the result and released
	// the lease in between, and running it again would redo every search.
	current, err := j.reload(ctx, job.ID)
	if err != nil || current.Status != StatusProcessing {
		_, _ = j.st.CompareAndDelete(context.WithoutCancel(ctx), leaseKey(job.ID), j.owner)
		return
	}
	j.log.Info("extraction resumed on this replica", "job", job.ID)
	j.launch(current)
}

// reload reads job id from the store.
func (j *Jobs) reload(ctx context.Context, id string) (*Job, error) {
	raw, err := j.st.Get(ctx, jobKey(id))
	if err != nil {
		return nil, err
	}
	return j.open(id, raw)
}

func (j *Jobs) launch(job *Job) {
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		j.run(job)
	}()
}

// run searches every codice fiscale of job (Workers at a time), renewing the lease meanwhile, and
// stores the result. A run that loses its lease or is cancelled stores nothing: the replica that
// holds the lease, or the next poll, finishes the job.
func (j *Jobs) run(job *Job) {
	ctx, cancel := context.WithCancel(j.ctx)
	defer cancel()
	go j.keepLease(ctx, cancel, job.ID)
	defer func() {
		_, _ = j.st.CompareAndDelete(context.WithoutCancel(ctx), leaseKey(job.ID), j.owner)
	}()
	fields := j.sets[job.PurposeID]
	out := make([]Risultato, len(job.CodiciFiscali))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(j.workers, len(job.CodiciFiscali)) {
		wg.Go(func() {
			for i := range next {
				out[i] = j.search(ctx, job.CodiciFiscali[i], job.DataRiferimento, fields)
			}
		})
	}
feed:
	for i := range job.CodiciFiscali {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	job.Status, job.Risultati = StatusDone, out
	if err := j.save(ctx, job); err != nil {
		j.log.Error("extraction done but not stored: another replica will redo it", "job", job.ID, "err", err)
	}
}

// searchAttempts bounds the tries of one codice fiscale while the backend is unavailable.
const searchAttempts = 3

func (j *Jobs) search(ctx context.Context, cf string, on contracts.Data, fields prestazioni.FieldSet) Risultato {
	r := Risultato{CodiceFiscale: cf, Esito: EsitoNonDisponibile, Prestazioni: []prestazioni.Prestazione{}}
	backoff := 200 * time.Millisecond
	for attempt := 1; attempt <= searchAttempts && ctx.Err() == nil; attempt++ {
		list, err := j.svc.Granted(ctx, cf, on)
		if err == nil {
			for i := range list {
				fields.Apply(&list[i])
			}
			r.Esito, r.Prestazioni = EsitoOK, list
			return r
		}
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Type != problem.UpstreamUnavailable {
			return r
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff *= 2
	}
	return r
}

// keepLease renews the job's lease every third of its ttl; when the lease is lost (a stall longer
// than the ttl, and another replica took the job) it cancels the run.
func (j *Jobs) keepLease(ctx context.Context, cancel context.CancelFunc, id string) {
	tick := time.NewTicker(j.leaseTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			ok, err := j.st.CompareAndExpire(ctx, leaseKey(id), j.owner, j.leaseTTL)
			if err == nil && !ok {
				j.log.Warn("extraction lease lost: another replica runs the job", "job", id)
				cancel()
				return
			}
		}
	}
}

// save seals and stores job; its ttl runs from now (creation, then completion).
func (j *Jobs) save(ctx context.Context, job *Job) error {
	plain, err := json.Marshal(job)
	if err != nil {
		return err
	}
	nonce := make([]byte, j.aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := j.aead.Seal(nonce, nonce, plain, []byte(jobKey(job.ID)))
	return j.st.Set(ctx, jobKey(job.ID), sealed, j.resultTTL)
}

func (j *Jobs) open(id string, sealed []byte) (*Job, error) {
	n := j.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("estrazione: sealed job too short")
	}
	plain, err := j.aead.Open(nil, sealed[:n], sealed[n:], []byte(jobKey(id)))
	if err != nil {
		return nil, fmt.Errorf("estrazione: job %s does not open with this key (another key, or tampered): %w", id, err)
	}
	var job Job
	if err := json.Unmarshal(plain, &job); err != nil {
		return nil, fmt.Errorf("estrazione: job %s: %w", id, err)
	}
	return &job, nil
}
