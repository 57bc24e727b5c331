package prestazioni

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/problem"
)

// Name is the e-service's name in the audit trail and in the configuration (eservices.prestazioni).
const Name = "prestazioni"

// DefaultMount is where the e-service is served unless configured (RAC_GEN_002).
const DefaultMount = "/rest/welfaregov/v1/prestazioni-sociali-agevolate"

// ContractFile is the e-service's OpenAPI document in contracts/openapi.
const ContractFile = "prestazioni-sociali-agevolate.yaml"

// Config is the eservices.prestazioni section: the chain's settings and the field sets.
type Config struct {
	eservice.Settings `yaml:",inline"`
	// Purposes maps every authorised PDND purposeId to the fields of a prestazione it may see
	// (data minimisation: a field not listed is absent from the answer). A purpose not listed is
	// refused with 403 voucher.purpose_not_allowed, so this map is also the e-service's purpose
	// allow-list. Fields: ente, codicePrestazione, denominazionePrestazione, protocolloDomanda,
	// carattere, provaMezzi, dsu, dataInizio, dataFine, periodoErogazione, importoMensile,
	// dataErogazione, importo, quotaEnte, quotaUtente, quotaSSN, presaInCarico, areaUtenza.
	Purposes map[string][]string `yaml:"purposes"`
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// CheckPurposes records the problems of a purposes map (shared with the bulk extraction):
// at least one purpose, purposeIds that are UUIDs, known and distinct fields, and an allow-list in
// security.id_auth.allowed_purposes, if given, that names only purposes with a field set.
func CheckPurposes(ck config.Checker, purposes map[string][]string, allowList []string) {
	if len(purposes) == 0 {
		ck.Errorf("purposes", "at least one purposeId with its fields: a purpose without a field set is refused")
	}
	for _, id := range slices.Sorted(maps.Keys(purposes)) {
		if !uuidPattern.MatchString(id) {
			ck.At("purposes").Errorf(id, "%q is not a PDND purposeId (a UUID)", id)
		}
		names := purposes[id]
		if len(names) == 0 {
			ck.At("purposes").Errorf(id, "no fields: list the fields this purpose may see")
		}
		for i, n := range names {
			if _, err := NewFieldSet([]string{n}); err != nil {
				ck.At("purposes").At(id).Index(i).Errorf("", "%v", err)
			} else if slices.Index(names, n) != i {
				ck.At("purposes").At(id).Index(i).Errorf("", "%q is listed twice", n)
			}
		}
	}
	for i, id := range allowList {
		if _, ok := purposes[id]; !ok {
			ck.At("security.id_auth.allowed_purposes").Index(i).Errorf("", "%q has no field set in purposes: add it there (purposes is the allow-list)", id)
		}
	}
}

// Check records every problem of the section.
func (c *Config) Check(ck config.Checker, publicBase string, listenerBodyLimit int64) {
	c.Settings.Check(ck, DefaultMount, publicBase, listenerBodyLimit)
	CheckPurposes(ck, c.Purposes, c.Security.IDAuth.AllowedPurposes)
}

// CompileFieldSets turns a checked purposes map into field sets, and returns the settings with the
// purposes as the security allow-list.
func CompileFieldSets(s eservice.Settings, purposes map[string][]string) (eservice.Settings, map[string]FieldSet, error) {
	sets := make(map[string]FieldSet, len(purposes))
	for id, names := range purposes {
		fs, err := NewFieldSet(names)
		if err != nil {
			return s, nil, fmt.Errorf("purposes.%s: %w", id, err)
		}
		sets[id] = fs
	}
	if len(s.Security.IDAuth.AllowedPurposes) == 0 {
		s.Security.IDAuth.AllowedPurposes = slices.Sorted(maps.Keys(purposes))
	}
	return s, sets, nil
}

// Handler serves the e-service's operation.
type Handler struct {
	Service *Service
	// FieldSets maps purposeId to what it may see.
	FieldSets map[string]FieldSet
}

// Spec returns the e-service for eservice.Build.
func Spec(cfg *Config, svc *Service, publicBase string) (eservice.Spec, error) {
	settings, sets, err := CompileFieldSets(cfg.Settings, cfg.Purposes)
	if err != nil {
		return eservice.Spec{}, err
	}
	contract, err := openapi.FS.ReadFile(ContractFile)
	if err != nil {
		return eservice.Spec{}, err
	}
	h := &Handler{Service: svc, FieldSets: sets}
	return eservice.Spec{Name: Name, Settings: settings, DefaultMount: DefaultMount, PublicBase: publicBase,
		Contract: contract, Routes: h.Routes()}, nil
}

// Routes are the e-service's operations.
func (h *Handler) Routes() []eservice.Route {
	return []eservice.Route{
		{Method: fiber.MethodPost, Path: "/ricerca", OperationID: "ricercaPrestazioni", Handler: h.ricerca, Accepts: []string{fiber.MIMEApplicationJSON}},
	}
}

// Ricerca is the request body of POST /ricerca.
type Ricerca struct {
	// CodiceFiscale is the person's codice fiscale (16 characters, omocodia allowed, or 11 digits).
	CodiceFiscale string `json:"codiceFiscale"`
	// DataRiferimento is the date the benefits must be in force on (YYYY-MM-DD).
	DataRiferimento string `json:"dataRiferimento"`
}

// Risposta is the answer of POST /ricerca.
type Risposta struct {
	DataRiferimento contracts.Data `json:"dataRiferimento"`
	Prestazioni     []Prestazione  `json:"prestazioni"`
}

// maxRicercaBody bounds the request body: a codice fiscale and a date take under 100 bytes.
const maxRicercaBody = 4 << 10

func (h *Handler) ricerca(c *fiber.Ctx) error {
	fields, err := h.fieldsFor(c)
	if err != nil {
		return err
	}
	cf, on, perr := ParseRicerca(c.Body())
	if perr != nil {
		return perr
	}
	list, err := h.Service.Granted(c.UserContext(), cf, on)
	if err != nil {
		return err
	}
	for i := range list {
		fields.Apply(&list[i])
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(Risposta{DataRiferimento: on, Prestazioni: list})
}

// fieldsFor returns the field set of the caller's purpose. The chain refuses purposes without one
// (they are not in the allow-list); this is the second lock of that door.
func (h *Handler) fieldsFor(c *fiber.Ctx) (FieldSet, error) {
	return FieldSetOf(eservice.CallerOf(c), h.FieldSets)
}

// FieldSetOf returns the field set of a verified caller's purpose.
func FieldSetOf(caller *eservice.Caller, sets map[string]FieldSet) (FieldSet, error) {
	if caller == nil || caller.Result == nil || caller.Voucher == nil {
		return FieldSet{}, problem.New(problem.Forbidden, "the call carries no verified PDND voucher")
	}
	fs, ok := sets[caller.Voucher.PurposeID]
	if !ok {
		return FieldSet{}, problem.New(problem.Forbidden, "purposeId %q has no field set on this e-service", caller.Voucher.PurposeID)
	}
	return fs, nil
}

// ParseRicerca reads a POST /ricerca body: a JSON object with exactly codiceFiscale and
// dataRiferimento. Every problem is reported with the member named (invalidParams), never with the
// codice fiscale's value.
func ParseRicerca(body []byte) (string, contracts.Data, *problem.Error) {
	if len(body) > maxRicercaBody {
		return "", contracts.Data{}, problem.New(problem.PayloadTooLarge, "the body has %d bytes; a search takes at most %d", len(body), maxRicercaBody)
	}
	var r Ricerca
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return "", contracts.Data{}, problem.Wrap(problem.BadRequest, err, "the body is not a JSON object with codiceFiscale and dataRiferimento (%s)", jsonProblem(err))
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return "", contracts.Data{}, problem.New(problem.BadRequest, "the body has data after the JSON object")
	}
	cf, on, invalid := ValidateRicerca(r.CodiceFiscale, r.DataRiferimento)
	if len(invalid) > 0 {
		return "", contracts.Data{}, InvalidParams(invalid)
	}
	return cf, on, nil
}

// ValidateRicerca checks a codice fiscale and a reference date, returning them normalised or the
// offending members.
func ValidateRicerca(cf, date string) (string, contracts.Data, []problem.InvalidParam) {
	var bad []problem.InvalidParam
	cf, reason := ValidateCodiceFiscale(cf)
	if reason != "" {
		bad = append(bad, problem.InvalidParam{Name: "codiceFiscale", Reason: reason})
	}
	on, reason := ValidateData(date)
	if reason != "" {
		bad = append(bad, problem.InvalidParam{Name: "dataRiferimento", Reason: reason})
	}
	return cf, on, bad
}

// ValidateCodiceFiscale normalises cf (upper case, trimmed) and checks it, check character
// included; reason says what is wrong without quoting the value.
func ValidateCodiceFiscale(cf string) (normalised, reason string) {
	cf = contracts.NormalizeCodiceFiscale(cf)
	if err := contracts.ValidateCodiceFiscale(cf); err != nil {
		return cf, err.Error()
	}
	return cf, ""
}

// ValidateData reads a required full date YYYY-MM-DD.
func ValidateData(date string) (contracts.Data, string) {
	on, err := contracts.ParseData(date)
	if err != nil || on.Precision() != contracts.PrecisionDay {
		return contracts.Data{}, "required, a full date YYYY-MM-DD"
	}
	return on, ""
}

// InvalidParams is the 400 invalid-parameter problem naming each offending member.
func InvalidParams(bad []problem.InvalidParam) *problem.Error {
	parts := make([]string, len(bad))
	for i, b := range bad {
		parts[i] = b.Name + ": " + b.Reason
	}
	e := problem.New(problem.InvalidParameter, "%s", strings.Join(parts, "; "))
	e.Invalid = bad
	return e
}

// jsonProblem describes a decoding error without quoting the body (it may hold a codice fiscale).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("member %s must be a %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		return "unknown member " + name
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return "malformed JSON"
}
