// Package prestazioni is the e-service "Consultazione prestazioni sociali agevolate" (BLOCK_REST):
// another administration posts a codice fiscale and a reference date and gets the means-tested
// social benefits WelfareGOV's enti granted to that person and in force on that date, with only the
// fields its PDND purpose may see (data minimisation). Its contract is
// contracts/openapi/prestazioni-sociali-agevolate.yaml; README.md is the e-service's page.
//
// The search and the minimisation are shared with the bulk extraction (package estrazione).
package prestazioni

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/problem"
)

// Prestazione is one benefit as the e-service returns it. Every member is optional: a purpose sees
// only the members its field set names (FieldSet), and members without a value are left out.
type Prestazione struct {
	// Ente is the administration that granted the benefit.
	Ente *Ente `json:"ente,omitempty"`
	// CodicePrestazione is the SIUSS nomenclatore code; DenominazionePrestazione its name.
	CodicePrestazione        string `json:"codicePrestazione,omitempty"`
	DenominazionePrestazione string `json:"denominazionePrestazione,omitempty"`
	// ProtocolloDomanda is the ente's protocol or case number of the application.
	ProtocolloDomanda string `json:"protocolloDomanda,omitempty"`
	// Carattere is PERIODICA or OCCASIONALE.
	Carattere contracts.Carattere `json:"carattere,omitempty"`
	// ProvaMezzi says how the benefit is means-tested: ISEE, ALTRA_PROVA_MEZZI, ISEE_ESENTE.
	ProvaMezzi contracts.ProvaMezzi `json:"provaMezzi,omitempty"`
	// DSU identifies the ISEE declaration the benefit was granted on.
	DSU *contracts.RiferimentoDSU `json:"dsu,omitempty"`
	// DataInizio, DataFine, PeriodoErogazione and ImportoMensile describe a periodic benefit.
	DataInizio        contracts.Data     `json:"dataInizio,omitzero"`
	DataFine          contracts.Data     `json:"dataFine,omitzero"`
	PeriodoErogazione int                `json:"periodoErogazione,omitempty"`
	ImportoMensile    *contracts.Decimal `json:"importoMensile,omitempty"`
	// DataErogazione and Importo describe a one-off benefit.
	DataErogazione contracts.Data     `json:"dataErogazione,omitzero"`
	Importo        *contracts.Decimal `json:"importo,omitempty"`
	// QuotaEnte, QuotaUtente, QuotaSSN split the amount between the ente, the person and the NHS.
	QuotaEnte   *contracts.Decimal `json:"quotaEnte,omitempty"`
	QuotaUtente *contracts.Decimal `json:"quotaUtente,omitempty"`
	QuotaSSN    *contracts.Decimal `json:"quotaSSN,omitempty"`
	// PresaInCarico says whether the social services formally took the person into care;
	// AreaUtenza is the area that did.
	PresaInCarico *bool                `json:"presaInCarico,omitempty"`
	AreaUtenza    contracts.AreaUtenza `json:"areaUtenza,omitempty"`
}

// Ente is a granting administration.
type Ente struct {
	// Codice is its Belfiore code (a Comune) or the code WelfareGOV gives it.
	Codice        string `json:"codice"`
	Denominazione string `json:"denominazione,omitempty"`
}

// fields lists every member a field set may name, with how to drop it. The order is the JSON order.
var fields = []struct {
	name string
	drop func(*Prestazione)
}{
	{"ente", func(p *Prestazione) { p.Ente = nil }},
	{"codicePrestazione", func(p *Prestazione) { p.CodicePrestazione = "" }},
	{"denominazionePrestazione", func(p *Prestazione) { p.DenominazionePrestazione = "" }},
	{"protocolloDomanda", func(p *Prestazione) { p.ProtocolloDomanda = "" }},
	{"carattere", func(p *Prestazione) { p.Carattere = "" }},
	{"provaMezzi", func(p *Prestazione) { p.ProvaMezzi = "" }},
	{"dsu", func(p *Prestazione) { p.DSU = nil }},
	{"dataInizio", func(p *Prestazione) { p.DataInizio = contracts.Data{} }},
	{"dataFine", func(p *Prestazione) { p.DataFine = contracts.Data{} }},
	{"periodoErogazione", func(p *Prestazione) { p.PeriodoErogazione = 0 }},
	{"importoMensile", func(p *Prestazione) { p.ImportoMensile = nil }},
	{"dataErogazione", func(p *Prestazione) { p.DataErogazione = contracts.Data{} }},
	{"importo", func(p *Prestazione) { p.Importo = nil }},
	{"quotaEnte", func(p *Prestazione) { p.QuotaEnte = nil }},
	{"quotaUtente", func(p *Prestazione) { p.QuotaUtente = nil }},
	{"quotaSSN", func(p *Prestazione) { p.QuotaSSN = nil }},
	{"presaInCarico", func(p *Prestazione) { p.PresaInCarico = nil }},
	{"areaUtenza", func(p *Prestazione) { p.AreaUtenza = "" }},
}

// FieldNames lists the member names a field set may use, in JSON order.
func FieldNames() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

// FieldSet is the members one purpose may see. The zero value sees nothing.
type FieldSet struct{ allowed map[string]bool }

// NewFieldSet builds a field set from member names; an unknown name is an error naming it.
func NewFieldSet(names []string) (FieldSet, error) {
	fs := FieldSet{allowed: map[string]bool{}}
	for _, n := range names {
		if !slices.Contains(FieldNames(), n) {
			return FieldSet{}, fmt.Errorf("%q is not a field of a prestazione (%s)", n, strings.Join(FieldNames(), ", "))
		}
		fs.allowed[n] = true
	}
	return fs, nil
}

// Apply drops from p every member the set does not allow.
func (fs FieldSet) Apply(p *Prestazione) {
	for _, f := range fields {
		if !fs.allowed[f.name] {
			f.drop(p)
		}
	}
}

// Searcher finds a person's prestazioni in the WelfareGOV backend (welfaregov.Client).
type Searcher interface {
	Ricerca(ctx context.Context, codiceFiscale string) ([]welfaregov.Prestazione, error)
}

// Service answers "which means-tested benefits does this person have on this date". Safe for
// concurrent use.
type Service struct {
	Backend Searcher
}

// Granted returns the means-tested benefits (PresenzaProvaMezzi 1, 2 or 3: "prestazioni sociali
// agevolate") granted to the person cf and in force on the reference date, whole (apply a FieldSet
// before answering), ordered by ente, code and date:
//
//   - a periodic benefit is in force from DataInizio to DataFine (open-ended without DataFine);
//   - a one-off benefit counts when it was paid in the calendar year of the date, up to the date;
//   - a cancelled benefit ("C" record) is left out, with its cancellation.
//
// A person the backend does not know and a person without such benefits both get an empty list:
// the answer never tells whether someone exists. Errors are *problem.Error (503 when the backend
// is down, 502 when it answered something unusable).
func (s *Service) Granted(ctx context.Context, cf string, on contracts.Data) ([]Prestazione, error) {
	records, err := s.Backend.Ricerca(ctx, cf)
	if err != nil {
		return nil, backendProblem(err)
	}
	cancelled := map[string]bool{}
	for _, r := range records {
		if r.TipoOperazione == "C" {
			cancelled[r.ID] = true
			cancelled[r.AnnullaID] = true
		}
	}
	out := []Prestazione{}
	for _, r := range records {
		if cancelled[r.ID] || r.Beneficiario.CodiceFiscale != cf {
			continue
		}
		m, err := r.ToModel()
		if err != nil {
			return nil, problem.Wrap(problem.UpstreamInvalidReply, err,
				"a record of the WelfareGOV backend could not be read; the operator has been told (quote the requestId)")
		}
		if m.ProvaMezzi == contracts.ProvaMezziNessuna || !inForce(&m, on) {
			continue
		}
		out = append(out, fromModel(r, &m))
	}
	slices.SortStableFunc(out, func(a, b Prestazione) int {
		if c := strings.Compare(a.Ente.Codice, b.Ente.Codice); c != 0 {
			return c
		}
		if c := strings.Compare(a.CodicePrestazione, b.CodicePrestazione); c != 0 {
			return c
		}
		return startOf(&a).Compare(startOf(&b))
	})
	return out, nil
}

func startOf(p *Prestazione) contracts.Data {
	if p.Carattere == contracts.CarattereOccasionale {
		return p.DataErogazione
	}
	return p.DataInizio
}

// inForce applies the reference-date rule of Granted.
func inForce(m *contracts.PrestazioneSociale, on contracts.Data) bool {
	switch m.Carattere {
	case contracts.CaratterePeriodica:
		return !m.DataInizio.IsZero() && m.DataInizio.Compare(on) <= 0 && (m.DataFine.IsZero() || m.DataFine.Compare(on) >= 0)
	case contracts.CarattereOccasionale:
		return !m.DataErogazione.IsZero() && m.DataErogazione.Year() == on.Year() && m.DataErogazione.Compare(on) <= 0
	}
	return false
}

func fromModel(r welfaregov.Prestazione, m *contracts.PrestazioneSociale) Prestazione {
	presa := m.PresaInCarico
	return Prestazione{
		Ente:              &Ente{Codice: r.Ente.Codice, Denominazione: r.Ente.Denominazione},
		CodicePrestazione: m.CodicePrestazione, DenominazionePrestazione: m.DenominazionePrestazione,
		ProtocolloDomanda: m.ProtocolloDomanda, Carattere: m.Carattere, ProvaMezzi: m.ProvaMezzi, DSU: m.DSU,
		DataInizio: m.DataInizio, DataFine: m.DataFine, PeriodoErogazione: m.PeriodoErogazione, ImportoMensile: m.ImportoMensile,
		DataErogazione: m.DataErogazione, Importo: m.Importo,
		QuotaEnte: m.QuotaEnte, QuotaUtente: m.QuotaUtente, QuotaSSN: m.QuotaSSN,
		PresaInCarico: &presa, AreaUtenza: m.AreaUtenza,
	}
}

// backendRetryAfter is the Retry-After of a 503 when the backend gave none.
const backendRetryAfter = 5 * time.Second

// backendProblem maps a failed backend call to the caller's answer; the cause is logged only.
func backendProblem(err error) *problem.Error {
	var we *welfaregov.Error
	if errors.As(err, &we) && we.Kind == welfaregov.Unavailable {
		ra := we.RetryAfter
		if ra <= 0 {
			ra = backendRetryAfter
		}
		return problem.Wrap(problem.UpstreamUnavailable, err, "the WelfareGOV backend is not answering now; retry later").WithRetryAfter(ra)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return problem.Wrap(problem.UpstreamUnavailable, err, "the WelfareGOV backend did not answer in time; retry later").WithRetryAfter(backendRetryAfter)
	}
	return problem.Wrap(problem.UpstreamInvalidReply, err, "the WelfareGOV backend could not serve the search; the operator has been told (quote the requestId)")
}
