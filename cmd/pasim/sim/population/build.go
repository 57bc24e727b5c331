package population

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/welfaregov/gateway/contracts"
)

// minPeople is the size the random part of the population grows to (the brief asks for at least 200).
const minPeople = 230

// Build returns the population of seed. The same seed gives the same population, field by field.
func Build(seed uint64) *Population {
	b := &builder{
		r:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		pop:    &Population{Seed: seed},
		usedCF: map[string]*Person{}, usedANPR: map[string]bool{}, omoIndex: map[string]int{}, sinbaIDs: map[string]string{},
	}
	b.specialCases()
	for len(b.pop.People) < minPeople {
		b.randomHousehold()
	}
	b.buildICEF()
	b.buildPrestazioni()
	b.pop.index()
	return b.pop
}

type builder struct {
	r        *rand.Rand
	pop      *Population
	usedCF   map[string]*Person
	usedANPR map[string]bool
	omoIndex map[string]int    // plain code -> index in pop.omocodes
	sinbaIDs map[string]string // codice fiscale -> the child's SINBA pseudonym
	seqFam   int
	seqDSU   int
	seqCAF   int
}

// ---- random helpers -------------------------------------------------------------------------------

func (b *builder) intn(n int) int         { return b.r.IntN(n) }
func (b *builder) chance(p float64) bool  { return b.r.Float64() < p }
func (b *builder) between(lo, hi int) int { return lo + b.r.IntN(hi-lo+1) }
func pick[T any](b *builder, list []T) T  { return list[b.r.IntN(len(list))] }
func (b *builder) euro(lo, hi int) decimal.Decimal {
	return decimal.New(int64(b.between(lo*100, hi*100)), -2)
}

// birth returns a birth date for someone aged between minAge and maxAge on ReferenceDate.
func (b *builder) birth(minAge, maxAge int) Date {
	start := ReferenceDate.Time().AddDate(-maxAge-1, 0, 1)
	end := ReferenceDate.Time().AddDate(-minAge, 0, 0)
	days := int(end.Sub(start).Hours() / 24)
	return DateOf(start.AddDate(0, 0, b.intn(days)))
}

func (b *builder) dateIn(from, to Date) Date {
	days := int(to.Time().Sub(from.Time()).Hours() / 24)
	return from.AddDays(b.intn(days + 1))
}

// ---- people ---------------------------------------------------------------------------------------

// person creates a person born in comune (or abroad in stato) and registers their codice fiscale,
// resolving a collision with omocodia exactly as the Agenzia delle Entrate does.
func (b *builder) person(cognome, nome, sesso string, nascita Date, comune *Comune, stato *Stato) *Person {
	p := &Person{Cognome: cognome, Nome: nome, Sesso: sesso, DataNascita: nascita, ComuneNascita: comune,
		StatoNascita: stato, StatoCivile: StatoCivileCelibe}
	if stato != nil {
		p.Cittadinanze = []*Stato{stato}
	} else {
		p.Cittadinanze = []*Stato{Italia}
	}
	plain := CodiceFiscale(cognome, nome, sesso, nascita, p.Belfiore())
	cf := plain
	for level := 1; b.usedCF[cf] != nil; level++ {
		var err error
		if cf, err = contracts.Omocode(plain, level); err != nil {
			panic("population: omocodia exhausted for " + plain) // 7 levels: cannot happen with this population
		}
		p.OmocodiaLevel = level
	}
	p.CodiceFiscale = cf
	b.usedCF[cf] = p
	if p.OmocodiaLevel > 0 {
		i, ok := b.omoIndex[plain]
		if !ok {
			i = len(b.pop.omocodes)
			b.omoIndex[plain] = i
			b.pop.omocodes = append(b.pop.omocodes, []*Person{b.usedCF[plain]})
		}
		b.pop.omocodes[i] = append(b.pop.omocodes[i], p)
	}
	p.IDANPR = b.idANPR()
	b.economy(p)
	b.pop.People = append(b.pop.People, p)
	return p
}

func (b *builder) idANPR() string {
	for {
		id := fmt.Sprintf("%c%c%05d%c%c", 'A'+b.intn(26), 'A'+b.intn(26), b.intn(100000), 'A'+b.intn(26), 'A'+b.intn(26))
		if !b.usedANPR[id] {
			b.usedANPR[id] = true
			return id
		}
	}
}

// italian creates an Italian citizen aged minAge..maxAge, born in home most of the time.
func (b *builder) italian(cognome, sesso string, minAge, maxAge int, home *Comune) *Person {
	if cognome == "" {
		cognome = pick(b, cognomiIT)
	}
	nome := pick(b, nomiM)
	if sesso == "F" {
		nome = pick(b, nomiF)
	}
	born := home
	if home == nil || b.chance(0.3) {
		born = pick(b, Comuni)
	}
	return b.person(cognome, nome, sesso, b.birth(minAge, maxAge), born, nil)
}

// foreigner creates someone born in stato with that state's citizenship.
func (b *builder) foreigner(stato *Stato, cognome, sesso string, minAge, maxAge int) *Person {
	pool := nomiStranieri[stato.Nome]
	if cognome == "" {
		cognome = pick(b, pool[0])
	}
	nome := pick(b, pool[1])
	if sesso == "F" {
		nome = pick(b, pool[2])
	}
	return b.person(cognome, nome, sesso, b.birth(minAge, maxAge), nil, stato)
}

// economy draws the person's income and wealth; minors have none.
func (b *builder) economy(p *Person) {
	age := p.DataNascita.AgeAt(ReferenceDate)
	e := &p.Economia
	e.Reddito, e.RedditoCorrente, e.PatrimonioMobiliare, e.PatrimonioImmobiliare = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	switch {
	case age < 18:
		return
	case age >= 67:
		e.Reddito = b.euro(9000, 26000)
	case b.chance(0.7):
		p.Lavoratore = true
		e.Reddito = b.euro(14000, 48000)
	default:
		e.Reddito = b.euro(0, 6000)
	}
	e.RedditoCorrente = e.Reddito
	e.PatrimonioMobiliare = b.euro(0, 35000)
}

// ---- households -----------------------------------------------------------------------------------

func (b *builder) household(comune *Comune, tags ...string) *Household {
	b.seqFam++
	h := &Household{ID: fmt.Sprintf("%07d", 3100000+b.seqFam), Tags: tags, Affitto: decimal.Zero}
	s := pick(b, strade)
	h.Indirizzo = Indirizzo{TipoIndirizzo: "1", Comune: comune, Specie: s[0], Denominazione: s[1],
		Civico: fmt.Sprint(b.between(1, 140)), CAP: comune.CAP, DataDecorrenza: b.dateIn(D(2005, 1, 1), D(2024, 12, 31))}
	b.pop.Households = append(b.pop.Households, h)
	return h
}

// abroad turns h into an AIRE family living in stato.
func (b *builder) abroad(h *Household, stato *Stato, localita, indirizzo, cap string) {
	h.AIRE = true
	h.Indirizzo = Indirizzo{TipoIndirizzo: "4", Estero: &IndirizzoEstero{Stato: stato, Localita: localita,
		Indirizzo: indirizzo, CAP: cap, Consolato: consolati[stato.Nome]}, DataDecorrenza: h.Indirizzo.DataDecorrenza}
	for _, m := range h.Members {
		m.Residenza = h.Indirizzo
	}
}

// add registers p in h with an ANPR relationship to the intestatario. The intestatario owns the home.
func (b *builder) add(h *Household, p *Person, legame string) *Person {
	p.HouseholdID, p.CodiceLegame, p.Progressivo, p.Residenza = h.ID, legame, len(h.Members)+1, h.Indirizzo
	h.Members = append(h.Members, p)
	if legame == LegameIntestatario {
		if b.chance(0.6) {
			p.Economia.PatrimonioImmobiliare = b.euro(60000, 260000)
		} else {
			h.Affitto = b.euro(4800, 9600)
		}
	}
	return p
}

// couple registers an intestatario and a spouse of the other sex (married) in h.
func (b *builder) couple(h *Household, minAge, maxAge int) (*Person, *Person) {
	home := h.Indirizzo.Comune
	lui := b.add(h, b.italian("", "M", minAge, maxAge, home), LegameIntestatario)
	lei := b.add(h, b.italian("", "F", minAge, maxAge, home), LegameConiuge)
	lui.StatoCivile, lei.StatoCivile = StatoCivileConiugato, StatoCivileConiugato
	return lui, lei
}

// child registers a child of the intestatario aged minAge..maxAge.
func (b *builder) child(h *Household, minAge, maxAge int) *Person {
	cognome := h.Members[0].Cognome
	sesso := pick(b, []string{"M", "F"})
	var c *Person
	if st := h.Members[0].StatoNascita; st != nil && nomiStranieri[st.Nome][0] != nil {
		c = b.foreigner(st, cognome, sesso, minAge, maxAge)
		c.StatoNascita, c.ComuneNascita = nil, h.Indirizzo.Comune // born in Italy, parents' citizenship
		c.CodiceFiscale = b.recode(c)
	} else {
		c = b.italian(cognome, sesso, minAge, maxAge, h.Indirizzo.Comune)
	}
	if !c.Minorenne() && c.DataNascita.AgeAt(ReferenceDate) <= 26 && b.chance(0.5) {
		c.Universitario = true
	}
	return b.add(h, c, LegameFiglio)
}

// recode recomputes a person's code after their birth place changed.
func (b *builder) recode(p *Person) string {
	delete(b.usedCF, p.CodiceFiscale)
	plain := CodiceFiscale(p.Cognome, p.Nome, p.Sesso, p.DataNascita, p.Belfiore())
	cf := plain
	for level := 1; b.usedCF[cf] != nil; level++ {
		cf, _ = contracts.Omocode(plain, level)
		p.OmocodiaLevel = level
	}
	b.usedCF[cf] = p
	return cf
}

func (b *builder) single(comune *Comune, p *Person, tags ...string) *Household {
	h := b.household(comune, tags...)
	b.add(h, p, LegameIntestatario)
	return h
}

func (b *builder) disable(p *Person, pct int) {
	p.Disabilita = &Disabilita{Percentuale: pct, NonAutosufficiente: pct == 100}
	if pct >= 75 {
		p.Lavoratore = false
		p.Economia.Reddito = b.euro(3500, 9000) // pensione di invalidità
		p.Economia.RedditoCorrente = p.Economia.Reddito
	}
}

// randomHousehold adds an ordinary household: single, couple, couple with children, single parent.
func (b *builder) randomHousehold() {
	comune := Comuni[b.intn(len(Comuni))]
	if b.chance(0.4) {
		comune = Comuni[b.intn(9)] // Trentino is over-represented: ICEF is Trentino's
	}
	h := b.household(comune)
	switch k := b.intn(10); {
	case k < 2:
		p := b.add(h, b.italian("", pick(b, []string{"M", "F"}), 20, 90, comune), LegameIntestatario)
		p.StatoCivile = pick(b, []string{StatoCivileCelibe, StatoCivileDivorziato, StatoCivileVedovo})
	case k < 4:
		b.couple(h, 25, 85)
	case k < 8:
		b.couple(h, 28, 55)
		for range b.between(1, 3) {
			b.child(h, 0, 24)
		}
	default:
		p := b.add(h, b.italian("", pick(b, []string{"M", "F"}), 28, 55, comune), LegameIntestatario)
		p.StatoCivile = pick(b, []string{StatoCivileCelibe, StatoCivileDivorziato})
		b.child(h, 2, 17)
	}
	for _, m := range h.Members[1:] {
		if !m.Minorenne() && b.chance(0.05) {
			b.disable(m, b.between(67, 100))
		}
	}
	if b.chance(0.75) {
		b.dsu(h, b.defaultNucleo(h))
	} else {
		h.Tags = append(h.Tags, TagNoDSU)
	}
}

// ---- ISEE -----------------------------------------------------------------------------------------

// defaultNucleo declares every living member of h with the relationship ExpectedRapporto gives.
func (b *builder) defaultNucleo(h *Household) []Componente {
	var out []Componente
	for _, m := range h.Members {
		if !m.Deceduto() {
			out = append(out, Componente{m, ExpectedRapporto(m.CodiceLegame, m.Minorenne())})
		}
	}
	return out
}

func persons(cs []Componente) []*Person {
	out := make([]*Person, len(cs))
	for i, c := range cs {
		out[i] = c.Persona
	}
	return out
}

// maggFor derives the maggiorazioni inputs: children are the declared F/FC/MA (or, in a nucleo
// ristretto, F/FC/MA relative to the beneficiary); parents are D/C/B.
func maggFor(cs []Componente, extraParents ...*Person) maggiorazioneInput {
	var in maggiorazioneInput
	parents, working := 0, 0
	count := func(p *Person) {
		parents++
		if p.Lavoratore {
			working++
		}
	}
	for _, c := range cs {
		p := c.Persona
		switch c.Rapporto {
		case RapportoFiglioMinorenne, RapportoFiglioConvivente, "MA":
			in.figli++
			if p.Minorenne() {
				in.figliMinori++
				if p.DataNascita.AgeAt(ReferenceDate) < 3 {
					in.figlioSotto3 = true
				}
			}
		case RapportoDichiarante, RapportoConiuge, RapportoBeneficiario:
			if !p.Minorenne() {
				count(p)
			}
		}
		if p.Disabilita != nil && p.Disabilita.Percentuale >= 67 {
			in.disabili++
		}
	}
	for _, p := range extraParents {
		count(p)
	}
	in.genitoriLavoratori = parents > 0 && working == parents
	return in
}

func (b *builder) protocollo(year int) string {
	b.seqDSU++
	return fmt.Sprintf("INPS-ISEE-%d-%08d%c-00", year, 10000000+b.seqDSU*7919%89999999, 'A'+b.intn(26))
}

// dsu files a declaration for h with the given nucleo (the first component is the declarant) and
// computes the ordinario and the default per-beneficiary entries.
func (b *builder) dsu(h *Household, nucleo []Componente) *DSU {
	b.seqCAF++
	pres := b.dateIn(D(2025, 1, 15), D(2025, 5, 20))
	sigla := "EE"
	if h.Indirizzo.Comune != nil {
		sigla = h.Indirizzo.Comune.SiglaProvincia
	}
	d := &DSU{Protocollo: b.protocollo(2025), ProtocolloMittente: fmt.Sprintf("CAF-%s-2025-%06d", sigla, b.seqCAF),
		Dichiarante: nucleo[0].Persona, DataPresentazione: pres, DataValidita: D(2025, 12, 31), Nucleo: nucleo,
		HouseholdID: h.ID}
	d.Ordinario = Indicatore{DataRilascio: pres.AddDays(2), Calcolo: calcola(calcoloInput{membri: persons(nucleo),
		affitto: h.Affitto, maggiorazioni: maggFor(nucleo)})}
	for _, c := range nucleo {
		if c.Persona.Minorenne() {
			d.Minorenni = append(d.Minorenni, IndicatoreBeneficiario{Beneficiario: c.Persona, Variante: VarOrd})
		}
		if c.Persona.Universitario {
			d.Universitari = append(d.Universitari, IndicatoreBeneficiario{Beneficiario: c.Persona, Variante: VarOrd})
		}
	}
	h.DSU = d
	b.pop.DSUs = append(b.pop.DSUs, d)
	return d
}

func (d *DSU) beneficiary(list []IndicatoreBeneficiario, p *Person) *IndicatoreBeneficiario {
	for i := range list {
		if list[i].Beneficiario == p {
			return &list[i]
		}
	}
	panic("population: " + p.CodiceFiscale + " is not a beneficiary of " + d.Protocollo)
}

func (d *DSU) indicatore(in calcoloInput) *Indicatore {
	return &Indicatore{DataRilascio: d.Ordinario.DataRilascio, Calcolo: calcola(in)}
}

// ---- ICEF and prestazioni -------------------------------------------------------------------------

func (b *builder) buildICEF() {
	seq := 0
	for _, h := range b.pop.Households {
		if !h.Trentino() || h.AIRE || h.HasTag(TagNoDSU) || h.HasTag(TagDeceased) {
			continue
		}
		var nucleo []*Person
		for _, m := range h.Members {
			if !m.Deceduto() {
				nucleo = append(nucleo, m)
			}
		}
		calc := b.dateIn(D(2025, 2, 1), D(2025, 4, 30))
		for _, pol := range Politiche {
			if !pol.applies(h) {
				continue
			}
			seq++
			rf, pf, vf, v := computeICEF(pol, h, nucleo)
			h.ICEF = append(h.ICEF, &ICEF{Politica: pol.Codice, Anno: AnnoICEF, Protocollo: fmt.Sprintf("ICEF-%d-%06d", AnnoICEF, seq),
				DataCalcolo: calc, RF: rf, PF: pf, VF: vf, Valore: v, Nucleo: nucleo})
		}
	}
}

// catalogo are the benefits granted. Codes and names are those of the INPS WaaS samples: the official
// SIUSS nomenclatore was not retrievable (siuss-waas.md §4.12), so do not read meaning into them.
var catalogo = []struct{ codice, denominazione, area string }{
	{"A1.16", "Contributi economici per servizio trasporto e mobilità", "2"},
	{"A2.16", "Interventi di supporto per reperimento alloggi", "3"},
	{"A1.09", "Telesoccorso e teleassistenza", "2"},
}

var operatore = CodiceFiscale("OPERATORE", "SOCIALE", "F", D(1980, time.May, 5), "L378")

func (b *builder) buildPrestazioni() {
	k := 0
	at := time.Date(2025, time.January, 10, 8, 0, 0, 0, time.UTC)
	var cancellations []*Prestazione
	for _, h := range b.pop.Households {
		for _, m := range h.Members {
			if m.Deceduto() || (k > 0 && !b.chance(0.3)) {
				continue
			}
			k++
			at = at.Add(time.Duration(b.between(60, 600)) * time.Minute)
			p := b.prestazione(k, h, m, at)
			b.pop.Prestazioni = append(b.pop.Prestazioni, p)
			if k%6 == 0 {
				cancellations = append(cancellations, p)
			}
		}
	}
	for _, orig := range cancellations {
		k++
		at = at.Add(time.Duration(b.between(60, 600)) * time.Minute)
		c := orig.Clone()
		c.ID, c.TipoOperazione, c.AnnullaID, c.AggiornatoIl = fmt.Sprintf("PRS-2025-%06d", k), "C", orig.ID, at
		b.pop.Prestazioni = append(b.pop.Prestazioni, c)
	}
}

func (b *builder) prestazione(k int, h *Household, m *Person, at time.Time) *Prestazione {
	ente := h.Indirizzo.Comune
	if ente == nil {
		ente = Comuni[0] // AIRE citizens are followed by the comune of their last Italian residence
	}
	item := catalogo[k%len(catalogo)]
	p := &Prestazione{ID: fmt.Sprintf("PRS-2025-%06d", k), TipoOperazione: "I",
		Ente:              Ente{Codice: ente.CodiceBelfiore, Denominazione: "COMUNE DI " + ente.Nome, Indirizzo: ente.CodiceBelfiore, CFOperatore: operatore},
		CodicePrestazione: item.codice, DenominazionePrestazione: item.denominazione,
		ProtocolloDomanda: fmt.Sprintf("WGOV-%s-2025-%05d", ente.CodiceBelfiore, k), AggiornatoIl: at}
	p.Beneficiario = Beneficiario{CodiceFiscale: m.CodiceFiscale, Cognome: m.Cognome, Nome: m.Nome,
		AnnoNascita: m.DataNascita.Year, LuogoNascita: m.Belfiore(), Genere: map[string]string{"M": "1", "F": "2"}[m.Sesso],
		CodiceCittadinanza: m.Cittadinanze[0].CodiceISO}
	if len(m.Cittadinanze) > 1 {
		p.Beneficiario.CodiceSecondaCittadinanza = m.Cittadinanze[1].CodiceISO
	}
	if e := m.Residenza.Estero; e != nil {
		p.Beneficiario.CodiceNazione = e.Stato.CodiceISO
	} else {
		p.Beneficiario.CodiceNazione, p.Beneficiario.CodiceRegione, p.Beneficiario.CodiceComune = "380", m.Residenza.Comune.CodiceRegione, m.Residenza.Comune.CodiceISTAT
	}
	p.PresenzaProvaMezzi = "4"
	if h.DSU != nil {
		p.PresenzaProvaMezzi = "1"
		dd := h.DSU.DataPresentazione
		p.NumeroProtocolloDSU, p.AnnoProtocolloDSU, p.DataDSU = h.DSU.Protocollo, fmt.Sprint(dd.Year), dd.String()
		p.ImportoSogliaISEE = contracts.DecimalPtr("20000.00")
	} else if k%2 == 0 {
		p.PresenzaProvaMezzi = "2"
	}
	p.PresaCarico = "2"
	if k%3 != 2 {
		p.PresaCarico, p.AreaUtenza = "1", item.area
		switch {
		case m.Disabilita != nil:
			p.AreaUtenza = "2"
		case m.Minorenne():
			p.AreaUtenza = "1"
		}
	}
	var total decimal.Decimal
	evento := b.dateIn(D(2025, 1, 2), D(2025, 6, 30))
	p.DataEvento = evento.String()
	if k%2 == 1 {
		p.CaratterePrestazione = "1"
		start := D(2025, evento.Month+1, 1)
		months := b.between(1, 13-int(start.Month))
		end := DateOf(start.Time().AddDate(0, months, -1))
		p.DataInizioPrestazione, p.DataFinePrestazione, p.PeriodoErogazione = start.String(), end.String(), months
		total = b.euro(80, 600)
		p.ImportoMensile = &contracts.Decimal{Decimal: total}
	} else {
		p.CaratterePrestazione = "2"
		paid := evento.AddDays(b.between(5, 40))
		p.DataErogazionePrestazione = paid.String()
		total = b.euro(150, 2500)
		p.ImportoPrestazione = &contracts.Decimal{Decimal: total}
	}
	// Quotas: the ente pays most, the user the rest; the SSN shares disability services.
	ente60 := total.Mul(decimal.New(int64(b.between(60, 90)), -2)).Round(2)
	utente := total.Sub(ente60)
	p.ImportoQuotaEnte, p.ImportoQuotaUtente = &contracts.Decimal{Decimal: ente60}, &contracts.Decimal{Decimal: utente}
	if p.AreaUtenza == "2" && utente.GreaterThan(decimal.NewFromInt(1)) {
		ssn := utente.Div(decimal.NewFromInt(2)).Round(2)
		p.ImportoQuotaSSN, p.ImportoQuotaUtente = &contracts.Decimal{Decimal: ssn}, &contracts.Decimal{Decimal: utente.Sub(ssn)}
		p.OreServizioMensile = contracts.DecimalPtr(fmt.Sprintf("%d.%02d", b.between(4, 30), b.between(0, 59)))
	}
	p.ImportoQuotaRichiesta = &contracts.Decimal{Decimal: utente.Mul(decimal.RequireFromString("1.5")).Round(2)}
	if m.Disabilita != nil && p.AreaUtenza == "2" {
		p.SINA = &SINA{Mobilita: "2", AttivitaVitaQuotidiana: "2", DisturbiComportamentali: "1", AreaReddituale: "2",
			AreaSupporto: "1", FonteDerivazioneValutazione: "1", StrumentoValutazione: "1", FonteDerivazioneInvalidita: "1",
			NecessitaInterventiSociali: []string{"A2.17"}, InvaliditaCivile: []string{invCiv(m.Disabilita)}}
	}
	if m.Minorenne() && p.PresaCarico == "1" && p.AreaUtenza == "1" {
		p.SINBA = b.sinba(k, p.Ente.Codice, h, m, evento)
	}
	return p
}

// sinba is the SINBA block of a minor in care (area famiglia e minori). Its pseudonym is assigned
// once per child (per ente and in build order), so every record about the child carries the same
// one; the codes are synthetic values within SIUSS's ranges, derived from k and the household
// without drawing from the random source (the rest of the population does not move).
func (b *builder) sinba(k int, ente string, h *Household, m *Person, evento Date) *SINBA {
	id, ok := b.sinbaIDs[m.CodiceFiscale]
	if !ok {
		id = fmt.Sprintf("%s-MIN-%06d", ente, len(b.sinbaIDs)+1)
		b.sinbaIDs[m.CodiceFiscale] = id
	}
	siNo := func(v bool) string { return map[bool]string{true: "1", false: "2"}[v] }
	month := fmt.Sprintf("%04d-%02d", evento.Year, int(evento.Month))
	s := &SINBA{
		IDBeneficiario:        id,
		FasciaEtaBeneficiario: fmt.Sprint(min(m.DataNascita.AgeAt(ReferenceDate)/3+1, 6)),
		MinoreStranieroNoAcc:  "2", CondizioneMinore: "1", LuogoVita: "1", CondizioneLavoro: "1",
		ScuolaFrequentata:     map[bool]string{true: "1", false: "3"}[m.DataNascita.AgeAt(ReferenceDate) < 6],
		Disabilita:            siNo(m.Disabilita != nil),
		DataPrimaSegnalazione: month, FonteSegnalazione: fmt.Sprint(1 + k%14),
		ValutazioneMinore: fmt.Sprint(1 + k%13), ValutazioneFamigliaMinore: fmt.Sprint(1 + (k+5)%13),
		SegnalazioneAutoritaGiudiziaria: siNo(k%2 == 0), ProvvedimentoGiudiziario: siNo(k%4 == 0),
		ComposizioneFamiglia: composizioneFamiglia(h, m),
	}
	if m.Disabilita != nil {
		s.TipoDisabilita = "1"
	}
	if k%2 == 0 {
		s.DataSegnalazione = month
	}
	if k%4 == 0 {
		s.DataProvvedimentoGiudiziario = month
	}
	return s
}

// composizioneFamiglia is whom the child lives with, as SINBA codes (1 madre, 2 padre, 3
// fratelli/sorelle, 4 nonni, 6 altri conviventi), each once, ascending.
func composizioneFamiglia(h *Household, child *Person) []string {
	seen := map[string]bool{}
	for _, o := range h.Members {
		if o == child || o.Deceduto() {
			continue
		}
		code := "6"
		switch {
		case o.CodiceLegame == LegameFiglio:
			code = "3"
		case o.CodiceLegame == LegameGenitore:
			code = "4"
		case !o.Minorenne() && (o.CodiceLegame == LegameIntestatario || o.CodiceLegame == LegameConiuge || o.CodiceLegame == LegameUnitoCivile):
			code = map[string]string{"F": "1", "M": "2"}[o.Sesso]
		}
		seen[code] = true
	}
	if len(seen) == 0 {
		seen["6"] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// invCiv maps a disability to the SIUSS InvCiv code (1 partial ≥75%, 2 total with accompagnamento,
// 3 total without).
func invCiv(d *Disabilita) string {
	switch {
	case d.NonAutosufficiente:
		return "2"
	case d.Percentuale == 100:
		return "3"
	}
	return "1"
}
