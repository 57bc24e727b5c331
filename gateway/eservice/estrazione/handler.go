// Package estrazione is the e-service "Estrazione prestazioni sociali agevolate"
// (NONBLOCK_PULL_REST): a consumer posts a list of codici fiscali and a reference date, gets 202
// with the Location of a status resource, polls it (200 {"status":"processing"} while the job
// runs, 303 See Other to the result when it is done) and reads the result. The answers are those
// of the consultazione e-service (package prestazioni), minimised for the creator's purpose. Job
// state lives encrypted in the shared store: any replica answers the polls, a job whose replica
// died is resumed by the next poll, and only the client and purpose that created a job can read
// it. README.md is the e-service's page; contracts/openapi/estrazione-prestazioni.yaml its
// contract.
package estrazione

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/eservice/prestazioni"
	"github.com/welfaregov/gateway/gateway/problem"
)

// Name is the e-service's name in the audit trail and in the configuration (eservices.estrazione).
const Name = "estrazione"

// DefaultMount is where the e-service is served unless configured.
const DefaultMount = "/rest/welfaregov/v1/estrazione-prestazioni"

// ContractFile is the e-service's OpenAPI document in contracts/openapi.
const ContractFile = "estrazione-prestazioni.yaml"

// Defaults and bounds of the section.
const (
	DefaultMaxCodiciFiscali = 100
	MaxCodiciFiscali        = 1000
	DefaultResultTTL        = time.Hour
	DefaultLeaseTTL         = 30 * time.Second
	DefaultWorkers          = 4
	maxWorkers              = 32
	minKeyBytes             = 32
)

// Config is the eservices.estrazione section.
type Config struct {
	eservice.Settings `yaml:",inline"`
	// Purposes maps every authorised purposeId to the fields it may see, as for the consultazione
	// e-service (a purpose not listed is refused).
	Purposes map[string][]string `yaml:"purposes"`
	// MaxCodiciFiscali is the longest list one extraction may ask for (400 above). Default 100;
	// at most 1000.
	MaxCodiciFiscali int `yaml:"max_codici_fiscali"`
	// ResultTTL is how long a job and its result are kept, from creation and again from
	// completion; then the status and result answer 404. Default 1h; 1m to 7d.
	ResultTTL config.Duration `yaml:"result_ttl"`
	// Workers is how many backend searches one job runs at once. Default 4; at most 32.
	Workers int `yaml:"workers"`
	// LeaseTTL is how long a job whose replica died waits before the next poll resumes it on another
	// replica (the runner renews it every third). Default 30s; 3s to 10m.
	LeaseTTL config.Duration `yaml:"lease_ttl"`
	// EncryptionKey seals the job state in the shared store (AES-256-GCM; it holds codici fiscali
	// and benefits): at least 32 bytes, the same on every replica (openssl rand -base64 48).
	// Required with store.backend redis; with the memory store a random key is made at start.
	EncryptionKey config.Secret `yaml:"encryption_key"`
}

// Check records every problem of the section. shared is true when the store is shared by
// replicas (Redis): the encryption key is then required.
func (c *Config) Check(ck config.Checker, publicBase string, listenerBodyLimit int64, shared bool) {
	c.Settings.Check(ck, DefaultMount, publicBase, listenerBodyLimit)
	prestazioni.CheckPurposes(ck, c.Purposes, c.Security.IDAuth.AllowedPurposes)
	if c.MaxCodiciFiscali < 0 || c.MaxCodiciFiscali > MaxCodiciFiscali {
		ck.Errorf("max_codici_fiscali", "%d: between 1 and %d (0 means %d)", c.MaxCodiciFiscali, MaxCodiciFiscali, DefaultMaxCodiciFiscali)
	}
	if d := c.ResultTTL.D(); d != 0 && (d < time.Minute || d > 7*24*time.Hour) {
		ck.Errorf("result_ttl", "%s: between 1m and 7d", c.ResultTTL)
	}
	if c.Workers < 0 || c.Workers > maxWorkers {
		ck.Errorf("workers", "%d: between 1 and %d (0 means %d)", c.Workers, maxWorkers, DefaultWorkers)
	}
	if d := c.LeaseTTL.D(); d != 0 && (d < 3*time.Second || d > 10*time.Minute) {
		ck.Errorf("lease_ttl", "%s: between 3s and 10m", c.LeaseTTL)
	}
	c.EncryptionKey.Check(ck, "encryption_key", shared)
	if shared && !c.EncryptionKey.IsSet() {
		return
	}
	if c.EncryptionKey.IsSet() {
		if v, err := c.EncryptionKey.Value(); err == nil && len(v) < minKeyBytes {
			ck.Errorf("encryption_key", "has %d bytes; at least %d (openssl rand -base64 48)", len(v), minKeyBytes)
		}
	}
}

// Handler serves the e-service's three operations.
type Handler struct {
	Jobs *Jobs
	// PublicURL is the e-service's public URL (Location headers are absolute, RAC_REST_NAME_007).
	PublicURL string
	// MaxCodiciFiscali bounds a request's list.
	MaxCodiciFiscali int
	// FieldSets are the purposes' field sets.
	FieldSets map[string]prestazioni.FieldSet
	Now       func() time.Time
}

// Spec returns the e-service for eservice.Build, with its job runner (Close it at shutdown).
// key is the encryption key material (from encryption_key, or random for a memory store).
func Spec(cfg *Config, svc *prestazioni.Service, publicBase string, deps eservice.Deps, key []byte) (eservice.Spec, *Jobs, error) {
	settings, sets, err := prestazioni.CompileFieldSets(cfg.Settings, cfg.Purposes)
	if err != nil {
		return eservice.Spec{}, nil, err
	}
	contract, err := openapi.FS.ReadFile(ContractFile)
	if err != nil {
		return eservice.Spec{}, nil, err
	}
	jobs, err := NewJobs(deps.Store, svc, sets, JobsOptions{Key: key, ResultTTL: cfg.ResultTTL.D(), LeaseTTL: cfg.LeaseTTL.D(),
		Workers: cfg.Workers, Logger: deps.Logger, Now: deps.Now})
	if err != nil {
		return eservice.Spec{}, nil, err
	}
	_, publicURL := settings.Resolved(DefaultMount, publicBase)
	h := &Handler{Jobs: jobs, PublicURL: publicURL, MaxCodiciFiscali: cfg.MaxCodiciFiscali, FieldSets: sets, Now: deps.Now}
	if h.MaxCodiciFiscali == 0 {
		h.MaxCodiciFiscali = DefaultMaxCodiciFiscali
	}
	return eservice.Spec{Name: Name, Settings: settings, DefaultMount: DefaultMount, PublicBase: publicBase,
		Contract: contract, Routes: h.Routes()}, jobs, nil
}

// Routes are the e-service's operations.
func (h *Handler) Routes() []eservice.Route {
	return []eservice.Route{
		{Method: fiber.MethodPost, Path: "/estrazioni", OperationID: "avviaEstrazione", Handler: h.start, Accepts: []string{fiber.MIMEApplicationJSON}},
		{Method: fiber.MethodGet, Path: "/estrazioni/:id", OperationID: "statoEstrazione", Handler: h.status},
		{Method: fiber.MethodGet, Path: "/estrazioni/:id/risultato", OperationID: "risultatoEstrazione", Handler: h.result},
	}
}

// Richiesta is the body of POST /estrazioni.
type Richiesta struct {
	CodiciFiscali   []string `json:"codiciFiscali"`
	DataRiferimento string   `json:"dataRiferimento"`
}

// Stato is the body of 202, 200 and 303 answers: where the job is.
type Stato struct {
	Status string `json:"status"`
	ID     string `json:"id"`
}

// Esito is the body of GET /estrazioni/{id}/risultato.
type Esito struct {
	ID              string         `json:"id"`
	DataRiferimento contracts.Data `json:"dataRiferimento"`
	Risultati       []Risultato    `json:"risultati"`
}

// Problem types of this e-service.
var (
	// NotReady: the result was asked for before the job finished.
	NotReady = problem.Type{Code: "estrazione-in-corso", Status: http.StatusConflict, Title: "Extraction still running"}
)

func (h *Handler) start(c *fiber.Ctx) error {
	caller := eservice.CallerOf(c)
	if _, err := prestazioni.FieldSetOf(caller, h.FieldSets); err != nil {
		return err
	}
	on, cfs, perr := h.parse(c.Body())
	if perr != nil {
		return perr
	}
	job := &Job{ID: uuid.NewString(), Owner: ownerOf(caller), PurposeID: caller.Voucher.PurposeID, Status: StatusProcessing,
		Created: h.now().UTC(), DataRiferimento: on, CodiciFiscali: cfs}
	if err := h.Jobs.Start(c.UserContext(), job); err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, h.PublicURL+"/estrazioni/"+job.ID)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(http.StatusAccepted).JSON(Stato{Status: StatusProcessing, ID: job.ID})
}

func (h *Handler) status(c *fiber.Ctx) error {
	job, err := h.load(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if job.Status == StatusDone {
		c.Set(fiber.HeaderLocation, h.PublicURL+"/estrazioni/"+job.ID+"/risultato")
		return c.Status(http.StatusSeeOther).JSON(Stato{Status: StatusDone, ID: job.ID})
	}
	return c.Status(http.StatusOK).JSON(Stato{Status: StatusProcessing, ID: job.ID})
}

func (h *Handler) result(c *fiber.Ctx) error {
	job, err := h.load(c)
	if err != nil {
		return err
	}
	if job.Status != StatusDone {
		return problem.New(NotReady, "the extraction is still running; poll %s until it answers 303", h.PublicURL+"/estrazioni/"+job.ID).
			WithRetryAfter(time.Second)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(Esito{ID: job.ID, DataRiferimento: job.DataRiferimento, Risultati: job.Risultati})
}

// idPattern is a job id (a UUID); anything else is not looked up.
var idPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// load finds the caller's job, or answers 404: an unknown id, an expired job and another
// consumer's job are indistinguishable.
func (h *Handler) load(c *fiber.Ctx) (*Job, error) {
	id := c.Params("id")
	notFound := problem.New(problem.NotFound, "no extraction with this id for this client and purpose (results are kept for a limited time)")
	if !idPattern.MatchString(id) {
		return nil, notFound
	}
	job, err := h.Jobs.Load(c.UserContext(), id, ownerOf(eservice.CallerOf(c)))
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, notFound
	}
	return job, nil
}

// ownerOf identifies who may read a job: the PDND client and the purpose of the voucher that
// created it.
func ownerOf(caller *eservice.Caller) string {
	if caller == nil || caller.Result == nil || caller.Voucher == nil {
		return ""
	}
	sum := sha256.Sum256([]byte(caller.Voucher.ClientID + "\x00" + caller.Voucher.PurposeID))
	return hex.EncodeToString(sum[:])
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// maxBodyPerCF bounds the body: a quoted codice fiscale and a comma take 19 bytes.
const maxBodyPerCF = 24

// parse reads a POST /estrazioni body: exactly codiciFiscali (1 to MaxCodiciFiscali valid codes)
// and dataRiferimento. Every problem names its member (codiciFiscali[3]), never a code's value.
func (h *Handler) parse(body []byte) (contracts.Data, []string, *problem.Error) {
	if limit := 256 + maxBodyPerCF*h.MaxCodiciFiscali; len(body) > limit {
		return contracts.Data{}, nil, problem.New(problem.PayloadTooLarge, "the body has %d bytes; an extraction of at most %d codici fiscali takes at most %d", len(body), h.MaxCodiciFiscali, limit)
	}
	var r Richiesta
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return contracts.Data{}, nil, problem.Wrap(problem.BadRequest, err, "the body is not a JSON object with codiciFiscali and dataRiferimento")
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return contracts.Data{}, nil, problem.New(problem.BadRequest, "the body has data after the JSON object")
	}
	var bad []problem.InvalidParam
	switch n := len(r.CodiciFiscali); {
	case n == 0:
		bad = append(bad, problem.InvalidParam{Name: "codiciFiscali", Reason: "required: 1 or more codici fiscali"})
	case n > h.MaxCodiciFiscali:
		bad = append(bad, problem.InvalidParam{Name: "codiciFiscali", Reason: fmt.Sprintf("%d codici fiscali; at most %d per extraction", n, h.MaxCodiciFiscali)})
	}
	cfs := make([]string, len(r.CodiciFiscali))
	for i, raw := range r.CodiciFiscali {
		cf, reason := prestazioni.ValidateCodiceFiscale(raw)
		if reason != "" {
			bad = append(bad, problem.InvalidParam{Name: fmt.Sprintf("codiciFiscali[%d]", i), Reason: reason})
		}
		cfs[i] = cf
		if len(bad) > 16 {
			break // enough to fix the client; the rest would only lengthen the answer
		}
	}
	on, reason := prestazioni.ValidateData(r.DataRiferimento)
	if reason != "" {
		bad = append(bad, problem.InvalidParam{Name: "dataRiferimento", Reason: reason})
	}
	if len(bad) > 0 {
		return contracts.Data{}, nil, prestazioni.InvalidParams(bad)
	}
	return on, cfs, nil
}
