package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
)

func TestPopulationList(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"population", "--list"}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	p := population.Build(population.DefaultSeed)
	for _, want := range []string{p.Deceased()[0].CodiceFiscale, p.Omocodes()[0][1].CodiceFiscale, p.Discrepancies()[0].CodiceFiscale, population.DiscrepanzaRapporto} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--list output lacks %s", want)
		}
	}
}

func TestBadArguments(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{{"bogus"}, {"population"}, {"serve", "--fault", "x=error=2"}, {"serve", "--listen-admin", "256.1.1.1:1"}, {"serve", "--pdnd-seed", "/nonexistent/seed.yaml"}} {
		if err := run(args, &out, &errb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
