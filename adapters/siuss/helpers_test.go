package siuss_test

import (
	"os"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

// testEnte is the ente of the generated flows (Comune di Trento; its real 11-digit codice fiscale).
var testEnte = siuss.Ente{Codice: "L378", Denominazione: "COMUNE DI TRENTO", Indirizzo: "L378", CFOperatore: "00355870221"}

// populationFlow is one prestazione of the pasim population, translated and built.
type populationFlow struct {
	id    string
	model contracts.PrestazioneSociale
	xml   []byte
}

// populationModels translates every prestazione of the deterministic population into the model.
func populationModels(t testing.TB) []contracts.PrestazioneSociale {
	t.Helper()
	pop := population.Build(population.DefaultSeed)
	out := make([]contracts.PrestazioneSociale, 0, len(pop.Prestazioni))
	for _, p := range pop.Prestazioni {
		m, err := welfaregov.Prestazione(*p).ToModel()
		if err != nil {
			t.Fatalf("prestazione %s: %v", p.ID, err)
		}
		out = append(out, m)
	}
	return out
}

// populationFlows builds one PS flow per prestazione of the population.
func populationFlows(t testing.TB) []populationFlow {
	t.Helper()
	day := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	var out []populationFlow
	for i, m := range populationModels(t) {
		id, err := siuss.IDFlusso(testEnte.Codice, siuss.TipoPS, day, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		x, err := siuss.BuildPS(id, testEnte, m)
		if err != nil {
			t.Fatalf("building flow %d: %v", i, err)
		}
		out = append(out, populationFlow{id, m, x})
	}
	return out
}

// sinbaFlow is one SINBA record of the pasim population (a minor in care), translated and built.
type sinbaFlow struct {
	id    string
	model contracts.SchedaSINBA
	cf    string // the child's codice fiscale, which the flow must not carry
	xml   []byte
}

// populationSINBAFlows builds one SINBA flow per insertion record of the population that carries a
// SINBA block (cancellations have no SINBA counterpart).
func populationSINBAFlows(t testing.TB) []sinbaFlow {
	t.Helper()
	day := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	var out []sinbaFlow
	for _, p := range population.Build(population.DefaultSeed).Prestazioni {
		if p.SINBA == nil || p.TipoOperazione == "C" {
			continue
		}
		s, err := welfaregov.Prestazione(*p).ToSINBA()
		if err != nil {
			t.Fatalf("prestazione %s: %v", p.ID, err)
		}
		id, err := siuss.IDFlusso(testEnte.Codice, siuss.TipoSINBA, day, int64(len(out)+1))
		if err != nil {
			t.Fatal(err)
		}
		x, err := siuss.BuildSINBA(id, testEnte, *s)
		if err != nil {
			t.Fatalf("building the SINBA flow of %s: %v", p.ID, err)
		}
		out = append(out, sinbaFlow{id, *s, p.Beneficiario.CodiceFiscale, x})
	}
	return out
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
