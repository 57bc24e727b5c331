package anpr

import (
	"strconv"
	"strings"
	"time"

	anpr "github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

// Errors and warnings. EN122 and EN148 are ANPR's own (payloads.md §2.5). ANPR publishes no list of
// its other codes, so the simulator's request checks use codes prefixed SIM: a client must treat
// them like any unknown ANPR code (kept with their text).
var (
	koNotFound = e002.TipoErroriAnomalia{CodiceErroreAnomalia: anpr.CodiceNonTrovato, TipoErroreAnomalia: "E",
		TestoErroreAnomalia: "La richiesta effettuata non produce alcun risultato"}
	koDeceased = e002.TipoErroriAnomalia{CodiceErroreAnomalia: anpr.CodiceDeceduto, TipoErroreAnomalia: "E",
		TestoErroreAnomalia: "Il soggetto risulta deceduto alla data di riferimento"}
	koServerError = e002.TipoErroriAnomalia{CodiceErroreAnomalia: "SIM500", TipoErroreAnomalia: "E",
		TestoErroreAnomalia: "Errore interno del sistema (simulato)"}
	anomaliaSemantica = e002.TipoErroriAnomalia{CodiceErroreAnomalia: "SIM102", TipoErroreAnomalia: "W",
		TestoErroreAnomalia: "Anomalia di prova iniettata dal simulatore"}
)

// Codes of the simulator's request checks and warnings.
const (
	CodiceCasoUso          = "SIM001" // datiRichiesta.casoUso does not match the e-service
	CodiceIDOperazione     = "SIM002" // idOperazioneClient empty or not alphanumeric
	CodiceDataRiferimento  = "SIM003" // dataRiferimentoRichiesta not a YYYY-MM-DD date
	CodiceMotivo           = "SIM004" // motivoRichiesta empty
	CodiceCriteri          = "SIM005" // criteriRicerca cannot select a subject for this use case
	CodiceStoricoResidenza = "SIM101" // warning: residence history before dataDecorrenza not simulated
)

func ko(code, oggetto, campo, testo string) e002.TipoErroriAnomalia {
	return e002.TipoErroriAnomalia{CodiceErroreAnomalia: code, TipoErroreAnomalia: "E", TestoErroreAnomalia: testo,
		OggettoErroreAnomalia: oggetto, CampoErroreAnomalia: campo}
}

// answer is ANPR's business logic: request checks (400 RispostaKO), lookup (404 EN122), the death
// rule (400 EN148 for C021 and C018) and the answer of use case c at dataRiferimentoRichiesta.
func (s *server) answer(c anpr.CasoUso, req e002.RichiestaE002) (e002.RispostaE002OK, int, []e002.TipoErroriAnomalia) {
	var errs []e002.TipoErroriAnomalia
	dr, cr := req.DatiRichiesta, req.CriteriRicerca
	if dr.CasoUso != string(c) {
		errs = append(errs, ko(CodiceCasoUso, "datiRichiesta", "casoUso", "Il caso d'uso indicato non corrisponde al servizio "+string(c)))
	}
	if id := req.IDOperazioneClient; id == "" || len(id) > anpr.MaxIDOperazioneClient || strings.IndexFunc(id, notAlnum) >= 0 {
		errs = append(errs, ko(CodiceIDOperazione, "richiesta", "idOperazioneClient", "idOperazioneClient deve essere un alfanumerico di al massimo 30 caratteri"))
	}
	t, err := time.Parse(time.DateOnly, dr.DataRiferimentoRichiesta)
	if err != nil {
		errs = append(errs, ko(CodiceDataRiferimento, "datiRichiesta", "dataRiferimentoRichiesta", "dataRiferimentoRichiesta non e' una data AAAA-MM-GG"))
	}
	if strings.TrimSpace(dr.MotivoRichiesta) == "" {
		errs = append(errs, ko(CodiceMotivo, "datiRichiesta", "motivoRichiesta", "motivoRichiesta e' obbligatorio: indicare il riferimento della pratica"))
	}
	cf := contracts.NormalizeCodiceFiscale(cr.CodiceFiscale)
	idANPR := strings.ToUpper(strings.TrimSpace(cr.IDANPR))
	switch {
	case c == anpr.C030 && cf == "":
		errs = append(errs, ko(CodiceCriteri, "criteriRicerca", "codiceFiscale", "C030 richiede il codice fiscale"))
	case cf == "" && idANPR == "":
		errs = append(errs, ko(CodiceCriteri, "criteriRicerca", "idANPR", "indicare idANPR o codice fiscale"))
	}
	if len(errs) > 0 {
		return e002.RispostaE002OK{}, 400, errs
	}
	rif := population.DateOf(t)
	p := s.lookup(cf, idANPR)
	if p == nil || rif.Before(p.DataNascita) {
		return e002.RispostaE002OK{}, 404, []e002.TipoErroriAnomalia{koNotFound}
	}
	dead := deadAt(p, rif)
	if dead && (c == anpr.C021 || c == anpr.C018) {
		return e002.RispostaE002OK{}, 400, []e002.TipoErroriAnomalia{koDeceased}
	}
	var out e002.RispostaE002OK
	d := e002.TipoDatiSoggettiEnte{Generalita: generalita(p), Identificativi: &e002.TipoIdentificativi{IDANPR: p.IDANPR}}
	switch c {
	case anpr.C020:
		var warn *e002.TipoErroriAnomalia
		d.Residenza, warn = residenza(p, rif)
		if warn != nil {
			out.ListaAnomalie = append(out.ListaAnomalie, *warn)
		}
		d.InfoSoggettoEnte = esistenzaInVita(!dead)
		if dead {
			d.DatiDecesso = datiDecesso(p)
		}
	case anpr.C015:
		d.StatoCivile = &e002.TipoStatoCivile{StatoCivile: p.StatoCivile}
		if dead {
			d.DatiDecesso = datiDecesso(p)
		}
	case anpr.C018:
		for _, st := range p.Cittadinanze {
			d.Cittadinanza = append(d.Cittadinanza, e002.TipoCittadinanza{CodiceStato: st.CodiceISTAT, DescrizioneStato: st.Nome})
		}
	case anpr.C019:
		d.InfoSoggettoEnte = esistenzaInVita(!dead)
		if dead {
			d.DatiDecesso = datiDecesso(p)
		}
	case anpr.C021:
		out.ListaSoggetti = &e002.TipoListaSoggetti{DatiSoggetto: s.famiglia(p, rif)}
		return out, 200, nil
	}
	out.ListaSoggetti = &e002.TipoListaSoggetti{DatiSoggetto: []e002.TipoDatiSoggettiEnte{d}}
	return out, 200, nil
}

func notAlnum(r rune) bool {
	return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
}

// lookup finds the subject by codice fiscale and/or idANPR; both given must name the same person.
func (s *server) lookup(cf, idANPR string) *population.Person {
	var byCF, byID *population.Person
	if cf != "" {
		if byCF = s.pop.ByCodiceFiscale(cf); byCF == nil {
			return nil
		}
	}
	if idANPR != "" {
		if byID = s.pop.ByIDANPR(idANPR); byID == nil || (byCF != nil && byCF != byID) {
			return nil
		}
		return byID
	}
	return byCF
}

// deadAt reports whether p had died on or before d: a person who died after the reference date is
// alive at it.
func deadAt(p *population.Person, d population.Date) bool {
	return p.DataDecesso != nil && !d.Before(*p.DataDecesso)
}

func generalita(p *population.Person) *e002.TipoGeneralita {
	g := &e002.TipoGeneralita{
		CodiceFiscale: &e002.TipoCodiceFiscale{CodFiscale: p.CodiceFiscale, ValiditaCF: "1"},
		Cognome:       p.Cognome, Nome: p.Nome, Sesso: p.Sesso, DataNascita: p.DataNascita.String(),
	}
	switch {
	case p.SenzaGiornoMese:
		g.SenzaGiornoMese = "1"
	case p.SenzaGiorno:
		g.SenzaGiorno = "1"
	}
	if p.ComuneNascita != nil {
		g.LuogoNascita = &e002.TipoLuogoEvento{Comune: comune(p.ComuneNascita)}
	} else if p.StatoNascita != nil {
		g.LuogoNascita = &e002.TipoLuogoEvento{Localita: &e002.TipoLocalita{DescrizioneStato: p.StatoNascita.Nome, CodiceStato: p.StatoNascita.CodiceISTAT}}
	}
	if p.AIRE() {
		g.SoggettoAIRE = "S"
	}
	return g
}

func comune(c *population.Comune) *e002.TipoComune {
	return &e002.TipoComune{NomeComune: c.Nome, CodiceIstat: c.CodiceISTAT, SiglaProvinciaIstat: c.SiglaProvincia}
}

// residenza renders the current residence. Before its dataDecorrenza the population knows no earlier
// address: the record is left out and a warning says so.
func residenza(p *population.Person, rif population.Date) ([]e002.TipoResidenza, *e002.TipoErroriAnomalia) {
	in := p.Residenza
	if rif.Before(in.DataDecorrenza) {
		return nil, &e002.TipoErroriAnomalia{CodiceErroreAnomalia: CodiceStoricoResidenza, TipoErroreAnomalia: "W",
			TestoErroreAnomalia:   "Residenza alla data di riferimento non disponibile nel simulatore (decorrenza attuale " + in.DataDecorrenza.String() + ")",
			OggettoErroreAnomalia: "residenza", CampoErroreAnomalia: "dataDecorrenzaResidenza"}
	}
	r := e002.TipoResidenza{TipoIndirizzo: in.TipoIndirizzo, DataDecorrenzaResidenza: in.DataDecorrenza.String()}
	if in.Comune != nil {
		r.Indirizzo = &e002.TipoIndirizzo{Cap: in.CAP, Comune: comune(in.Comune),
			Toponimo:     &e002.TipoToponimo{Specie: in.Specie, DenominazioneToponimo: in.Denominazione},
			NumeroCivico: &e002.TipoNumeroCivico{Numero: in.Civico}}
	}
	if e := in.Estero; e != nil {
		r.LocalitaEstera = &e002.TipoLocalitaEstera1{
			IndirizzoEstero: &e002.TipoIndirizzoEstero{Cap: e.CAP,
				Localita: &e002.TipoDatoLocalitaEstera{DescrizioneLocalita: e.Localita, DescrizioneStato: e.Stato.Nome, CodiceStato: e.Stato.CodiceISTAT},
				Toponimo: &e002.TipoToponimoEstero{Denominazione: e.Indirizzo}},
			Consolato: &e002.TipoConsolato{CodiceConsolato: e.Consolato.Codice, DescrizioneConsolato: e.Consolato.Descrizione},
		}
	}
	return []e002.TipoResidenza{r}, nil
}

// datiDecesso renders the death. The population records no place of death: the simulator uses the
// comune of residence (none for AIRE residents).
func datiDecesso(p *population.Person) *e002.TipoDatiEvento {
	d := &e002.TipoDatiEvento{DataEvento: p.DataDecesso.String()}
	if c := p.Residenza.Comune; c != nil {
		d.LuogoEvento = &e002.TipoLuogoEvento{Comune: comune(c)}
	}
	return d
}

func esistenzaInVita(alive bool) []e002.TipoInfoSoggettoEnte {
	v := "S"
	if !alive {
		v = "N"
	}
	return []e002.TipoInfoSoggettoEnte{{ID: "1003", Chiave: "Verifica esistenza in vita", Valore: v}}
}

// famiglia renders the family of p at rif: every member born by then and not dead by then, each with
// its legameSoggetto and the family's ids.
func (s *server) famiglia(p *population.Person, rif population.Date) []e002.TipoDatiSoggettiEnte {
	h := s.pop.HouseholdOf(p)
	tipoLegame := "3" // famiglia, per ANPR's tipoDato.xsd (5 = famiglia AIRE); clients must not rely on it
	aire := "N"
	if h.AIRE {
		tipoLegame, aire = "5", "S"
	}
	var out []e002.TipoDatiSoggettiEnte
	for _, m := range h.Members {
		if rif.Before(m.DataNascita) || deadAt(m, rif) {
			continue
		}
		dal := h.Indirizzo.DataDecorrenza
		if dal.Before(m.DataNascita) {
			dal = m.DataNascita
		}
		out = append(out, e002.TipoDatiSoggettiEnte{
			Generalita:     generalita(m),
			Identificativi: &e002.TipoIdentificativi{IDANPR: m.IDANPR},
			LegameSoggetto: &e002.TipoLegameSoggettoCompleto{TipoLegame: tipoLegame, CodiceLegame: m.CodiceLegame,
				ProgressivoComponente: strconv.Itoa(m.Progressivo), DataDecorrenza: dal.String()},
			FamigliaConvivenza: &e002.TipoFamigliaConvivenza{IDFamigliaConvivenzaANPR: h.ID, FamigliaAire: aire, TipoScheda: "1"},
		})
	}
	return out
}
