package contracts

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldProblem is one problem found by a Validate method: where (a JSON Pointer from the validated
// value's root, e.g. "/indicatori/1/variante") and what.
type FieldProblem struct {
	Campo     string
	Dettaglio string
}

// ValidationError lists every problem Validate found, so a caller can report them all at once
// (e.g. as problem+json with one entry per field). It never contains a codice fiscale in clear.
type ValidationError struct {
	// Tipo is the validated type ("AttestazioneISEE").
	Tipo     string
	Problemi []FieldProblem
}

// ErrInvalid matches every *ValidationError with errors.Is.
var ErrInvalid = errors.New("contracts: invalid value")

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "contracts: invalid %s:", e.Tipo)
	for i, p := range e.Problemi {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %s: %s", p.Campo, p.Dettaglio)
	}
	return b.String()
}

// Is lets errors.Is(err, ErrInvalid) match.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// checker accumulates problems under a JSON Pointer prefix.
type checker struct {
	problems *[]FieldProblem
	prefix   string
}

func newChecker() checker { return checker{problems: new([]FieldProblem)} }

func (c checker) at(field string) checker {
	return checker{problems: c.problems, prefix: c.prefix + "/" + field}
}

func (c checker) index(field string, i int) checker { return c.at(field + "/" + strconv.Itoa(i)) }

func (c checker) add(field, format string, args ...any) {
	campo := c.prefix
	if field != "" {
		campo += "/" + field
	}
	*c.problems = append(*c.problems, FieldProblem{Campo: campo, Dettaglio: fmt.Sprintf(format, args...)})
}

func (c checker) err(tipo string) error {
	if len(*c.problems) == 0 {
		return nil
	}
	return &ValidationError{Tipo: tipo, Problemi: *c.problems}
}

func (c checker) required(field, v string) bool {
	if v == "" {
		c.add(field, "required")
		return false
	}
	return true
}

func (c checker) requiredDate(field string, d Data) {
	if d.IsZero() {
		c.add(field, "required")
	} else if d.Precision() != PrecisionDay {
		c.add(field, "must be a full date, got %q", d.String())
	}
}

// cfShape accepts the codice fiscale shapes of INPS and ANPR payloads. A wrong check character is
// not reported: upstream systems do send such codes (INPS's own SIUSS examples have them), and the
// attestation is still the legal act.
func (c checker) cfShape(field, cf string) {
	if !c.required(field, cf) {
		return
	}
	var ce *CFError
	if err := ValidateCodiceFiscale(cf); errors.As(err, &ce) && ce.Reason != CFBadCheckCharacter {
		c.add(field, "%s", ce.Detail)
	}
}

func (c checker) cfStrict(field, cf string) {
	if !c.required(field, cf) {
		return
	}
	var ce *CFError
	if errors.As(ValidateCodiceFiscale(cf), &ce) {
		c.add(field, "%s", ce.Detail)
	}
}

func (c checker) protocollo(field, p string) {
	if c.required(field, p) && ValidateProtocolloDSU(p) != nil {
		c.add(field, "does not match %s", ProtocolloDSUPattern)
	}
}

func (c checker) maxLen(field, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		c.add(field, "at most %d characters, got %d", n, utf8.RuneCountInString(s))
	}
}

type validEnum interface {
	~string
	Valid() bool
}

func checkEnum[T validEnum](c checker, field string, v T) {
	if !v.Valid() {
		c.add(field, "unknown value %q", string(v))
	}
}

// Validate checks p: a known Sistema and StatoCache, an acquisition time, a non-negative age.
func (p Provenienza) Validate() error {
	c := newChecker()
	p.check(c)
	return c.err("Provenienza")
}

func (p Provenienza) check(c checker) {
	checkEnum(c, "sistema", p.Sistema)
	checkEnum(c, "cache", p.Cache)
	if p.DataOraAcquisizione.IsZero() {
		c.add("dataOraAcquisizione", "required")
	}
	if p.EtaSecondi < 0 {
		c.add("etaSecondi", "negative age %d", p.EtaSecondi)
	}
}

// Validate checks the shapes of what a Persona carries: codice fiscale (when present; a wrong check
// character is tolerated, as in upstream data), sex, ISTAT and Belfiore codes of places, residences
// and citizenships, and the Provenienza when present.
func (p Persona) Validate() error {
	c := newChecker()
	p.check(c)
	return c.err("Persona")
}

func (p Persona) check(c checker) {
	if p.CodiceFiscale != "" {
		c.cfShape("codiceFiscale", p.CodiceFiscale)
	}
	if p.Sesso != "" {
		checkEnum(c, "sesso", p.Sesso)
	}
	if p.LuogoNascita != nil {
		p.LuogoNascita.check(c.at("luogoNascita"))
	}
	for i, ct := range p.Cittadinanze {
		c.index("cittadinanze", i).shape("codiceStato", ct.CodiceStato, ValidateCodiceIstatStato)
	}
	for i, r := range p.Residenze {
		rc := c.index("residenze", i)
		rc.optionalShape("codiceIstatComune", r.CodiceIstatComune, ValidateCodiceIstatComune)
		if r.Estero != nil {
			rc.at("estero").optionalShape("codiceStato", r.Estero.CodiceStato, ValidateCodiceIstatStato)
		}
	}
	if p.Decesso != nil && p.Decesso.Luogo != nil {
		p.Decesso.Luogo.check(c.at("decesso/luogo"))
	}
	if p.Provenienza != nil {
		p.Provenienza.check(c.at("provenienza"))
	}
}

func (l Luogo) check(c checker) {
	c.optionalShape("codiceIstatComune", l.CodiceIstatComune, ValidateCodiceIstatComune)
	c.optionalShape("codiceBelfiore", l.CodiceBelfiore, ValidateCodiceBelfiore)
	c.optionalShape("codiceStato", l.CodiceStato, ValidateCodiceIstatStato)
}

func (c checker) shape(field, v string, check func(string) error) {
	if err := check(v); err != nil {
		c.add(field, "%s", strings.TrimPrefix(err.Error(), ErrCodice.Error()+": "))
	}
}

func (c checker) optionalShape(field, v string, check func(string) error) {
	if v != "" {
		c.shape(field, v, check)
	}
}

// Validate checks the household: a known Origine, members with a known Ruolo whose upstream code
// matches the Origine (codiceLegameANPR for ANPR, rapportoConDichiarante for the DSU and attracted
// households, relazioneConBeneficiario for restricted ones), and a beneficiary for restricted ones.
func (n NucleoFamiliare) Validate() error {
	c := newChecker()
	n.check(c)
	return c.err("NucleoFamiliare")
}

func (n NucleoFamiliare) check(c checker) {
	checkEnum(c, "origine", n.Origine)
	if n.Origine == NucleoISEERistretto {
		c.cfShape("codiceFiscaleBeneficiario", n.CodiceFiscaleBeneficiario)
	}
	for i, m := range n.Componenti {
		mc := c.index("componenti", i)
		checkEnum(mc, "ruolo", m.Ruolo)
		want := map[OrigineNucleo]string{
			NucleoANPR: "codiceLegameANPR", NucleoISEE: "rapportoConDichiarante",
			NucleoISEEAttratto: "rapportoConDichiarante", NucleoISEERistretto: "relazioneConBeneficiario",
		}[n.Origine]
		for _, code := range [...]struct{ name, v string }{
			{"codiceLegameANPR", m.CodiceLegameANPR}, {"rapportoConDichiarante", m.RapportoConDichiarante},
			{"relazioneConBeneficiario", m.RelazioneConBeneficiario},
		} {
			if code.v != "" && want != "" && code.name != want {
				mc.add(code.name, "a %s household carries %s, not %s", n.Origine, want, code.name)
			}
		}
		if n.Origine != NucleoANPR && n.Origine != NucleoICEF {
			mc.cfShape("persona/codiceFiscale", m.Persona.CodiceFiscale)
		}
		m.Persona.check(mc.at("persona"))
	}
	if n.Provenienza != nil {
		n.Provenienza.check(c.at("provenienza"))
	}
}

// Validate checks the attestation against the rules of ISEE_Attestazione.xsd that survive the
// translation (protocol pattern, required attributes, lengths) and the model's own: every indicator
// has a Variante allowed for its Tipo (TipoISEE.Varianti), a NON_CALCOLABILE indicator has no values,
// a computed one has them. It does not run the arithmetic checks: see CheckAttestazione.
func (a AttestazioneISEE) Validate() error {
	c := newChecker()
	a.check(c)
	return c.err("AttestazioneISEE")
}

func (a AttestazioneISEE) check(c checker) {
	c.protocollo("protocolloDSU", a.ProtocolloDSU)
	c.maxLen("protocolloMittente", a.ProtocolloMittente, 29)
	c.cfShape("codiceFiscaleDichiarante", a.CodiceFiscaleDichiarante)
	c.requiredDate("dataPresentazione", a.DataPresentazione)
	c.requiredDate("dataValidita", a.DataValidita)
	if !a.DataPresentazione.IsZero() && !a.DataValidita.IsZero() && a.DataValidita.Compare(a.DataPresentazione) < 0 {
		c.add("dataValidita", "%s is before dataPresentazione %s", a.DataValidita, a.DataPresentazione)
	}
	if n := a.NucleoFamiliare; n != nil {
		if n.Origine != NucleoISEE {
			c.add("nucleoFamiliare/origine", "must be %s", NucleoISEE)
		}
		n.check(c.at("nucleoFamiliare"))
	}
	for i, n := range a.NucleiRistretti {
		if n.Origine != NucleoISEERistretto {
			c.index("nucleiRistretti", i).add("origine", "must be %s", NucleoISEERistretto)
		}
		n.check(c.index("nucleiRistretti", i))
	}
	for i, ind := range a.Indicatori {
		ind.check(c.index("indicatori", i))
	}
	for i, d := range a.Difformita {
		dc := c.index("difformita", i)
		checkEnum(dc, "tipo", d.Tipo)
		dc.cfShape("codiceFiscale", d.CodiceFiscale)
		dc.requiredDate("dataControlloAE", d.DataControlloAE)
		for j, r := range d.Rapporti {
			dc.index("rapporti", j).required("codiceFiscaleOperatore", r.CodiceFiscaleOperatore)
		}
		if d.RedditoAE != nil && d.RedditoAE.Modello != "" {
			checkEnum(dc.at("redditoAE"), "modello", d.RedditoAE.Modello)
		}
	}
	if v := a.Variazione; v != nil {
		vc := c.at("variazione")
		checkEnum(vc, "tipo", v.Tipo)
		vc.protocollo("protocolloDSUVariata", v.ProtocolloDSUVariata)
		vc.requiredDate("dataPresentazioneDSUVariata", v.DataPresentazioneDSUVariata)
		vc.maxLen("protocolloMittenteDSUVariata", v.ProtocolloMittenteDSUVariata, 29)
		for j, d := range v.Discordanze {
			vc.index("discordanze", j).cfShape("codiceFiscale", d.CodiceFiscale)
		}
	}
	a.Provenienza.check(c.at("provenienza"))
}

// Validate checks one indicator on its own (see AttestazioneISEE.Validate).
func (ind IndicatoreISEE) Validate() error {
	c := newChecker()
	ind.check(c)
	return c.err("IndicatoreISEE")
}

// tipiPerBeneficiario are the indicators that belong to one person rather than the household.
var tipiPerBeneficiario = []TipoISEE{ISEEMinorenni, ISEEUniversitario, ISEESocioSanitario, ISEESocioSanitarioResidenziale}

func (ind IndicatoreISEE) check(c checker) {
	checkEnum(c, "tipo", ind.Tipo)
	checkEnum(c, "variante", ind.Variante)
	checkEnum(c, "stato", ind.Stato)
	if ind.Tipo.Valid() && ind.Variante.Valid() && !slices.Contains(variantiPerTipo[ind.Tipo], ind.Variante) {
		c.add("variante", "%s is not a variant of %s", ind.Variante, ind.Tipo)
	}
	if slices.Contains(tipiPerBeneficiario, ind.Tipo) {
		c.cfShape("codiceFiscaleBeneficiario", ind.CodiceFiscaleBeneficiario)
	}
	nonCalcolabile := ind.Stato == IndicatoreNonCalcolabile
	if nonCalcolabile != (ind.Variante == VarianteNonCalcolabile) && ind.Variante != VarianteNonSpecificata {
		c.add("stato", "stato %s does not agree with variante %s", ind.Stato, ind.Variante)
	}
	switch {
	case nonCalcolabile && (ind.Valori != nil || ind.ModalitaCalcolo != nil):
		c.add("valori", "a NON_CALCOLABILE indicator has no values")
	case ind.Stato == IndicatoreCalcolato && ind.Valori == nil:
		c.add("valori", "required when stato is CALCOLATO")
	}
	if ind.ProtocolloDSUModuloSostitutivo != "" {
		c.protocollo("protocolloDSUModuloSostitutivo", ind.ProtocolloDSUModuloSostitutivo)
	}
	switch ind.Variante {
	case VarianteComponenteAttratta, VarianteComponenteAggiuntiva, VarianteStudenteAttrattoComponenteAttratta,
		VarianteStudenteAttrattoComponenteAggiuntiva, VarianteOrdinarioComponentiAggiuntive,
		VarianteResidenzialeComponentiAggiuntive, VarianteRistrettoComponentiAggiuntive,
		VarianteResidenzialeRistrettoComponentiAggiuntive:
		if len(ind.ComponentiAggiuntive) == 0 {
			c.add("componentiAggiuntive", "variant %s needs at least one component", ind.Variante)
		}
	}
	switch ind.Variante {
	case VarianteStudenteAttratto, VarianteStudenteAttrattoComponenteAttratta, VarianteStudenteAttrattoComponenteAggiuntiva:
		if ind.NucleoAttratto == nil {
			c.add("nucleoAttratto", "variant %s needs the household the student is attracted into", ind.Variante)
		}
	}
	if n := ind.NucleoAttratto; n != nil {
		if n.Origine != NucleoISEEAttratto {
			c.add("nucleoAttratto/origine", "must be %s", NucleoISEEAttratto)
		}
		n.check(c.at("nucleoAttratto"))
	}
	for i, ca := range ind.ComponentiAggiuntive {
		cc := c.index("componentiAggiuntive", i)
		checkEnum(cc, "tipo", ca.Tipo)
		cc.cfShape("codiceFiscale", ca.CodiceFiscale)
		if ca.ProtocolloDSURiferimento != "" {
			cc.protocollo("protocolloDSURiferimento", ca.ProtocolloDSURiferimento)
		}
		if ca.ProtocolloDSU != "" {
			cc.protocollo("protocolloDSU", ca.ProtocolloDSU)
		}
		cc.maxLen("protocolloMittente", ca.ProtocolloMittente, 29)
	}
	if v := ind.Valori; v != nil && !v.ScalaEquivalenza.IsPositive() {
		c.add("valori/scalaEquivalenza", "must be positive, got %s", v.ScalaEquivalenza)
	}
}

// Validate checks the selection: a known Motivo, a valid indicator and, when present, a valid
// attestation and DSU protocol.
func (s SelezioneISEE) Validate() error {
	c := newChecker()
	checkEnum(c, "motivo", s.Motivo)
	s.Indicatore.check(c.at("indicatore"))
	if s.TipoRichiesto != "" {
		checkEnum(c, "tipoRichiesto", s.TipoRichiesto)
	}
	if s.ProtocolloDSU != "" {
		c.protocollo("protocolloDSU", s.ProtocolloDSU)
	}
	if s.Attestazione != nil {
		s.Attestazione.check(c.at("attestazione"))
	}
	s.Provenienza.check(c.at("provenienza"))
	return c.err("SelezioneISEE")
}

// Validate checks the provisional ICEF indicator: applicant, year, policy, provenance.
func (i IndicatoreICEF) Validate() error {
	c := newChecker()
	c.cfShape("codiceFiscale", i.CodiceFiscale)
	if i.Anno < 1900 || i.Anno > 9999 {
		c.add("anno", "year %d outside 1900..9999", i.Anno)
	}
	c.required("politica", i.Politica)
	if i.NucleoFamiliare != nil {
		i.NucleoFamiliare.check(c.at("nucleoFamiliare"))
	}
	i.Provenienza.check(c.at("provenienza"))
	return c.err("IndicatoreICEF")
}

// Validate checks a prestazione against the SIUSS rules the XSD does not express (siuss-waas.md
// §4.4, §4.6, §6.1), so that WelfareGOV hears about a bad record when it sends it, not days later
// in a RICHIESTA_INVALIDA esito:
//   - codes: provaMezzi, carattere, tipoOperazione known; codicePrestazione 5-10 characters;
//     denominazionePrestazione 10-200; protocolloDomanda 1-32;
//   - a periodic benefit has dataInizio and importoMensile > 0, and dataFine in the same year;
//     a one-off benefit has dataErogazione and importo > 0;
//   - quotaEnte and quotaSSN > 0, quotaUtente >= 0, and when any quota is present they add up to
//     the monthly (periodic) or one-off amount;
//   - the DSU reference is complete; periodoErogazione is 1..12; areaUtenza is set when
//     presaInCarico;
//   - the beneficiary has a valid codice fiscale (check character included), names, a year of
//     birth, sex and the Belfiore code of the place of birth.
func (p PrestazioneSociale) Validate() error {
	c := newChecker()
	checkEnum(c, "tipoOperazione", p.TipoOperazione)
	checkEnum(c, "provaMezzi", p.ProvaMezzi)
	checkEnum(c, "carattere", p.Carattere)
	lengths := []struct {
		field    string
		v        string
		min, max int
	}{
		{"codicePrestazione", p.CodicePrestazione, 5, 10},
		{"denominazionePrestazione", p.DenominazionePrestazione, 10, 200},
		{"protocolloDomanda", p.ProtocolloDomanda, 1, 32},
	}
	for _, l := range lengths {
		if n := utf8.RuneCountInString(l.v); n < l.min || n > l.max {
			c.add(l.field, "%d-%d characters, got %d", l.min, l.max, n)
		}
	}
	p.checkBeneficiario(c.at("beneficiario"))
	var total *Decimal
	switch p.Carattere {
	case CaratterePeriodica:
		if p.DataInizio.IsZero() {
			c.add("dataInizio", "required for a periodic benefit")
		} else if !p.DataFine.IsZero() && p.DataFine.Year() != p.DataInizio.Year() {
			c.add("dataFine", "must be in the same year as dataInizio (%d): split a benefit that crosses a year", p.DataInizio.Year())
		}
		if !p.DataFine.IsZero() && !p.DataInizio.IsZero() && p.DataFine.Compare(p.DataInizio) < 0 {
			c.add("dataFine", "%s is before dataInizio %s", p.DataFine, p.DataInizio)
		}
		total = p.ImportoMensile
		positive(c, "importoMensile", p.ImportoMensile, true)
	case CarattereOccasionale:
		if p.DataErogazione.IsZero() {
			c.add("dataErogazione", "required for a one-off benefit")
		}
		total = p.Importo
		positive(c, "importo", p.Importo, true)
	}
	positive(c, "quotaEnte", p.QuotaEnte, false)
	positive(c, "quotaSSN", p.QuotaSSN, false)
	if p.QuotaUtente != nil && p.QuotaUtente.IsNegative() {
		c.add("quotaUtente", "must not be negative, got %s", p.QuotaUtente)
	}
	if quotas := []*Decimal{p.QuotaEnte, p.QuotaUtente, p.QuotaSSN}; total != nil && slices.ContainsFunc(quotas, func(q *Decimal) bool { return q != nil }) {
		sum := Decimal{}
		for _, q := range quotas {
			if q != nil {
				sum = Decimal{sum.Add(q.Decimal)}
			}
		}
		if !sum.Equal(*total) {
			c.add("quotaEnte", "quotaEnte + quotaUtente + quotaSSN = %s, but the amount is %s", sum, total)
		}
	}
	if d := p.DSU; d != nil {
		dc := c.at("dsu")
		dc.required("protocollo", d.Protocollo)
		dc.maxLen("protocollo", d.Protocollo, 30)
		if d.Anno < 1900 || d.Anno > 9999 {
			dc.add("anno", "year %d outside 1900..9999", d.Anno)
		}
		dc.requiredDate("data", d.Data)
	}
	if p.PeriodoErogazione != 0 && (p.PeriodoErogazione < 1 || p.PeriodoErogazione > 12) {
		c.add("periodoErogazione", "1..12, got %d", p.PeriodoErogazione)
	}
	if p.PresaInCarico && p.AreaUtenza == "" {
		c.add("areaUtenza", "required when presaInCarico")
	} else if p.AreaUtenza != "" {
		checkEnum(c, "areaUtenza", p.AreaUtenza)
	}
	if p.Provenienza != nil {
		p.Provenienza.check(c.at("provenienza"))
	}
	return c.err("PrestazioneSociale")
}

func (p PrestazioneSociale) checkBeneficiario(c checker) {
	b := p.Beneficiario
	c.cfStrict("codiceFiscale", b.CodiceFiscale)
	c.required("cognome", b.Cognome)
	c.required("nome", b.Nome)
	if b.DataNascita.IsZero() {
		c.add("dataNascita", "required (the year is enough)")
	}
	checkEnum(c, "sesso", b.Sesso)
	if b.LuogoNascita == nil || ValidateCodiceBelfiore(b.LuogoNascita.CodiceBelfiore) != nil {
		c.add("luogoNascita/codiceBelfiore", "a Belfiore code (letter and 3 digits) is required")
	}
}

func positive(c checker, field string, d *Decimal, required bool) {
	switch {
	case d == nil && required:
		c.add(field, "required")
	case d != nil && !d.IsPositive():
		c.add(field, "must be greater than 0, got %s", d)
	}
}
