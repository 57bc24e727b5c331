package inps

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/contracts"
)

// EsitoAttestazione is the translation of an XmlEsitoAttestazione payload (EsitoAttestazione =
// optional Attestazione + Ricerca).
type EsitoAttestazione struct {
	// Attestazione is nil when INPS sent only the search echo (no attestation for it).
	Attestazione *contracts.AttestazioneISEE `json:"attestazione,omitempty"`
	// Ricerca is the search INPS says it answered; nil when the payload lacks it (then
	// Provenienza.Incompleto is set).
	Ricerca *Ricerca `json:"ricerca,omitempty"`
	// Incongruenze are the failed consistency checks (contracts.CheckAttestazione) of every
	// translated indicator; each is also summarised in Provenienza.Anomalie.
	Incongruenze []contracts.Incongruenza `json:"incongruenze,omitempty"`
	// Provenienza is also the attestation's.
	Provenienza contracts.Provenienza `json:"provenienza"`
}

// Ricerca is the search echoed in the payload (TypeRicercaCF, TypeRicercaProtDSU,
// TypeRicercaProtMittente of ISEE_TipiComuni.xsd).
type Ricerca struct {
	// Filtro is the element: RicercaCF, RicercaProtDSU or RicercaProtMittente.
	Filtro                         string         `json:"filtro"`
	CodiceFiscale                  string         `json:"codiceFiscale,omitempty"`
	CodiceFiscaleBeneficiario      string         `json:"codiceFiscaleBeneficiario,omitempty"`
	ProtocolloDSU                  string         `json:"protocolloDSU,omitempty"`
	ProtocolloMittente             string         `json:"protocolloMittente,omitempty"`
	DataValidita                   contracts.Data `json:"dataValidita,omitzero"`
	PrestazioneDaErogare           string         `json:"prestazioneDaErogare,omitempty"`
	ProtocolloDomandaEnteErogatore string         `json:"protocolloDomandaEnteErogatore,omitempty"`
	StatodomandaPrestazione        string         `json:"statodomandaPrestazione,omitempty"`
}

// TranslateAttestazione translates a decoded XmlEsitoAttestazione (any encoding readXML accepts)
// into the model. It is lenient: unknown elements (ISEEFamiglia ...) are ignored and noted, missing
// required data marks the result incomplete, wrong codici fiscali are kept and noted, values that
// fail the ISEE consistency checks are reported in Incongruenze. It fails only when the payload is
// too large, not XML, not an EsitoAttestazione, or when the attestation lacks a date the model
// requires (presentation, validity, an AE check, a varied DSU's presentation): *Error with Reason
// ReasonPayloadMalformato or ReasonTroppoGrande.
func TranslateAttestazione(payload []byte, m Meta) (*EsitoAttestazione, error) {
	var n notes
	root, err := readPayload(OpConsultazioneAttestazione, payload, &n)
	if err != nil {
		return nil, err
	}
	r := reader{&n}
	out := &EsitoAttestazione{}
	var att *etree.Element
	switch root.Tag {
	case "EsitoAttestazione":
		r.known(root, "EsitoAttestazione", "Attestazione", "Ricerca")
		att = firstChild(root, "Attestazione")
		if ric := firstChild(root, "Ricerca"); ric != nil {
			out.Ricerca = r.ricerca(ric)
		} else {
			n.missing("EsitoAttestazione lacks Ricerca")
		}
	case "Attestazione":
		n.add("the payload is a bare Attestazione instead of an EsitoAttestazione")
		att = root
	default:
		return nil, newError(OpConsultazioneAttestazione, ReasonPayloadMalformato,
			"the payload's root element is %q, not EsitoAttestazione", truncate(root.Tag, 64))
	}
	if att != nil {
		a := r.attestazione(att)
		if missing := requiredDates(&a); len(missing) > 0 {
			return nil, newError(OpConsultazioneAttestazione, ReasonPayloadMalformato,
				"the attestation lacks required dates or has malformed ones (%s): it cannot be used", strings.Join(missing, ", "))
		}
		out.Attestazione = &a
		out.Incongruenze = contracts.CheckAttestazione(a)
		for _, inc := range out.Incongruenze {
			n.add("consistency check failed at %s: %s", inc.Riferimento, inc.Dettaglio)
		}
	}
	out.Provenienza = m.provenienza(OpConsultazioneAttestazione, &n)
	if out.Attestazione != nil {
		out.Attestazione.Provenienza = out.Provenienza
	}
	return out, nil
}

func (r reader) ricerca(e *etree.Element) *Ricerca {
	r.known(e, "Ricerca", "RicercaCF", "RicercaProtDSU", "RicercaProtMittente")
	for _, f := range e.ChildElements() {
		path := "Ricerca/" + f.Tag
		q := &Ricerca{Filtro: f.Tag}
		switch f.Tag {
		case "RicercaCF":
			q.CodiceFiscale = r.cf(f, path, "CodiceFiscale", true)
			q.DataValidita = r.date(f, path, "DataValidita", false)
		case "RicercaProtDSU":
			q.ProtocolloDSU = r.str(f, path, "ProtocolloDSU", true)
			q.CodiceFiscaleBeneficiario = r.cf(f, path, "CodiceFiscaleBeneficiario", false)
		case "RicercaProtMittente":
			q.ProtocolloMittente = r.str(f, path, "ProtocolloMittente", true)
			q.CodiceFiscaleBeneficiario = r.cf(f, path, "CodiceFiscaleBeneficiario", false)
		default:
			continue
		}
		q.PrestazioneDaErogare = r.str(f, path, "PrestazioneDaErogare", false)
		q.ProtocolloDomandaEnteErogatore = r.str(f, path, "ProtocolloDomandaEnteErogatore", false)
		q.StatodomandaPrestazione = r.str(f, path, "StatodomandaPrestazione", false)
		return q
	}
	r.n.missing("Ricerca has none of RicercaCF, RicercaProtDSU, RicercaProtMittente")
	return nil
}

// attestazioneReader carries what the indicators of one attestation share.
type attestazioneReader struct {
	reader
	a *contracts.AttestazioneISEE
}

// blocco is the Ordinario or a Ridotto element's common part: the corrente flag and the modulo
// sostitutivo, applied to every indicator inside.
type blocco struct {
	corrente   bool
	protModulo string
	dataModulo contracts.Data
	// riferimento is ISEEOrdinario (in Ordinario) or ISEERistretto (in a Ridotto): the indicator an
	// ISEEOrd or ISEERistretto choice stands for.
	riferimento *contracts.IndicatoreISEE
}

func (r reader) attestazione(e *etree.Element) contracts.AttestazioneISEE {
	const path = "Attestazione"
	a := contracts.AttestazioneISEE{
		ProtocolloDSU:            r.str(e, path, "NumeroProtocolloDSU", true),
		ProtocolloMittente:       r.str(e, path, "ProtocolloMittente", false),
		CodiceFiscaleDichiarante: r.cf(e, path, "CodiceFiscaleDichiarante", true),
		DataPresentazione:        r.date(e, path, "DataPresentazione", true),
		DataValidita:             r.date(e, path, "DataValidita", true),
		DataScadenzaDSUCorrente:  r.date(e, path, "DataScadenzaDSUCorrente", false),
		Indicatori:               []contracts.IndicatoreISEE{},
	}
	if a.ProtocolloDSU != "" && contracts.ValidateProtocolloDSU(a.ProtocolloDSU) != nil {
		r.n.add("Attestazione@NumeroProtocolloDSU %q does not match INPS-ISEE-YYYY-NNNNNNNNL-NN", truncate(a.ProtocolloDSU, 40))
	}
	ar := attestazioneReader{r, &a}
	r.known(e, path, "Ordinario", "Ridotto", "Variazione", "OmissioneDifformita")
	ridotti := 0
	for _, c := range e.ChildElements() {
		switch c.Tag {
		case "Ordinario":
			if a.NucleoFamiliare != nil {
				r.n.add("a second Attestazione/Ordinario was ignored")
				continue
			}
			ar.ordinario(c)
		case "Ridotto":
			ar.ridotto(c, indexed(path, "Ridotto", ridotti))
			ridotti++
		case "Variazione":
			if a.Variazione != nil {
				r.n.add("a second Attestazione/Variazione was ignored")
				continue
			}
			a.Variazione = r.variazione(c)
		case "OmissioneDifformita":
			a.Difformita = append(a.Difformita, r.difformita(c, indexed(path, "OmissioneDifformita", len(a.Difformita))))
		}
	}
	return a
}

func (r reader) blocco(e *etree.Element, path string) blocco {
	b := blocco{
		protModulo: r.str(e, path, "ProtocolloDSUModuloSostitutivo", false),
		dataModulo: r.date(e, path, "DataPresentazioneModuloSostitutivo", false),
	}
	switch v, _ := attr(e, "Corrente"); {
	case v == "SI":
		b.corrente = true
	case strings.EqualFold(strings.TrimSpace(v), "SI"):
		b.corrente = true
		r.n.add("%s@Corrente %q is not the schema's SI: read as corrente", path, truncate(v, 16))
	case v != "":
		r.n.add("%s@Corrente %q is not SI: read as not corrente", path, truncate(v, 16))
	}
	return b
}

// stamp applies the block's corrente flag and modulo sostitutivo to ind.
func (b blocco) stamp(ind *contracts.IndicatoreISEE) {
	ind.Corrente = b.corrente
	ind.ProtocolloDSUModuloSostitutivo = b.protModulo
	ind.DataPresentazioneModuloSostitutivo = b.dataModulo
}

func (ar attestazioneReader) ordinario(e *etree.Element) {
	const path = "Attestazione/Ordinario"
	r := ar.reader
	r.known(e, path, "NucleoFamiliare", "ISEEOrdinario", "ISEEMin", "ISEEUni", "ISEESocioSanRes")
	b := r.blocco(e, path)
	nucleo := contracts.NucleoFamiliare{Origine: contracts.NucleoISEE, Componenti: []contracts.Componente{}}
	if ne := firstChild(e, "NucleoFamiliare"); ne != nil {
		nucleo.Componenti = r.componenti(ne, path+"/NucleoFamiliare", "ComponenteNucleo", false)
	} else {
		r.n.missing("%s lacks NucleoFamiliare", path)
	}
	if len(nucleo.Componenti) == 0 {
		r.n.missing("%s/NucleoFamiliare has no ComponenteNucleo", path)
	}
	ar.a.NucleoFamiliare = &nucleo
	if oe := firstChild(e, "ISEEOrdinario"); oe != nil {
		r.known(oe, path+"/ISEEOrdinario", "Valori", "ModalitaCalcolo*")
		ind := r.valued(oe, path+"/ISEEOrdinario", contracts.ISEEOrdinario, contracts.VarianteOrdinario, ModalitaCalcoloOrdinario)
		b.stamp(&ind)
		ar.a.Indicatori = append(ar.a.Indicatori, ind)
		b.riferimento = &ind
	} else {
		r.n.missing("%s lacks ISEEOrdinario", path)
	}
	for _, c := range []Contenitore{ContenitoreMinorenne, ContenitoreUniversitario, ContenitoreSocioSanRes} {
		if le := firstChild(e, c.Lista()); le != nil {
			ar.lista(le, path+"/"+c.Lista(), c, b)
		}
	}
}

func (ar attestazioneReader) ridotto(e *etree.Element, path string) {
	r := ar.reader
	r.known(e, path, "NucleoRistretto", "ISEERistretto", "ISEESocioSanResRistretto")
	b := r.blocco(e, path)
	benef := r.cf(e, path, "CodiceFiscaleBeneficiario", true)
	nucleo := contracts.NucleoFamiliare{Origine: contracts.NucleoISEERistretto, CodiceFiscaleBeneficiario: benef, Componenti: []contracts.Componente{}}
	if ne := firstChild(e, "NucleoRistretto"); ne != nil {
		nucleo.Componenti = r.componenti(ne, path+"/NucleoRistretto", "ComponenteNucleoRistretto", true)
	}
	if len(nucleo.Componenti) == 0 {
		r.n.missing("%s/NucleoRistretto has no ComponenteNucleoRistretto", path)
	}
	ar.a.NucleiRistretti = append(ar.a.NucleiRistretti, nucleo)
	if re := firstChild(e, "ISEERistretto"); re != nil {
		r.known(re, path+"/ISEERistretto", "Valori", "ModalitaCalcolo*")
		ind := r.valued(re, path+"/ISEERistretto", contracts.ISEESocioSanitario, contracts.VarianteRistretto, ModalitaCalcoloRistretto)
		ind.CodiceFiscaleBeneficiario = benef
		b.stamp(&ind)
		ar.a.Indicatori = append(ar.a.Indicatori, ind)
		b.riferimento = &ind
	}
	if le := firstChild(e, ContenitoreSocioSanResRistretto.Lista()); le != nil {
		ar.lista(le, path+"/"+ContenitoreSocioSanResRistretto.Lista(), ContenitoreSocioSanResRistretto, b)
	}
}

// componenti reads the members of a household (ComponenteNucleo with RapportoConDichiarante, or
// ComponenteNucleoRistretto with RelazioneConBeneficiario).
func (r reader) componenti(e *etree.Element, path, voce string, ristretto bool) []contracts.Componente {
	r.known(e, path, voce)
	out := []contracts.Componente{}
	for i, c := range e.SelectElements(voce) {
		p := indexed(path, voce, i)
		comp := contracts.Componente{Persona: r.persona(c, p)}
		if ristretto {
			comp.RelazioneConBeneficiario = r.str(c, p, "RelazioneConBeneficiario", true)
			comp.Ruolo = contracts.RuoloFromRelazioneConBeneficiario(comp.RelazioneConBeneficiario)
		} else {
			comp.RapportoConDichiarante = r.str(c, p, "RapportoConDichiarante", true)
			comp.Ruolo = contracts.RuoloFromRapportoConDichiarante(comp.RapportoConDichiarante)
		}
		if code := comp.RapportoConDichiarante + comp.RelazioneConBeneficiario; code != "" && comp.Ruolo == contracts.RuoloNonDefinito {
			r.n.add("%s has the unknown relationship code %q (ruolo NON_DEFINITO)", p, truncate(code, 16))
		}
		out = append(out, comp)
	}
	return out
}

func (r reader) persona(e *etree.Element, path string) contracts.Persona {
	return contracts.Persona{
		CodiceFiscale: r.cf(e, path, "CodiceFiscale", true),
		Cognome:       r.str(e, path, "Cognome", true),
		Nome:          r.str(e, path, "Nome", true),
	}
}

// lista reads the per-beneficiary entries of one container (ISEEMin, ISEEUni, ISEESocioSanRes, or a
// Ridotto's ISEESocioSanResRistretto).
func (ar attestazioneReader) lista(e *etree.Element, path string, c Contenitore, b blocco) {
	r := ar.reader
	r.known(e, path, c.Voce())
	voci := e.SelectElements(c.Voce())
	if len(voci) == 0 {
		r.n.missing("%s has no %s", path, c.Voce())
	}
	if c == ContenitoreSocioSanResRistretto && len(voci) > 1 {
		r.n.add("%s has %d %s, the XSD allows one: all are read", path, len(voci), c.Voce())
	}
	names := make([]string, 0, 8)
	for _, v := range c.Varianti() {
		names = append(names, v.Elemento)
	}
	for i, voce := range voci {
		p := indexed(path, c.Voce(), i)
		r.known(voce, p, names...)
		ind := contracts.IndicatoreISEE{Tipo: c.Tipo(), CodiceFiscaleBeneficiario: r.cf(voce, p, "CodiceFiscale", true)}
		r.str(voce, p, "Cognome", true)
		r.str(voce, p, "Nome", true)
		var choice *etree.Element
		var schema SchemaVariante
		for _, ch := range voce.ChildElements() {
			s, ok := c.Variante(ch.Tag)
			if !ok {
				continue
			}
			if choice != nil {
				r.n.add("%s has more than one indicator (%s after %s): the first is used", p, ch.Tag, choice.Tag)
				continue
			}
			choice, schema = ch, s
		}
		if choice == nil {
			r.n.missing("%s has none of %v", p, names)
			continue
		}
		ar.variante(&ind, choice, p+"/"+choice.Tag, schema, b)
		b.stamp(&ind)
		if isee := r.dec(voce, p, "ISEE", false); isee != nil && ind.Valori != nil && !sameCents(*isee, ind.Valori.ISEE) {
			r.n.add("%s@ISEE %s differs from its indicator's ISEE %s", p, isee, ind.Valori.ISEE)
		}
		ar.a.Indicatori = append(ar.a.Indicatori, ind)
	}
}

func sameCents(a, b contracts.Decimal) bool { return a.Sub(b.Decimal).Abs().LessThanOrEqual(cent) }

var cent = contracts.MustDecimal("0.01").Decimal

// variante fills ind from one choice element.
func (ar attestazioneReader) variante(ind *contracts.IndicatoreISEE, e *etree.Element, path string, s SchemaVariante, b blocco) {
	r := ar.reader
	ind.Variante = s.Variante
	ind.Stato = contracts.IndicatoreCalcolato
	switch {
	case s.Variante == contracts.VarianteNonCalcolabile:
		ind.Stato = contracts.IndicatoreNonCalcolabile
		r.known(e, path)
		return
	case s.Rinvio != RinvioNessuno:
		r.known(e, path)
		if b.riferimento == nil {
			r.n.missing("%s refers to the indicator %s, which the payload lacks", path, rinvioName(s.Rinvio))
			return
		}
		ind.DataRilascio = b.riferimento.DataRilascio
		ind.Valori = cloneValori(b.riferimento.Valori)
		ind.ModalitaCalcolo = cloneModalita(b.riferimento.ModalitaCalcolo)
		return
	}
	names := []string{"Valori", "ModalitaCalcolo*"} // valued notes a ModalitaCalcolo of another name
	if s.Componente != "" {
		names = append(names, s.Componente, alternateSpelling(s.Componente))
	}
	if s.NucleoAttratto {
		names = append(names, "NucleoFamiliareAttratto")
	}
	r.known(e, path, names...)
	v := r.valued(e, path, ind.Tipo, s.Variante, s.ModalitaCalcolo)
	ind.DataRilascio, ind.Valori, ind.ModalitaCalcolo = v.DataRilascio, v.Valori, v.ModalitaCalcolo
	if s.NucleoAttratto {
		nucleo := contracts.NucleoFamiliare{Origine: contracts.NucleoISEEAttratto, Componenti: []contracts.Componente{}}
		if ne := firstChild(e, "NucleoFamiliareAttratto"); ne != nil {
			nucleo.Componenti = r.componenti(ne, path+"/NucleoFamiliareAttratto", "ElementoNucleoAttratto", false)
		} else {
			r.n.missing("%s lacks NucleoFamiliareAttratto", path)
		}
		ind.NucleoAttratto = &nucleo
	}
	if s.Componente != "" {
		ind.ComponentiAggiuntive = r.aggiuntive(e, path, s)
	}
}

func rinvioName(k Rinvio) string {
	if k == RinvioRistretto {
		return "Ridotto/ISEERistretto"
	}
	return "Ordinario/ISEEOrdinario"
}

// alternateSpelling is the other spelling of the component element: INPS writes ComponenteAgguntiva
// in five places and ComponenteAggiuntiva in one; a payload that uses the other is accepted and noted.
func alternateSpelling(name string) string {
	switch name {
	case "ComponenteAgguntiva":
		return "ComponenteAggiuntiva"
	case "ComponenteAggiuntiva":
		return "ComponenteAgguntiva"
	}
	return name
}

func (r reader) aggiuntive(e *etree.Element, path string, s SchemaVariante) []contracts.ComponenteAggiuntiva {
	elems := e.SelectElements(s.Componente)
	if alt := alternateSpelling(s.Componente); alt != s.Componente {
		if others := e.SelectElements(alt); len(others) > 0 {
			r.n.add("%s uses %s where the XSD says %s: read as the same", path, alt, s.Componente)
			elems = append(elems, others...)
		}
	}
	if len(elems) == 0 {
		r.n.missing("%s lacks %s", path, s.Componente)
	}
	if !s.MoltiComponenti && len(elems) > 1 {
		r.n.add("%s has %d %s, the XSD allows one: all are read", path, len(elems), s.Componente)
	}
	var out []contracts.ComponenteAggiuntiva
	for i, el := range elems {
		p := indexed(path, el.Tag, i)
		r.known(el, p, "ComponenteAttrattaAggiuntiva")
		c := firstChild(el, "ComponenteAttrattaAggiuntiva")
		if c == nil {
			r.n.missing("%s lacks ComponenteAttrattaAggiuntiva", p)
			continue
		}
		p += "/ComponenteAttrattaAggiuntiva"
		out = append(out, contracts.ComponenteAggiuntiva{
			Tipo:                     s.TipoComponente,
			Cognome:                  r.str(c, p, "Cognome", true),
			Nome:                     r.str(c, p, "Nome", true),
			CodiceFiscale:            r.cf(c, p, "CodiceFiscale", true),
			ProtocolloDSURiferimento: r.str(c, p, "ProtocolloDSURiferimento", false),
			Valore:                   r.dec(c, p, "ValoreComponenteAggiuntiva", false),
			ProtocolloDSU:            r.str(c, p, "ProtocolloDSUComponenteAggiuntiva", false),
			ProtocolloMittente:       r.str(c, p, "ProtocolloMittenteComponenteAggiuntiva", false),
		})
	}
	return out
}

// valued reads an indicator element that carries DataRilascio, Valori and a ModalitaCalcolo named
// modalita (another ModalitaCalcolo* child is accepted and noted, should INPS fix a misspelling).
func (r reader) valued(e *etree.Element, path string, tipo contracts.TipoISEE, v contracts.VarianteISEE, modalita string) contracts.IndicatoreISEE {
	ind := contracts.IndicatoreISEE{Tipo: tipo, Variante: v, Stato: contracts.IndicatoreCalcolato,
		DataRilascio: r.date(e, path, "DataRilascio", true)}
	if ve := firstChild(e, "Valori"); ve != nil {
		p := path + "/Valori"
		ind.Valori = &contracts.ValoriISEE{
			ISE: r.decOrZero(ve, p, "ISE"), ScalaEquivalenza: r.decOrZero(ve, p, "ScalaEquivalenza"),
			ISEE: r.decOrZero(ve, p, "ISEE"), ISR: r.decOrZero(ve, p, "ISR"), ISP: r.decOrZero(ve, p, "ISP"),
		}
	} else {
		r.n.missing("%s lacks Valori", path)
	}
	me := firstChild(e, modalita)
	if me == nil {
		for _, c := range e.ChildElements() {
			if strings.HasPrefix(c.Tag, "ModalitaCalcolo") {
				r.n.add("%s has %s where the XSD says %s: read as the same", path, truncate(c.Tag, 64), modalita)
				me = c
				break
			}
		}
	}
	if me != nil {
		ind.ModalitaCalcolo = r.modalita(me, path+"/"+me.Tag)
	} else {
		r.n.missing("%s lacks %s", path, modalita)
	}
	return ind
}

func (r reader) modalita(e *etree.Element, p string) *contracts.ModalitaCalcolo {
	return &contracts.ModalitaCalcolo{
		SommaRedditiComponenti:               r.decOrZero(e, p, "SommaRedditiComponenti"),
		SommaRedditiComponentiCorrente:       r.dec(e, p, "SommaRedditiComponentiCorrente", false),
		RedditoFigurativoPatrimonioMobiliare: r.decOrZero(e, p, "RedditoFigurativoPatrimonioMobiliare"),
		Detrazioni:                           r.decOrZero(e, p, "Detrazioni"),
		ISR:                                  r.decOrZero(e, p, "ISR"),
		PatrimonioMobiliare:                  r.decOrZero(e, p, "PatrimonioMobiliare"),
		DetrazionePatrimonioMobiliare:        r.decOrZero(e, p, "DetrazionePatrimonioMobiliare"),
		PatrimonioImmobiliare:                r.decOrZero(e, p, "PatrimonioImmobiliare"),
		DetrazionePatrimonioImmobiliare:      r.decOrZero(e, p, "DetrazionePatrimonioImmobiliare"),
		ISP:                                  r.decOrZero(e, p, "ISP"),
		ISE:                                  r.decOrZero(e, p, "ISE"),
		ParametroNucleo:                      r.decOrZero(e, p, "ParametroNucleo"),
		Maggiorazioni:                        r.decOrZero(e, p, "Maggiorazioni"),
		ScalaEquivalenza:                     r.decOrZero(e, p, "ScalaEquivalenza"),
	}
}

func cloneValori(v *contracts.ValoriISEE) *contracts.ValoriISEE {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

func cloneModalita(m *contracts.ModalitaCalcolo) *contracts.ModalitaCalcolo {
	if m == nil {
		return nil
	}
	c := *m
	if m.SommaRedditiComponentiCorrente != nil {
		s := *m.SommaRedditiComponentiCorrente
		c.SommaRedditiComponentiCorrente = &s
	}
	return &c
}

func (r reader) variazione(e *etree.Element) *contracts.Variazione {
	const path = "Attestazione/Variazione"
	r.known(e, path, "DiscordanzeContestazione")
	v := &contracts.Variazione{
		Tipo:                         code(r, e, path, "TipoVariazione", contracts.TipoVariazioneFromCode),
		ProtocolloDSUVariata:         r.str(e, path, "NumeroProtocolloDSUVariata", true),
		DataPresentazioneDSUVariata:  r.date(e, path, "DataPresentazioneDSUVariata", true),
		ProtocolloMittenteDSUVariata: r.str(e, path, "NumeroProtocolloMittenteDSUVariata", false),
		Note:                         r.str(e, path, "NoteVariazione", false),
	}
	for i, d := range e.SelectElements("DiscordanzeContestazione") {
		p := indexed(path, "DiscordanzeContestazione", i)
		v.Discordanze = append(v.Discordanze, contracts.DiscordanzaContestazione{
			CodiceFiscale: r.cf(d, p, "CFDiscordanza", true),
			Tipologia:     r.str(d, p, "TipologiaDiscordanza", true),
			Specifica:     r.str(d, p, "SpecificaDiscordanza", true),
		})
	}
	return v
}

// code reads a required coded attribute and maps it; an unknown code is kept as received (so the
// entry is not lost) and noted.
func code[T ~string](r reader, e *etree.Element, path, name string, from func(string) (T, bool)) T {
	v := r.str(e, path, name, true)
	t, ok := from(v)
	if !ok && v != "" {
		r.n.add("%s@%s %q is not a known code: kept as received", path, name, truncate(v, 32))
		return T(v)
	}
	return t
}

func (r reader) difformita(e *etree.Element, path string) contracts.Difformita {
	r.known(e, path, "Rapporto", "RedditoAE")
	d := contracts.Difformita{
		Tipo:            code(r, e, path, "TipoOmissioneDifformita", contracts.TipoDifformitaFromCode),
		CodiceFiscale:   r.cf(e, path, "CodiceFiscale", true),
		DataControlloAE: r.date(e, path, "DataControlloAE", true),
	}
	for i, re := range e.SelectElements("Rapporto") {
		p := indexed(path, "Rapporto", i)
		d.Rapporti = append(d.Rapporti, contracts.RapportoFinanziario{
			Sezione:                r.str(re, p, "Sezione", false),
			TipoRapporto:           r.str(re, p, "TipoRapporto", false),
			Identificativo:         r.str(re, p, "Identificativo", false),
			CodiceFiscaleOperatore: r.str(re, p, "CodiceFiscaleOperatore", true),
			DescrizioneOperatore:   r.str(re, p, "DescrizioneOperatoreFinanziario", false),
			Saldo3112:              r.dec(re, p, "Saldo3112", false),
			ConsistenzaMedia:       r.dec(re, p, "ConsistenzaMedia", false),
			Valore:                 r.dec(re, p, "Valore", false),
			DataInizio:             r.date(re, p, "DataInizio", false),
			DataFine:               r.date(re, p, "DataFine", false),
		})
	}
	if re := firstChild(e, "RedditoAE"); re != nil {
		p := path + "/RedditoAE"
		code := r.str(re, p, "TipoModelloAE", false)
		m := contracts.ModelloAEFromCode(code)
		if m == contracts.ModelloNonDefinito {
			r.n.add("%s@TipoModelloAE %q is not a known code (modello NON_DEFINITO)", p, truncate(code, 16))
		}
		d.RedditoAE = &contracts.RedditoAE{
			Modello:                   m,
			RedditoComplessivoIRPEF:   r.dec(re, p, "RedditoComplessivoIRPEFAE", false),
			RedditoLavoroDipendente:   r.dec(re, p, "RedditoLavoroDipendenteAE", false),
			RedditoPensione:           r.dec(re, p, "RedditoPensioneAE", false),
			RedditoAgrario:            r.dec(re, p, "RedditoAgrarioAE", false),
			RedditiImpostaSostitutiva: r.dec(re, p, "RedditiImpostaSostitutivaAE", false),
		}
	}
	return d
}

// requiredDates lists the dates the model requires that the payload lacked: contracts.Data refuses to
// marshal a zero date in a required field, and an attestation without its presentation or validity
// date cannot be judged valid, so such a payload is unusable rather than incomplete.
func requiredDates(a *contracts.AttestazioneISEE) []string {
	var out []string
	if a.DataPresentazione.IsZero() {
		out = append(out, "Attestazione@DataPresentazione")
	}
	if a.DataValidita.IsZero() {
		out = append(out, "Attestazione@DataValidita")
	}
	for i, d := range a.Difformita {
		if d.DataControlloAE.IsZero() {
			out = append(out, indexed("Attestazione", "OmissioneDifformita", i)+"@DataControlloAE")
		}
	}
	if v := a.Variazione; v != nil && v.DataPresentazioneDSUVariata.IsZero() {
		out = append(out, "Attestazione/Variazione@DataPresentazioneDSUVariata")
	}
	return out
}
