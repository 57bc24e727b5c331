package anpr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/contracts"
)

// Bounds of what the adapter accepts from ANPR.
const (
	// MaxResponseBytes bounds an answer body. A C021 answer is about 1 KB per member; 4 MiB leaves
	// room for the largest cohabitations (convivenze anagrafiche of hundreds of members).
	MaxResponseBytes = 4 << 20
	// MaxSoggetti bounds listaSoggetti.datiSoggetto.
	MaxSoggetti = 2000
	// MaxAnomalie bounds the listaAnomalie and listaErrori entries kept; the rest are counted in a
	// note.
	MaxAnomalie = 100
)

// Meta is what the caller knows about an exchange that the answer does not say.
type Meta struct {
	// IDOperazioneClient is the id the request carried (into Provenienza).
	IDOperazioneClient string
	// DataRiferimento is the request's dataRiferimentoRichiesta (into NucleoFamiliare).
	DataRiferimento contracts.Data
	// Ricevuta is when the answer arrived (Provenienza.DataOraAcquisizione).
	Ricevuta time.Time
}

// Risultato is a translated RispostaE002OK.
type Risultato struct {
	CasoUso          CasoUso `json:"casoUso"`
	IDOperazioneANPR string  `json:"idOperazioneANPR,omitempty"`
	// Soggetti are the subjects in ANPR's order, each with its own copy of Provenienza. Single-subject
	// use cases carry one; more than one means ANPR could not tell people apart (an unresolved
	// omocodia). Empty for C021, whose subjects are the members of NucleoFamiliare.
	Soggetti []contracts.Persona `json:"soggetti,omitempty"`
	// NucleoFamiliare is the C021 household: every subject, its codiceLegame and normalised role.
	NucleoFamiliare *contracts.NucleoFamiliare `json:"nucleoFamiliare,omitempty"`
	// InVita is set for one subject whose answer says whether they are alive at the reference date
	// (infoSoggettoEnte "esistenza in vita", or datiDecesso): always for C019.
	InVita *bool `json:"inVita,omitempty"`
	// Anomalie are ANPR's listaAnomalie, verbatim: warnings that did not stop the answer.
	Anomalie    []Anomalia            `json:"anomalie,omitempty"`
	Provenienza contracts.Provenienza `json:"provenienza"`
}

// ErrSoggetti is returned by Risultato.Soggetto when the answer does not hold exactly one subject.
var ErrSoggetti = errors.New("anpr: the answer does not hold exactly one subject")

// Soggetto returns the only subject of a single-subject answer.
func (r *Risultato) Soggetto() (contracts.Persona, error) {
	if len(r.Soggetti) != 1 {
		return contracts.Persona{}, fmt.Errorf("%w: %s returned %d", ErrSoggetti, r.CasoUso, len(r.Soggetti))
	}
	return r.Soggetti[0], nil
}

// IDANPR returns the idANPR of the only subject (the C030 answer).
func (r *Risultato) IDANPR() (string, error) {
	p, err := r.Soggetto()
	if err != nil {
		return "", err
	}
	if p.IDANPR == "" {
		return "", fmt.Errorf("anpr: %s answer without identificativi.idANPR", r.CasoUso)
	}
	return p.IDANPR, nil
}

// ParseRisposta translates the body of a 200 answer of use case c. It tolerates unknown members and
// missing optional blocks; what is missing or unknown is noted in Provenienza.Anomalie, and data the
// use case requires but the answer lacks sets Provenienza.Incompleto. A body that is not a JSON
// object of the expected shape, or over the bounds, is an *Error (ReasonMalformed, ReasonTooLarge).
func ParseRisposta(c CasoUso, body []byte, m Meta) (*Risultato, error) {
	if len(body) > MaxResponseBytes {
		return nil, &Error{Reason: ReasonTooLarge, CasoUso: c, Status: 200,
			Cause: fmt.Errorf("answer of %d bytes exceeds %d", len(body), MaxResponseBytes)}
	}
	var r e002.RispostaE002OK
	if err := decodeObject(body, &r); err != nil {
		return nil, &Error{Reason: ReasonMalformed, CasoUso: c, Status: 200, Cause: err}
	}
	var soggetti []e002.TipoDatiSoggettiEnte
	if r.ListaSoggetti != nil {
		soggetti = r.ListaSoggetti.DatiSoggetto
	}
	if len(soggetti) > MaxSoggetti {
		return nil, &Error{Reason: ReasonTooLarge, CasoUso: c, Status: 200, IDOperazioneANPR: r.IDOperazioneANPR,
			Cause: fmt.Errorf("%d subjects exceed %d", len(soggetti), MaxSoggetti)}
	}
	t := &translator{}
	out := &Risultato{CasoUso: c, IDOperazioneANPR: r.IDOperazioneANPR, Soggetti: make([]contracts.Persona, 0, len(soggetti))}
	out.Anomalie = t.anomalie("listaAnomalie", r.ListaAnomalie)
	if r.IDOperazioneANPR == "" {
		t.note("idOperazioneANPR: missing, the answer cannot be matched with ANPR's logs")
	}
	switch {
	case len(soggetti) == 0:
		t.missing("listaSoggetti.datiSoggetto: the answer holds no subject")
	case len(soggetti) > 1 && c != C021:
		t.note("listaSoggetti.datiSoggetto: %d subjects match one criterion (an unresolved omocodia?)", len(soggetti))
	}
	vite := make([]*bool, len(soggetti))
	for i := range soggetti {
		p, inVita := t.persona(c, fmt.Sprintf("datiSoggetto[%d]", i), &soggetti[i])
		out.Soggetti = append(out.Soggetti, p)
		vite[i] = inVita
	}
	if len(soggetti) == 1 {
		out.InVita = vite[0]
	}
	if c == C019 && len(soggetti) == 1 && out.InVita == nil {
		t.missing("datiSoggetto[0]: C019 answer without infoSoggettoEnte \"Verifica esistenza in vita\" or datiDecesso")
	}
	if c == C021 {
		out.NucleoFamiliare = t.nucleo(&r, soggetti, out.Soggetti, m.DataRiferimento)
	}
	out.Provenienza = contracts.Provenienza{
		Sistema: contracts.SistemaANPR, Operazione: string(c), IDOperazione: r.IDOperazioneANPR,
		IDOperazioneClient: m.IDOperazioneClient, DataOraAcquisizione: m.Ricevuta, Cache: contracts.CacheMiss,
		Incompleto: t.incompleto, Anomalie: t.notes,
	}
	if c == C021 {
		prov := out.Provenienza
		out.NucleoFamiliare.Provenienza = &prov
		out.Soggetti = nil
	} else {
		for i := range out.Soggetti {
			prov := out.Provenienza
			prov.Anomalie = append([]string(nil), prov.Anomalie...)
			out.Soggetti[i].Provenienza = &prov
		}
	}
	return out, nil
}

// decodeObject decodes one JSON object and nothing after it, with errors that say where the body
// broke but never quote it.
func decodeObject(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errors.New("empty body where a JSON object is required")
	}
	if trimmed[0] != '{' {
		return errors.New("the body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fmt.Errorf("invalid JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			return fmt.Errorf("member %q must be %s, got JSON %s", typ.Field, kindName(typ.Type), typ.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("the JSON ends before the object does (truncated body)")
		}
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

// kindName says what JSON a Go type expects, without naming Go types in messages.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.String:
		return "a string"
	}
	return t.Kind().String()
}

// translator accumulates the notes of one translation.
type translator struct {
	notes      []string
	incompleto bool
}

func (t *translator) note(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

// missing notes data the use case requires and marks the result incomplete.
func (t *translator) missing(format string, args ...any) {
	t.incompleto = true
	t.note(format, args...)
}

func (t *translator) anomalie(where string, list []e002.TipoErroriAnomalia) []Anomalia {
	if len(list) == 0 {
		return nil
	}
	n := min(len(list), MaxAnomalie)
	out := make([]Anomalia, n)
	for i := range n {
		out[i] = anomalia(list[i])
		a := out[i]
		s := where + ": " + a.Codice
		if a.Tipo != "" {
			s += " (" + a.Tipo + ")"
		}
		if a.Testo != "" {
			s += " " + contracts.MaskCodiciFiscaliInText(a.Testo)
		}
		if a.Campo != "" {
			s += " [campo " + contracts.MaskCodiciFiscaliInText(a.Campo) + "]"
		}
		t.notes = append(t.notes, s)
	}
	if len(list) > n {
		t.note("%s: %d more entries dropped (over %d)", where, len(list)-n, MaxAnomalie)
	}
	return out
}

// persona translates one subject; inVita is what the answer says about the subject being alive.
func (t *translator) persona(c CasoUso, at string, d *e002.TipoDatiSoggettiEnte) (contracts.Persona, *bool) {
	var p contracts.Persona
	if d.Identificativi != nil {
		p.IDANPR = strings.TrimSpace(d.Identificativi.IDANPR)
	}
	if p.IDANPR == "" && c == C030 {
		t.missing("%s.identificativi.idANPR: missing from the C030 answer", at)
	} else if p.IDANPR != "" && ValidateIDANPR(p.IDANPR) != nil {
		t.note("%s.identificativi.idANPR: not 9 upper-case letters and digits", at)
	}
	if g := d.Generalita; g != nil {
		t.generalita(at+".generalita", g, &p)
	} else if c != C030 {
		t.missing("%s.generalita: missing", at)
	}
	for i, r := range d.Residenza {
		p.Residenze = append(p.Residenze, t.residenza(fmt.Sprintf("%s.residenza[%d]", at, i), r))
	}
	for i, ct := range d.Cittadinanza {
		p.Cittadinanze = append(p.Cittadinanze, t.cittadinanza(fmt.Sprintf("%s.cittadinanza[%d]", at, i), ct))
	}
	if sc := d.StatoCivile; sc != nil {
		p.StatoCivile = &contracts.StatoCivile{Codice: strings.TrimSpace(sc.StatoCivile),
			NonDocumentato: strings.EqualFold(sc.StatoCivileND, "S"), Note: sc.NoteStatoCivile}
	}
	inVita := t.decesso(at, d, &p)
	switch {
	case c == C020 && len(p.Residenze) == 0 && p.Decesso == nil:
		t.missing("%s.residenza: missing from the C020 answer", at)
	case c == C018 && len(p.Cittadinanze) == 0:
		t.missing("%s.cittadinanza: missing from the C018 answer", at)
	}
	return p, inVita
}

func (t *translator) generalita(at string, g *e002.TipoGeneralita, p *contracts.Persona) {
	if cf := g.CodiceFiscale; cf != nil {
		p.CodiceFiscale = contracts.NormalizeCodiceFiscale(cf.CodFiscale)
		var ce *contracts.CFError
		if err := contracts.ValidateCodiceFiscale(p.CodiceFiscale); errors.As(err, &ce) && ce.Reason != contracts.CFBadCheckCharacter {
			t.note("%s.codiceFiscale.codFiscale: %s", at, ce.Detail)
		}
		switch strings.TrimSpace(cf.ValiditaCF) {
		case "1":
			p.CodiceFiscaleValidato = ptr(true)
		case "9":
			p.CodiceFiscaleValidato = ptr(false)
		case "":
		default:
			t.note("%s.codiceFiscale.validitaCF: unknown value %q (1 validated, 9 not validated)", at, truncate(cf.ValiditaCF))
		}
	}
	p.Cognome, p.Nome = strings.TrimSpace(g.Cognome), strings.TrimSpace(g.Nome)
	switch s := strings.ToUpper(strings.TrimSpace(g.Sesso)); s {
	case "M", "F":
		p.Sesso = contracts.Sesso(s)
	case "":
	case "N":
		t.note("%s.sesso: N (not known to the registry)", at)
	default:
		t.note("%s.sesso: unknown value %q", at, truncate(g.Sesso))
	}
	if g.DataNascita != "" {
		p.DataNascita = t.dataANPR(at+".dataNascita", g.DataNascita, g.SenzaGiorno, g.SenzaGiornoMese)
	}
	p.LuogoNascita = luogo(g.LuogoNascita)
	switch strings.ToUpper(strings.TrimSpace(g.SoggettoAIRE)) {
	case "S":
		p.SoggettoAIRE = true
	case "", "N":
	default:
		t.note("%s.soggettoAIRE: unknown value %q (S for AIRE citizens)", at, truncate(g.SoggettoAIRE))
	}
}

// dataANPR reads a date with its senzaGiorno / senzaGiornoMese flags.
func (t *translator) dataANPR(at, date, senzaGiorno, senzaGiornoMese string) contracts.Data {
	d, err := contracts.DataFromANPR(strings.TrimSpace(date), t.flag(at, "senzaGiorno", senzaGiorno), t.flag(at, "senzaGiornoMese", senzaGiornoMese))
	if err != nil {
		t.missing("%s: %v", at, err)
		return contracts.Data{}
	}
	return d
}

func (t *translator) flag(at, name, v string) bool {
	switch strings.TrimSpace(v) {
	case "1":
		return true
	case "":
		return false
	}
	t.note("%s: %s has value %q, read as not set (tipoSenza allows only 1)", at, name, truncate(v))
	return false
}

// dataPiena reads a full date (YYYY-MM-DD); ANPR writes some as DD/MM/YYYY in infoSoggettoEnte.
func (t *translator) dataPiena(at, s string) contracts.Data {
	s = strings.TrimSpace(s)
	if s == "" {
		return contracts.Data{}
	}
	if len(s) == 10 && s[2] == '/' && s[5] == '/' {
		s = s[6:10] + "-" + s[3:5] + "-" + s[0:2]
	}
	d, err := contracts.ParseData(s)
	if err == nil && d.Precision() != contracts.PrecisionDay {
		err = fmt.Errorf("not a full date")
	}
	if err != nil {
		t.missing("%s: %v", at, err)
		return contracts.Data{}
	}
	return d
}

func luogo(l *e002.TipoLuogoEvento) *contracts.Luogo {
	if l == nil {
		return nil
	}
	out := contracts.Luogo{LuogoEccezionale: strings.TrimSpace(l.LuogoEccezionale)}
	if c := l.Comune; c != nil {
		out.CodiceIstatComune, out.Comune = strings.TrimSpace(c.CodiceIstat), strings.TrimSpace(c.NomeComune)
		out.SiglaProvincia, out.Localita = strings.TrimSpace(c.SiglaProvinciaIstat), strings.TrimSpace(c.DescrizioneLocalita)
	}
	if x := l.Localita; x != nil {
		out.CodiceStato, out.Stato = strings.TrimSpace(x.CodiceStato), strings.TrimSpace(x.DescrizioneStato)
		out.ProvinciaContea = strings.TrimSpace(x.ProvinciaContea)
		if out.Localita == "" {
			out.Localita = strings.TrimSpace(x.DescrizioneLocalita)
		}
	}
	if out == (contracts.Luogo{}) {
		return nil
	}
	return &out
}

func (t *translator) residenza(at string, r e002.TipoResidenza) contracts.Residenza {
	out := contracts.Residenza{TipoIndirizzo: strings.TrimSpace(r.TipoIndirizzo), Presso: strings.TrimSpace(r.Presso),
		Note: strings.TrimSpace(r.NoteIndirizzo)}
	if out.TipoIndirizzo == "" {
		t.note("%s.tipoIndirizzo: missing", at)
	}
	out.DataDecorrenza = t.dataPiena(at+".dataDecorrenzaResidenza", r.DataDecorrenzaResidenza)
	if ind := r.Indirizzo; ind != nil {
		out.CAP, out.Frazione = strings.TrimSpace(ind.Cap), strings.TrimSpace(ind.Frazione)
		if c := ind.Comune; c != nil {
			out.CodiceIstatComune, out.Comune = strings.TrimSpace(c.CodiceIstat), strings.TrimSpace(c.NomeComune)
			out.SiglaProvincia = strings.TrimSpace(c.SiglaProvinciaIstat)
			if out.Frazione == "" {
				out.Frazione = strings.TrimSpace(c.DescrizioneLocalita)
			}
		}
		if tp := ind.Toponimo; tp != nil {
			out.Specie, out.Denominazione = strings.TrimSpace(tp.Specie), strings.TrimSpace(tp.DenominazioneToponimo)
		}
		if n := ind.NumeroCivico; n != nil {
			out.Civico = strings.TrimSpace(n.Numero)
			if out.Civico == "" {
				out.Civico = strings.TrimSpace(n.Metrico) // metric house numbers on rural roads
			}
			out.Esponente = join("/", n.Lettera, n.Esponente1)
			if ci := n.CivicoInterno; ci != nil {
				out.Scala = strings.TrimSpace(ci.Scala)
				out.Interno = join("/", ci.Interno1, ci.EspInterno1)
				out.Piano = strings.TrimSpace(ci.Piano)
			}
		}
	}
	if le := r.LocalitaEstera; le != nil {
		e := contracts.IndirizzoEstero{}
		if ie := le.IndirizzoEstero; ie != nil {
			e.CAP = strings.TrimSpace(ie.Cap)
			if l := ie.Localita; l != nil {
				e.Localita, e.Stato = strings.TrimSpace(l.DescrizioneLocalita), strings.TrimSpace(l.DescrizioneStato)
				e.CodiceStato, e.ProvinciaContea = strings.TrimSpace(l.CodiceStato), strings.TrimSpace(l.ProvinciaContea)
			}
			if tp := ie.Toponimo; tp != nil {
				e.Indirizzo, e.Civico = strings.TrimSpace(tp.Denominazione), strings.TrimSpace(tp.NumeroCivico)
			}
		}
		if co := le.Consolato; co != nil {
			e.CodiceConsolato, e.DescrizioneConsolato = strings.TrimSpace(co.CodiceConsolato), strings.TrimSpace(co.DescrizioneConsolato)
		}
		out.Estero = &e
	}
	if r.Indirizzo == nil && r.LocalitaEstera == nil {
		t.note("%s: neither indirizzo nor localitaEstera", at)
	}
	return out
}

func (t *translator) cittadinanza(at string, c e002.TipoCittadinanza) contracts.Cittadinanza {
	out := contracts.Cittadinanza{CodiceStato: strings.TrimSpace(c.CodiceStato), Stato: strings.TrimSpace(c.DescrizioneStato)}
	if out.CodiceStato == "" {
		t.missing("%s.codiceStato: missing", at)
	}
	out.DataValidita = t.dataPiena(at+".dataValidita", c.DataValidita)
	return out
}

// Keys of infoSoggettoEnte the adapter reads (the S2 stub and RegioneER/ScERPA's client).
const (
	infoIDEsistenzaInVita  = "1003"
	infoChiaveEsistenza    = "esistenza in vita" // "Verifica esistenza in vita"
	infoChiaveDataDecesso  = "data decesso"
	infoValoreVivo         = "S"
	infoValoreDeceduto     = "N"
	infoValoreIndefinibile = "A"
)

// decesso fills p.Decesso from datiDecesso or infoSoggettoEnte and says whether the subject is alive.
func (t *translator) decesso(at string, d *e002.TipoDatiSoggettiEnte, p *contracts.Persona) *bool {
	var inVita *bool
	var dataInfo contracts.Data
	for i, info := range d.InfoSoggettoEnte {
		chiave := strings.ToLower(strings.TrimSpace(info.Chiave))
		where := fmt.Sprintf("%s.infoSoggettoEnte[%d]", at, i)
		switch {
		case strings.TrimSpace(info.ID) == infoIDEsistenzaInVita || strings.Contains(chiave, infoChiaveEsistenza):
			switch strings.ToUpper(strings.TrimSpace(info.Valore)) {
			case infoValoreVivo:
				inVita = ptr(true)
			case infoValoreDeceduto:
				inVita = ptr(false)
			case infoValoreIndefinibile:
				t.note("%s: esistenza in vita \"A\": ANPR cannot state it", where)
			default:
				t.note("%s: esistenza in vita with unknown valore %q", where, truncate(info.Valore))
			}
		case chiave == infoChiaveDataDecesso:
			dataInfo = t.dataPiena(where+".valoreData", info.ValoreData)
		}
	}
	switch {
	case d.DatiDecesso != nil:
		dd := d.DatiDecesso
		p.Decesso = &contracts.Decesso{Luogo: luogo(dd.LuogoEvento)}
		if dd.DataEvento != "" {
			p.Decesso.Data = t.dataANPR(at+".datiDecesso.dataEvento", dd.DataEvento, dd.SenzaGiorno, dd.SenzaGiornoMese)
		} else {
			t.missing("%s.datiDecesso.dataEvento: missing", at)
		}
		if inVita != nil && *inVita {
			t.note("%s: datiDecesso present but infoSoggettoEnte says alive; read as deceased", at)
		}
		inVita = ptr(false)
	case !dataInfo.IsZero():
		p.Decesso = &contracts.Decesso{Data: dataInfo}
		inVita = ptr(false)
	case inVita != nil && !*inVita:
		p.Decesso = &contracts.Decesso{} // dead, date not given
	}
	return inVita
}

func (t *translator) nucleo(r *e002.RispostaE002OK, soggetti []e002.TipoDatiSoggettiEnte, persone []contracts.Persona, rif contracts.Data) *contracts.NucleoFamiliare {
	n := &contracts.NucleoFamiliare{Origine: contracts.NucleoANPR, DataRiferimento: rif,
		Componenti: make([]contracts.Componente, 0, len(soggetti))}
	if f := r.DatiFamigliaConvivenza; f != nil && f.FamigliaConvivenza != nil {
		n.IDFamigliaANPR = strings.TrimSpace(f.FamigliaConvivenza.IDFamigliaConvivenzaANPR)
	}
	for i := range soggetti {
		at := fmt.Sprintf("datiSoggetto[%d]", i)
		if fc := soggetti[i].FamigliaConvivenza; fc != nil {
			id := strings.TrimSpace(fc.IDFamigliaConvivenzaANPR)
			switch {
			case id == "":
			case n.IDFamigliaANPR == "":
				n.IDFamigliaANPR = id
			case id != n.IDFamigliaANPR:
				t.note("%s.famigliaConvivenza.idFamigliaConvivenzaANPR differs from the household's (kept the first)", at)
			}
		}
		m := contracts.Componente{Persona: persone[i], Ruolo: contracts.RuoloNonDefinito}
		l := soggetti[i].LegameSoggetto
		if l == nil {
			t.missing("%s.legameSoggetto: missing, role NON_DEFINITO", at)
		} else {
			m.CodiceLegameANPR = strings.TrimSpace(l.CodiceLegame)
			m.Ruolo = contracts.RuoloFromCodiceLegame(m.CodiceLegameANPR)
			if m.Ruolo == contracts.RuoloNonDefinito && strings.TrimLeft(m.CodiceLegameANPR, "0") != "99" {
				t.note("%s.legameSoggetto.codiceLegame %q is not in the ANPR table: role NON_DEFINITO", at, truncate(m.CodiceLegameANPR))
			}
			m.Progressivo = strings.TrimSpace(l.ProgressivoComponente)
			dec := l.DataDecorrenza
			if dec == "" {
				dec = l.DataDecorrenzaLegame
			}
			m.DataDecorrenzaLegame = t.dataPiena(at+".legameSoggetto.dataDecorrenza", dec)
			// tipoLegame is deliberately ignored: ANPR's XSD and client code disagree on its codes.
		}
		n.Componenti = append(n.Componenti, m)
	}
	return n
}

func join(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

func ptr[T any](v T) *T { return &v }
