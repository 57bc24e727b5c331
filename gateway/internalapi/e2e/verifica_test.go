package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/inps"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/lookup"
)

// declaration is what a citizen declares when the DSU's household is what they declare: its members
// with their RapportoConDichiarante, and the ordinario's value and protocol.
func declaration(d *population.DSU) map[string]any {
	var members []map[string]string
	for _, c := range d.Nucleo {
		members = append(members, map[string]string{"codiceFiscale": c.Persona.CodiceFiscale, "rapportoConDichiarante": c.Rapporto})
	}
	return map[string]any{
		"codiceFiscaleDichiarante": d.Dichiarante.CodiceFiscale,
		"dataRiferimento":          rif,
		"componenti":               members,
		"isee":                     map[string]any{"valore": contracts.NewDecimal(d.Ordinario.Calcolo.ISEE).String(), "protocolloDSU": d.Protocollo},
	}
}

// anprFindings are the ANPR discrepancies of a verifica, in the population's vocabulary.
func anprFindings(v lookup.Verifica, d *population.DSU) []population.Discrepancy {
	var out []population.Discrepancy
	for _, m := range v.Componenti {
		var tipo string
		switch m.ANPR.Esito {
		case lookup.DichiaratoNonPresente:
			tipo = population.DiscrepanzaNonRegistrato
		case lookup.PresenteNonDichiarato:
			tipo = population.DiscrepanzaNonDichiarato
		case lookup.RapportoIncoerente:
			tipo = population.DiscrepanzaRapporto
		default:
			continue
		}
		out = append(out, population.Discrepancy{Tipo: tipo, HouseholdID: d.HouseholdID, ProtocolloDSU: d.Protocollo,
			CodiceFiscale: m.CodiceFiscale, CodiceLegame: m.ANPR.CodiceLegameANPR, Rapporto: m.RapportoDichiarato})
	}
	return out
}

func key(d population.Discrepancy) string {
	return d.Tipo + "|" + d.ProtocolloDSU + "|" + d.CodiceFiscale + "|" + d.CodiceLegame + "|" + d.Rapporto
}

// Every DSU of the population declared as filed, checked through the gateway: the ANPR
// discrepancies found are exactly the population's deliberate ones (declared but not registered,
// registered but not declared, cohabitant declared as spouse), with the same people and codes, and
// nothing else; INPS agrees with every declaration, value and protocol included.
func TestVerificaFindsExactlyTheDeliberateDiscrepancies(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "")
	var found []population.Discrepancy
	checked := 0
	for _, d := range w.pop.DSUs {
		if d.Dichiarante.Deceduto() {
			continue
		}
		a := g.do("POST", "/api/v1/verifiche", declaration(d), nil)
		if a.status != 200 {
			t.Fatalf("%s: %d %s", d.Protocollo, a.status, a.body)
		}
		var v lookup.Verifica
		a.decode(t, &v)
		checked++
		if v.Parziale || v.Fonti[0].Stato != lookup.FonteConsultata || v.Fonti[1].Stato != lookup.FonteConsultata {
			t.Fatalf("%s: sources %+v", d.Protocollo, v.Fonti)
		}
		if v.ISEE == nil || v.ISEE.Esito != lookup.ISEEConforme {
			t.Fatalf("%s: ISEE %+v", d.Protocollo, v.ISEE)
		}
		for _, m := range v.Componenti {
			if m.INPS.Esito != lookup.Conforme {
				t.Fatalf("%s: %s against INPS: %+v (the declaration is the DSU's own household)", d.Protocollo, contracts.MaskCodiceFiscale(m.CodiceFiscale), m.INPS)
			}
		}
		mine := anprFindings(v, d)
		wantEsito := lookup.VerificaConforme
		if len(mine) > 0 {
			wantEsito = lookup.VerificaDifforme
		}
		if v.Esito != wantEsito {
			t.Fatalf("%s: esito %s with %d discrepancies", d.Protocollo, v.Esito, len(mine))
		}
		found = append(found, mine...)
	}
	want := w.pop.Discrepancies()
	if len(want) != 3 || checked < 40 {
		t.Fatalf("population: %d deliberate discrepancies, %d DSUs checked", len(want), checked)
	}
	sortBy := func(ds []population.Discrepancy) []string {
		var keys []string
		for _, d := range ds {
			keys = append(keys, key(d))
		}
		slices.Sort(keys)
		return keys
	}
	if got, exp := sortBy(found), sortBy(want); !slices.Equal(got, exp) {
		t.Fatalf("discrepancies found:\n%s\nthe population's:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
}

// A declaration that differs from INPS: another value, another protocol, a member left out.
func TestVerificaAgainstINPS(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "")
	d := w.pop.HouseholdOf(withDSUAndICEF(t, w.pop)).DSU
	decl := declaration(d)
	members := decl["componenti"].([]map[string]string)
	left := members[len(members)-1]
	decl["componenti"] = members[:len(members)-1]
	decl["isee"] = map[string]any{"valore": "1.00", "protocolloDSU": "INPS-ISEE-2025-00000001A-00"}
	var v lookup.Verifica
	a := g.do("POST", "/api/v1/verifiche", decl, nil)
	a.decode(t, &v)
	if a.status != 200 || v.Esito != lookup.VerificaDifforme || v.ISEE.Esito != lookup.ISEEDifforme ||
		!strings.Contains(v.ISEE.Motivo, "INPS-ISEE-2025-00000001A-00") || v.ISEE.ValoreAttestato == nil {
		t.Fatalf("%d %s", a.status, a.body)
	}
	for _, m := range v.Componenti {
		if m.CodiceFiscale == left["codiceFiscale"] {
			if m.INPS.Esito != lookup.PresenteNonDichiarato || m.ANPR.Esito != lookup.PresenteNonDichiarato || m.Cognome == "" {
				t.Fatalf("the member left out: %+v", m)
			}
			return
		}
	}
	t.Fatal("the member left out has no item")
}

// When INPS is down, the ANPR half still answers: 200, parziale, INPS NON_DISPONIBILE with its
// problem, its items NON_VERIFICABILE, the ANPR discrepancies still found. When ANPR is down too,
// the answer is the error.
func TestVerificaPartialWhenASourceIsDown(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "", "WGW_UPSTREAMS__INPS__RETRY__MAX_ATTEMPTS=1", "WGW_UPSTREAMS__ANPR__RETRY__MAX_ATTEMPTS=1")
	d := w.pop.Household(w.pop.Discrepancies()[0].HouseholdID).DSU
	if err := w.sim.Faults.Set(inps.EndpointAttestazione, fault.Spec{ErrorRate: 1, ErrorStatus: 503, RetryAfter: fault.Duration(7 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	a := g.do("POST", "/api/v1/verifiche", declaration(d), nil)
	var v lookup.Verifica
	a.decode(t, &v)
	if a.status != 200 || !v.Parziale || v.Esito != lookup.VerificaDifforme || v.Fonti[1].Stato != lookup.FonteNonDisponibile ||
		v.Fonti[1].Problema == nil || v.Fonti[1].Problema.Status != 503 || v.ISEE.Esito != lookup.ISEENonVerificabile {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if got := anprFindings(v, d); len(got) != 1 {
		t.Fatalf("the ANPR discrepancy must still be found: %+v", got)
	}
	for _, m := range v.Componenti {
		if m.INPS.Esito != lookup.NonVerificabile {
			t.Fatalf("INPS down: %+v", m)
		}
	}
	// The same declaration of a household without discrepancies is INCOMPLETA, not CONFORME.
	other := w.pop.HouseholdOf(withDSUAndICEF(t, w.pop)).DSU
	a = g.do("POST", "/api/v1/verifiche", declaration(other), nil)
	a.decode(t, &v)
	if v.Esito != lookup.VerificaIncompleta || !v.Parziale {
		t.Fatalf("%s", a.body)
	}
	for _, c := range []string{"anpr.c030", "anpr.c021"} {
		if err := w.sim.Faults.Set(c, fault.Spec{ErrorRate: 1, ErrorStatus: 503}); err != nil {
			t.Fatal(err)
		}
	}
	third := w.pop.Household(w.pop.Discrepancies()[1].HouseholdID).DSU
	a = g.do("POST", "/api/v1/verifiche", declaration(third), nil)
	if a.status != 503 {
		t.Fatalf("both sources down: %d %s", a.status, a.body)
	}
}
