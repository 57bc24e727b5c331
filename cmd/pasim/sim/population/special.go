package population

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/welfaregov/gateway/contracts"
)

// specialCases builds, for every seed, the households that cover each case the simulators and the
// tests need. Random draws only fill in names, dates and amounts.
func (b *builder) specialCases() {
	trento, rovereto, pergine := ComuneByName("TRENTO"), ComuneByName("ROVERETO"), ComuneByName("PERGINE VALSUGANA")
	cles, arco, riva := ComuneByName("CLES"), ComuneByName("ARCO"), ComuneByName("RIVA DEL GARDA")
	roma, milano, bologna := ComuneByName("ROMA"), ComuneByName("MILANO"), ComuneByName("BOLOGNA")

	// Large family in Trento: 7 members, maggiorazione for 5 children.
	h := b.household(trento, TagLargeFamily)
	b.couple(h, 35, 50)
	for range 5 {
		b.child(h, 1, 17)
	}
	b.dsu(h, b.defaultNucleo(h))

	// Three generations in Cles: 6 members, the grandfather registered as the intestatario's parent.
	h = b.household(cles)
	b.couple(h, 38, 50)
	for range 3 {
		b.child(h, 4, 17)
	}
	nonno := b.add(h, b.italian(h.Members[0].Cognome, "M", 72, 88, cles), LegameGenitore)
	nonno.StatoCivile = StatoCivileVedovo
	b.dsu(h, b.defaultNucleo(h))

	b.minorenni(rovereto, pergine, trento)
	b.universitari(cles, trento, riva)
	b.socioSanitari(trento, arco, bologna)
	b.corrente(pergine)
	b.variazioni(trento, milano)
	b.difformita(rovereto, roma)
	b.anagrafeCases(trento, roma, milano, arco, rovereto)
	b.foreignCases(trento, rovereto, pergine, roma, milano, bologna)
	b.discrepancies(trento, rovereto, riva)
}

// minorenni: a child with an attracted parent, one with a componente aggiuntiva, one non calcolabile.
func (b *builder) minorenni(rovereto, pergine, trento *Comune) {
	// Unmarried parents living apart: the father is attracted into the child's nucleo (ISEEMinAttr).
	padre := b.italian("", "M", 30, 45, trento)
	b.single(trento, padre)
	h := b.household(rovereto, TagMinAttratta)
	madre := b.add(h, b.italian("", "F", 28, 42, rovereto), LegameIntestatario)
	figlio := b.add(h, b.italian(padre.Cognome, "M", 3, 10, rovereto), LegameFiglio)
	d := b.dsu(h, b.defaultNucleo(h))
	nucleo := append(persons(d.Nucleo), padre)
	e := d.beneficiary(d.Minorenni, figlio)
	e.Variante, e.Aggiuntivi = VarMinAttr, []ComponenteAggiuntiva{{Persona: padre, Attratta: true}}
	e.Indicatore = d.indicatore(calcoloInput{membri: nucleo, affitto: h.Affitto, maggiorazioni: maggFor(d.Nucleo, padre)})
	_ = madre

	// Separated parents: the father has his own DSU and adds a componente aggiuntiva (ISEEMinAgg).
	padre = b.italian("", "M", 35, 50, pergine)
	padre.StatoCivile = StatoCivileDivorziato
	ph := b.single(pergine, padre)
	pd := b.dsu(ph, b.defaultNucleo(ph))
	h = b.household(pergine, TagMinAggiuntiva)
	madre = b.add(h, b.italian("", "F", 33, 48, pergine), LegameIntestatario)
	madre.StatoCivile = StatoCivileDivorziato
	figlia := b.add(h, b.italian(padre.Cognome, "F", 6, 16, pergine), LegameFiglio)
	d = b.dsu(h, b.defaultNucleo(h))
	valore := pd.Ordinario.Calcolo.ISE.Mul(decimal.RequireFromString("0.2")).Round(2)
	e = d.beneficiary(d.Minorenni, figlia)
	e.Variante = VarMinAgg
	e.Aggiuntivi = []ComponenteAggiuntiva{{Persona: padre, Valore: valore, ProtocolloDSU: pd.Protocollo, ProtocolloMittente: pd.ProtocolloMittente}}
	e.Indicatore = d.indicatore(calcoloInput{membri: persons(d.Nucleo), affitto: h.Affitto, extraReddito: valore, maggiorazioni: maggFor(d.Nucleo)})

	// The other parent is neither in the nucleo nor declared: the minor's ISEE cannot be computed.
	h = b.household(trento, TagMinNonCalcolabile)
	b.add(h, b.italian("", "F", 25, 40, trento), LegameIntestatario)
	figlio = b.child(h, 1, 8)
	d = b.dsu(h, b.defaultNucleo(h))
	d.beneficiary(d.Minorenni, figlio).Variante = VarNonCalcolabile
}

// universitari: a student at home, a student living alone attracted into the parents' nucleo, and a
// student whose universitario cannot be computed.
func (b *builder) universitari(cles, trento, riva *Comune) {
	h := b.household(cles, TagUniversitario)
	b.couple(h, 45, 60)
	s := b.child(h, 19, 24)
	s.Universitario = true
	b.dsu(h, b.defaultNucleo(h))

	// Parents in Cles; the student rents a room in Trento, is not autonomous, so the university ISEE
	// of the student's own DSU is computed on the parents' nucleo (ISEEUniStudAttratto).
	parents := b.household(cles, TagStudenteAttratto)
	padre, madre := b.couple(parents, 45, 60)
	fratello := b.child(parents, 10, 17)
	b.dsu(parents, b.defaultNucleo(parents))
	stud := b.italian(padre.Cognome, "F", 19, 23, cles)
	stud.Universitario, stud.Lavoratore = true, false
	stud.Economia.Reddito, stud.Economia.RedditoCorrente = b.euro(0, 3000), decimal.Zero
	sh := b.single(trento, stud, TagStudenteAttratto)
	sh.Affitto = b.euro(3600, 4800)
	d := b.dsu(sh, b.defaultNucleo(sh))
	attratto := []Componente{{padre, RapportoDichiarante}, {madre, RapportoConiuge}, {fratello, RapportoFiglioMinorenne}}
	full := append([]Componente{{stud, RapportoFiglioConvivente}}, attratto...)
	e := d.beneficiary(d.Universitari, stud)
	e.Variante, e.NucleoAttratto = VarUniStudAttratto, attratto
	e.Indicatore = d.indicatore(calcoloInput{membri: persons(full), affitto: parents.Affitto, maggiorazioni: maggFor(full)})

	h = b.household(riva, TagUniNonCalcolabile)
	b.add(h, b.italian("", "M", 45, 58, riva), LegameIntestatario).StatoCivile = StatoCivileDivorziato
	s = b.child(h, 19, 24)
	s.Universitario = true
	d = b.dsu(h, b.defaultNucleo(h))
	d.beneficiary(d.Universitari, s).Variante = VarNonCalcolabile
}

// socioSanitari: an adult with a disability (nucleo ristretto, also residential), an elderly person in a
// residential structure, and one whose non-cohabiting children add componenti aggiuntive.
func (b *builder) socioSanitari(trento, arco, bologna *Comune) {
	retta := func() decimal.Decimal { return b.euro(9000, 16000) }

	h := b.household(trento, TagRistretto)
	lui, lei := b.couple(h, 40, 60)
	b.disable(lui, 100)
	adulto := b.child(h, 19, 25)
	d := b.dsu(h, b.defaultNucleo(h))
	ristretto := []Componente{{lui, RapportoBeneficiario}, {lei, RapportoConiuge}, {adulto, RapportoFiglioConvivente}}
	in := calcoloInput{membri: persons(ristretto), affitto: h.Affitto, maggiorazioni: maggFor(ristretto)}
	r := Ridotto{Beneficiario: lui, Nucleo: ristretto, Ristretto: *d.indicatore(in)}
	in.extraDetrazioni = retta()
	r.SocioSanRes = &IndicatoreBeneficiario{Beneficiario: lui, Variante: VarSocioSanResRistretto, Indicatore: d.indicatore(in)}
	d.Ridotti = append(d.Ridotti, r)

	// An elderly widow in a residential structure (ISEESocioSanRes on the ordinario nucleo).
	nonna := b.italian("", "F", 80, 95, arco)
	nonna.StatoCivile = StatoCivileVedovo
	b.disable(nonna, 100)
	h = b.single(arco, nonna, TagResidenziale)
	d = b.dsu(h, b.defaultNucleo(h))
	d.SocioSanitari = []IndicatoreBeneficiario{{Beneficiario: nonna, Variante: VarSocioSanRes,
		Indicatore: d.indicatore(calcoloInput{membri: []*Person{nonna}, extraDetrazioni: retta(), maggiorazioni: maggFor(d.Nucleo)})}}

	// An elderly man whose two children live elsewhere: componenti aggiuntive (ISEEOrdAgg).
	nonno := b.italian("", "M", 78, 92, bologna)
	nonno.StatoCivile = StatoCivileVedovo
	b.disable(nonno, 80)
	h = b.single(bologna, nonno, TagResidenzialeAgg)
	d = b.dsu(h, b.defaultNucleo(h))
	var agg []ComponenteAggiuntiva
	extra := decimal.Zero
	for range 2 {
		f := b.italian(nonno.Cognome, pick(b, []string{"M", "F"}), 45, 58, bologna)
		fh := b.single(bologna, f)
		fd := b.dsu(fh, b.defaultNucleo(fh))
		v := fd.Ordinario.Calcolo.ISE.Mul(decimal.RequireFromString("0.1")).Round(2)
		extra = extra.Add(v)
		agg = append(agg, ComponenteAggiuntiva{Persona: f, Valore: v, ProtocolloDSU: fd.Protocollo, ProtocolloMittente: fd.ProtocolloMittente})
	}
	d.SocioSanitari = []IndicatoreBeneficiario{{Beneficiario: nonno, Variante: VarOrdAgg, Aggiuntivi: agg,
		Indicatore: d.indicatore(calcoloInput{membri: []*Person{nonno}, extraReddito: extra, maggiorazioni: maggFor(d.Nucleo)})}}
}

// corrente: a family where one parent lost the job; the ISEE corrente replaces the income.
func (b *builder) corrente(pergine *Comune) {
	h := b.household(pergine, TagCorrente)
	lui, lei := b.couple(h, 30, 50)
	b.child(h, 1, 12)
	lui.Lavoratore, lei.Lavoratore = true, true
	lui.Economia.Reddito, lei.Economia.Reddito = b.euro(28000, 40000), b.euro(18000, 30000)
	lui.Economia.RedditoCorrente, lei.Economia.RedditoCorrente = lui.Economia.Reddito.Mul(decimal.RequireFromString("0.25")).Round(2), lei.Economia.Reddito
	d := b.dsu(h, b.defaultNucleo(h))
	d.Corrente = true
	modulo := d.DataPresentazione.AddDays(20)
	scade := DateOf(modulo.Time().AddDate(0, 6, 0))
	d.DataModuloSostitutivo, d.DataScadenzaCorrente, d.ProtocolloModuloSostitutivo = &modulo, &scade, b.protocollo(2025)
	d.Ordinario.Calcolo = calcola(calcoloInput{membri: persons(d.Nucleo), affitto: h.Affitto, corrente: true, maggiorazioni: maggFor(d.Nucleo)})
	d.Ordinario.DataRilascio = modulo.AddDays(2)
}

// variazioni: a recomputed DSU and a contested one.
func (b *builder) variazioni(trento, milano *Comune) {
	for i, c := range []*Comune{trento, milano} {
		h := b.household(c, TagVariazione)
		b.couple(h, 30, 70)
		d := b.dsu(h, b.defaultNucleo(h))
		variata := d.Protocollo
		d.Protocollo = variata[:len(variata)-2] + "01"
		v := &Variazione{Tipo: "Ricalcolo", ProtocolloDSUVariata: variata, DataPresentazioneDSUVariata: d.DataPresentazione.AddDays(-25),
			Note: "Ricalcolo a seguito di rettifica dei redditi"}
		if i == 1 {
			v.Tipo, v.Note = "Contestazione", "Contestazione degli esiti dei controlli automatici"
			v.Discordanze = []Discordanza{{Persona: d.Dichiarante, Tipologia: "REDDITI", Specifica: "Reddito complessivo diverso da quello noto all'Agenzia delle Entrate"}}
		}
		d.Variazione = v
	}
}

// difformita: omissions found by the Agenzia delle Entrate.
func (b *builder) difformita(rovereto, roma *Comune) {
	banca := "0123456789"
	banca += string(contracts.NumericCFCheckDigit(banca))
	h := b.household(rovereto, TagDifformita)
	_, lei := b.couple(h, 35, 60)
	d := b.dsu(h, b.defaultNucleo(h))
	d.Difformita = []OmissioneDifformita{{Tipo: "PatrimoniMobiliari", Persona: lei, DataControllo: d.DataPresentazione.AddDays(1),
		Rapporti: []Rapporto{{TipoRapporto: "01", CodiceFiscaleOperatore: banca, DescrizioneOperatore: "BANCA DI ESEMPIO SPA",
			Saldo3112: int64(b.between(1000, 9000)), ConsistenzaMedia: int64(b.between(800, 8000))}}}}

	h = b.household(roma, TagDifformita)
	lui := b.add(h, b.italian("", "M", 30, 60, roma), LegameIntestatario)
	lui.Lavoratore = true
	d = b.dsu(h, b.defaultNucleo(h))
	d.Difformita = []OmissioneDifformita{{Tipo: "RedditiScostamento", Persona: lui, DataControllo: d.DataPresentazione.AddDays(1),
		RedditoAE: &RedditoAE{TipoModello: "1", RedditoComplessivo: lui.Economia.Reddito.Add(b.euro(1500, 6000))}}}
}

// anagrafeCases: deceased people, the omocodic people, a civil union, conviventi, AIRE families.
func (b *builder) anagrafeCases(trento, roma, milano, arco, rovereto *Comune) {
	morto := b.italian("", "M", 75, 90, trento)
	morto.StatoCivile = StatoCivileVedovo
	dd := D(2025, time.March, 10)
	morto.DataDecesso = &dd
	b.single(trento, morto, TagDeceased, TagNoDSU)
	morta := b.italian("", "F", 85, 99, roma)
	dd2 := D(2024, time.November, 2)
	morta.StatoCivile, morta.DataDecesso = StatoCivileVedovo, &dd2
	b.single(roma, morta, TagDeceased, TagNoDSU)

	// Three MARCO BIANCHI born in Roma on the same day: the 2nd and 3rd get omocodic codes.
	nato := D(1975, time.March, 12)
	for _, c := range []*Comune{roma, trento, milano} {
		p := b.person("BIANCHI", "MARCO", "M", nato, roma, nil)
		h := b.single(c, p, TagOmocodia)
		b.dsu(h, b.defaultNucleo(h))
	}
	nata := D(1988, time.July, 21)
	for _, c := range []*Comune{rovereto, arco} {
		p := b.person("ROSSI", "GIULIA", "F", nata, trento, nil)
		h := b.single(c, p, TagOmocodia)
		b.dsu(h, b.defaultNucleo(h))
	}

	h := b.household(milano, TagUnioneCivile)
	a := b.add(h, b.italian("", "F", 30, 55, milano), LegameIntestatario)
	c := b.add(h, b.italian("", "F", 30, 55, milano), LegameUnitoCivile)
	a.StatoCivile, c.StatoCivile = StatoCivileUnitoCivile, StatoCivileUnitoCivile
	b.dsu(h, b.defaultNucleo(h))

	h = b.household(trento, TagConvivenza)
	b.add(h, b.italian("", "M", 28, 45, trento), LegameIntestatario)
	b.add(h, b.italian("", "F", 28, 45, trento), LegameConvivente)
	b.child(h, 0, 2)
	b.dsu(h, b.defaultNucleo(h))

	germania, argentina := StatoByName("GERMANIA"), StatoByName("ARGENTINA")
	h = b.household(trento, TagAIRE, TagNoDSU)
	b.couple(h, 30, 50)
	b.abroad(h, germania, "MUENCHEN", "LEOPOLDSTRASSE 42", "80802")
	emigrato := b.person("ZANONI", "PIETRO", "M", b.birth(70, 85), nil, argentina)
	emigrato.Cittadinanze = []*Stato{Italia, argentina}
	emigrato.StatoCivile = StatoCivileVedovo
	h = b.single(trento, emigrato, TagAIRE, TagNoDSU, TagDualCitizenship)
	b.abroad(h, argentina, "BUENOS AIRES", "AVENIDA CORRIENTES 1234", "C1043")
}

// foreignCases: foreign-born residents, dual citizens, partial birth dates.
func (b *builder) foreignCases(trento, rovereto, pergine, roma, milano, bologna *Comune) {
	romania, marocco, albania := StatoByName("ROMANIA"), StatoByName("MAROCCO"), StatoByName("ALBANIA")
	ucraina, cina, brasile := StatoByName("UCRAINA"), StatoByName("CINA"), StatoByName("BRASILE")

	h := b.household(trento, TagForeign, TagPartialBirthDate)
	lui := b.add(h, b.foreigner(romania, "", "M", 30, 45), LegameIntestatario)
	lei := b.add(h, b.foreigner(romania, lui.Cognome, "F", 30, 45), LegameConiuge)
	lui.StatoCivile, lei.StatoCivile = StatoCivileConiugato, StatoCivileConiugato
	b.partial(lei, true)
	b.child(h, 2, 12)
	b.dsu(h, b.defaultNucleo(h))

	h = b.household(rovereto, TagForeign, TagPartialBirthDate, TagDualCitizenship)
	lui = b.add(h, b.foreigner(marocco, "", "M", 45, 60), LegameIntestatario)
	lui.Cittadinanze = []*Stato{Italia, marocco} // naturalised
	b.partial(lui, false)
	lei = b.add(h, b.foreigner(marocco, lui.Cognome, "F", 38, 50), LegameConiuge)
	lui.StatoCivile, lei.StatoCivile = StatoCivileConiugato, StatoCivileConiugato
	b.child(h, 5, 16)
	b.dsu(h, b.defaultNucleo(h))

	p := b.foreigner(albania, "", "F", 25, 40)
	p.Cittadinanze = []*Stato{albania, Italia}
	b.single(milano, p, TagForeign, TagDualCitizenship)
	b.dsu(b.pop.Households[len(b.pop.Households)-1], b.defaultNucleo(b.pop.Households[len(b.pop.Households)-1]))

	h = b.household(pergine, TagForeign)
	b.add(h, b.foreigner(ucraina, "", "F", 30, 45), LegameIntestatario)
	b.child(h, 4, 15)
	b.dsu(h, b.defaultNucleo(h))

	h = b.household(roma, TagForeign, TagNoDSU)
	lui = b.add(h, b.foreigner(cina, "", "M", 35, 55), LegameIntestatario)
	lei = b.add(h, b.foreigner(cina, lui.Cognome, "F", 35, 55), LegameConiuge)
	lui.StatoCivile, lei.StatoCivile = StatoCivileConiugato, StatoCivileConiugato

	p = b.foreigner(brasile, "", "M", 25, 40)
	p.Cittadinanze = []*Stato{Italia, brasile} // Italian by descent
	h = b.single(bologna, p, TagForeign, TagDualCitizenship)
	b.dsu(h, b.defaultNucleo(h))
}

// partial blanks the day (or day and month) of a birth date, as ANPR does for people whose foreign
// birth record lacks them; the code keeps the filler date, as the Agenzia delle Entrate assigned it.
func (b *builder) partial(p *Person, keepMonth bool) {
	if keepMonth {
		p.SenzaGiorno, p.DataNascita.Day = true, 1
	} else {
		p.SenzaGiornoMese, p.DataNascita.Month, p.DataNascita.Day = true, time.January, 1
	}
	p.CodiceFiscale = b.recode(p)
}

// discrepancies builds three families whose declared nucleo differs from the ANPR family, and lists
// each difference.
func (b *builder) discrepancies(trento, rovereto, riva *Comune) {
	note := func(t string, h *Household, p *Person, legame, rapporto string) {
		b.pop.discrepancies = append(b.pop.discrepancies, Discrepancy{t, h.ID, h.DSU.Protocollo, p.CodiceFiscale, legame, rapporto})
	}
	// A brother registered elsewhere is declared as living with the family.
	h := b.household(trento, TagDiscrepancy)
	lui, _ := b.couple(h, 35, 50)
	b.child(h, 3, 12)
	fratello := b.italian(lui.Cognome, "M", 30, 50, trento)
	b.single(ComuneByName("LEVICO TERME"), fratello) // no DSU of his own: declared in his brother's
	b.dsu(h, append(b.defaultNucleo(h), Componente{fratello, RapportoAltraPersona}))
	note(DiscrepanzaNonRegistrato, h, fratello, "", RapportoAltraPersona)

	// The grandmother living with the family is left out of the declaration.
	h = b.household(rovereto, TagDiscrepancy)
	b.couple(h, 40, 55)
	b.child(h, 19, 24)
	nonna := b.add(h, b.italian("", "F", 75, 88, rovereto), LegameGenitore)
	nonna.StatoCivile = StatoCivileVedovo
	var nucleo []Componente
	for _, c := range b.defaultNucleo(h) {
		if c.Persona != nonna {
			nucleo = append(nucleo, c)
		}
	}
	b.dsu(h, nucleo)
	note(DiscrepanzaNonDichiarato, h, nonna, LegameGenitore, "")

	// Cohabiting partners declared as spouses.
	h = b.household(riva, TagDiscrepancy)
	b.add(h, b.italian("", "M", 30, 45, riva), LegameIntestatario)
	partner := b.add(h, b.italian("", "F", 30, 45, riva), LegameConvivente)
	nucleo = b.defaultNucleo(h)
	nucleo[1].Rapporto = RapportoConiuge
	b.dsu(h, nucleo)
	note(DiscrepanzaRapporto, h, partner, LegameConvivente, RapportoConiuge)
}
