// Package welfaregov is the client of the WelfareGOV backend: it reads the granted benefits
// (prestazioni) changed after a cursor, translates them into the gateway's model, and forwards
// SIUSS outcomes (esiti) to the backend's idempotent sink. The wire format is the backend's JSON
// (package wire, which the cmd/pasim simulator encodes too: cmd/pasim/README.md); nothing here
// imports the simulator.
package welfaregov

import (
	"fmt"
	"strconv"

	"github.com/welfaregov/gateway/adapters/welfaregov/wire"
	"github.com/welfaregov/gateway/contracts"
)

// Prestazione is one benefit record as the backend sends it (the wire format, package wire), with
// the translation into the model.
type Prestazione wire.Prestazione

// The parts of a record, as package wire declares them.
type (
	Importo      = wire.Importo
	Ente         = wire.Ente
	Beneficiario = wire.Beneficiario
	SINA         = wire.SINA
	SINBA        = wire.SINBA
)

// TranslationError says which field of a backend record could not be mapped to the model. It
// never contains the field's value.
type TranslationError struct {
	ID     string
	Field  string
	Reason string
}

func (e *TranslationError) Error() string {
	return fmt.Sprintf("welfaregov: prestazione %s: %s: %s", e.ID, e.Field, e.Reason)
}

// ToModel translates a backend record into the model. Codes are mapped (I/C, 1..4, 1/2, SIUSS
// genere to M/F, ISO 3166 nation codes to ISTAT ones, "990" to no citizenship on record); the
// model's own rules are not applied here (the SIUSS validator judges the flow).
func (p Prestazione) ToModel() (contracts.PrestazioneSociale, error) {
	fail := func(field, reason string) (contracts.PrestazioneSociale, error) {
		return contracts.PrestazioneSociale{}, &TranslationError{ID: p.ID, Field: field, Reason: reason}
	}
	m := contracts.PrestazioneSociale{
		CodicePrestazione:        p.CodicePrestazione,
		DenominazionePrestazione: p.DenominazionePrestazione,
		ProtocolloDomanda:        p.ProtocolloDomanda,
		PeriodoErogazione:        p.PeriodoErogazione,
		Importo:                  p.ImportoPrestazione,
		ImportoMensile:           p.ImportoMensile,
		QuotaEnte:                p.ImportoQuotaEnte,
		QuotaUtente:              p.ImportoQuotaUtente,
		QuotaSSN:                 p.ImportoQuotaSSN,
		QuotaRichiesta:           p.ImportoQuotaRichiesta,
		SogliaISEE:               p.ImportoSogliaISEE,
		OreServizioMensile:       p.OreServizioMensile,
		Provenienza: &contracts.Provenienza{
			Sistema: contracts.SistemaWelfareGOV, Operazione: "prestazioni", IDOperazione: p.ID,
			DataOraAcquisizione: p.AggiornatoIl.UTC(),
		},
	}
	var ok bool
	if m.TipoOperazione, ok = pick(p.TipoOperazione, map[string]contracts.TipoOperazioneSIUSS{"I": contracts.OperazioneInserimento, "": contracts.OperazioneInserimento, "C": contracts.OperazioneCancellazione}); !ok {
		return fail("tipoOperazione", "not I or C")
	}
	if m.ProvaMezzi, ok = pick(p.PresenzaProvaMezzi, map[string]contracts.ProvaMezzi{"1": contracts.ProvaMezziISEE, "2": contracts.ProvaMezziAltra, "3": contracts.ProvaMezziISEEEsente, "4": contracts.ProvaMezziNessuna}); !ok {
		return fail("presenzaProvaMezzi", "not 1..4")
	}
	if m.Carattere, ok = pick(p.CaratterePrestazione, map[string]contracts.Carattere{"1": contracts.CaratterePeriodica, "2": contracts.CarattereOccasionale}); !ok {
		return fail("caratterePrestazione", "not 1 or 2")
	}
	switch p.PresaCarico {
	case "1":
		m.PresaInCarico = true
	case "2":
	default:
		return fail("presaCarico", "not 1 or 2")
	}
	if p.AreaUtenza != "" {
		if m.AreaUtenza, ok = pick(p.AreaUtenza, map[string]contracts.AreaUtenza{"1": contracts.AreaFamigliaMinori, "2": contracts.AreaDisabilitaNonAutosufficienza, "3": contracts.AreaPovertaEsclusioneSociale}); !ok {
			return fail("areaUtenza", "not 1..3")
		}
	}
	dates := []struct {
		field string
		raw   string
		dst   *contracts.Data
	}{
		{"dataEvento", p.DataEvento, &m.DataEvento},
		{"dataInizioPrestazione", p.DataInizioPrestazione, &m.DataInizio},
		{"dataFinePrestazione", p.DataFinePrestazione, &m.DataFine},
		{"dataErogazionePrestazione", p.DataErogazionePrestazione, &m.DataErogazione},
	}
	for _, d := range dates {
		if d.raw == "" {
			continue
		}
		v, err := contracts.ParseData(d.raw)
		if err != nil || v.Precision() != contracts.PrecisionDay {
			return fail(d.field, "not a YYYY-MM-DD date")
		}
		*d.dst = v
	}
	if p.NumeroProtocolloDSU != "" || p.AnnoProtocolloDSU != "" || p.DataDSU != "" {
		anno, err := strconv.Atoi(p.AnnoProtocolloDSU)
		data, derr := contracts.ParseData(p.DataDSU)
		if p.NumeroProtocolloDSU == "" || err != nil || derr != nil {
			return fail("numeroProtocolloDSU", "the DSU protocol, year and date go together")
		}
		m.DSU = &contracts.RiferimentoDSU{Protocollo: p.NumeroProtocolloDSU, Anno: anno, Data: data}
	}
	ben, err := p.beneficiario()
	if err != nil {
		return fail(err.field, err.reason)
	}
	m.Beneficiario = ben
	if s := p.SINA; s != nil {
		v, field := sinaToModel(s)
		if field != "" {
			return fail("sina."+field, "not a SIUSS code")
		}
		m.SINA = v
	}
	return m, nil
}

type fieldErr struct{ field, reason string }

func (p Prestazione) beneficiario() (contracts.Persona, *fieldErr) {
	b := p.Beneficiario
	out := contracts.Persona{
		CodiceFiscale: contracts.NormalizeCodiceFiscale(b.CodiceFiscale),
		Cognome:       b.Cognome,
		Nome:          b.Nome,
	}
	if b.AnnoNascita != 0 {
		d, err := contracts.NewDataYear(b.AnnoNascita)
		if err != nil {
			return out, &fieldErr{"beneficiario.annoNascita", "not a year"}
		}
		out.DataNascita = d
	}
	if b.LuogoNascita != "" {
		out.LuogoNascita = &contracts.Luogo{CodiceBelfiore: b.LuogoNascita}
	}
	switch b.Genere {
	case "1":
		out.Sesso = contracts.SessoMaschile
	case "2":
		out.Sesso = contracts.SessoFemminile
	default:
		return out, &fieldErr{"beneficiario.genere", "not 1 or 2"}
	}
	for _, c := range []struct{ field, iso string }{{"codiceCittadinanza", b.CodiceCittadinanza}, {"codiceSecondaCittadinanza", b.CodiceSecondaCittadinanza}} {
		if c.iso == "" || c.iso == contracts.ISONonDisponibile {
			continue
		}
		istat, ok := contracts.StatoISTAT(c.iso)
		if !ok {
			return out, &fieldErr{"beneficiario." + c.field, "not the ISO 3166-1 numeric code of a known state"}
		}
		out.Cittadinanze = append(out.Cittadinanze, contracts.Cittadinanza{CodiceStato: istat})
	}
	switch {
	case b.CodiceNazione == "380":
		out.Residenze = []contracts.Residenza{{TipoIndirizzo: "1", CodiceIstatComune: b.CodiceComune}}
	case b.CodiceNazione != "":
		istat, ok := contracts.StatoISTAT(b.CodiceNazione)
		if !ok {
			return out, &fieldErr{"beneficiario.codiceNazione", "not the ISO 3166-1 numeric code of a known state"}
		}
		out.Residenze = []contracts.Residenza{{TipoIndirizzo: "4", Estero: &contracts.IndirizzoEstero{CodiceStato: istat}}}
	}
	return out, nil
}

func sinaToModel(s *SINA) (*contracts.ValutazioneSINA, string) {
	v := &contracts.ValutazioneSINA{NecessitaInterventiSociali: s.NecessitaInterventiSociali}
	for _, f := range []struct {
		name     string
		raw      string
		dst      *int
		optional bool
	}{
		{"mobilita", s.Mobilita, &v.Mobilita, false},
		{"attivitaVitaQuotidiana", s.AttivitaVitaQuotidiana, &v.AttivitaVitaQuotidiana, false},
		{"disturbiAreaCognitiva", s.DisturbiAreaCognitiva, &v.DisturbiAreaCognitiva, true},
		{"disturbiComportamentali", s.DisturbiComportamentali, &v.DisturbiComportamentali, false},
		{"necessitaCureSanitarie", s.NecessitaCureSanitarie, &v.NecessitaCureSanitarie, true},
		{"areaReddituale", s.AreaReddituale, &v.AreaReddituale, false},
		{"areaSupporto", s.AreaSupporto, &v.AreaSupporto, false},
		{"fonteDerivazioneValutazione", s.FonteDerivazioneValutazione, &v.FonteDerivazioneValutazione, false},
		{"strumentoValutazione", s.StrumentoValutazione, &v.StrumentoValutazione, false},
		{"fonteDerivazioneInvalidita", s.FonteDerivazioneInvalidita, &v.FonteDerivazioneInvalidita, true},
	} {
		if f.raw == "" && f.optional {
			continue
		}
		n, err := strconv.Atoi(f.raw)
		if err != nil || n < 1 || n > 9 {
			return nil, f.name
		}
		*f.dst = n
	}
	for _, c := range s.InvaliditaCivile {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > 9 {
			return nil, "invaliditaCivile"
		}
		v.InvaliditaCivile = append(v.InvaliditaCivile, n)
	}
	return v, ""
}

// ToSINBA translates the record's SINBA block into the model, or returns nil when the record has
// none. The child's year of birth and residence come from the beneficiary (ISO 3166 nation to
// ISTAT state, the ISTAT comune in Italy) and the service from codicePrestazione; the codice
// fiscale and the names are never copied: the SINBA record is pseudonymous. Codes are mapped
// (strings to integers, "1"/"2" to yes/no, "YYYY-MM" months to dates); their ranges are the
// SIUSS validator's to judge.
func (p Prestazione) ToSINBA() (*contracts.SchedaSINBA, error) {
	w := p.SINBA
	if w == nil {
		return nil, nil
	}
	fail := func(field, reason string) (*contracts.SchedaSINBA, error) {
		return nil, &TranslationError{ID: p.ID, Field: field, Reason: reason}
	}
	s := &contracts.SchedaSINBA{
		IDBeneficiario:    w.IDBeneficiario,
		AnnoNascita:       p.Beneficiario.AnnoNascita,
		CodicePrestazione: p.CodicePrestazione,
		Provenienza: &contracts.Provenienza{
			Sistema: contracts.SistemaWelfareGOV, Operazione: "prestazioni", IDOperazione: p.ID,
			DataOraAcquisizione: p.AggiornatoIl.UTC(),
		},
	}
	istat, ok := contracts.StatoISTAT(p.Beneficiario.CodiceNazione)
	if !ok {
		return fail("beneficiario.codiceNazione", "not the ISO 3166-1 numeric code of a known state (SINBA needs the residence)")
	}
	s.CodiceStatoResidenza = istat
	if p.Beneficiario.CodiceNazione == "380" {
		s.CodiceIstatComuneResidenza = p.Beneficiario.CodiceComune
	}
	for _, c := range []struct {
		field string
		raw   string
		dst   *int
	}{
		{"fasciaEtaBeneficiario", w.FasciaEtaBeneficiario, &s.FasciaEta},
		{"condizioneMinore", w.CondizioneMinore, &s.CondizioneMinore},
		{"luogoVita", w.LuogoVita, &s.LuogoVita},
		{"scuolaFrequentata", w.ScuolaFrequentata, &s.ScuolaFrequentata},
		{"condizioneLavoro", w.CondizioneLavoro, &s.CondizioneLavoro},
		{"tipoDisabilita", w.TipoDisabilita, &s.TipoDisabilita},
		{"fonteSegnalazione", w.FonteSegnalazione, &s.FonteSegnalazione},
		{"valutazioneMinore", w.ValutazioneMinore, &s.ValutazioneMinore},
		{"valutazioneFamigliaMinore", w.ValutazioneFamigliaMinore, &s.ValutazioneFamigliaMinore},
	} {
		if c.raw == "" && c.field == "tipoDisabilita" {
			continue
		}
		n, ok := sinbaCode(c.raw)
		if !ok {
			return fail("sinba."+c.field, "not a SIUSS code")
		}
		*c.dst = n
	}
	for _, c := range []struct {
		field string
		raw   string
		dst   *bool
	}{
		{"minoreStranieroNoAcc", w.MinoreStranieroNoAcc, &s.MinoreStranieroNonAccompagnato},
		{"disabilita", w.Disabilita, &s.Disabilita},
		{"segnalazioneAutoritaGiudiziaria", w.SegnalazioneAutoritaGiudiziaria, &s.SegnalazioneAutoritaGiudiziaria},
		{"provvedimentoGiudiziario", w.ProvvedimentoGiudiziario, &s.ProvvedimentoGiudiziario},
	} {
		switch c.raw {
		case "1":
			*c.dst = true
		case "2":
		default:
			return fail("sinba."+c.field, "not 1 or 2")
		}
	}
	for _, d := range []struct {
		field    string
		raw      string
		dst      *contracts.Data
		required bool
	}{
		{"dataPrimaSegnalazione", w.DataPrimaSegnalazione, &s.DataPrimaSegnalazione, true},
		{"dataSegnalazione", w.DataSegnalazione, &s.DataSegnalazione, false},
		{"dataProvvedimentoGiudiziario", w.DataProvvedimentoGiudiziario, &s.DataProvvedimentoGiudiziario, false},
	} {
		if d.raw == "" && !d.required {
			continue
		}
		v, err := contracts.ParseData(d.raw)
		if err != nil || v.Precision() < contracts.PrecisionMonth {
			return fail("sinba."+d.field, "not a YYYY-MM month")
		}
		*d.dst = v
	}
	for _, c := range w.ComposizioneFamiglia {
		n, ok := sinbaCode(c)
		if !ok {
			return fail("sinba.composizioneFamiglia", "not a SIUSS code")
		}
		s.Famiglia = append(s.Famiglia, n)
	}
	return s, nil
}

// sinbaCode reads a SIUSS code: a small positive integer (the largest SINBA code is 14).
func sinbaCode(raw string) (int, bool) {
	n, err := strconv.Atoi(raw)
	return n, err == nil && n >= 1 && n <= 99
}

func pick[T any](code string, m map[string]T) (T, bool) {
	v, ok := m[code]
	return v, ok
}
