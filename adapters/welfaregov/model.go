// Package welfaregov is the client of the WelfareGOV backend: it reads the granted benefits
// (prestazioni) changed after a cursor, translates them into the gateway's model, and forwards
// SIUSS outcomes (esiti) to the backend's idempotent sink. The wire format is the backend's JSON
// (cmd/pasim simulates it: cmd/pasim/README.md); nothing here imports the simulator.
package welfaregov

import (
	"fmt"
	"strconv"
	"time"

	"github.com/welfaregov/gateway/contracts"
)

// Prestazione is one benefit record as the backend sends it: the PS_PSA_SINA data with SIUSS codes
// as strings, ISO 3166 nation codes and the ISTAT comune.
type Prestazione struct {
	ID                        string       `json:"id"`
	Ente                      Ente         `json:"ente"`
	Beneficiario              Beneficiario `json:"beneficiario"`
	TipoOperazione            string       `json:"tipoOperazione"`
	PresenzaProvaMezzi        string       `json:"presenzaProvaMezzi"`
	CaratterePrestazione      string       `json:"caratterePrestazione"`
	NumeroProtocolloDSU       string       `json:"numeroProtocolloDSU,omitempty"`
	AnnoProtocolloDSU         string       `json:"annoProtocolloDSU,omitempty"`
	DataDSU                   string       `json:"dataDSU,omitempty"`
	CodicePrestazione         string       `json:"codicePrestazione"`
	DenominazionePrestazione  string       `json:"denominazionePrestazione"`
	ProtocolloDomanda         string       `json:"protocolloDomanda"`
	DataEvento                string       `json:"dataEvento,omitempty"`
	DataInizioPrestazione     string       `json:"dataInizioPrestazione,omitempty"`
	DataFinePrestazione       string       `json:"dataFinePrestazione,omitempty"`
	ImportoMensile            *Importo     `json:"importoMensile,omitempty"`
	PeriodoErogazione         int          `json:"periodoErogazione,omitempty"`
	DataErogazionePrestazione string       `json:"dataErogazionePrestazione,omitempty"`
	ImportoPrestazione        *Importo     `json:"importoPrestazione,omitempty"`
	ImportoQuotaEnte          *Importo     `json:"importoQuotaEnte,omitempty"`
	ImportoQuotaUtente        *Importo     `json:"importoQuotaUtente,omitempty"`
	ImportoQuotaSSN           *Importo     `json:"importoQuotaSSN,omitempty"`
	ImportoQuotaRichiesta     *Importo     `json:"importoQuotaRichiesta,omitempty"`
	ImportoSogliaISEE         *Importo     `json:"importoSogliaISEE,omitempty"`
	OreServizioMensile        *Importo     `json:"oreServizioMensile,omitempty"`
	PresaCarico               string       `json:"presaCarico"`
	AreaUtenza                string       `json:"areaUtenza,omitempty"`
	SINA                      *SINA        `json:"sina,omitempty"`
	AnnullaID                 string       `json:"annullaId,omitempty"`
	AggiornatoIl              time.Time    `json:"aggiornatoIl"`
	// Cursore is the change's position in the backend's feed (a decimal integer).
	Cursore string `json:"cursore"`
}

// Importo is an amount as a JSON string or number, kept exact.
type Importo = contracts.Decimal

// Ente is the administration that granted the benefit.
type Ente struct {
	Codice        string `json:"codice"`
	Denominazione string `json:"denominazione"`
	Indirizzo     string `json:"indirizzo"`
	CFOperatore   string `json:"cfOperatore"`
}

// Beneficiario is the beneficiary's SIUSS data.
type Beneficiario struct {
	CodiceFiscale             string `json:"codiceFiscale"`
	Cognome                   string `json:"cognome"`
	Nome                      string `json:"nome"`
	AnnoNascita               int    `json:"annoNascita"`
	LuogoNascita              string `json:"luogoNascita"`
	Genere                    string `json:"genere"`
	CodiceCittadinanza        string `json:"codiceCittadinanza"`
	CodiceSecondaCittadinanza string `json:"codiceSecondaCittadinanza,omitempty"`
	CodiceRegione             string `json:"codiceRegione,omitempty"`
	CodiceComune              string `json:"codiceComune,omitempty"`
	CodiceNazione             string `json:"codiceNazione"`
}

// SINA is the non-self-sufficiency assessment with SIUSS codes as strings.
type SINA struct {
	Mobilita                    string   `json:"mobilita"`
	AttivitaVitaQuotidiana      string   `json:"attivitaVitaQuotidiana"`
	DisturbiAreaCognitiva       string   `json:"disturbiAreaCognitiva,omitempty"`
	DisturbiComportamentali     string   `json:"disturbiComportamentali"`
	NecessitaCureSanitarie      string   `json:"necessitaCureSanitarie,omitempty"`
	AreaReddituale              string   `json:"areaReddituale"`
	AreaSupporto                string   `json:"areaSupporto"`
	FonteDerivazioneValutazione string   `json:"fonteDerivazioneValutazione"`
	StrumentoValutazione        string   `json:"strumentoValutazione"`
	FonteDerivazioneInvalidita  string   `json:"fonteDerivazioneInvalidita,omitempty"`
	NecessitaInterventiSociali  []string `json:"necessitaInterventiSociali,omitempty"`
	InvaliditaCivile            []string `json:"invaliditaCivile,omitempty"`
}

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
		v, field := s.toModel()
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

func (s *SINA) toModel() (*contracts.ValutazioneSINA, string) {
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

func pick[T any](code string, m map[string]T) (T, bool) {
	v, ok := m[code]
	return v, ok
}
