// Package population builds the deterministic synthetic population every pasim simulator serves:
// people with valid codici fiscali, ANPR families, ISEE declarations with every attestation variant,
// ICEF indicators for Trentino households and the benefits WelfareGOV granted them.
//
// Build(seed) always returns the same people for the same seed (DefaultSeed is what `make run`, the
// end-to-end tests and the benchmarks use). The special cases a test needs are built on purpose, not
// left to chance, so they exist for every seed: find them with Households(tag) and the Tag* constants,
// Omocodes(), Deceased(), and Discrepancies() (the deliberate differences between the declared ISEE
// household and the ANPR family). `pasim population --list` prints them.
//
// A Population is immutable after Build and safe for concurrent readers. Simulators must not modify
// the people they get; clone what they need to change (Prestazione.Clone).
package population

import (
	"slices"
	"time"
)

// DefaultSeed is the seed of the demo, the end-to-end tests and the benchmarks.
const DefaultSeed uint64 = 19761223 // the date of the DM that defined the codice fiscale

// ReferenceDate is "today" for the population: ages, minors and the validity of declarations are
// computed on it, never on the wall clock, so that the data do not change from day to day.
var ReferenceDate = D(2025, time.June, 1)

// Population is the built data set with its lookup indexes.
type Population struct {
	Seed          uint64
	People        []*Person
	Households    []*Household
	DSUs          []*DSU
	Prestazioni   []*Prestazione
	discrepancies []Discrepancy

	byCF     map[string]*Person
	byIDANPR map[string]*Person
	byFamily map[string]*Household
	byProt   map[string]*DSU
	dsusByCF map[string][]*DSU
	omocodes [][]*Person
}

// ByCodiceFiscale returns the person with that code (omocodic variants are distinct codes), or nil.
func (p *Population) ByCodiceFiscale(cf string) *Person { return p.byCF[cf] }

// ByIDANPR returns the person with that ANPR id, or nil.
func (p *Population) ByIDANPR(id string) *Person { return p.byIDANPR[id] }

// Household returns the ANPR family with that id, or nil.
func (p *Population) Household(id string) *Household { return p.byFamily[id] }

// HouseholdOf returns the ANPR family of a person.
func (p *Population) HouseholdOf(person *Person) *Household { return p.byFamily[person.HouseholdID] }

// DSUByProtocollo returns the declaration with that protocol, or nil.
func (p *Population) DSUByProtocollo(prot string) *DSU { return p.byProt[prot] }

// DSUsFor returns the declarations in which the person appears in the declared nucleo or as the
// beneficiary of a nucleo ristretto, most recent first. Empty means INPS has no ISEE for them.
func (p *Population) DSUsFor(cf string) []*DSU { return p.dsusByCF[cf] }

// ICEF returns the ICEF indicator for the household of the person with that codice fiscale, for a
// policy and year, or nil.
func (p *Population) ICEF(cf, politica string, anno int) *ICEF {
	person := p.byCF[cf]
	if person == nil || person.Deceduto() {
		return nil
	}
	h := p.HouseholdOf(person)
	for _, i := range h.ICEF {
		if i.Politica == politica && i.Anno == anno {
			return i
		}
	}
	return nil
}

// HouseholdsTagged returns the households built for a special case (a Tag* constant), in build order.
func (p *Population) HouseholdsTagged(tag string) []*Household {
	var out []*Household
	for _, h := range p.Households {
		if h.HasTag(tag) {
			out = append(out, h)
		}
	}
	return out
}

// Omocodes returns the groups of people whose codes collided: in each group the first has the plain
// code and the others the omocodic variants (OmocodiaLevel 1, 2 ...).
func (p *Population) Omocodes() [][]*Person { return p.omocodes }

// Deceased returns the people with a date of death.
func (p *Population) Deceased() []*Person {
	var out []*Person
	for _, person := range p.People {
		if person.Deceduto() {
			out = append(out, person)
		}
	}
	return out
}

// Discrepancies returns the deliberate differences between declared ISEE households and ANPR families.
func (p *Population) Discrepancies() []Discrepancy { return slices.Clone(p.discrepancies) }

// PrestazioniOf returns the benefits granted to a person, in build order.
func (p *Population) PrestazioniOf(cf string) []*Prestazione {
	var out []*Prestazione
	for _, pr := range p.Prestazioni {
		if pr.Beneficiario.CodiceFiscale == cf {
			out = append(out, pr)
		}
	}
	return out
}

// Special-case tags on households.
const (
	TagMinAttratta       = "isee-min-componente-attratta"
	TagMinAggiuntiva     = "isee-min-componente-aggiuntiva"
	TagMinNonCalcolabile = "isee-min-non-calcolabile"
	TagUniversitario     = "isee-universitario"
	TagStudenteAttratto  = "isee-uni-studente-attratto"
	TagUniNonCalcolabile = "isee-uni-non-calcolabile"
	TagRistretto         = "isee-socio-sanitario-ristretto"
	TagResidenziale      = "isee-socio-sanitario-residenziale"
	TagResidenzialeAgg   = "isee-socio-sanitario-ord-aggiuntiva"
	TagCorrente          = "isee-corrente"
	TagVariazione        = "isee-variazione"
	TagDifformita        = "isee-omissione-difformita"
	TagNoDSU             = "senza-dsu"
	TagDeceased          = "deceduto"
	TagAIRE              = "aire"
	TagForeign           = "nati-estero"
	TagDualCitizenship   = "doppia-cittadinanza"
	TagPartialBirthDate  = "data-nascita-parziale"
	TagOmocodia          = "omocodia"
	TagDiscrepancy       = "discrepanza-nucleo"
	TagLargeFamily       = "famiglia-numerosa"
	TagUnioneCivile      = "unione-civile"
	TagConvivenza        = "convivenza"
)

// Discrepancy is a difference between a declared ISEE household (DSU nucleo) and the ANPR family of the
// declarant, introduced on purpose for the tests of the self-declaration check.
type Discrepancy struct {
	Tipo          string `json:"tipo"`
	HouseholdID   string `json:"idFamiglia"`
	ProtocolloDSU string `json:"protocolloDSU"`
	CodiceFiscale string `json:"codiceFiscale"`
	// CodiceLegame is the person's ANPR relationship in the declarant's family ("" when not registered).
	CodiceLegame string `json:"codiceLegame,omitempty"`
	// Rapporto is the declared RapportoConDichiarante ("" when not declared).
	Rapporto string `json:"rapporto,omitempty"`
}

// Discrepancy kinds.
const (
	DiscrepanzaNonRegistrato = "DICHIARATO_NON_REGISTRATO" // declared, not in the ANPR family
	DiscrepanzaNonDichiarato = "REGISTRATO_NON_DICHIARATO" // in the ANPR family, not declared
	DiscrepanzaRapporto      = "RAPPORTO_INCOERENTE"       // both, but the relationships disagree
)

// ExpectedRapporto is the RapportoConDichiarante a member of the declarant's ANPR family should have
// when the declarant is the intestatario: coniuge or unito civilmente → C; figlio → F if minor, FC if
// adult; anyone else living there (convivente, genitore, fratello ...) → P.
func ExpectedRapporto(codiceLegame string, minorenne bool) string {
	switch codiceLegame {
	case LegameIntestatario:
		return RapportoDichiarante
	case LegameConiuge, LegameUnitoCivile:
		return RapportoConiuge
	case LegameFiglio:
		if minorenne {
			return RapportoFiglioMinorenne
		}
		return RapportoFiglioConvivente
	}
	return RapportoAltraPersona
}

// CompareNucleo lists the differences between a DSU's declared nucleo and the ANPR family it was filed
// for, using ExpectedRapporto. Deceased people in the family are ignored.
func CompareNucleo(d *DSU, h *Household) []Discrepancy {
	var out []Discrepancy
	for _, m := range h.Members {
		if m.Deceduto() {
			continue
		}
		want := ExpectedRapporto(m.CodiceLegame, m.Minorenne())
		got, declared := d.Declares(m)
		switch {
		case !declared:
			out = append(out, Discrepancy{DiscrepanzaNonDichiarato, h.ID, d.Protocollo, m.CodiceFiscale, m.CodiceLegame, ""})
		case got != want:
			out = append(out, Discrepancy{DiscrepanzaRapporto, h.ID, d.Protocollo, m.CodiceFiscale, m.CodiceLegame, got})
		}
	}
	for _, c := range d.Nucleo {
		if c.Persona.HouseholdID != h.ID {
			out = append(out, Discrepancy{DiscrepanzaNonRegistrato, h.ID, d.Protocollo, c.Persona.CodiceFiscale, "", c.Rapporto})
		}
	}
	return out
}

func (p *Population) index() {
	p.byCF = map[string]*Person{}
	p.byIDANPR = map[string]*Person{}
	p.byFamily = map[string]*Household{}
	p.byProt = map[string]*DSU{}
	p.dsusByCF = map[string][]*DSU{}
	for _, person := range p.People {
		p.byCF[person.CodiceFiscale] = person
		p.byIDANPR[person.IDANPR] = person
	}
	for _, h := range p.Households {
		p.byFamily[h.ID] = h
	}
	for _, d := range p.DSUs {
		p.byProt[d.Protocollo] = d
		seen := map[*Person]bool{}
		add := func(person *Person) {
			if !seen[person] {
				seen[person] = true
				p.dsusByCF[person.CodiceFiscale] = append(p.dsusByCF[person.CodiceFiscale], d)
			}
		}
		for _, c := range d.Nucleo {
			add(c.Persona)
		}
		for _, r := range d.Ridotti {
			add(r.Beneficiario)
		}
	}
	for cf, list := range p.dsusByCF {
		slices.SortStableFunc(list, func(a, b *DSU) int { return b.DataPresentazione.Time().Compare(a.DataPresentazione.Time()) })
		p.dsusByCF[cf] = list
	}
}
