package population

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Importo is an amount in euro, serialised in JSON as a string with exactly two decimals ("101.20"),
// so no float ever touches money. It accepts a JSON string or number on input.
type Importo struct{ decimal.Decimal }

// Euro builds an Importo from a decimal string; it panics on bad input (for literals and generators).
func Euro(s string) *Importo { return &Importo{decimal.RequireFromString(s)} }

// MarshalJSON writes the amount with two decimals.
func (i Importo) MarshalJSON() ([]byte, error) { return []byte(`"` + i.StringFixed(2) + `"`), nil }

// UnmarshalJSON reads "12.30" or 12.30.
func (i *Importo) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("population: amount %q is not a decimal number", s)
	}
	i.Decimal = d
	return nil
}

// Prestazione is a social benefit granted by a WelfareGOV ente: the data a PS_PSA_SINA flow needs
// (siuss-waas.md §4). Codes are strings as in the SIUSS XML. JSON names are the internal model's
// Italian camelCase.
type Prestazione struct {
	ID           string       `json:"id"`
	Ente         Ente         `json:"ente"`
	Beneficiario Beneficiario `json:"beneficiario"`
	// TipoOperazione: "I" inserimento, "C" cancellazione of an earlier record (same identifying data).
	TipoOperazione string `json:"tipoOperazione"`
	// PresenzaProvaMezzi: "1" ISEE, "2" other means test, "3" ISEE-type but exempt, "4" none.
	PresenzaProvaMezzi string `json:"presenzaProvaMezzi"`
	// CaratterePrestazione: "1" periodica, "2" occasionale.
	CaratterePrestazione string `json:"caratterePrestazione"`
	// DSU reference: all three or none; required when PresenzaProvaMezzi is "1".
	NumeroProtocolloDSU      string `json:"numeroProtocolloDSU,omitempty"`
	AnnoProtocolloDSU        string `json:"annoProtocolloDSU,omitempty"`
	DataDSU                  *Date  `json:"dataDSU,omitempty"`
	CodicePrestazione        string `json:"codicePrestazione"`
	DenominazionePrestazione string `json:"denominazionePrestazione"`
	ProtocolloDomanda        string `json:"protocolloDomanda"`
	DataEvento               *Date  `json:"dataEvento,omitempty"`
	// Periodic benefits: DataInizioPrestazione and ImportoMensile; DataFinePrestazione in the same year.
	DataInizioPrestazione *Date    `json:"dataInizioPrestazione,omitempty"`
	DataFinePrestazione   *Date    `json:"dataFinePrestazione,omitempty"`
	ImportoMensile        *Importo `json:"importoMensile,omitempty"`
	PeriodoErogazione     int      `json:"periodoErogazione,omitempty"` // months, 1..12
	// One-off benefits: DataErogazionePrestazione and ImportoPrestazione.
	DataErogazionePrestazione *Date    `json:"dataErogazionePrestazione,omitempty"`
	ImportoPrestazione        *Importo `json:"importoPrestazione,omitempty"`
	// Quotas: when any is present they add up to ImportoMensile (periodic) or ImportoPrestazione.
	ImportoQuotaEnte      *Importo `json:"importoQuotaEnte,omitempty"`
	ImportoQuotaUtente    *Importo `json:"importoQuotaUtente,omitempty"`
	ImportoQuotaSSN       *Importo `json:"importoQuotaSSN,omitempty"`
	ImportoQuotaRichiesta *Importo `json:"importoQuotaRichiesta,omitempty"`
	ImportoSogliaISEE     *Importo `json:"importoSogliaISEE,omitempty"`
	OreServizioMensile    *Importo `json:"oreServizioMensile,omitempty"` // H.MM
	// PresaCarico: "1" sì, "2" no. AreaUtenza ("1" famiglia e minori, "2" disabilità e non
	// autosufficienza, "3" povertà) is required when PresaCarico is "1".
	PresaCarico string `json:"presaCarico"`
	AreaUtenza  string `json:"areaUtenza,omitempty"`
	SINA        *SINA  `json:"sina,omitempty"`
	// AnnullaID names the prestazione a "C" record cancels.
	AnnullaID string `json:"annullaId,omitempty"`
	// AggiornatoIl is when WelfareGOV last changed the record (RFC 3339, UTC).
	AggiornatoIl time.Time `json:"aggiornatoIl"`
}

// Ente is the administration that granted the benefit.
type Ente struct {
	Codice        string `json:"codice"`        // Belfiore code of the comune
	Denominazione string `json:"denominazione"` // "COMUNE DI TRENTO"
	Indirizzo     string `json:"indirizzo"`     // Belfiore code of the seat
	CFOperatore   string `json:"cfOperatore"`
}

// Beneficiario is the SIUSS Anagrafica and Indirizzo of the beneficiary.
type Beneficiario struct {
	CodiceFiscale             string `json:"codiceFiscale"`
	Cognome                   string `json:"cognome"`
	Nome                      string `json:"nome"`
	AnnoNascita               int    `json:"annoNascita"`
	LuogoNascita              string `json:"luogoNascita"`       // Belfiore (Z-code when born abroad)
	Genere                    string `json:"genere"`             // "1" maschio, "2" femmina
	CodiceCittadinanza        string `json:"codiceCittadinanza"` // ISO 3166 numeric
	CodiceSecondaCittadinanza string `json:"codiceSecondaCittadinanza,omitempty"`
	CodiceRegione             string `json:"codiceRegione,omitempty"` // required when CodiceNazione is 380
	CodiceComune              string `json:"codiceComune,omitempty"`  // ISTAT, required when CodiceNazione is 380
	CodiceNazione             string `json:"codiceNazione"`           // ISO 3166 numeric of the residence
}

// SINA is the non-self-sufficiency assessment block (siuss-waas.md §4.9).
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

// ErrPrestazioneInvalida is wrapped by every Validate failure.
var ErrPrestazioneInvalida = errors.New("population: invalid prestazione")

// Validate applies the SIUSS business rules of siuss-waas.md §4.4–4.6 and returns every problem
// joined (errors.Is(err, ErrPrestazioneInvalida) holds for each).
func (p *Prestazione) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrPrestazioneInvalida, field, fmt.Sprintf(format, args...)))
	}
	if p.ID == "" {
		bad("id", "required")
	}
	oneOf := func(field, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	oneOf("tipoOperazione", p.TipoOperazione, "I", "C")
	oneOf("presenzaProvaMezzi", p.PresenzaProvaMezzi, "1", "2", "3", "4")
	oneOf("caratterePrestazione", p.CaratterePrestazione, "1", "2")
	oneOf("presaCarico", p.PresaCarico, "1", "2")
	if p.PresaCarico == "1" {
		oneOf("areaUtenza", p.AreaUtenza, "1", "2", "3")
	}
	if n := len(p.CodicePrestazione); n < 5 || n > 10 {
		bad("codicePrestazione", "must have 5 to 10 characters, has %d", n)
	}
	if n := len([]rune(p.DenominazionePrestazione)); n < 10 || n > 200 {
		bad("denominazionePrestazione", "must have 10 to 200 characters, has %d", n)
	}
	if n := len(p.ProtocolloDomanda); n < 1 || n > 32 {
		bad("protocolloDomanda", "must have 1 to 32 characters, has %d", n)
	}
	dsu := 0
	if p.NumeroProtocolloDSU != "" {
		dsu++
	}
	if p.AnnoProtocolloDSU != "" {
		dsu++
	}
	if p.DataDSU != nil {
		dsu++
	}
	if dsu != 0 && dsu != 3 {
		bad("numeroProtocolloDSU", "the DSU protocol, year and date go all together or not at all")
	}
	if p.PresenzaProvaMezzi == "1" && dsu != 3 {
		bad("numeroProtocolloDSU", "an ISEE-tested benefit (presenzaProvaMezzi 1) needs its DSU reference")
	}
	var total *Importo
	switch p.CaratterePrestazione {
	case "1":
		if p.DataInizioPrestazione == nil {
			bad("dataInizioPrestazione", "required for a periodic benefit")
		}
		if p.ImportoMensile == nil || p.ImportoMensile.Sign() <= 0 {
			bad("importoMensile", "required and > 0 for a periodic benefit")
		}
		if p.DataFinePrestazione != nil && p.DataInizioPrestazione != nil && p.DataFinePrestazione.Year != p.DataInizioPrestazione.Year {
			bad("dataFinePrestazione", "must be in the same year as dataInizioPrestazione")
		}
		if p.PeriodoErogazione != 0 && (p.PeriodoErogazione < 1 || p.PeriodoErogazione > 12) {
			bad("periodoErogazione", "must be 1..12")
		}
		total = p.ImportoMensile
	case "2":
		if p.DataErogazionePrestazione == nil {
			bad("dataErogazionePrestazione", "required for a one-off benefit")
		}
		if p.ImportoPrestazione == nil || p.ImportoPrestazione.Sign() <= 0 {
			bad("importoPrestazione", "required and > 0 for a one-off benefit")
		}
		total = p.ImportoPrestazione
	}
	if p.ImportoQuotaEnte != nil || p.ImportoQuotaUtente != nil || p.ImportoQuotaSSN != nil {
		sum := decimal.Zero
		for _, q := range []struct {
			name     string
			v        *Importo
			positive bool
		}{{"importoQuotaEnte", p.ImportoQuotaEnte, true}, {"importoQuotaUtente", p.ImportoQuotaUtente, false}, {"importoQuotaSSN", p.ImportoQuotaSSN, true}} {
			if q.v == nil {
				continue
			}
			if q.v.Sign() < 0 || (q.positive && q.v.Sign() == 0) {
				bad(q.name, "must be > 0 when present (≥ 0 for the user's quota)")
			}
			sum = sum.Add(q.v.Decimal)
		}
		if total != nil && !sum.Equal(total.Decimal) {
			bad("importoQuotaEnte", "the quotas add up to %s, not to %s", sum.StringFixed(2), total.StringFixed(2))
		}
	}
	b := p.Beneficiario
	if b.CodiceNazione == "380" && (b.CodiceRegione == "" || b.CodiceComune == "") {
		bad("beneficiario.codiceComune", "codiceRegione and codiceComune are required for a residence in Italy")
	}
	if len(b.LuogoNascita) != 4 {
		bad("beneficiario.luogoNascita", "must be a 4-character Belfiore code")
	}
	if p.TipoOperazione == "C" && p.AnnullaID == "" {
		bad("annullaId", "a cancellation must name the prestazione it cancels")
	}
	return errors.Join(errs...)
}

// Clone returns a deep copy, so a caller can change it without touching the population.
func (p *Prestazione) Clone() *Prestazione {
	b, _ := json.Marshal(p) // a Prestazione always marshals
	var c Prestazione
	_ = json.Unmarshal(b, &c)
	return &c
}
