package siuss

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/contracts"
)

// BuildSINBA turns one minor in care into one SINBA flow named id (IdentificazioneFlusso@Nome, equal
// to the id_flusso it will be published under) from ente: one SINBA element with one
// CodicePrestazione, as cooperation mode asks (siuss-waas.md §5; INPS rejected a two-code sample).
// It maps codes (the ISTAT state to ISO 3166, the comune to its region, yes/no to 1/2, month dates
// to MM/AAAA) and refuses, as a *BuildError, what it cannot map or what would identify the child:
// an IDBeneficiario shaped like a codice fiscale. Like BuildPS it does not judge the content
// (Validate does: the codes' ranges come from the XSD).
func BuildSINBA(id string, ente Ente, s contracts.SchedaSINBA) ([]byte, error) {
	b := &builder{}
	doc, root := newFlusso(id, ente)
	el := root.CreateElement("SINBA")
	switch {
	case s.IDBeneficiario == "":
		b.fail("/idBeneficiario", "required", "the ente's pseudonym of the child is required")
	case looksLikeCodiceFiscale(s.IDBeneficiario):
		b.fail("/idBeneficiario", RulePseudonimo, "SINBA is pseudonymous: IDBeneficiario must be the ente's pseudonym of the child, not a codice fiscale")
	}
	el.CreateAttr("IDBeneficiario", s.IDBeneficiario)
	el.CreateAttr("MinoreStranieroNoAcc", siNo(s.MinoreStranieroNonAccompagnato))
	el.CreateAttr("CondizioneMinore", strconv.Itoa(s.CondizioneMinore))
	el.CreateAttr("LuogoVita", strconv.Itoa(s.LuogoVita))
	el.CreateAttr("ScuolaFrequentata", strconv.Itoa(s.ScuolaFrequentata))
	el.CreateAttr("CondizioneLavoro", strconv.Itoa(s.CondizioneLavoro))
	el.CreateAttr("Disabilita", siNo(s.Disabilita))
	if s.TipoDisabilita != 0 {
		el.CreateAttr("TipoDisabilita", strconv.Itoa(s.TipoDisabilita))
	}
	b.monthDate(el, "DataPrimaSegnalazione", "/dataPrimaSegnalazione", s.DataPrimaSegnalazione, true)
	el.CreateAttr("FonteSegnalazione", strconv.Itoa(s.FonteSegnalazione))
	el.CreateAttr("ValutazioneMinore", strconv.Itoa(s.ValutazioneMinore))
	el.CreateAttr("ValutazioneFamigliaMinore", strconv.Itoa(s.ValutazioneFamigliaMinore))
	el.CreateAttr("SegnalazioneAutoritaGiudiziaria", siNo(s.SegnalazioneAutoritaGiudiziaria))
	b.monthDate(el, "DataSegnalazione", "/dataSegnalazione", s.DataSegnalazione, false)
	el.CreateAttr("ProvvedimentoGiudiziario", siNo(s.ProvvedimentoGiudiziario))
	b.monthDate(el, "DataProvvedimentoGiudiziario", "/dataProvvedimentoGiudiziario", s.DataProvvedimentoGiudiziario, false)
	el.CreateAttr("FasciaEtaBeneficiario", strconv.Itoa(s.FasciaEta))
	if s.AnnoNascita < 1900 || s.AnnoNascita > 9999 {
		b.fail("/annoNascita", "required", "the child's year of birth is required")
	}
	el.CreateAttr("AnnoNascita", fmt.Sprintf("%04d", s.AnnoNascita))
	b.residenzaSINBA(el, s)
	el.CreateElement("Prestazioni").CreateElement("CodicePrestazione").SetText(s.CodicePrestazione)
	fam := el.CreateElement("Famiglia")
	for _, c := range s.Famiglia {
		fam.CreateElement("ComposizioneFamiglia").SetText(strconv.Itoa(c))
	}
	if err := b.err(); err != nil {
		return nil, err
	}
	return serialize(doc)
}

// residenzaSINBA writes CodiceRegioneResidenza (Italy: the comune's region) and
// CodiceNazioneResidenza (ISO 3166).
func (b *builder) residenzaSINBA(el *etree.Element, s contracts.SchedaSINBA) {
	if s.CodiceStatoResidenza == "" {
		b.fail("/codiceStatoResidenza", "required", "the state of residence is required")
		return
	}
	nazione := b.iso("/codiceStatoResidenza", s.CodiceStatoResidenza)
	if nazione == isoItalia {
		if regione, ok := b.region("/codiceIstatComuneResidenza", s.CodiceIstatComuneResidenza); ok {
			el.CreateAttr("CodiceRegioneResidenza", regione)
		}
	}
	el.CreateAttr("CodiceNazioneResidenza", nazione)
}

// monthDate writes a SINBA month (DataMeseAnnoType, MM/AAAA) from a date with at least a month.
func (b *builder) monthDate(el *etree.Element, attr, path string, d contracts.Data, required bool) {
	switch {
	case d.IsZero() && required:
		b.fail(path, "required", "a month (MM/AAAA) is required")
	case d.IsZero():
	case d.Precision() == contracts.PrecisionYear:
		b.fail(path, "format", "SINBA dates are months (MM/AAAA): the month is required")
	default:
		el.CreateAttr(attr, fmt.Sprintf("%02d/%04d", d.Month(), d.Year()))
	}
}

// siNo is SIUSS's yes/no code: 1 sì, 2 no.
func siNo(v bool) string {
	if v {
		return "1"
	}
	return "2"
}

// looksLikeCodiceFiscale reports whether s has the shape of a codice fiscale (16 characters of a
// person, omocodia included, or 11 digits), whatever its check character: a pseudonym never does.
func looksLikeCodiceFiscale(s string) bool {
	err := contracts.ValidateCodiceFiscale(strings.ToUpper(strings.TrimSpace(s)))
	var ce *contracts.CFError
	return err == nil || (errors.As(err, &ce) && ce.Reason == contracts.CFBadCheckCharacter)
}
