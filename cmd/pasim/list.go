package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
)

// listPopulation prints the special cases of a population, so a tester can find the deceased person,
// the omocodic codes, the discrepancies and one household per ISEE variant.
func listPopulation(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pasim population", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", population.DefaultSeed, "seed of the population")
	list := fs.Bool("list", false, "print the special cases")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*list {
		return fmt.Errorf("population: nothing to do (use --list)")
	}
	p := population.Build(*seed)
	w := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "seed %d: %d people, %d households, %d DSU, %d prestazioni\n\n", p.Seed, len(p.People), len(p.Households), len(p.DSUs), len(p.Prestazioni))
	tags := []string{population.TagLargeFamily, population.TagMinAttratta, population.TagMinAggiuntiva, population.TagMinNonCalcolabile,
		population.TagUniversitario, population.TagStudenteAttratto, population.TagUniNonCalcolabile, population.TagRistretto,
		population.TagResidenziale, population.TagResidenzialeAgg, population.TagCorrente, population.TagVariazione,
		population.TagDifformita, population.TagDeceased, population.TagAIRE, population.TagForeign, population.TagDualCitizenship,
		population.TagPartialBirthDate, population.TagOmocodia, population.TagUnioneCivile, population.TagConvivenza,
		population.TagDiscrepancy, population.TagNoDSU}
	fmt.Fprintln(w, "TAG\tFAMIGLIA\tCOMUNE\tDSU\tCODICE FISCALE\tCOGNOME NOME\tLEGAME\tNOTE")
	for _, tag := range tags {
		for _, h := range p.HouseholdsTagged(tag) {
			comune := "ESTERO"
			if h.Indirizzo.Comune != nil {
				comune = h.Indirizzo.Comune.Nome
			}
			dsu := "-"
			if h.DSU != nil {
				dsu = h.DSU.Protocollo
			}
			for _, m := range h.Members {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s %s\t%s\t%s\n", tag, h.ID, comune, dsu, m.CodiceFiscale, m.Cognome, m.Nome, m.CodiceLegame, notes(m))
			}
		}
	}
	fmt.Fprintln(w, "\nOMOCODIA (first: plain code)")
	for _, g := range p.Omocodes() {
		var codes []string
		for _, m := range g {
			codes = append(codes, m.CodiceFiscale)
		}
		fmt.Fprintf(w, "%s %s\t%s\n", g[0].Cognome, g[0].Nome, strings.Join(codes, " "))
	}
	fmt.Fprintln(w, "\nDISCREPANZE (DSU nucleo vs ANPR family)\nTIPO\tFAMIGLIA\tDSU\tCODICE FISCALE\tLEGAME ANPR\tRAPPORTO DSU")
	for _, d := range p.Discrepancies() {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Tipo, d.HouseholdID, d.ProtocolloDSU, d.CodiceFiscale, d.CodiceLegame, d.Rapporto)
	}
	return nil
}

func notes(m *population.Person) string {
	var n []string
	if m.Deceduto() {
		n = append(n, "deceduto "+m.DataDecesso.String())
	}
	if m.Minorenne() {
		n = append(n, "minore")
	}
	if m.Universitario {
		n = append(n, "universitario")
	}
	if m.Disabilita != nil {
		n = append(n, fmt.Sprintf("invalidità %d%%", m.Disabilita.Percentuale))
	}
	if m.SenzaGiorno {
		n = append(n, "senzaGiorno")
	}
	if m.SenzaGiornoMese {
		n = append(n, "senzaGiornoMese")
	}
	if m.StatoNascita != nil {
		n = append(n, "nato in "+m.StatoNascita.Nome)
	}
	if len(m.Cittadinanze) > 1 {
		n = append(n, "cittadinanze "+m.Cittadinanze[0].Nome+"+"+m.Cittadinanze[1].Nome)
	}
	return strings.Join(n, ", ")
}
