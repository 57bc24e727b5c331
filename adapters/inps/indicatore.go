package inps

import "github.com/welfaregov/gateway/contracts"

// TranslateIndicatore translates a decoded XmlEsitoIndicatore (root Indicatore of
// ISEE_EsitoConsultazioneIndicatore.xsd) into the selection it answers: the indicator of the type
// that was asked for (tipoRichiesto), for the codice fiscale that was asked for (cfRichiesto), with
// Motivo TIPO_RICHIESTO. ConsultazioneIndicatore says nothing about how the value was computed
// (Variante NON_SPECIFICATA) nor about the attestation's validity.
//
// It is lenient like TranslateAttestazione. A partial payload such as `<Indicatore ISEE="10000"/>`
// (idpay's test stubs) is accepted and marked incomplete: the missing values are zero, a missing
// ScalaEquivalenza is 1 so the indicator stays well-formed, and the consistency checks report
// whatever does not add up. The payload's own TipoIndicatore and RicercaCF win over the arguments
// (a difference is noted).
func TranslateIndicatore(payload []byte, m Meta, tipoRichiesto contracts.TipoISEE, cfRichiesto string) (*contracts.SelezioneISEE, error) {
	var n notes
	root, err := readPayload(OpConsultazioneIndicatore, payload, &n)
	if err != nil {
		return nil, err
	}
	if root.Tag != "Indicatore" {
		return nil, newError(OpConsultazioneIndicatore, ReasonPayloadMalformato, "the payload's root element is %q, not Indicatore", truncate(root.Tag, 64))
	}
	r := reader{&n}
	const path = "Indicatore"
	r.known(root, path, "RicercaCF")
	tipo := tipoRichiesto
	if code := r.str(root, path, "TipoIndicatore", true); code != "" {
		t, ok := contracts.TipoFromTipoIndicatore(code)
		switch {
		case !ok:
			n.add("%s@TipoIndicatore %q is not a known type: the requested %s is assumed", path, truncate(code, 32), tipoRichiesto)
		case tipoRichiesto != "" && t != tipoRichiesto:
			n.add("%s@TipoIndicatore is %s, but %s was requested", path, code, tipoRichiesto.TipoIndicatore())
			tipo = t
		default:
			tipo = t
		}
	}
	if tipo == "" {
		tipo = contracts.ISEEOrdinario
		n.add("the indicator's type is unknown: ORDINARIO assumed")
	}
	v := contracts.ValoriISEE{
		ISE: r.decOrZero(root, path, "ISE"), ISEE: r.decOrZero(root, path, "ISEE"),
		ISR: r.decOrZero(root, path, "ISR"), ISP: r.decOrZero(root, path, "ISP"),
	}
	if s := r.dec(root, path, "ScalaEquivalenza", true); s != nil {
		v.ScalaEquivalenza = *s
	} else {
		v.ScalaEquivalenza = contracts.MustDecimal("1")
	}
	sel := &contracts.SelezioneISEE{
		Indicatore:        contracts.IndicatoreISEE{Tipo: tipo, Variante: contracts.VarianteNonSpecificata, Stato: contracts.IndicatoreCalcolato, Valori: &v},
		Motivo:            contracts.MotivoTipoRichiesto,
		DettaglioMotivo:   "INPS was asked for the indicator of type " + tipo.TipoIndicatore() + " (ConsultazioneIndicatore)",
		TipoRichiesto:     tipoRichiesto,
		ProtocolloDSU:     r.str(root, path, "ProtocolloDSU", true),
		DataPresentazione: r.date(root, path, "DataPresentazione", true),
	}
	cf := cfRichiesto
	if re := firstChild(root, "RicercaCF"); re != nil {
		echo := r.cf(re, path+"/RicercaCF", "CodiceFiscale", true)
		if echo != "" && cfRichiesto != "" && echo != cfRichiesto {
			n.add("Indicatore/RicercaCF@CodiceFiscale %s differs from the requested %s", contracts.MaskCodiceFiscale(echo), contracts.MaskCodiceFiscale(cfRichiesto))
		}
		if echo != "" {
			cf = echo
		}
	} else {
		n.missing("Indicatore lacks RicercaCF")
	}
	sel.CodiceFiscaleBeneficiario = cf
	if tipo != contracts.ISEEOrdinario {
		// Per-person indicators name their beneficiary (contracts.IndicatoreISEE); the ordinario is the household's.
		sel.Indicatore.CodiceFiscaleBeneficiario = cf
	}
	sel.Incongruenze = contracts.CheckIndicatore(sel.Indicatore, "/indicatore")
	for _, inc := range sel.Incongruenze {
		n.add("consistency check failed at %s: %s", inc.Riferimento, inc.Dettaglio)
	}
	sel.Provenienza = m.provenienza(OpConsultazioneIndicatore, &n)
	return sel, nil
}
