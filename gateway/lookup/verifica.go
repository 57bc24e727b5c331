package lookup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/cache"
	"github.com/welfaregov/gateway/gateway/problem"
)

// Dichiarazione is a self-declaration to check: the declarant, the household as declared (each
// member with the ISEE RapportoConDichiarante code), and optionally the ISEE declared.
type Dichiarazione struct {
	CodiceFiscaleDichiarante string `json:"codiceFiscaleDichiarante"`
	// DataRiferimento is the day the declaration speaks of; today (Italy) when absent.
	DataRiferimento contracts.Data `json:"dataRiferimento,omitzero"`
	// Componenti are the declared members. The declarant is one (rapporto D) whether listed or not.
	Componenti []ComponenteDichiarato `json:"componenti"`
	ISEE       *ISEEDichiarato        `json:"isee,omitempty"`
}

// ComponenteDichiarato is one declared member.
type ComponenteDichiarato struct {
	CodiceFiscale string `json:"codiceFiscale"`
	// RapportoConDichiarante is the ISEE code: D, C, F, FC, FNC, MA, P, GNC.
	RapportoConDichiarante string `json:"rapportoConDichiarante"`
}

// ISEEDichiarato is the ISEE the declarant states: its value, its DSU protocol, or both, and which
// indicator the value is (the ordinario unless a kind, a benefit or a beneficiary says otherwise).
type ISEEDichiarato struct {
	Valore                    *contracts.Decimal `json:"valore,omitempty"`
	ProtocolloDSU             string             `json:"protocolloDSU,omitempty"`
	Tipo                      contracts.TipoISEE `json:"tipo,omitempty"`
	CodicePrestazione         string             `json:"codicePrestazione,omitempty"`
	CodiceFiscaleBeneficiario string             `json:"codiceFiscaleBeneficiario,omitempty"`
}

// Bounds of a declaration: a household of thirty is already exceptional.
const MaxComponenti = 30

// rapportiDichiarabili are the RapportoConDichiarante codes of a DSU household (ISEE_Attestazione.xsd).
var rapportiDichiarabili = []string{"D", "C", "F", "FC", "FNC", "MA", "P", "GNC"}

// nonConviventi are the codes of members the ISEE household includes although they do not live with
// the declarant: they are not expected in the registry family.
var nonConviventi = []string{"FNC", "GNC"}

// Validate lists every problem of the declaration, each naming its field (JSON Pointer style
// names: componenti/2/rapportoConDichiarante). It never quotes a codice fiscale.
func (d *Dichiarazione) Validate() []problem.InvalidParam {
	var bad []problem.InvalidParam
	add := func(name, format string, args ...any) {
		bad = append(bad, problem.InvalidParam{Name: name, Reason: fmt.Sprintf(format, args...)})
	}
	cfProblem := func(name, cf string) {
		if err := contracts.ValidateCodiceFiscalePersona(contracts.NormalizeCodiceFiscale(cf)); err != nil {
			var ce *contracts.CFError
			if errors.As(err, &ce) {
				add(name, "%s", ce.Detail)
			} else {
				add(name, "not a personal codice fiscale")
			}
		}
	}
	dich := contracts.NormalizeCodiceFiscale(d.CodiceFiscaleDichiarante)
	cfProblem("codiceFiscaleDichiarante", d.CodiceFiscaleDichiarante)
	if !d.DataRiferimento.IsZero() && d.DataRiferimento.Precision() != contracts.PrecisionDay {
		add("dataRiferimento", "a full date YYYY-MM-DD")
	}
	if len(d.Componenti) > MaxComponenti {
		add("componenti", "at most %d members", MaxComponenti)
	}
	seen := map[string]bool{}
	for i, c := range d.Componenti {
		at := fmt.Sprintf("componenti/%d", i)
		cf := contracts.NormalizeCodiceFiscale(c.CodiceFiscale)
		cfProblem(at+"/codiceFiscale", c.CodiceFiscale)
		if seen[cf] {
			add(at+"/codiceFiscale", "the same person is declared twice")
		}
		seen[cf] = true
		r := strings.ToUpper(strings.TrimSpace(c.RapportoConDichiarante))
		switch {
		case !slices.Contains(rapportiDichiarabili, r):
			add(at+"/rapportoConDichiarante", "one of %s", strings.Join(rapportiDichiarabili, ", "))
		case (r == "D") != (cf == dich):
			add(at+"/rapportoConDichiarante", "D is the declarant's own code, and only the declarant's")
		}
	}
	if i := d.ISEE; i != nil {
		if i.Valore == nil && i.ProtocolloDSU == "" {
			add("isee", "give valore, protocolloDSU or both")
		}
		if i.Valore != nil && i.Valore.Sign() < 0 {
			add("isee/valore", "an ISEE is not negative")
		}
		if i.ProtocolloDSU != "" && contracts.ValidateProtocolloDSU(i.ProtocolloDSU) != nil {
			add("isee/protocolloDSU", "an INPS DSU protocol INPS-ISEE-YYYY-NNNNNNNNL-NN")
		}
		if i.Tipo != "" && (!i.Tipo.Valid() || i.Tipo == contracts.ISEEDottorato) {
			add("isee/tipo", "one of ORDINARIO, MINORENNI, UNIVERSITARIO, SOCIOSANITARIO, SOCIOSANITARIO_RESIDENZIALE")
		}
		if i.CodicePrestazione != "" && !inps.ValidPrestazioneDaErogare(i.CodicePrestazione) {
			add("isee/codicePrestazione", "a PrestazioneDaErogare code of INPS (A1.01 ... Z9.99)")
		}
		if i.CodiceFiscaleBeneficiario != "" {
			cfProblem("isee/codiceFiscaleBeneficiario", i.CodiceFiscaleBeneficiario)
		}
	}
	return bad
}

// Verifica is the outcome of checking a declaration, item by item, with the state of each source.
type Verifica struct {
	// Esito is CONFORME (everything verified agrees), DIFFORME (at least one discrepancy), or
	// INCOMPLETA (no discrepancy among what could be verified, but not everything could be).
	Esito EsitoVerifica `json:"esito"`
	// Parziale is true when a source could not be consulted: its items are NON_VERIFICABILE.
	Parziale        bool                    `json:"parziale"`
	DataRiferimento contracts.Data          `json:"dataRiferimento"`
	Fonti           []Fonte                 `json:"fonti"`
	Componenti      []VerificaComponente    `json:"componenti"`
	ISEE            *VerificaISEE           `json:"isee,omitempty"`
	Provenienze     []contracts.Provenienza `json:"provenienze"`
}

// EsitoVerifica is the overall outcome.
type EsitoVerifica string

// Overall outcomes.
const (
	VerificaConforme   EsitoVerifica = "CONFORME"
	VerificaDifforme   EsitoVerifica = "DIFFORME"
	VerificaIncompleta EsitoVerifica = "INCOMPLETA"
)

// Fonte is what happened when a source was consulted.
type Fonte struct {
	Sistema contracts.Sistema `json:"sistema"`
	Stato   StatoFonte        `json:"stato"`
	// Dettaglio says what the source answered or why it could not be consulted.
	Dettaglio string `json:"dettaglio,omitempty"`
	// Problema is the failure, as the API would answer it alone (NON_DISPONIBILE, DATI_ASSENTI).
	Problema *problem.Problem `json:"problema,omitempty"`
}

// StatoFonte is the state of a source.
type StatoFonte string

// States of a source.
const (
	// FonteConsultata: the source answered and its data were compared.
	FonteConsultata StatoFonte = "CONSULTATA"
	// FonteDatiAssenti: the source answered that it holds nothing for the declarant (ANPR EN122 or
	// EN148, INPS DATI_NON_TROVATI).
	FonteDatiAssenti StatoFonte = "DATI_ASSENTI"
	// FonteNonDisponibile: the source could not be consulted (down, timeout, breaker open...): the
	// result is partial.
	FonteNonDisponibile StatoFonte = "NON_DISPONIBILE"
)

// VerificaComponente is one person, declared or found in a source, compared with each source.
type VerificaComponente struct {
	CodiceFiscale string `json:"codiceFiscale"`
	// Cognome and Nome come from the source that lists the person, for people not declared.
	Cognome string `json:"cognome,omitempty"`
	Nome    string `json:"nome,omitempty"`
	// RapportoDichiarato is the declared code, absent for a person not declared.
	RapportoDichiarato string    `json:"rapportoDichiarato,omitempty"`
	ANPR               Confronto `json:"anpr"`
	INPS               Confronto `json:"inps"`
}

// Confronto is a member compared with one source.
type Confronto struct {
	Esito EsitoConfronto `json:"esito"`
	// CodiceLegameANPR is the member's relationship to the intestatario in the registry family.
	CodiceLegameANPR string `json:"codiceLegameANPR,omitempty"`
	// RapportoAtteso is the RapportoConDichiarante the source implies: derived from ANPR's
	// codiceLegame, or the DSU's own code.
	RapportoAtteso string `json:"rapportoAtteso,omitempty"`
	Motivo         string `json:"motivo,omitempty"`
}

// EsitoConfronto is the outcome of one comparison.
type EsitoConfronto string

// Outcomes of a comparison.
const (
	Conforme              EsitoConfronto = "CONFORME"
	DichiaratoNonPresente EsitoConfronto = "DICHIARATO_NON_PRESENTE"
	PresenteNonDichiarato EsitoConfronto = "PRESENTE_NON_DICHIARATO"
	RapportoIncoerente    EsitoConfronto = "RAPPORTO_INCOERENTE"
	NonVerificabile       EsitoConfronto = "NON_VERIFICABILE"
)

// VerificaISEE compares the declared ISEE with INPS's attestation.
type VerificaISEE struct {
	// Esito is CONFORME, DIFFORME (value or protocol differ, or the indicator does not apply),
	// ATTESTAZIONE_ASSENTE (INPS holds no ISEE at the date) or NON_VERIFICABILE (INPS unavailable).
	Esito                EsitoISEE                `json:"esito"`
	Tipo                 contracts.TipoISEE       `json:"tipo,omitempty"`
	ValoreDichiarato     *contracts.Decimal       `json:"valoreDichiarato,omitempty"`
	ValoreAttestato      *contracts.Decimal       `json:"valoreAttestato,omitempty"`
	ProtocolloDichiarato string                   `json:"protocolloDichiarato,omitempty"`
	ProtocolloAttestato  string                   `json:"protocolloAttestato,omitempty"`
	Motivo               string                   `json:"motivo,omitempty"`
	Incongruenze         []contracts.Incongruenza `json:"incongruenze,omitempty"`
}

// EsitoISEE is the outcome of the ISEE comparison.
type EsitoISEE string

// Outcomes of the ISEE comparison.
const (
	ISEEConforme            EsitoISEE = "CONFORME"
	ISEEDifforme            EsitoISEE = "DIFFORME"
	ISEEAttestazioneAssente EsitoISEE = "ATTESTAZIONE_ASSENTE"
	ISEENonVerificabile     EsitoISEE = "NON_VERIFICABILE"
)

// Verifica checks d against ANPR (the declarant's registry family, C030 then C021) and INPS (the
// declarant's attestation valid at the date), consulted in parallel. A source that fails leaves its
// items NON_VERIFICABILE and the result Parziale; only when both fail is the answer an error (the
// ANPR one). d must have passed Validate.
func (s *Service) Verifica(ctx context.Context, d Dichiarazione) (*Verifica, error) {
	cf := contracts.NormalizeCodiceFiscale(d.CodiceFiscaleDichiarante)
	date := s.orToday(d.DataRiferimento)
	var (
		fam    *Famiglia
		famErr error
		att    inps.EsitoAttestazione
		attRes cache.Result
		attErr error
		wg     sync.WaitGroup
	)
	wg.Go(func() { fam, famErr = s.Famiglia(ctx, cf, date) })
	wg.Go(func() {
		if s.inps == nil {
			attErr = notConfigured("INPS")
			return
		}
		att, attRes, attErr = s.attestazione(ctx, cf, date)
	})
	wg.Wait()
	anprFonte, inpsFonte := fonte(contracts.SistemaANPR, famErr), fonte(contracts.SistemaINPS, attErr)
	if anprFonte.Stato == FonteNonDisponibile && inpsFonte.Stato == FonteNonDisponibile {
		return nil, famErr
	}
	v := &Verifica{DataRiferimento: date, Fonti: []Fonte{anprFonte, inpsFonte}, Provenienze: []contracts.Provenienza{}}
	t := newTable(cf, d.Componenti)
	if anprFonte.Stato == FonteConsultata {
		v.Provenienze = append(v.Provenienze, fam.Provenienze...)
		t.compareANPR(cf, date, fam.NucleoFamiliare)
	} else {
		t.unverifiable(func(m *VerificaComponente) *Confronto { return &m.ANPR }, "ANPR: "+anprFonte.Dettaglio)
	}
	if inpsFonte.Stato == FonteConsultata {
		prov := provenienza(att.Provenienza, attRes)
		v.Provenienze = append(v.Provenienze, prov)
		a := *att.Attestazione
		a.Provenienza = prov
		t.compareINPS(cf, a)
		if d.ISEE != nil {
			v.ISEE = compareISEE(cf, date, *d.ISEE, a)
		}
	} else {
		t.unverifiable(func(m *VerificaComponente) *Confronto { return &m.INPS }, "INPS: "+inpsFonte.Dettaglio)
		if d.ISEE != nil {
			v.ISEE = &VerificaISEE{Esito: ISEENonVerificabile, ValoreDichiarato: d.ISEE.Valore, ProtocolloDichiarato: d.ISEE.ProtocolloDSU, Motivo: inpsFonte.Dettaglio}
			if inpsFonte.Stato == FonteDatiAssenti {
				v.ISEE.Esito = ISEEAttestazioneAssente
			}
		}
	}
	v.Componenti = t.members
	v.Parziale = anprFonte.Stato == FonteNonDisponibile || inpsFonte.Stato == FonteNonDisponibile
	v.Esito = outcome(v)
	return v, nil
}

// fonte is the state of a source from the error its lookup returned.
func fonte(sys contracts.Sistema, err error) Fonte {
	f := Fonte{Sistema: sys, Stato: FonteConsultata}
	if err == nil {
		return f
	}
	p := Problem(err)
	body := problem.From(p, "").Problem
	body.RequestID = ""
	f.Problema, f.Dettaglio = &body, p.Detail
	switch p.Type {
	case SubjectNotFound, SubjectDeceased, ISEENotAvailable:
		f.Stato = FonteDatiAssenti
	default:
		f.Stato = FonteNonDisponibile
	}
	return f
}

func outcome(v *Verifica) EsitoVerifica {
	incomplete := v.Parziale
	for _, f := range v.Fonti {
		incomplete = incomplete || f.Stato != FonteConsultata
	}
	for _, m := range v.Componenti {
		for _, c := range []Confronto{m.ANPR, m.INPS} {
			switch c.Esito {
			case DichiaratoNonPresente, PresenteNonDichiarato, RapportoIncoerente:
				return VerificaDifforme
			case NonVerificabile:
				incomplete = true
			}
		}
	}
	if v.ISEE != nil {
		switch v.ISEE.Esito {
		case ISEEDifforme, ISEEAttestazioneAssente:
			return VerificaDifforme
		case ISEENonVerificabile:
			incomplete = true
		}
	}
	if incomplete {
		return VerificaIncompleta
	}
	return VerificaConforme
}

// table holds one row per person: the declared ones first, in the declared order, then those only
// a source lists, in the source's order.
type table struct {
	members []VerificaComponente
	index   map[string]int
}

func newTable(dichiarante string, declared []ComponenteDichiarato) *table {
	t := &table{index: map[string]int{}}
	t.row(dichiarante).RapportoDichiarato = "D"
	for _, c := range declared {
		t.row(contracts.NormalizeCodiceFiscale(c.CodiceFiscale)).RapportoDichiarato = strings.ToUpper(strings.TrimSpace(c.RapportoConDichiarante))
	}
	return t
}

func (t *table) row(cf string) *VerificaComponente {
	if i, ok := t.index[cf]; ok {
		return &t.members[i]
	}
	t.index[cf] = len(t.members)
	t.members = append(t.members, VerificaComponente{CodiceFiscale: cf})
	return &t.members[len(t.members)-1]
}

// unverifiable marks every row's comparison with a source as NON_VERIFICABILE.
func (t *table) unverifiable(with func(*VerificaComponente) *Confronto, why string) {
	for i := range t.members {
		*with(&t.members[i]) = Confronto{Esito: NonVerificabile, Motivo: why}
	}
}

// named fills a row's names from a source when the row has none.
func (m *VerificaComponente) named(p contracts.Persona) {
	if m.Cognome == "" && m.Nome == "" {
		m.Cognome, m.Nome = p.Cognome, p.Nome
	}
}

// compareANPR compares the rows with the registry family of the declarant. ANPR relates members to
// the intestatario scheda (codiceLegame): the relationship to the declarant can be derived when the
// declarant is the intestatario (the usual DSU), and is NON_VERIFICABILE otherwise.
func (t *table) compareANPR(dichiarante string, date contracts.Data, n contracts.NucleoFamiliare) {
	registered := map[string]contracts.Componente{}
	intestatario := false
	for _, c := range n.Componenti {
		cf := contracts.NormalizeCodiceFiscale(c.Persona.CodiceFiscale)
		registered[cf] = c
		if cf == dichiarante {
			intestatario = strings.TrimLeft(strings.TrimSpace(c.CodiceLegameANPR), "0") == "1"
		}
	}
	for _, c := range n.Componenti { // registry-only members get their rows, in ANPR's order
		t.row(contracts.NormalizeCodiceFiscale(c.Persona.CodiceFiscale)).named(c.Persona)
	}
	for i := range t.members {
		m := &t.members[i]
		c, found := registered[m.CodiceFiscale]
		declared := m.RapportoDichiarato
		switch {
		case !found && declared == "":
			m.ANPR = Confronto{Esito: Conforme, Motivo: "neither declared nor in the declarant's registry family"}
		case !found && slices.Contains(nonConviventi, declared):
			m.ANPR = Confronto{Esito: Conforme, Motivo: fmt.Sprintf("declared as not living with the declarant (%s): not expected in the registry family", declared)}
		case !found:
			m.ANPR = Confronto{Esito: DichiaratoNonPresente, Motivo: "declared, but not registered in the declarant's family at " + date.String()}
		default:
			m.ANPR = compareLegame(m, c, dichiarante, intestatario, date)
		}
	}
}

func compareLegame(m *VerificaComponente, c contracts.Componente, dichiarante string, intestatario bool, date contracts.Data) Confronto {
	legame := strings.TrimSpace(c.CodiceLegameANPR)
	out := Confronto{CodiceLegameANPR: legame}
	declared := m.RapportoDichiarato
	if m.CodiceFiscale == dichiarante {
		out.RapportoAtteso = "D"
	} else if intestatario {
		out.RapportoAtteso = expectedRapporto(legame, c.Persona.DataNascita, date)
	}
	switch {
	case declared == "":
		out.Esito, out.Motivo = PresenteNonDichiarato, fmt.Sprintf("registered in the declarant's family (codiceLegame %s), not declared", legame)
	case slices.Contains(nonConviventi, declared):
		out.Esito, out.Motivo = RapportoIncoerente, fmt.Sprintf("declared as not living with the declarant (%s), but registered in the family (codiceLegame %s)", declared, legame)
	case out.RapportoAtteso == "":
		out.Esito, out.Motivo = NonVerificabile, "registered in the family; ANPR relates members to the intestatario scheda, who is not the declarant, so the relationship cannot be derived"
	case compatible(declared, out.RapportoAtteso, c.Persona.DataNascita, date):
		out.Esito = Conforme
	default:
		out.Esito, out.Motivo = RapportoIncoerente, fmt.Sprintf("declared %s; ANPR codiceLegame %s gives %s", declared, legame, out.RapportoAtteso)
	}
	return out
}

// expectedRapporto is the RapportoConDichiarante a member of the intestatario's family should have
// in a DSU the intestatario files: coniuge or unito civilmente C; figlio (adottato) F when a minor
// at the date, FC when of age; anyone else living there P (DPCM 159/2013 art. 3).
func expectedRapporto(legame string, nascita, date contracts.Data) string {
	switch strings.TrimLeft(legame, "0") {
	case "1":
		return "D"
	case "2", "28":
		return "C"
	case "3", "80":
		if minor, _ := minorAt(nascita, date); minor {
			return "F"
		}
		return "FC"
	}
	return "P"
}

// compatible accepts the declared code for the expected one: equal; a minor child in pre-adoptive
// custody (MA) for F; and F or FC when the birth date is too partial to tell whether the child was
// of age at the date.
func compatible(declared, expected string, nascita, date contracts.Data) bool {
	if declared == expected {
		return true
	}
	_, exact := minorAt(nascita, date)
	switch {
	case expected == "F" && declared == "MA":
		return true
	case (expected == "F" || expected == "FC") && (declared == "F" || declared == "FC") && !exact:
		return true
	}
	return false
}

// minorAt says whether someone born on nascita is under 18 on date; exact is false when a partial
// birth date leaves it undecided (then minor is the guess for the earliest possible birthday).
func minorAt(nascita, date contracts.Data) (minor, exact bool) {
	if nascita.IsZero() || date.IsZero() {
		return false, false
	}
	eighteenth := func(y, m, d int) bool { // reached 18 on date?
		return date.Compare(contracts.MustData(min(y+18, 9999), m, d)) >= 0
	}
	switch nascita.Precision() {
	case contracts.PrecisionDay:
		y, m, d := nascita.Year(), nascita.Month(), nascita.Day()
		if m == 2 && d == 29 {
			d = 28 // the eighteenth birthday of a 29 February falls on 28 February, or 1 March
		}
		return !eighteenth(y, m, d), true
	case contracts.PrecisionMonth:
		first, last := eighteenth(nascita.Year(), nascita.Month(), 1), eighteenth(nascita.Year(), nascita.Month(), 28)
		return !first, first == last
	default:
		first, last := eighteenth(nascita.Year(), 1, 1), eighteenth(nascita.Year(), 12, 31)
		return !first, first == last
	}
}

// compareINPS compares the rows with the DSU household of the attestation. Its codes are relative
// to the DSU's declarant: when that is someone else (the person is a member of another's DSU), the
// membership is compared and the relationships are NON_VERIFICABILE.
func (t *table) compareINPS(dichiarante string, a contracts.AttestazioneISEE) {
	dsu := map[string]contracts.Componente{}
	sameDeclarant := contracts.NormalizeCodiceFiscale(a.CodiceFiscaleDichiarante) == dichiarante
	if a.NucleoFamiliare != nil {
		for _, c := range a.NucleoFamiliare.Componenti {
			cf := contracts.NormalizeCodiceFiscale(c.Persona.CodiceFiscale)
			dsu[cf] = c
			t.row(cf).named(c.Persona)
		}
	}
	for i := range t.members {
		m := &t.members[i]
		c, found := dsu[m.CodiceFiscale]
		declared := m.RapportoDichiarato
		atteso := strings.ToUpper(strings.TrimSpace(c.RapportoConDichiarante))
		switch {
		case !found && declared == "":
			m.INPS = Confronto{Esito: Conforme, Motivo: "neither declared nor in the DSU household"}
		case !found:
			m.INPS = Confronto{Esito: DichiaratoNonPresente, Motivo: "declared, but not in the household of DSU " + a.ProtocolloDSU}
		case declared == "":
			m.INPS = Confronto{Esito: PresenteNonDichiarato, RapportoAtteso: atteso, Motivo: fmt.Sprintf("in the household of DSU %s (%s), not declared", a.ProtocolloDSU, atteso)}
		case !sameDeclarant:
			m.INPS = Confronto{Esito: NonVerificabile, Motivo: "in the DSU household, but the DSU was filed by another declarant: its codes relate members to that person"}
		case declared == atteso:
			m.INPS = Confronto{Esito: Conforme, RapportoAtteso: atteso}
		default:
			m.INPS = Confronto{Esito: RapportoIncoerente, RapportoAtteso: atteso, Motivo: fmt.Sprintf("declared %s; DSU %s says %s", declared, a.ProtocolloDSU, atteso)}
		}
	}
}

// compareISEE compares the declared ISEE with the indicator of the attestation it names (the
// ordinario unless a kind, benefit or beneficiary is given), exactly to the cent.
func compareISEE(dichiarante string, date contracts.Data, d ISEEDichiarato, a contracts.AttestazioneISEE) *VerificaISEE {
	v := &VerificaISEE{ValoreDichiarato: d.Valore, ProtocolloDichiarato: d.ProtocolloDSU, ProtocolloAttestato: a.ProtocolloDSU}
	beneficiario := contracts.NormalizeCodiceFiscale(d.CodiceFiscaleBeneficiario)
	if beneficiario == "" {
		beneficiario = dichiarante
	}
	tipo := d.Tipo
	if tipo == "" && d.CodicePrestazione == "" {
		tipo = contracts.ISEEOrdinario
	}
	var why []string
	if d.ProtocolloDSU != "" && d.ProtocolloDSU != a.ProtocolloDSU {
		why = append(why, fmt.Sprintf("the DSU valid on %s is %s, not the declared %s", date, a.ProtocolloDSU, d.ProtocolloDSU))
	}
	sel, err := inps.SelezionaISEE(a, inps.RichiestaSelezione{CodiceFiscaleBeneficiario: beneficiario, CodicePrestazione: d.CodicePrestazione, Tipo: tipo, DataRiferimento: date})
	switch {
	case err != nil && d.Valore != nil:
		why = append(why, "no indicator of the attestation applies: "+Problem(err).Detail)
	case err == nil:
		v.Tipo, v.Incongruenze = sel.Indicatore.Tipo, sel.Incongruenze
		if val := sel.Indicatore.Valori; val != nil {
			isee := val.ISEE
			v.ValoreAttestato = &isee
		}
		switch {
		case d.Valore == nil:
		case v.ValoreAttestato == nil:
			why = append(why, fmt.Sprintf("INPS's %s indicator has no value (%s)", sel.Indicatore.Tipo, sel.Indicatore.Stato))
		case !d.Valore.Round(2).Equal(v.ValoreAttestato.Round(2)):
			why = append(why, fmt.Sprintf("declared ISEE %s; INPS's %s indicator is %s", d.Valore, sel.Indicatore.Tipo, v.ValoreAttestato))
		}
	}
	v.Esito = ISEEConforme
	if len(why) > 0 {
		v.Esito, v.Motivo = ISEEDifforme, strings.Join(why, "; ")
	}
	return v
}
