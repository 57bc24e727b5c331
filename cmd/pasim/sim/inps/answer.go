package inps

import (
	"errors"
	"net/http"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

// semanticEsiti maps the semantic faults that replace the answer with an Esito.
var semanticEsiti = map[string]struct {
	esito adapter.Esito
	descr string
}{
	SemanticDatabaseOffline:    {adapter.EsitoDatabaseOffline, "Base dati ISEE temporaneamente non disponibile"},
	SemanticErroreInterno:      {adapter.EsitoErroreInterno, "Errore interno durante l'elaborazione della richiesta"},
	SemanticRiscontroNonValido: {adapter.EsitoRiscontroNonValido, "Riscontro della domanda di prestazione non valido"},
	SemanticRichiestaInvalida:  {adapter.EsitoRichiestaInvalida, "Richiesta non valida"},
	SemanticDatiNonTrovati:     {adapter.EsitoDatiNonTrovati, "Nessuna attestazione ISEE trovata"},
}

// operation serves one WSDL operation: parse, apply semantic faults, validate, look up, answer.
func (s *server) operation(op adapter.Operazione) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := readRichiesta(op, r)
		var sf *soapFault
		if errors.As(err, &sf) {
			writeFault(w, sf.status, sf.code, sf.msg)
			return
		}
		if name, ok := fault.SemanticFrom(r.Context()); ok {
			if name == SemanticSOAPFault {
				writeFault(w, http.StatusInternalServerError, "Server", "Errore interno del servizio ConsultazioneISEE")
				return
			}
			m, known := semanticEsiti[name]
			if !known {
				writeFault(w, http.StatusInternalServerError, "Server", "pasim: fault semantico "+truncate(name, 40)+" sconosciuto al simulatore INPS")
				return
			}
			writeEnvelope(w, envelope(op, s.nextID(), m.esito, m.descr, nil))
			return
		}
		var inv *invalida
		switch {
		case errors.As(err, &inv):
			writeEnvelope(w, envelope(op, s.nextID(), adapter.EsitoRichiestaInvalida, inv.msg, nil))
		case !req.identityOK:
			writeEnvelope(w, envelope(op, s.nextID(), adapter.EsitoRichiestaInvalida,
				"Header inps:Identity assente o incompleto: UserId e CodiceUfficio sono obbligatori", nil))
		case op == adapter.OpConsultazioneIndicatore:
			s.answerIndicatore(w, req.indicatore)
		default:
			s.answerAttestazione(w, req.attestazione)
		}
	})
}

func (s *server) answerAttestazione(w http.ResponseWriter, req adapter.RichiestaAttestazione) {
	op := adapter.OpConsultazioneAttestazione
	d := s.findDSU(req)
	if d == nil {
		// The answer still carries an EsitoAttestazione with the search echo (Attestazione is optional).
		writeEnvelope(w, envelope(op, s.nextID(), adapter.EsitoDatiNonTrovati, "Nessuna attestazione ISEE valida per i criteri di ricerca", renderEsito(nil, req)))
		return
	}
	writeEnvelope(w, envelope(op, s.nextID(), adapter.EsitoOK, "", renderEsito(d, req)))
}

func (s *server) answerIndicatore(w http.ResponseWriter, req adapter.RichiestaIndicatore) {
	op := adapter.OpConsultazioneIndicatore
	d := s.dsuValida(req.RicercaCF.CodiceFiscale, req.RicercaCF.DataValidita)
	if d == nil {
		writeEnvelope(w, envelope(op, s.nextID(), adapter.EsitoDatiNonTrovati, "Nessuna attestazione ISEE valida per il codice fiscale", nil))
		return
	}
	calc, why := Indicatore(d, req.Tipo, req.RicercaCF.CodiceFiscale)
	if calc == nil {
		writeEnvelope(w, envelope(op, s.nextID(), adapter.EsitoDatiNonTrovati, why, nil))
		return
	}
	writeEnvelope(w, envelope(op, s.nextID(), adapter.EsitoOK, "", renderIndicatore(d, req, calc)))
}

// findDSU applies the search of a ConsultazioneAttestazione request.
func (s *server) findDSU(req adapter.RichiestaAttestazione) *population.DSU {
	switch {
	case req.RicercaCF != nil:
		return s.dsuValida(req.RicercaCF.CodiceFiscale, req.RicercaCF.DataValidita)
	case req.RicercaProtDSU != nil:
		if d := s.pop.DSUByProtocollo(req.RicercaProtDSU.ProtocolloDSU); d != nil && Membro(d, req.RicercaProtDSU.CodiceFiscaleBeneficiario) {
			return d
		}
	case req.RicercaProtMittente != nil:
		if d := s.byMittente[req.RicercaProtMittente.ProtocolloMittente]; d != nil && Membro(d, req.RicercaProtMittente.CodiceFiscaleBeneficiario) {
			return d
		}
	}
	return nil
}

// dsuValida is the most recent DSU of the person valid on the day (the request's DataValidita, or
// the simulator's today).
func (s *server) dsuValida(cf string, at contracts.Data) *population.DSU {
	day := s.oggi
	if !at.IsZero() {
		day = population.D(at.Year(), time.Month(at.Month()), at.Day())
	}
	for _, d := range s.pop.DSUsFor(cf) {
		if !day.Before(d.DataPresentazione) && !d.DataValidita.Before(day) {
			return d
		}
	}
	return nil
}

// Membro reports whether cf is in the DSU's declared nucleo or the beneficiary of one of its
// nuclei ristretti: the people INPS answers about for that DSU.
func Membro(d *population.DSU, cf string) bool {
	for _, c := range d.Nucleo {
		if c.Persona.CodiceFiscale == cf {
			return true
		}
	}
	for _, r := range d.Ridotti {
		if r.Beneficiario.CodiceFiscale == cf {
			return true
		}
	}
	return false
}

// Indicatore returns the calculation ConsultazioneIndicatore answers for tipo and the person, or nil
// and INPS's DescrizioneErrore: an entry that refers to the ordinario (ISEEOrd) or to the ristretto
// (ISEERistretto) gives that one's values; ISEENonCalcolabile and a missing entry give no indicator
// (the Indicatore payload has no way to say "non calcolabile": INPS answers DATI_NON_TROVATI). For the
// residential ISEE, the Ridotto's entry comes first, as in the gateway's selection rule. The
// population has no doctoral ISEE.
func Indicatore(d *population.DSU, tipo contracts.TipoISEE, cf string) (*population.Calcolo, string) {
	ordinario := &d.Ordinario.Calcolo
	entry := func(list []population.IndicatoreBeneficiario, rinvio *population.Calcolo) (*population.Calcolo, string) {
		for i := range list {
			e := &list[i]
			if e.Beneficiario.CodiceFiscale != cf {
				continue
			}
			switch {
			case e.Variante == population.VarNonCalcolabile:
				return nil, "ISEE " + tipo.TipoIndicatore() + " non calcolabile per il beneficiario"
			case e.Indicatore == nil:
				return rinvio, ""
			}
			return &e.Indicatore.Calcolo, ""
		}
		return nil, ""
	}
	none := "Nessun ISEE " + tipo.TipoIndicatore() + " per il beneficiario"
	var calc *population.Calcolo
	var why string
	switch tipo {
	case contracts.ISEEOrdinario:
		calc = ordinario
	case contracts.ISEEMinorenni:
		calc, why = entry(d.Minorenni, ordinario)
	case contracts.ISEEUniversitario:
		calc, why = entry(d.Universitari, ordinario)
	case contracts.ISEESocioSanitario:
		for i := range d.Ridotti {
			if d.Ridotti[i].Beneficiario.CodiceFiscale == cf {
				calc = &d.Ridotti[i].Ristretto.Calcolo
			}
		}
	case contracts.ISEESocioSanitarioResidenziale:
		for i := range d.Ridotti {
			r := &d.Ridotti[i]
			if r.SocioSanRes != nil && r.Beneficiario.CodiceFiscale == cf {
				calc, why = entry([]population.IndicatoreBeneficiario{*r.SocioSanRes}, &r.Ristretto.Calcolo)
			}
		}
		if calc == nil && why == "" {
			calc, why = entry(d.SocioSanitari, ordinario)
		}
	}
	if calc == nil && why == "" {
		why = none
	}
	return calc, why
}
