package inps

import (
	"fmt"
	"slices"

	"github.com/welfaregov/gateway/contracts"
)

// The "ISEE di prestazione" (payloads.md §5 rule 1): which indicator of an attestation applies to a
// benefit for a beneficiary. The rule follows DPCM 159/2013:
//
//   - university benefits (A2.03, A2.04) use the student's universitario (art. 8);
//   - any other benefit for a minor uses the minor's ISEEMin entry (art. 7); ISEEOrd there means
//     "the minorenni equals the ordinario", and the translation already carries its values;
//   - residential care (A1.14, A3.02) uses the person's ISEESocioSanRes entry, the Ridotto's
//     (ISEESocioSanResRistretto) first when both exist, since the restricted household is the
//     beneficiary's own choice (art. 6 c.2-3); without one, the ristretto, then the ordinario;
//   - other socio-sanitary benefits for adults (A1.10-A1.13, A2.07, A2.08, A3.01) use the Ridotto's
//     ISEERistretto for the beneficiary; without one the ordinario applies (the restricted household
//     is optional: art. 6 c.2);
//   - everything else uses the ordinario.
//
// ISEENonCalcolabile is returned as it is (Stato NON_CALCOLABILE), never replaced by the ordinario:
// INPS says that ISEE cannot be computed, and the ente must know. An ISEE corrente is INPS's
// current answer for the household: it is used while valid (DataScadenzaDSUCorrente on or after the
// reference date); SelezionaTraAttestazioni prefers a valid corrente over an ordinary attestation.

// RichiestaSelezione asks which ISEE applies.
type RichiestaSelezione struct {
	// CodiceFiscaleBeneficiario is the person the benefit is for (the child for a nursery, the
	// student, the assisted person), not necessarily the applicant.
	CodiceFiscaleBeneficiario string
	// CodicePrestazione is the benefit's PrestazioneDaErogare code; it decides the kind of ISEE
	// (TipoPerPrestazione). Optional when Tipo is set.
	CodicePrestazione string
	// Tipo, when set, is the kind of ISEE the benefit's rules require, and overrides the code's. An
	// explicit tipo is applied as asked: a minor asked for the ORDINARIO gets the ordinario.
	Tipo contracts.TipoISEE
	// DataRiferimento is the day the ISEE must be valid on (the application's date). Zero skips the
	// validity checks.
	DataRiferimento contracts.Data
}

var tipoByPrestazione = map[string]contracts.TipoISEE{
	// Diritto allo studio universitario, tasse universitarie.
	"A2.03": contracts.ISEEUniversitario, "A2.04": contracts.ISEEUniversitario,
	// Rette for residential services and residential structures.
	"A1.14": contracts.ISEESocioSanitarioResidenziale, "A3.02": contracts.ISEESocioSanitarioResidenziale,
	// Socio-sanitary benefits: cure a rilevanza sanitaria, domiciliarità, centri diurni,
	// semi-residenziali, assistenza domiciliare, ADI, strutture semiresidenziali.
	"A1.10": contracts.ISEESocioSanitario, "A1.11": contracts.ISEESocioSanitario, "A1.12": contracts.ISEESocioSanitario,
	"A1.13": contracts.ISEESocioSanitario, "A2.07": contracts.ISEESocioSanitario, "A2.08": contracts.ISEESocioSanitario,
	"A3.01": contracts.ISEESocioSanitario,
	// Benefits that only a minor receives: nursery, early-childhood services, school services and canteen.
	"A1.07": contracts.ISEEMinorenni, "A1.08": contracts.ISEEMinorenni, "A1.09": contracts.ISEEMinorenni,
	"A2.10": contracts.ISEEMinorenni, "A2.11": contracts.ISEEMinorenni, "A2.12": contracts.ISEEMinorenni,
	"A3.03": contracts.ISEEMinorenni,
}

// TipoPerPrestazione returns the kind of ISEE a PrestazioneDaErogare code calls for when the
// beneficiary is an adult (a minor always gets the minorenni, university benefits aside), and
// whether the code is known. Codes not listed in the package documentation call for the ordinario.
func TipoPerPrestazione(code string) (contracts.TipoISEE, bool) {
	if !ValidPrestazioneDaErogare(code) {
		return "", false
	}
	if t, ok := tipoByPrestazione[code]; ok {
		return t, true
	}
	return contracts.ISEEOrdinario, true
}

// SelezionaISEE applies the rule above to one attestation. The result carries the whole attestation,
// the chosen indicator's consistency problems, and an explanation for operators. When no indicator
// applies, the error is an *Error of class Business with Reason ReasonAttestazioneNonValida,
// ReasonCorrenteScaduta, ReasonBeneficiarioEstraneo or ReasonIndicatoreAssente; invalid input gives
// ReasonRichiestaNonValida.
func SelezionaISEE(a contracts.AttestazioneISEE, r RichiestaSelezione) (*contracts.SelezioneISEE, error) {
	cf := contracts.NormalizeCodiceFiscale(r.CodiceFiscaleBeneficiario)
	var c fieldChecker
	if cf == "" {
		c.add("CodiceFiscaleBeneficiario", "required")
	}
	tipo, esplicito := r.Tipo, r.Tipo != ""
	switch {
	case esplicito && !tipo.Valid():
		c.add("Tipo", "unknown TipoISEE")
	case r.CodicePrestazione != "":
		t, ok := TipoPerPrestazione(r.CodicePrestazione)
		if !ok {
			c.add("CodicePrestazione", "not a code of PrestazioneDaErogareType (A1.01 ... A3.03, Z9.99)")
		} else if !esplicito {
			tipo = t
		}
	case !esplicito:
		c.add("CodicePrestazione", "required when Tipo is not set")
	}
	if !r.DataRiferimento.IsZero() && r.DataRiferimento.Precision() != contracts.PrecisionDay {
		c.add("DataRiferimento", "must be a full date")
	}
	if len(c.problems) > 0 {
		e := c.err("")
		e.(*Error).Detail = "the selection request is not valid"
		return nil, e
	}
	if tipo == contracts.ISEEDottorato {
		return nil, selErr(ReasonIndicatoreAssente, "attestations do not carry the ISEE for doctoral scholarships: ask ConsultazioneIndicatore with TipoIndicatore Dottorato")
	}
	if err := validAt(a, r.DataRiferimento); err != nil {
		return nil, err
	}
	if !member(a, cf) {
		return nil, selErr(ReasonBeneficiarioEstraneo, "the beneficiary %s is not a member of the households of DSU %s", contracts.MaskCodiceFiscale(cf), a.ProtocolloDSU)
	}
	s := selector{a: &a, cf: cf}
	ind, motivo, detail, err := s.choose(tipo, esplicito, r.CodicePrestazione)
	if err != nil {
		return nil, err
	}
	if ind.Stato == contracts.IndicatoreNonCalcolabile {
		detail += "; INPS could not compute this indicator (ISEENonCalcolabile): it must not be replaced by another one"
	}
	if ind.Corrente {
		detail += "; ISEE corrente"
		if !a.DataScadenzaDSUCorrente.IsZero() {
			detail += " valid until " + a.DataScadenzaDSUCorrente.String()
		}
	}
	out := &contracts.SelezioneISEE{
		Indicatore: ind, Motivo: motivo, DettaglioMotivo: detail, TipoRichiesto: tipo,
		CodiceFiscaleBeneficiario: cf, CodicePrestazione: r.CodicePrestazione,
		ProtocolloDSU: a.ProtocolloDSU, DataPresentazione: a.DataPresentazione, DataValidita: a.DataValidita,
		Difforme: a.Difforme(), Incongruenze: contracts.CheckIndicatore(ind, "/indicatore"),
		Attestazione: &a, Provenienza: a.Provenienza,
	}
	return out, nil
}

func selErr(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// validAt checks the attestation's validity and, for an ISEE corrente, its expiry, on day ref.
func validAt(a contracts.AttestazioneISEE, ref contracts.Data) error {
	if ref.IsZero() {
		return nil
	}
	if !a.DataValidita.IsZero() && a.DataValidita.Compare(ref) < 0 {
		return selErr(ReasonAttestazioneNonValida, "the attestation of DSU %s expired on %s, before the reference date %s", a.ProtocolloDSU, a.DataValidita, ref)
	}
	if corrente(a) && !a.DataScadenzaDSUCorrente.IsZero() && a.DataScadenzaDSUCorrente.Compare(ref) < 0 {
		return selErr(ReasonCorrenteScaduta, "the ISEE corrente of DSU %s expired on %s, before the reference date %s: ask INPS again for the ordinario", a.ProtocolloDSU, a.DataScadenzaDSUCorrente, ref)
	}
	return nil
}

func corrente(a contracts.AttestazioneISEE) bool {
	return slices.ContainsFunc(a.Indicatori, func(i contracts.IndicatoreISEE) bool { return i.Corrente })
}

// member reports whether cf belongs to the attestation: a member of the DSU household or of a
// restricted household, or the beneficiary of one of its indicators. An attestation without
// households (a partial payload) cannot say, and is given the benefit of the doubt.
func member(a contracts.AttestazioneISEE, cf string) bool {
	known := false
	check := func(n *contracts.NucleoFamiliare) bool {
		for _, c := range n.Componenti {
			known = true
			if c.Persona.CodiceFiscale == cf {
				return true
			}
		}
		return false
	}
	if a.NucleoFamiliare != nil && check(a.NucleoFamiliare) {
		return true
	}
	for i := range a.NucleiRistretti {
		if check(&a.NucleiRistretti[i]) {
			return true
		}
	}
	for _, ind := range a.Indicatori {
		if ind.CodiceFiscaleBeneficiario == cf {
			return true
		}
	}
	return !known
}

type selector struct {
	a  *contracts.AttestazioneISEE
	cf string
}

// find returns the indicator of tipo for the beneficiary (the ordinario has none): a computed one
// before a non-calcolabile one, and among computed residential ones, those of a Ridotto first.
func (s selector) find(tipo contracts.TipoISEE) (contracts.IndicatoreISEE, bool) {
	best, found := contracts.IndicatoreISEE{}, false
	rank := func(i contracts.IndicatoreISEE) int {
		switch {
		case i.Stato == contracts.IndicatoreNonCalcolabile:
			return 0
		case ristrettoVariants[i.Variante]:
			return 2
		}
		return 1
	}
	for _, ind := range s.a.Indicatori {
		if ind.Tipo != tipo || (tipo != contracts.ISEEOrdinario && ind.CodiceFiscaleBeneficiario != s.cf) {
			continue
		}
		if !found || rank(ind) > rank(best) {
			best, found = ind, true
		}
	}
	return best, found
}

var ristrettoVariants = map[contracts.VarianteISEE]bool{
	contracts.VarianteRistretto: true, contracts.VarianteResidenzialeRistretto: true,
	contracts.VarianteRistrettoComponentiAggiuntive: true, contracts.VarianteResidenzialeRistrettoComponentiAggiuntive: true,
}

func (s selector) choose(tipo contracts.TipoISEE, esplicito bool, code string) (contracts.IndicatoreISEE, contracts.MotivoSelezione, string, error) {
	per := "the benefit"
	if code != "" {
		per = "benefit " + code
	}
	if tipo != contracts.ISEEUniversitario && !esplicito {
		if ind, ok := s.find(contracts.ISEEMinorenni); ok {
			return ind, contracts.MotivoBeneficiarioMinorenne, "the beneficiary is a minor: " + per + " uses the minorenni ISEE (DPCM 159/2013 art. 7)", nil
		}
	}
	switch tipo {
	case contracts.ISEEUniversitario:
		if ind, ok := s.find(contracts.ISEEUniversitario); ok {
			return ind, contracts.MotivoStudenteUniversitario, per + " is for university students: the student's universitario ISEE (art. 8)", nil
		}
		return s.ordinario("the attestation has no universitario for the beneficiary; " + per + " needs one (DPCM 159/2013 art. 8): ask for a DSU with the universitario")
	case contracts.ISEEMinorenni:
		if ind, ok := s.find(contracts.ISEEMinorenni); ok {
			return ind, contracts.MotivoBeneficiarioMinorenne, "the minorenni ISEE was asked for", nil
		}
		return s.ordinario(per + " is for minors, but the beneficiary has no ComponenteMinorenne entry: check that the beneficiary is the child")
	case contracts.ISEESocioSanitarioResidenziale:
		if ind, ok := s.find(contracts.ISEESocioSanitarioResidenziale); ok {
			return ind, contracts.MotivoPrestazioneResidenziale, per + " is residential care: the beneficiary's residential socio-sanitary ISEE (art. 6 c.3)", nil
		}
		if ind, ok := s.find(contracts.ISEESocioSanitario); ok {
			return ind, contracts.MotivoPrestazioneSocioSanitaria, per + " is residential care, the attestation has no residential ISEE for the beneficiary: the socio-sanitary ISEE on the restricted household", nil
		}
		return s.ordinario(per + " is residential care, the attestation has neither a residential nor a restricted-household ISEE for the beneficiary")
	case contracts.ISEESocioSanitario:
		if ind, ok := s.find(contracts.ISEESocioSanitario); ok {
			return ind, contracts.MotivoPrestazioneSocioSanitaria, per + " is socio-sanitary: the ISEE on the beneficiary's restricted household (art. 6 c.2)", nil
		}
		return s.ordinario(per + " is socio-sanitary and the beneficiary chose no restricted household: the ordinario applies (art. 6 c.2)")
	}
	ind, ok := s.find(contracts.ISEEOrdinario)
	if !ok {
		return contracts.IndicatoreISEE{}, "", "", selErr(ReasonIndicatoreAssente, "the attestation of DSU %s has no ordinario", s.a.ProtocolloDSU)
	}
	return ind, contracts.MotivoOrdinario, per + " calls for the ordinario ISEE", nil
}

// ordinario falls back to the ordinario when the specific indicator is missing.
func (s selector) ordinario(why string) (contracts.IndicatoreISEE, contracts.MotivoSelezione, string, error) {
	ind, ok := s.find(contracts.ISEEOrdinario)
	if !ok {
		return contracts.IndicatoreISEE{}, "", "", selErr(ReasonIndicatoreAssente, "%s, and the attestation of DSU %s has no ordinario either", why, s.a.ProtocolloDSU)
	}
	return ind, contracts.MotivoOrdinarioInAssenzaDiSpecifico, why + ": the ordinario is returned instead", nil
}

// SelezionaTraAttestazioni chooses among several attestations of the same person (an ordinary DSU
// and an ISEE corrente, or DSUs of different years) and applies SelezionaISEE to the chosen one:
// attestations not valid on r.DataRiferimento (or whose corrente has expired) are set aside; a
// corrente is preferred while valid (it replaces the ordinary figures by law, DPCM 159/2013 art. 9);
// then the most recently presented DSU wins. With none valid, the error of the most recent one is
// returned.
func SelezionaTraAttestazioni(list []contracts.AttestazioneISEE, r RichiestaSelezione) (*contracts.SelezioneISEE, error) {
	if len(list) == 0 {
		return nil, selErr(ReasonIndicatoreAssente, "no attestation to choose from")
	}
	best, latestInvalid := -1, -1
	var latestErr error
	for i, a := range list {
		if err := validAt(a, r.DataRiferimento); err != nil {
			if latestInvalid < 0 || a.DataPresentazione.Compare(list[latestInvalid].DataPresentazione) > 0 {
				latestInvalid, latestErr = i, err
			}
			continue
		}
		if best < 0 || better(a, list[best]) {
			best = i
		}
	}
	if best < 0 {
		return nil, latestErr
	}
	return SelezionaISEE(list[best], r)
}

func better(a, b contracts.AttestazioneISEE) bool {
	if ca, cb := corrente(a), corrente(b); ca != cb {
		return ca
	}
	return a.DataPresentazione.Compare(b.DataPresentazione) > 0
}
