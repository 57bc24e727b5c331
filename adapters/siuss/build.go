package siuss

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/shopspring/decimal"

	"github.com/welfaregov/gateway/contracts"
)

// isoItalia is Italy's ISO 3166-1 numeric code.
const isoItalia = "380"

// Namespace is the target namespace of both SIUSS schemas; every element of a flow is in it
// (elementFormDefault="qualified"), attributes are unqualified.
const Namespace = "http://inps.it/Casellario"

// BuildError lists why a model value cannot become a flow. Paths are JSON Pointers into the model
// (/beneficiario/cittadinanze/0/codiceStato); details never repeat personal data.
type BuildError struct {
	Problems []Problem
}

func (e *BuildError) Error() string {
	return "siuss: cannot build the flow: " + joinProblems(e.Problems)
}

// ErrBuild matches every *BuildError with errors.Is.
var ErrBuild = errors.New("siuss: cannot build the flow")

// Is lets errors.Is(err, ErrBuild) match.
func (e *BuildError) Is(target error) bool { return target == ErrBuild }

// builder accumulates the problems met while mapping the model.
type builder struct {
	problems []Problem
}

func (b *builder) fail(path, rule, format string, args ...any) {
	b.problems = append(b.problems, Problem{Path: path, Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

func (b *builder) err() error {
	if len(b.problems) == 0 {
		return nil
	}
	return &BuildError{Problems: b.problems}
}

// newFlusso starts a flow document: the root Flusso in the SIUSS namespace, with
// IdentificazioneFlusso@Nome = id and its Ente. No xsi:schemaLocation: the samples' single-URI
// value is not a valid location pair.
func newFlusso(id string, ente Ente) (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("Flusso")
	root.CreateAttr("xmlns", Namespace)
	ident := root.CreateElement("IdentificazioneFlusso")
	ident.CreateAttr("Nome", id)
	e := ident.CreateElement("Ente")
	e.CreateAttr("Codice", ente.Codice)
	if ente.Denominazione != "" {
		e.CreateAttr("Denominazione", ente.Denominazione)
	}
	e.CreateAttr("Indirizzo", ente.Indirizzo)
	e.CreateAttr("CFOperatore", ente.CFOperatore)
	return doc, root
}

// serialize writes the document as compact UTF-8 (no indentation: elements with empty content
// must not receive whitespace, and one spelling per flow keeps the bytes stable).
func serialize(doc *etree.Document) ([]byte, error) {
	doc.WriteSettings.CanonicalAttrVal = true
	return doc.WriteToBytes()
}

// BuildPS turns one prestazione into one PS_PSA_SINA flow named id (IdentificazioneFlusso@Nome,
// equal to the id_flusso it will be published under) from ente. It maps codes (ISTAT state codes to
// ISO 3166, the comune to its region, enums to SIUSS codes) and formats amounts with two decimals;
// a value it cannot map is a *BuildError. It does not judge the content: Validate does, and the
// publisher calls both.
func BuildPS(id string, ente Ente, p contracts.PrestazioneSociale) ([]byte, error) {
	b := &builder{}
	doc, root := newFlusso(id, ente)
	ben := root.CreateElement("Beneficiario")
	bp := p.Beneficiario
	ben.CreateAttr("CodiceFiscale", bp.CodiceFiscale)
	b.anagrafica(ben.CreateElement("Anagrafica"), bp)
	b.indirizzo(ben.CreateElement("Indirizzo"), bp)
	b.prestazione(ben.CreateElement("PrestazioniSociali"), p)
	if err := b.err(); err != nil {
		return nil, err
	}
	return serialize(doc)
}

func (b *builder) anagrafica(a *etree.Element, p contracts.Persona) {
	a.CreateAttr("Cognome", p.Cognome)
	a.CreateAttr("Nome", p.Nome)
	if p.DataNascita.IsZero() {
		b.fail("/beneficiario/dataNascita", "required", "the year of birth is required")
	} else {
		a.CreateAttr("AnnoNascita", fmt.Sprintf("%04d", p.DataNascita.Year()))
	}
	if p.LuogoNascita == nil || p.LuogoNascita.CodiceBelfiore == "" {
		b.fail("/beneficiario/luogoNascita/codiceBelfiore", "required", "the Belfiore code of the place of birth is required")
	} else {
		a.CreateAttr("LuogoNascita", p.LuogoNascita.CodiceBelfiore)
	}
	switch p.Sesso {
	case contracts.SessoMaschile:
		a.CreateAttr("Genere", "1")
	case contracts.SessoFemminile:
		a.CreateAttr("Genere", "2")
	default:
		b.fail("/beneficiario/sesso", "required", "M or F is required (SIUSS Genere 1/2)")
	}
	// No citizenship on record is SIUSS's "990 = non disponibile", not a reason to hold the flow.
	cittadinanza := contracts.ISONonDisponibile
	if len(p.Cittadinanze) > 0 {
		cittadinanza = b.iso("/beneficiario/cittadinanze/0/codiceStato", p.Cittadinanze[0].CodiceStato)
	}
	a.CreateAttr("CodiceCittadinanza", cittadinanza)
	if len(p.Cittadinanze) > 1 {
		a.CreateAttr("CodiceSecondaCittadinanza", b.iso("/beneficiario/cittadinanze/1/codiceStato", p.Cittadinanze[1].CodiceStato))
	}
}

// iso converts an ISTAT state code to ISO 3166-1 numeric.
func (b *builder) iso(path, istat string) string {
	if iso, ok := contracts.StatoISO(istat); ok {
		return iso
	}
	b.fail(path, "mapping", "ISTAT state code %q has no ISO 3166-1 numeric code in the table (dependent territories and Kosovo are not mapped): an operator must decide", istat)
	return ""
}

// residenza picks the residence SIUSS reports: ANPR tipoIndirizzo 1 (residenza) or 4 (residenza
// estera) first, else the first address on record.
func residenza(p contracts.Persona) (int, *contracts.Residenza) {
	for i := range p.Residenze {
		if t := p.Residenze[i].TipoIndirizzo; t == "1" || t == "4" {
			return i, &p.Residenze[i]
		}
	}
	if len(p.Residenze) > 0 {
		return 0, &p.Residenze[0]
	}
	return -1, nil
}

func (b *builder) indirizzo(ind *etree.Element, p contracts.Persona) {
	i, r := residenza(p)
	if r == nil {
		b.fail("/beneficiario/residenze", "required", "a residence is required (SIUSS Indirizzo)")
		return
	}
	path := "/beneficiario/residenze/" + strconv.Itoa(i)
	if r.Estero != nil {
		ind.CreateAttr("CodiceNazione", b.iso(path+"/estero/codiceStato", r.Estero.CodiceStato))
		return
	}
	regione, ok := b.region(path+"/codiceIstatComune", r.CodiceIstatComune)
	if !ok {
		return
	}
	ind.CreateAttr("CodiceRegione", regione)
	ind.CreateAttr("CodiceComune", r.CodiceIstatComune)
	ind.CreateAttr("CodiceNazione", isoItalia)
}

// region returns the SIUSS region code of an Italian comune (ISTAT code), from its province.
func (b *builder) region(path, comune string) (string, bool) {
	if contracts.ValidateCodiceIstatComune(comune) != nil {
		b.fail(path, "required", "an Italian residence needs the 6-digit ISTAT comune code")
		return "", false
	}
	prov, _ := strconv.Atoi(comune[:3])
	if prov >= len(provinceRegion) || provinceRegion[prov] == "" {
		b.fail(path, "mapping", "ISTAT province %03d is not in the region table", prov)
		return "", false
	}
	return provinceRegion[prov], true
}

func (b *builder) prestazione(ps *etree.Element, p contracts.PrestazioneSociale) {
	if op := p.TipoOperazione.CodiceSIUSS(); op != "" {
		ps.CreateAttr("TipoOperazione", op)
	} else {
		b.fail("/tipoOperazione", "required", "INSERIMENTO or CANCELLAZIONE")
	}
	code := func(path, c string) {
		if c == "" {
			b.fail(path, "required", "a known value is required")
		}
	}
	ps.CreateAttr("PresenzaProvaMezzi", p.ProvaMezzi.CodiceSIUSS())
	code("/provaMezzi", p.ProvaMezzi.CodiceSIUSS())
	ps.CreateAttr("CaratterePrestazione", p.Carattere.CodiceSIUSS())
	code("/carattere", p.Carattere.CodiceSIUSS())
	if d := p.DSU; d != nil {
		ps.CreateAttr("NumeroProtocolloDSU", d.Protocollo)
		ps.CreateAttr("AnnoProtocolloDSU", fmt.Sprintf("%04d", d.Anno))
		b.date(ps, "DataDSU", "/dsu/data", d.Data)
	}
	ps.CreateAttr("CodicePrestazione", p.CodicePrestazione)
	ps.CreateAttr("DenominazionePrestazione", p.DenominazionePrestazione)
	ps.CreateAttr("ProtocolloDomanda", p.ProtocolloDomanda)
	b.date(ps, "DataEvento", "/dataEvento", p.DataEvento)
	b.date(ps, "DataInizioPrestazione", "/dataInizio", p.DataInizio)
	b.date(ps, "DataFinePrestazione", "/dataFine", p.DataFine)
	b.date(ps, "DataErogazionePrestazione", "/dataErogazione", p.DataErogazione)
	b.amount(ps, "ImportoPrestazione", "/importo", p.Importo)
	if p.PeriodoErogazione != 0 {
		ps.CreateAttr("PeriodoErogazione", strconv.Itoa(p.PeriodoErogazione))
	}
	b.amount(ps, "ImportoMensile", "/importoMensile", p.ImportoMensile)
	b.amount(ps, "ImportoQuotaEnte", "/quotaEnte", p.QuotaEnte)
	b.amount(ps, "ImportoQuotaUtente", "/quotaUtente", p.QuotaUtente)
	b.amount(ps, "ImportoQuotaSSN", "/quotaSSN", p.QuotaSSN)
	b.amount(ps, "ImportoQuotaRichiesta", "/quotaRichiesta", p.QuotaRichiesta)
	b.amount(ps, "ImportoSogliaISEE", "/sogliaISEE", p.SogliaISEE)
	if h := p.OreServizioMensile; h != nil {
		if s, ok := formatOre(h.Decimal); ok {
			ps.CreateAttr("OreServizioMensile", s)
		} else {
			b.fail("/oreServizioMensile", "format", "hours are written H.MM (minutes 00-59, at most two decimals)")
		}
	}
	if p.PresaInCarico {
		ps.CreateAttr("PresaCarico", "1")
	} else {
		ps.CreateAttr("PresaCarico", "2")
	}
	if p.AreaUtenza != "" {
		ps.CreateAttr("AreaUtenza", p.AreaUtenza.CodiceSIUSS())
		code("/areaUtenza", p.AreaUtenza.CodiceSIUSS())
	}
	if p.SINA != nil {
		sina(ps.CreateElement("SINA"), p.SINA)
	}
}

func (b *builder) date(el *etree.Element, attr, path string, d contracts.Data) {
	switch {
	case d.IsZero():
	case d.Precision() != contracts.PrecisionDay:
		b.fail(path, "format", "SIUSS dates are full dates (YYYY-MM-DD)")
	default:
		el.CreateAttr(attr, d.String())
	}
}

// amount writes an optional amount with exactly two decimals and '.' (siuss-waas.md §4.4). An
// amount with more decimals is refused rather than rounded: money is never changed silently.
func (b *builder) amount(el *etree.Element, attr, path string, d *contracts.Decimal) {
	if d == nil {
		return
	}
	if !d.Round(2).Equal(d.Decimal) {
		b.fail(path, "format", "amounts have at most two decimals")
		return
	}
	el.CreateAttr(attr, d.StringFixed(2))
}

// formatOre writes OreServizioMensile as H.MM: hours, '.', two digits of minutes. The PDF writes
// "HH,MM" (hours, minutes), which xs:decimal cannot carry with a comma; whether INPS reads ".30" as
// thirty minutes or half an hour is open (siuss-waas.md §8 q7), so the model's value is taken as
// hours.minutes and must have minutes below 60.
func formatOre(d decimal.Decimal) (string, bool) {
	if d.IsNegative() || !d.Round(2).Equal(d) {
		return "", false
	}
	s := d.StringFixed(2)
	_, mm, _ := strings.Cut(s, ".")
	return s, mm[0] < '6'
}

func sina(el *etree.Element, s *contracts.ValutazioneSINA) {
	for _, a := range []struct {
		name     string
		v        int
		optional bool
	}{
		{"Mobilita", s.Mobilita, false},
		{"AttivitaVitaQuotidiana", s.AttivitaVitaQuotidiana, false},
		{"DisturbiAreaCognitiva", s.DisturbiAreaCognitiva, true},
		{"DisturbiComportamentali", s.DisturbiComportamentali, false},
		{"NecessitaCureSanitarie", s.NecessitaCureSanitarie, true},
		{"AreaReddituale", s.AreaReddituale, false},
		{"AreaSupporto", s.AreaSupporto, false},
		{"FonteDerivazioneValutazione", s.FonteDerivazioneValutazione, false},
		{"StrumentoValutazione", s.StrumentoValutazione, false},
		{"FonteDerivazioneInvalidita", s.FonteDerivazioneInvalidita, true},
	} {
		if a.v != 0 || !a.optional {
			el.CreateAttr(a.name, strconv.Itoa(a.v))
		}
	}
	if len(s.NecessitaInterventiSociali) > 0 {
		n := el.CreateElement("NecessitaInterventiSociali")
		for _, c := range s.NecessitaInterventiSociali {
			n.CreateElement("CodicePrestazione").SetText(c)
		}
	}
	if len(s.InvaliditaCivile) > 0 {
		n := el.CreateElement("InvaliditaCivile")
		for _, c := range s.InvaliditaCivile {
			n.CreateElement("InvCiv").SetText(strconv.Itoa(c))
		}
	}
}
