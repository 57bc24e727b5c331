package population

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/welfaregov/gateway/adapters/welfaregov/wire"
	"github.com/welfaregov/gateway/contracts"
)

// Prestazione is a social benefit granted by a WelfareGOV ente, in the backend's wire format (the
// data a PS_PSA_SINA flow needs, siuss-waas.md §4): the gateway's client decodes the same types.
type Prestazione = wire.Prestazione

// The parts of a Prestazione.
type (
	Ente         = wire.Ente
	Beneficiario = wire.Beneficiario
	SINA         = wire.SINA
	SINBA        = wire.SINBA
)

// ErrPrestazioneInvalida is wrapped by every ValidatePrestazione failure.
var ErrPrestazioneInvalida = errors.New("population: invalid prestazione")

// ValidatePrestazione applies the SIUSS business rules of siuss-waas.md §4.4–4.6 to a record the
// backend is asked to store and returns every problem joined (errors.Is(err,
// ErrPrestazioneInvalida) holds for each). Dates must be YYYY-MM-DD.
func ValidatePrestazione(p *Prestazione) error {
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
	if p.DataDSU != "" {
		dsu++
	}
	if dsu != 0 && dsu != 3 {
		bad("numeroProtocolloDSU", "the DSU protocol, year and date go all together or not at all")
	}
	if p.PresenzaProvaMezzi == "1" && dsu != 3 {
		bad("numeroProtocolloDSU", "an ISEE-tested benefit (presenzaProvaMezzi 1) needs its DSU reference")
	}
	for _, d := range []struct{ field, value string }{{"dataDSU", p.DataDSU}, {"dataEvento", p.DataEvento},
		{"dataInizioPrestazione", p.DataInizioPrestazione}, {"dataFinePrestazione", p.DataFinePrestazione},
		{"dataErogazionePrestazione", p.DataErogazionePrestazione}} {
		if _, err := time.Parse(time.DateOnly, d.value); d.value != "" && err != nil {
			bad(d.field, "must be a YYYY-MM-DD date")
		}
	}
	var total *contracts.Decimal
	switch p.CaratterePrestazione {
	case "1":
		if p.DataInizioPrestazione == "" {
			bad("dataInizioPrestazione", "required for a periodic benefit")
		}
		if p.ImportoMensile == nil || p.ImportoMensile.Sign() <= 0 {
			bad("importoMensile", "required and > 0 for a periodic benefit")
		}
		if p.DataFinePrestazione != "" && p.DataInizioPrestazione != "" && !sameYear(p.DataFinePrestazione, p.DataInizioPrestazione) {
			bad("dataFinePrestazione", "must be in the same year as dataInizioPrestazione")
		}
		if p.PeriodoErogazione != 0 && (p.PeriodoErogazione < 1 || p.PeriodoErogazione > 12) {
			bad("periodoErogazione", "must be 1..12")
		}
		total = p.ImportoMensile
	case "2":
		if p.DataErogazionePrestazione == "" {
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
			v        *contracts.Decimal
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
	if s := p.SINBA; s != nil {
		validateSINBA(s, bad)
	}
	if p.TipoOperazione == "C" && p.AnnullaID == "" {
		bad("annullaId", "a cancellation must name the prestazione it cancels")
	}
	return errors.Join(errs...)
}

// validateSINBA checks a SINBA block: a pseudonym of 1-20 characters, every required code, the
// months, someone the child lives with.
func validateSINBA(s *SINBA, bad func(field, format string, args ...any)) {
	if n := len(s.IDBeneficiario); n < 1 || n > 20 {
		bad("sinba.idBeneficiario", "must have 1 to 20 characters, has %d", n)
	}
	for _, c := range []struct{ field, v string }{{"fasciaEtaBeneficiario", s.FasciaEtaBeneficiario},
		{"minoreStranieroNoAcc", s.MinoreStranieroNoAcc}, {"condizioneMinore", s.CondizioneMinore}, {"luogoVita", s.LuogoVita},
		{"scuolaFrequentata", s.ScuolaFrequentata}, {"condizioneLavoro", s.CondizioneLavoro}, {"disabilita", s.Disabilita},
		{"fonteSegnalazione", s.FonteSegnalazione}, {"valutazioneMinore", s.ValutazioneMinore},
		{"valutazioneFamigliaMinore", s.ValutazioneFamigliaMinore}, {"segnalazioneAutoritaGiudiziaria", s.SegnalazioneAutoritaGiudiziaria},
		{"provvedimentoGiudiziario", s.ProvvedimentoGiudiziario}} {
		if c.v == "" {
			bad("sinba."+c.field, "required")
		}
	}
	for _, d := range []struct{ field, v string }{{"dataPrimaSegnalazione", s.DataPrimaSegnalazione},
		{"dataSegnalazione", s.DataSegnalazione}, {"dataProvvedimentoGiudiziario", s.DataProvvedimentoGiudiziario}} {
		if _, err := time.Parse("2006-01", d.v); err != nil && (d.v != "" || d.field == "dataPrimaSegnalazione") {
			bad("sinba."+d.field, "must be a YYYY-MM month")
		}
	}
	if len(s.ComposizioneFamiglia) == 0 {
		bad("sinba.composizioneFamiglia", "the child lives with someone: at least one code")
	}
}

// sameYear reports whether two YYYY-MM-DD dates are in the same year.
func sameYear(a, b string) bool { return len(a) >= 4 && len(b) >= 4 && a[:4] == b[:4] }
