package population

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/contracts"
)

var (
	protocolloRE = regexp.MustCompile(`^INPS-ISEE-[0-9]{4}-[0-9]{8}[A-Z]-[0-9]{2}$`) // ISEE_TipiComuni.xsd TypeProtocollo
	idANPRRE     = regexp.MustCompile(`^[A-Z]{2}[0-9]{5}[A-Z]{2}$`)
)

func TestCodiceFiscaleKnownAnswers(t *testing.T) {
	cases := []struct {
		cognome, nome, sesso string
		nascita              Date
		belfiore, want       string
	}{
		// The textbook example (Mario Rossi, Roma, 1 January 1980).
		{"ROSSI", "MARIO", "M", D(1980, 1, 1), "H501", "RSSMRA80A01H501U"},
		// From the shared ANPR/INPS samples: a woman (day + 40) born in Trento.
		{"BIANCHI", "ANNA", "F", D(1982, 2, 1), "L378", "BNCNNA82B41L378Q"},
		// Name with four or more consonants takes the 1st, 3rd and 4th; short surname padded with X.
		{"FO", "GIANFRANCO", "M", D(1970, 12, 31), "F205", ""},
		// Accents and apostrophes are folded or dropped.
		{"D'AMICO", "NICOLÒ", "M", D(2001, 7, 9), "Z129", ""},
	}
	for _, c := range cases {
		got := CodiceFiscale(c.cognome, c.nome, c.sesso, c.nascita, c.belfiore)
		if err := contracts.ValidateCodiceFiscalePersona(got); err != nil {
			t.Errorf("%s %s: %s is not valid: %v", c.cognome, c.nome, got, err)
		}
		if c.want != "" && got != c.want {
			t.Errorf("%s %s: got %s, want %s", c.cognome, c.nome, got, c.want)
		}
	}
	if got := CodiceFiscale("FO", "GIANFRANCO", "M", D(1970, 12, 31), "F205")[:11]; got != "FOXGFR70T31" {
		t.Errorf("surname padding / four-consonant name rule: got %s, want FOXGFR70T31", got)
	}
	if got := CodiceFiscale("D'AMICO", "NICOLÒ", "M", D(2001, 7, 9), "Z129")[:6]; got != "DMCNCL" {
		t.Errorf("apostrophe and accent folding: got %s, want DMCNCL", got)
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	a, err1 := json.Marshal(dump(Build(DefaultSeed)))
	b, err2 := json.Marshal(dump(Build(DefaultSeed)))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if string(a) != string(b) {
		t.Fatal("two builds with the same seed differ")
	}
	c, _ := json.Marshal(dump(Build(DefaultSeed + 1)))
	if string(a) == string(c) {
		t.Fatal("a different seed gave the same population: the seed is not used")
	}
}

// dump is a serialisable view of everything a simulator can read (the Person/DSU graph has pointers
// that json skips, so codes stand in for them).
func dump(p *Population) any {
	type dsuView struct {
		D      *DSU
		Nucleo []string
	}
	var dsus []dsuView
	for _, d := range p.DSUs {
		v := dsuView{D: d}
		for _, c := range d.Nucleo {
			v.Nucleo = append(v.Nucleo, c.Persona.CodiceFiscale+"/"+c.Rapporto)
		}
		dsus = append(dsus, v)
	}
	var icef []*ICEF
	for _, h := range p.Households {
		icef = append(icef, h.ICEF...)
	}
	return map[string]any{"people": p.People, "households": p.Households, "dsu": dsus, "icef": icef,
		"prestazioni": p.Prestazioni, "discrepancies": p.Discrepancies()}
}

func TestEveryCodeIsValidAndUnique(t *testing.T) {
	for _, seed := range []uint64{DefaultSeed, 1, 42} {
		p := Build(seed)
		if len(p.People) < 200 {
			t.Fatalf("seed %d: %d people, want at least 200", seed, len(p.People))
		}
		cfs, ids := map[string]bool{}, map[string]bool{}
		for _, person := range p.People {
			if err := contracts.ValidateCodiceFiscalePersona(person.CodiceFiscale); err != nil {
				t.Errorf("seed %d: %s %s: %v", seed, person.Cognome, person.Nome, err)
			}
			plain := CodiceFiscale(person.Cognome, person.Nome, person.Sesso, person.DataNascita, person.Belfiore())
			if want, _ := contracts.Omocode(plain, person.OmocodiaLevel); want != person.CodiceFiscale {
				t.Errorf("seed %d: %s is not the level-%d code of the person's data (%s)", seed, person.CodiceFiscale, person.OmocodiaLevel, want)
			}
			if cfs[person.CodiceFiscale] || ids[person.IDANPR] {
				t.Errorf("seed %d: duplicate code %s or idANPR %s", seed, person.CodiceFiscale, person.IDANPR)
			}
			cfs[person.CodiceFiscale], ids[person.IDANPR] = true, true
			if !idANPRRE.MatchString(person.IDANPR) {
				t.Errorf("idANPR %q does not look like ANPR's AB12345CD", person.IDANPR)
			}
			if p.ByCodiceFiscale(person.CodiceFiscale) != person || p.ByIDANPR(person.IDANPR) != person {
				t.Errorf("lookup of %s does not return the person", person.CodiceFiscale)
			}
		}
	}
}

func TestOmocodicGroupsCollideWithoutOmocodia(t *testing.T) {
	p := Build(DefaultSeed)
	groups := p.Omocodes()
	if len(groups) < 2 {
		t.Fatalf("%d omocodic groups, want at least 2", len(groups))
	}
	for _, g := range groups {
		first := g[0]
		if first.OmocodiaLevel != 0 || contracts.IsOmocode(first.CodiceFiscale) {
			t.Errorf("the first of a group must have the plain code, got %s", first.CodiceFiscale)
		}
		for i, other := range g[1:] {
			if contracts.DecodeOmocodia(other.CodiceFiscale)[:15] != first.CodiceFiscale[:15] {
				t.Errorf("%s does not decode to %s", other.CodiceFiscale, first.CodiceFiscale)
			}
			if other.OmocodiaLevel != i+1 || !contracts.IsOmocode(other.CodiceFiscale) {
				t.Errorf("%s: level %d, want %d", other.CodiceFiscale, other.OmocodiaLevel, i+1)
			}
		}
	}
}

func TestEveryISEEIsConsistent(t *testing.T) {
	p := Build(DefaultSeed)
	n := 0
	for _, d := range p.DSUs {
		if !protocolloRE.MatchString(d.Protocollo) {
			t.Errorf("protocol %q does not match the XSD pattern", d.Protocollo)
		}
		if len(d.ProtocolloMittente) > 29 {
			t.Errorf("ProtocolloMittente %q longer than 29", d.ProtocolloMittente)
		}
		for _, i := range d.Indicatori() {
			n++
			if err := i.Calcolo.Check(); err != nil {
				t.Errorf("%s: %v", d.Protocollo, err)
			}
			c := i.Calcolo
			// Independent of Check: ISEE = ISE / scala within 0.01, ISE = ISR + 0.2 ISP.
			if diff := c.ISE.Div(c.ScalaEquivalenza).Sub(c.ISEE).Abs(); diff.GreaterThan(isePrecision) {
				t.Errorf("%s: ISEE %s vs ISE/scala %s", d.Protocollo, c.ISEE, c.ISE.Div(c.ScalaEquivalenza))
			}
			if c.ISE.Sub(c.ISR.Add(c.ISP.Mul(dec02))).Sign() != 0 {
				t.Errorf("%s: ISE %s != ISR %s + 0.2·ISP %s", d.Protocollo, c.ISE, c.ISR, c.ISP)
			}
		}
	}
	if n < 70 {
		t.Errorf("only %d indicators checked", n)
	}
}

func TestCalcoloCheckRejectsInconsistentValues(t *testing.T) {
	d := Build(DefaultSeed).DSUs[0]
	c := d.Ordinario.Calcolo
	c.ISE = c.ISE.Add(isePrecision)
	if err := c.Check(); !errors.Is(err, ErrInconsistent) {
		t.Errorf("ISE off by 0.01: Check() = %v, want ErrInconsistent", err)
	}
	c = d.Ordinario.Calcolo
	c.ISEE = c.ISEE.Add(dec02)
	if err := c.Check(); !errors.Is(err, ErrInconsistent) {
		t.Errorf("ISEE off by 0.2: Check() = %v, want ErrInconsistent", err)
	}
}

func TestScalaEquivalenza(t *testing.T) {
	for n, want := range map[int]string{1: "1", 2: "1.57", 3: "2.04", 4: "2.46", 5: "2.85", 6: "3.2", 7: "3.55"} {
		if got := ParametroScala(n); got.String() != want {
			t.Errorf("ParametroScala(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestRequiredCategoriesExist(t *testing.T) {
	p := Build(DefaultSeed)
	count := map[string]int{}
	sizes := map[int]bool{}
	for _, h := range p.Households {
		sizes[len(h.Members)] = true
		if h.DSU == nil {
			count["households without DSU"]++
		}
		if h.AIRE {
			count["AIRE households"]++
			if h.Indirizzo.Estero == nil || h.Indirizzo.Estero.Consolato.Descrizione == "" {
				t.Errorf("AIRE household %s has no foreign address or consulate", h.ID)
			}
		}
		if h.Trentino() && len(h.ICEF) > 0 {
			count["Trentino households with ICEF"]++
		}
	}
	stati := map[string]bool{}
	for _, x := range p.People {
		switch {
		case x.Minorenne():
			count["minors"]++
		case x.Universitario:
			count["university students"]++
		}
		if x.Disabilita != nil {
			count["disabled"]++
		}
		if x.Deceduto() {
			count["deceased"]++
		}
		if x.StatoNascita != nil {
			count["born abroad"]++
			if x.Belfiore()[0] != 'Z' {
				t.Errorf("%s born abroad has Belfiore %s", x.CodiceFiscale, x.Belfiore())
			}
		}
		if len(x.Cittadinanze) > 1 {
			count["dual citizenship"]++
		}
		if x.Cittadinanze[0] != Italia {
			count["foreign citizens"]++
		}
		if x.SenzaGiorno {
			count["senzaGiorno"]++
		}
		if x.SenzaGiornoMese {
			count["senzaGiornoMese"]++
		}
		stati[x.StatoCivile] = true
	}
	variants := map[Variante]int{}
	for _, d := range p.DSUs {
		for _, list := range [][]IndicatoreBeneficiario{d.Minorenni, d.Universitari, d.SocioSanitari} {
			for _, e := range list {
				variants[e.Variante]++
			}
		}
		for _, r := range d.Ridotti {
			variants[VarRistretto]++
			if r.SocioSanRes != nil {
				variants[r.SocioSanRes.Variante]++
			}
		}
		if d.Corrente {
			count["ISEE corrente"]++
		}
		if d.Variazione != nil {
			count["Variazione"]++
		}
		if len(d.Difformita) > 0 {
			count["OmissioneDifformita"]++
		}
	}
	for _, v := range []Variante{VarOrd, VarNonCalcolabile, VarMinAttr, VarMinAgg, VarUniStudAttratto, VarSocioSanRes, VarOrdAgg, VarRistretto, VarSocioSanResRistretto} {
		if variants[v] == 0 {
			t.Errorf("no indicator of variant %s", v)
		}
	}
	for _, k := range []string{"households without DSU", "AIRE households", "Trentino households with ICEF", "minors",
		"university students", "disabled", "deceased", "born abroad", "dual citizenship", "foreign citizens",
		"senzaGiorno", "senzaGiornoMese", "ISEE corrente", "Variazione", "OmissioneDifformita"} {
		if count[k] == 0 {
			t.Errorf("no %s", k)
		}
	}
	for n := 1; n <= 7; n++ {
		if !sizes[n] {
			t.Errorf("no household of %d members", n)
		}
	}
	for _, s := range []string{StatoCivileCelibe, StatoCivileConiugato, StatoCivileVedovo, StatoCivileDivorziato, StatoCivileUnitoCivile} {
		if !stati[s] {
			t.Errorf("no one with stato civile %s", s)
		}
	}
	t.Logf("counts: %v", count)
}

func TestDiscrepanciesAreExactlyTheListedOnes(t *testing.T) {
	p := Build(DefaultSeed)
	listed := p.Discrepancies()
	kinds := map[string]bool{}
	for _, d := range listed {
		kinds[d.Tipo] = true
	}
	if len(kinds) != 3 {
		t.Fatalf("listed kinds %v, want all three", kinds)
	}
	var found []Discrepancy
	for _, d := range p.DSUs {
		found = append(found, CompareNucleo(d, p.Household(d.HouseholdID))...)
	}
	key := func(d Discrepancy) string { return d.Tipo + d.ProtocolloDSU + d.CodiceFiscale }
	slices.SortFunc(found, func(a, b Discrepancy) int { return compare(key(a), key(b)) })
	slices.SortFunc(listed, func(a, b Discrepancy) int { return compare(key(a), key(b)) })
	if !reflect.DeepEqual(found, listed) {
		t.Fatalf("comparing every DSU with its ANPR family found\n%+v\nbut the population lists\n%+v", found, listed)
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestLookups(t *testing.T) {
	p := Build(DefaultSeed)
	for _, d := range p.DSUs {
		if p.DSUByProtocollo(d.Protocollo) != d {
			t.Fatalf("DSUByProtocollo(%s)", d.Protocollo)
		}
		if !slices.Contains(p.DSUsFor(d.Dichiarante.CodiceFiscale), d) {
			t.Fatalf("DSUsFor(declarant of %s) misses it", d.Protocollo)
		}
	}
	for _, h := range p.HouseholdsTagged(TagNoDSU) {
		for _, m := range h.Members {
			if len(p.DSUsFor(m.CodiceFiscale)) != 0 {
				t.Errorf("%s in a household without DSU has one", m.CodiceFiscale)
			}
		}
	}
	for _, h := range p.Households {
		for _, i := range h.ICEF {
			if got := p.ICEF(h.Members[0].CodiceFiscale, i.Politica, i.Anno); got != i {
				t.Errorf("ICEF lookup for %s/%s", h.ID, i.Politica)
			}
			if i.Valore.IsNegative() || i.Valore.GreaterThan(one) || i.Valore.Exponent() < -4 {
				t.Errorf("ICEF value %s out of 0..1 or more than 4 decimals", i.Valore)
			}
		}
	}
}

func TestPrestazioniFollowSIUSSRules(t *testing.T) {
	p := Build(DefaultSeed)
	seen := map[string]int{}
	for _, pr := range p.Prestazioni {
		if err := ValidatePrestazione(pr); err != nil {
			t.Errorf("%s: %v", pr.ID, err)
		}
		seen["carattere"+pr.CaratterePrestazione]++
		seen["operazione"+pr.TipoOperazione]++
		seen["provaMezzi"+pr.PresenzaProvaMezzi]++
		seen["area"+pr.AreaUtenza]++
		if pr.SINA != nil {
			seen["sina"]++
		}
		if pr.Beneficiario.CodiceNazione != "380" {
			seen["abroad"]++
		}
		if pr.PresenzaProvaMezzi == "1" && p.DSUByProtocollo(pr.NumeroProtocolloDSU) == nil {
			t.Errorf("%s refers to unknown DSU %s", pr.ID, pr.NumeroProtocolloDSU)
		}
	}
	for _, k := range []string{"carattere1", "carattere2", "operazioneI", "operazioneC", "provaMezzi1", "provaMezzi4", "area1", "area2", "area3", "sina"} {
		if seen[k] == 0 {
			t.Errorf("no prestazione with %s", k)
		}
	}
	// Validate must catch a broken quota sum and a cross-year periodic benefit.
	bad := p.Prestazioni[0].Clone()
	bad.ImportoQuotaEnte = contracts.DecimalPtr("0.01")
	if err := ValidatePrestazione(bad); !errors.Is(err, ErrPrestazioneInvalida) {
		t.Errorf("quotas not adding up: Validate() = %v", err)
	}
}

// TestMinorsInCareCarrySINBA: the records of minors in care in the area famiglia e minori carry a
// SINBA block and no other record does; the pseudonym is the same in every record about a child
// (cancellations included), differs between children and is never the codice fiscale.
func TestMinorsInCareCarrySINBA(t *testing.T) {
	p := Build(DefaultSeed)
	pseudonym, child := map[string]string{}, map[string]string{}
	inserts := 0
	for _, pr := range p.Prestazioni {
		person := p.ByCodiceFiscale(pr.Beneficiario.CodiceFiscale)
		inCare := person.Minorenne() && pr.PresaCarico == "1" && pr.AreaUtenza == "1"
		if (pr.SINBA != nil) != inCare {
			t.Fatalf("%s: SINBA block %v, minor in care %v", pr.ID, pr.SINBA != nil, inCare)
		}
		if pr.SINBA == nil {
			continue
		}
		id, cf := pr.SINBA.IDBeneficiario, pr.Beneficiario.CodiceFiscale
		if strings.Contains(id, cf) || contracts.ValidateCodiceFiscale(id) == nil {
			t.Fatalf("%s: the pseudonym %q is a codice fiscale", pr.ID, id)
		}
		if prev, ok := pseudonym[cf]; ok && prev != id {
			t.Fatalf("%s: the child's pseudonym changed from %s to %s", pr.ID, prev, id)
		}
		if other, ok := child[id]; ok && other != cf {
			t.Fatalf("%s: pseudonym %s given to two children", pr.ID, id)
		}
		pseudonym[cf], child[id] = id, cf
		if pr.TipoOperazione == "I" {
			inserts++
		}
	}
	if inserts < 3 {
		t.Fatalf("%d records of minors in care with SINBA: want a few", inserts)
	}
	bad := p.Prestazioni[0].Clone()
	for _, pr := range p.Prestazioni {
		if pr.SINBA != nil {
			bad = pr.Clone()
			break
		}
	}
	bad.SINBA.DataPrimaSegnalazione, bad.SINBA.ComposizioneFamiglia = "2025-13", nil
	err := ValidatePrestazione(bad)
	if !errors.Is(err, ErrPrestazioneInvalida) || !strings.Contains(err.Error(), "sinba.dataPrimaSegnalazione") || !strings.Contains(err.Error(), "sinba.composizioneFamiglia") {
		t.Fatalf("a broken SINBA block: ValidatePrestazione() = %v", err)
	}
}

// TestREADMECountsThePopulation: the counts cmd/pasim/README.md gives for the default seed are the
// population's (they drifted once: a newcomer reads them to pick test subjects).
func TestREADMECountsThePopulation(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	p := Build(DefaultSeed)
	count := func(f func(*Person) bool) (n int) {
		for _, x := range p.People {
			if f(x) {
				n++
			}
		}
		return n
	}
	var aire, noDSU, sinba, sinbaC int
	for _, h := range p.Households {
		if h.AIRE {
			aire++
		}
		if h.DSU == nil {
			noDSU++
		}
	}
	for _, pr := range p.Prestazioni {
		if pr.SINBA != nil {
			sinba++
			if pr.TipoOperazione == "C" {
				sinbaC++
			}
		}
	}
	want := fmt.Sprintf("%d people in %d households (1 to 7 members), %d DSU, %d prestazioni (%d about minors in care with a SINBA block, %d of them cancellations), %d minors, %d university students, %d disabled, %d deceased, %d AIRE families, %d born abroad, %d dual citizens, %d `senzaGiorno` and %d `senzaGiornoMese`, %d households without DSU",
		len(p.People), len(p.Households), len(p.DSUs), len(p.Prestazioni), sinba, sinbaC,
		count(func(x *Person) bool { return x.Minorenne() }), count(func(x *Person) bool { return x.Universitario }),
		count(func(x *Person) bool { return x.Disabilita != nil }), len(p.Deceased()), aire,
		count(func(x *Person) bool { return x.StatoNascita != nil }), count(func(x *Person) bool { return len(x.Cittadinanze) > 1 }),
		count(func(x *Person) bool { return x.SenzaGiorno && !x.SenzaGiornoMese }), count(func(x *Person) bool { return x.SenzaGiornoMese }), noDSU)
	if !strings.Contains(text, want) {
		t.Fatalf("cmd/pasim/README.md does not say:\n%s", want)
	}
}
