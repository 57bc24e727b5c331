package siuss

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/shopspring/decimal"

	"github.com/welfaregov/gateway/contracts"
)

// The rules of the SIUSS specification that the XSDs do not express (siuss-waas.md §4.4, §4.6,
// §4.7, §4.11, §6.1, §7). Each has a stable name, reported as Problem.Rule and listed in README.md.
const (
	RuleNome            = "siuss.nome"             // @Nome is the id_flusso: {Belfiore}.{PS|SINBA}.{YYYYMMDD}.{NNNNNNN}, of this type and ente
	RuleCodiceEnte      = "siuss.codice-ente"      // Ente@Codice is the entry's codice_ente
	RuleCooperazione    = "siuss.cooperazione"     // one beneficiary and one prestazione (one SINBA with one CodicePrestazione)
	RuleCodiceFiscale   = "siuss.codice-fiscale"   // a real codice fiscale (check character included)
	RuleOmocodia        = "siuss.omocodia"         // omocodia in positions 7-8 or 10-11 cannot pass the SIUSS pattern
	RuleCarattere       = "siuss.carattere"        // CaratterePrestazione is always given (the XSD has it optional)
	RulePeriodica       = "siuss.periodica"        // periodic: DataInizioPrestazione and ImportoMensile
	RuleOccasionale     = "siuss.occasionale"      // one-off: DataErogazionePrestazione and ImportoPrestazione
	RuleCampiCarattere  = "siuss.campi-carattere"  // no field of the other carattere
	RuleAnnoFine        = "siuss.anno-fine"        // DataFinePrestazione in the year of DataInizioPrestazione, not before it
	RuleImportoPositivo = "siuss.importo-positivo" // amounts > 0 (ImportoQuotaUtente, Richiesta, SogliaISEE >= 0)
	RuleFormatoImporto  = "siuss.formato-importo"  // amounts with two decimals and '.'; OreServizioMensile H.MM
	RuleSommaQuote      = "siuss.somma-quote"      // quotas add up to the monthly or one-off amount
	RuleDSU             = "siuss.dsu"              // NumeroProtocolloDSU, AnnoProtocolloDSU, DataDSU all or none
	RuleAreaUtenza      = "siuss.area-utenza"      // AreaUtenza when PresaCarico=1
	RuleResidenzaItalia = "siuss.residenza-italia" // region and comune when the nation is 380
	RuleISO3166         = "siuss.iso3166"          // nation and citizenship codes are ISO 3166-1 numeric (or 990)
	RuleComponentiISEE  = "siuss.componenti-isee"  // SINBA NumeroComponentiISEE is 1..9
	RulePseudonimo      = "siuss.pseudonimo"       // SINBA IDBeneficiario is a pseudonym, not a codice fiscale
)

var (
	amountPattern = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`) // a sign is the importo-positivo rule's business
	orePattern    = regexp.MustCompile(`^[0-9]+\.[0-5][0-9]$`)
	// isoCodes are the ISO 3166-1 numeric codes of the state table, and 990.
	isoCodes = func() map[string]bool {
		m := map[string]bool{contracts.ISONonDisponibile: true}
		for code := 0; code < 1000; code++ {
			iso := fmt.Sprintf("%03d", code)
			_, m[iso] = contracts.StatoISTAT(iso)
		}
		m[contracts.ISONonDisponibile] = true
		return m
	}()
)

type rules struct {
	problems []Problem
}

func (r *rules) add(path, rule, format string, args ...any) {
	r.problems = append(r.problems, Problem{Path: path, Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

// checkRules applies the specification's rules to a schema-valid flow.
func checkRules(t Tipo, idFlusso, codiceEnte string, flow []byte) []Problem {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(flow); err != nil {
		return []Problem{{Path: "/", Rule: "well-formed", Detail: "the flow cannot be read"}}
	}
	root := doc.Root()
	r := &rules{}
	ident := root.SelectElement("IdentificazioneFlusso")
	ente := ident.SelectElement("Ente")
	r.nome(t, idFlusso, ident.SelectAttrValue("Nome", ""), ente.SelectAttrValue("Codice", ""))
	if c := ente.SelectAttrValue("Codice", ""); c != codiceEnte {
		r.add("/Flusso/IdentificazioneFlusso/Ente/@Codice", RuleCodiceEnte, "must equal the codice_ente the flow is published under")
	}
	r.codiceFiscale("/Flusso/IdentificazioneFlusso/Ente/@CFOperatore", ente.SelectAttrValue("CFOperatore", ""))
	if t == TipoSINBA {
		r.sinba(root)
	} else {
		r.ps(root)
	}
	return r.problems
}

func (r *rules) nome(t Tipo, idFlusso, nome, codice string) {
	const path = "/Flusso/IdentificazioneFlusso/@Nome"
	if nome != idFlusso {
		r.add(path, RuleNome, "must equal the id_flusso the flow is published under")
		return
	}
	id, err := ParseIDFlusso(nome)
	switch {
	case err != nil:
		r.add(path, RuleNome, "must be {Belfiore}.{PS|SINBA}.{YYYYMMDD}.{NNNNNNN} with a real date and a sequence from 1")
	case id.Tipo != t:
		r.add(path, RuleNome, "names a %s flow, but the flow is %s", id.Tipo, t)
	case id.Ente != codice:
		r.add(path, RuleNome, "must begin with the Ente@Codice")
	}
}

func (r *rules) codiceFiscale(path, cf string) {
	cf = strings.TrimRight(cf, " ") // the XSD pattern allows an 11-digit code padded to 16
	if err := contracts.ValidateCodiceFiscale(cf); err != nil {
		r.add(path, RuleCodiceFiscale, "%s", strings.TrimPrefix(err.Error(), "codice fiscale: "))
	}
}

// omocodiaProblems explains a CodiceFiscale pattern failure caused by deep omocodia: the Agenzia
// delle Entrate replaces digits with letters from the right (positions 15, 14, 13, then 12, 10, 9,
// 7), and the SIUSS pattern accepts letters only in 13-15. Such a code is a real one that SIUSS
// cannot receive; an operator must agree its transmission with INPS.
func omocodiaProblems(flow []byte, problems []Problem) []Problem {
	doc := etree.NewDocument()
	if doc.ReadFromBytes(flow) != nil || doc.Root() == nil {
		return nil
	}
	var out []Problem
	for _, p := range problems {
		if p.Rule != "pattern" || !strings.HasSuffix(p.Path, "/@CodiceFiscale") {
			continue
		}
		for _, b := range doc.Root().SelectElements("Beneficiario") {
			cf := b.SelectAttrValue("CodiceFiscale", "")
			if len(cf) == 16 && contracts.ValidateCodiceFiscalePersona(strings.ToUpper(cf)) == nil && contracts.IsOmocode(strings.ToUpper(cf)) {
				out = append(out, Problem{Path: p.Path, Rule: RuleOmocodia, Detail: "a valid codice fiscale with omocodia substitutions in positions 7-8 or 10-11, which the SIUSS pattern does not accept: agree its transmission with INPS"})
				break
			}
		}
	}
	return out
}

func (r *rules) ps(root *etree.Element) {
	bens := root.SelectElements("Beneficiario")
	if len(bens) != 1 {
		r.add("/Flusso", RuleCooperazione, "in cooperation mode a flow carries exactly one Beneficiario, found %d", len(bens))
	}
	for i, ben := range bens {
		bp := fmt.Sprintf("/Flusso/Beneficiario[%d]", i+1)
		r.codiceFiscale(bp+"/@CodiceFiscale", ben.SelectAttrValue("CodiceFiscale", ""))
		an := ben.SelectElement("Anagrafica")
		r.iso(bp+"/Anagrafica[1]/@CodiceCittadinanza", an.SelectAttrValue("CodiceCittadinanza", ""))
		if a := an.SelectAttr("CodiceSecondaCittadinanza"); a != nil {
			r.iso(bp+"/Anagrafica[1]/@CodiceSecondaCittadinanza", a.Value)
		}
		for j, ind := range ben.SelectElements("Indirizzo") {
			ip := fmt.Sprintf("%s/Indirizzo[%d]", bp, j+1)
			nazione := ind.SelectAttrValue("CodiceNazione", "")
			r.iso(ip+"/@CodiceNazione", nazione)
			if nazione == "380" && (ind.SelectAttr("CodiceRegione") == nil || ind.SelectAttr("CodiceComune") == nil) {
				r.add(ip, RuleResidenzaItalia, "CodiceRegione and CodiceComune are required when CodiceNazione is 380")
			}
		}
		pss := ben.SelectElements("PrestazioniSociali")
		if len(pss) != 1 {
			r.add(bp, RuleCooperazione, "in cooperation mode a flow carries exactly one PrestazioniSociali, found %d", len(pss))
		}
		for j, ps := range pss {
			r.prestazione(fmt.Sprintf("%s/PrestazioniSociali[%d]", bp, j+1), ps)
		}
	}
}

func (r *rules) iso(path, code string) {
	if !isoCodes[code] {
		r.add(path, RuleISO3166, "not the ISO 3166-1 numeric code of a state nor 990 (an ISTAT code? Italy is 380, not 100)")
	}
}

// prestazione checks one PrestazioniSociali (siuss-waas.md §4.4, §4.6).
func (r *rules) prestazione(path string, ps *etree.Element) {
	attr := func(name string) (string, bool) {
		if a := ps.SelectAttr(name); a != nil {
			return a.Value, true
		}
		return "", false
	}
	at := func(name string) string { return path + "/@" + name }
	amounts := map[string]decimal.Decimal{}
	for _, name := range []string{"ImportoPrestazione", "ImportoMensile", "ImportoQuotaEnte", "ImportoQuotaUtente", "ImportoQuotaSSN", "ImportoQuotaRichiesta", "ImportoSogliaISEE"} {
		v, ok := attr(name)
		if !ok {
			continue
		}
		if !amountPattern.MatchString(v) {
			r.add(at(name), RuleFormatoImporto, "amounts are written with two decimals and '.' (e.g. 101.20)")
			continue
		}
		d := decimal.RequireFromString(v)
		amounts[name] = d
		strict := name != "ImportoQuotaUtente" && name != "ImportoQuotaRichiesta" && name != "ImportoSogliaISEE"
		if d.Sign() < 0 || (strict && d.Sign() == 0) {
			if strict {
				r.add(at(name), RuleImportoPositivo, "must be greater than 0 (leave a zero quota out)")
			} else {
				r.add(at(name), RuleImportoPositivo, "must not be negative")
			}
		}
	}
	if v, ok := attr("OreServizioMensile"); ok && !orePattern.MatchString(v) {
		r.add(at("OreServizioMensile"), RuleFormatoImporto, "hours are written H.MM (minutes 00-59)")
	}
	carattere, ok := attr("CaratterePrestazione")
	if !ok {
		r.add(at("CaratterePrestazione"), RuleCarattere, "required (1 periodico, 2 occasionale)")
	}
	periodicOnly := []string{"DataInizioPrestazione", "DataFinePrestazione", "ImportoMensile", "PeriodoErogazione"}
	oneOffOnly := []string{"DataErogazionePrestazione", "ImportoPrestazione"}
	var total string
	switch carattere {
	case "1":
		total = "ImportoMensile"
		for _, name := range []string{"DataInizioPrestazione", "ImportoMensile"} {
			if _, ok := attr(name); !ok {
				r.add(at(name), RulePeriodica, "required for a periodic benefit (CaratterePrestazione 1)")
			}
		}
		for _, name := range oneOffOnly {
			if _, ok := attr(name); ok {
				r.add(at(name), RuleCampiCarattere, "belongs to one-off benefits, not to a periodic one")
			}
		}
		inizio, okI := attr("DataInizioPrestazione")
		fine, okF := attr("DataFinePrestazione")
		if okI && okF {
			switch {
			case inizio[:4] != fine[:4]:
				r.add(at("DataFinePrestazione"), RuleAnnoFine, "must be in the year of DataInizioPrestazione: split a benefit that crosses a year")
			case fine < inizio:
				r.add(at("DataFinePrestazione"), RuleAnnoFine, "is before DataInizioPrestazione")
			}
		}
	case "2":
		total = "ImportoPrestazione"
		for _, name := range []string{"DataErogazionePrestazione", "ImportoPrestazione"} {
			if _, ok := attr(name); !ok {
				r.add(at(name), RuleOccasionale, "required for a one-off benefit (CaratterePrestazione 2)")
			}
		}
		for _, name := range periodicOnly {
			if _, ok := attr(name); ok {
				r.add(at(name), RuleCampiCarattere, "belongs to periodic benefits, not to a one-off one")
			}
		}
	}
	quotas := []string{"ImportoQuotaEnte", "ImportoQuotaUtente", "ImportoQuotaSSN"}
	sum, anyQuota := decimal.Zero, false
	for _, q := range quotas {
		if d, ok := amounts[q]; ok {
			sum, anyQuota = sum.Add(d), true
		}
	}
	if t, ok := amounts[total]; ok && anyQuota && !sum.Equal(t) {
		r.add(at("ImportoQuotaEnte"), RuleSommaQuote, "ImportoQuotaEnte + ImportoQuotaUtente + ImportoQuotaSSN = %s, but %s is %s", sum.StringFixed(2), total, t.StringFixed(2))
	}
	dsu := 0
	for _, name := range []string{"NumeroProtocolloDSU", "AnnoProtocolloDSU", "DataDSU"} {
		if v, ok := attr(name); ok && v != "" {
			dsu++
		}
	}
	if dsu != 0 && dsu != 3 {
		r.add(at("NumeroProtocolloDSU"), RuleDSU, "NumeroProtocolloDSU, AnnoProtocolloDSU and DataDSU go all together or not at all")
	}
	if presa, _ := attr("PresaCarico"); presa == "1" {
		if _, ok := attr("AreaUtenza"); !ok {
			r.add(at("AreaUtenza"), RuleAreaUtenza, "required when PresaCarico is 1")
		}
	}
}

func (r *rules) sinba(root *etree.Element) {
	sinbas := root.SelectElements("SINBA")
	if len(sinbas) != 1 {
		r.add("/Flusso", RuleCooperazione, "in cooperation mode a flow carries exactly one SINBA, found %d", len(sinbas))
	}
	for i, s := range sinbas {
		sp := fmt.Sprintf("/Flusso/SINBA[%d]", i+1)
		if n := len(s.SelectElement("Prestazioni").SelectElements("CodicePrestazione")); n != 1 {
			r.add(sp+"/Prestazioni[1]", RuleCooperazione, "send one CodicePrestazione per SINBA flow (INPS rejected a two-code sample), found %d", n)
		}
		if looksLikeCodiceFiscale(s.SelectAttrValue("IDBeneficiario", "")) {
			r.add(sp+"/@IDBeneficiario", RulePseudonimo, "SINBA is pseudonymous: the ente's pseudonym of the child, never a codice fiscale")
		}
		nazione := s.SelectAttrValue("CodiceNazioneResidenza", "")
		r.iso(sp+"/@CodiceNazioneResidenza", nazione)
		if nazione == "380" && s.SelectAttr("CodiceRegioneResidenza") == nil {
			r.add(sp+"/@CodiceRegioneResidenza", RuleResidenzaItalia, "required when CodiceNazioneResidenza is 380")
		}
		for _, name := range []string{"CodiceCittadinanzaPadre", "CodiceCittadinanzaMadre"} {
			if a := s.SelectAttr(name); a != nil {
				r.iso(sp+"/@"+name, a.Value)
			}
		}
		if a := s.SelectAttr("NumeroComponentiISEE"); a != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err != nil || n < 1 {
				r.add(sp+"/@NumeroComponentiISEE", RuleComponentiISEE, "must be 1..9")
			}
		}
	}
}
