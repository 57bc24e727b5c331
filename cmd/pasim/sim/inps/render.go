package inps

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/beevik/etree"
	"github.com/shopspring/decimal"

	adapter "github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

// envelope writes a WCF-style answer of op: the result in the service's default namespace,
// DescrizioneErrore when given, and the payload in base64 when given.
func envelope(op adapter.Operazione, id int64, esito adapter.Esito, descr string, payload []byte) []byte {
	doc := etree.NewDocument()
	env := doc.CreateElement("s:Envelope")
	env.CreateAttr("xmlns:s", adapter.NamespaceSOAP)
	resp := env.CreateElement("s:Body").CreateElement(op.ResponseElement())
	resp.CreateAttr("xmlns", adapter.NamespaceServizio)
	res := resp.CreateElement(op.ResultElement())
	res.CreateElement("IdRichiesta").SetText(strconv.FormatInt(id, 10))
	res.CreateElement("Esito").SetText(string(esito))
	if descr != "" {
		res.CreateElement("DescrizioneErrore").SetText(descr)
	}
	if payload != nil {
		res.CreateElement(op.PayloadElement()).SetText(base64.StdEncoding.EncodeToString(payload))
	}
	b, _ := doc.WriteToBytes() // writing to memory cannot fail
	return b
}

func writeEnvelope(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", adapter.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeFault writes a SOAP 1.1 Fault (faultcode in the envelope's namespace: Client or Server).
func writeFault(w http.ResponseWriter, status int, code, msg string) {
	doc := etree.NewDocument()
	env := doc.CreateElement("s:Envelope")
	env.CreateAttr("xmlns:s", adapter.NamespaceSOAP)
	f := env.CreateElement("s:Body").CreateElement("s:Fault")
	f.CreateElement("faultcode").SetText("s:" + code)
	f.CreateElement("faultstring").SetText(msg)
	b, _ := doc.WriteToBytes()
	w.Header().Set("Content-Type", adapter.ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// latin1Document serialises an inner payload in ISO-8859-1, the encoding of INPS's schemas.
func latin1Document(root *etree.Element) []byte {
	doc := etree.NewDocument()
	doc.SetRoot(root)
	b, _ := doc.WriteToBytes()
	latin1, err := adapter.UTF8ToLatin1XML(b)
	if err != nil { // etree writes the UTF-8 it was given, which came from Go strings of the population
		panic("pasim inps: " + err.Error())
	}
	return append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`+"\n"), latin1...)
}

// renderEsito writes the EsitoAttestazione of d (nil: only the search echo).
func renderEsito(d *population.DSU, req adapter.RichiestaAttestazione) []byte {
	root := etree.NewElement("EsitoAttestazione")
	root.CreateAttr("xmlns", adapter.NamespaceISEERiforma)
	if d != nil {
		renderAttestazione(root.CreateElement("Attestazione"), d)
	}
	renderRicerca(root.CreateElement("Ricerca"), req)
	return latin1Document(root)
}

func renderRicerca(e *etree.Element, req adapter.RichiestaAttestazione) {
	var f *etree.Element
	var p adapter.Prestazione
	switch {
	case req.RicercaCF != nil:
		f = e.CreateElement("RicercaCF")
		f.CreateAttr("CodiceFiscale", req.RicercaCF.CodiceFiscale)
		if !req.RicercaCF.DataValidita.IsZero() {
			f.CreateAttr("DataValidita", req.RicercaCF.DataValidita.String())
		}
		p = req.RicercaCF.Prestazione
	case req.RicercaProtDSU != nil:
		f = e.CreateElement("RicercaProtDSU")
		f.CreateAttr("ProtocolloDSU", req.RicercaProtDSU.ProtocolloDSU)
		f.CreateAttr("CodiceFiscaleBeneficiario", req.RicercaProtDSU.CodiceFiscaleBeneficiario)
		p = req.RicercaProtDSU.Prestazione
	default:
		f = e.CreateElement("RicercaProtMittente")
		f.CreateAttr("ProtocolloMittente", req.RicercaProtMittente.ProtocolloMittente)
		f.CreateAttr("CodiceFiscaleBeneficiario", req.RicercaProtMittente.CodiceFiscaleBeneficiario)
		p = req.RicercaProtMittente.Prestazione
	}
	renderPrestazione(f, p)
}

func renderPrestazione(f *etree.Element, p adapter.Prestazione) {
	optional(f, "PrestazioneDaErogare", p.PrestazioneDaErogare)
	optional(f, "ProtocolloDomandaEnteErogatore", p.ProtocolloDomandaEnteErogatore)
	optional(f, "StatodomandaPrestazione", string(p.StatodomandaPrestazione))
}

func optional(e *etree.Element, name, v string) {
	if v != "" {
		e.CreateAttr(name, v)
	}
}

// renderAttestazione writes TypeAttestazione in the XSD's sequence order: Ordinario, Ridotto*,
// Variazione, OmissioneDifformita*.
func renderAttestazione(a *etree.Element, d *population.DSU) {
	a.CreateAttr("CodiceFiscaleDichiarante", d.Dichiarante.CodiceFiscale)
	a.CreateAttr("NumeroProtocolloDSU", d.Protocollo)
	a.CreateAttr("DataPresentazione", d.DataPresentazione.String())
	a.CreateAttr("DataValidita", d.DataValidita.String())
	optional(a, "ProtocolloMittente", d.ProtocolloMittente)
	if d.Corrente && d.DataScadenzaCorrente != nil {
		a.CreateAttr("DataScadenzaDSUCorrente", d.DataScadenzaCorrente.String())
	}
	ord := a.CreateElement("Ordinario")
	corrente(ord, d)
	nucleo(ord.CreateElement("NucleoFamiliare"), "ComponenteNucleo", "RapportoConDichiarante", d.Nucleo)
	valued(ord.CreateElement("ISEEOrdinario"), &d.Ordinario, adapter.ModalitaCalcoloOrdinario)
	for _, l := range []struct {
		c       adapter.Contenitore
		entries []population.IndicatoreBeneficiario
	}{{adapter.ContenitoreMinorenne, d.Minorenni}, {adapter.ContenitoreUniversitario, d.Universitari}, {adapter.ContenitoreSocioSanRes, d.SocioSanitari}} {
		if len(l.entries) == 0 {
			continue
		}
		list := ord.CreateElement(l.c.Lista())
		for i := range l.entries {
			beneficiario(list, l.c, d, &l.entries[i], &d.Ordinario)
		}
	}
	for i := range d.Ridotti {
		r := &d.Ridotti[i]
		re := a.CreateElement("Ridotto")
		re.CreateAttr("CodiceFiscaleBeneficiario", r.Beneficiario.CodiceFiscale)
		corrente(re, d)
		nucleo(re.CreateElement("NucleoRistretto"), "ComponenteNucleoRistretto", "RelazioneConBeneficiario", r.Nucleo)
		valued(re.CreateElement("ISEERistretto"), &r.Ristretto, adapter.ModalitaCalcoloRistretto)
		if r.SocioSanRes != nil {
			c := adapter.ContenitoreSocioSanResRistretto
			beneficiario(re.CreateElement(c.Lista()), c, d, r.SocioSanRes, &r.Ristretto)
		}
	}
	if v := d.Variazione; v != nil {
		ve := a.CreateElement("Variazione")
		ve.CreateAttr("TipoVariazione", v.Tipo)
		ve.CreateAttr("NumeroProtocolloDSUVariata", v.ProtocolloDSUVariata)
		ve.CreateAttr("DataPresentazioneDSUVariata", v.DataPresentazioneDSUVariata.String())
		optional(ve, "NoteVariazione", v.Note)
		for _, x := range v.Discordanze {
			de := ve.CreateElement("DiscordanzeContestazione")
			de.CreateAttr("CFDiscordanza", x.Persona.CodiceFiscale)
			de.CreateAttr("TipologiaDiscordanza", x.Tipologia)
			de.CreateAttr("SpecificaDiscordanza", x.Specifica)
		}
	}
	for _, o := range d.Difformita {
		oe := a.CreateElement("OmissioneDifformita")
		oe.CreateAttr("TipoOmissioneDifformita", o.Tipo)
		oe.CreateAttr("CodiceFiscale", o.Persona.CodiceFiscale)
		oe.CreateAttr("DataControlloAE", o.DataControllo.String())
		for _, r := range o.Rapporti {
			re := oe.CreateElement("Rapporto")
			re.CreateAttr("TipoRapporto", r.TipoRapporto)
			re.CreateAttr("CodiceFiscaleOperatore", r.CodiceFiscaleOperatore)
			optional(re, "DescrizioneOperatoreFinanziario", r.DescrizioneOperatore)
			re.CreateAttr("Saldo3112", strconv.FormatInt(r.Saldo3112, 10))
			re.CreateAttr("ConsistenzaMedia", strconv.FormatInt(r.ConsistenzaMedia, 10))
		}
		if r := o.RedditoAE; r != nil {
			re := oe.CreateElement("RedditoAE")
			re.CreateAttr("TipoModelloAE", r.TipoModello)
			amounts(re, amount{"RedditoComplessivoIRPEFAE", r.RedditoComplessivo})
		}
	}
}

// corrente marks an ISEE corrente block (Ordinario or Ridotto) with its modulo sostitutivo.
func corrente(e *etree.Element, d *population.DSU) {
	if !d.Corrente {
		return
	}
	e.CreateAttr("Corrente", "SI")
	if d.DataModuloSostitutivo != nil {
		e.CreateAttr("DataPresentazioneModuloSostitutivo", d.DataModuloSostitutivo.String())
	}
	optional(e, "ProtocolloDSUModuloSostitutivo", d.ProtocolloModuloSostitutivo)
}

func nucleo(e *etree.Element, voce, rel string, members []population.Componente) {
	for _, c := range members {
		ce := e.CreateElement(voce)
		ce.CreateAttr(rel, c.Rapporto)
		persona(ce, c.Persona)
	}
}

func persona(e *etree.Element, p *population.Person) {
	e.CreateAttr("Cognome", p.Cognome)
	e.CreateAttr("Nome", p.Nome)
	e.CreateAttr("CodiceFiscale", p.CodiceFiscale)
}

// beneficiario writes one per-person entry with its choice element; rinvio is the indicator an
// element without values stands for (the ordinario, or the Ridotto's ristretto).
func beneficiario(list *etree.Element, c adapter.Contenitore, d *population.DSU, b *population.IndicatoreBeneficiario, rinvio *population.Indicatore) {
	v, ok := c.Variante(string(b.Variante))
	if !ok {
		panic("pasim inps: variant " + string(b.Variante) + " is not a choice of " + c.Voce())
	}
	e := list.CreateElement(c.Voce())
	persona(e, b.Beneficiario)
	switch {
	case v.Variante == contracts.VarianteNonCalcolabile:
	case b.Indicatore != nil:
		e.CreateAttr("ISEE", b.Indicatore.Calcolo.ISEE.StringFixed(2))
	default:
		e.CreateAttr("ISEE", rinvio.Calcolo.ISEE.StringFixed(2))
	}
	ce := e.CreateElement(v.Elemento)
	if !v.HasValori() {
		return
	}
	if v.NucleoAttratto {
		nucleo(ce.CreateElement("NucleoFamiliareAttratto"), "ElementoNucleoAttratto", "RapportoConDichiarante", b.NucleoAttratto)
	}
	for _, a := range b.Aggiuntivi {
		ca := ce.CreateElement(v.Componente).CreateElement("ComponenteAttrattaAggiuntiva")
		persona(ca, a.Persona)
		ca.CreateAttr("ProtocolloDSURiferimento", d.Protocollo)
		if !a.Attratta {
			ca.CreateAttr("ValoreComponenteAggiuntiva", a.Valore.StringFixed(2))
		}
		optional(ca, "ProtocolloDSUComponenteAggiuntiva", a.ProtocolloDSU)
		optional(ca, "ProtocolloMittenteComponenteAggiuntiva", a.ProtocolloMittente)
	}
	valued(ce, b.Indicatore, v.ModalitaCalcolo)
}

type amount struct {
	attr  string
	value decimal.Decimal
}

func amounts(e *etree.Element, list ...amount) {
	for _, a := range list {
		e.CreateAttr(a.attr, a.value.StringFixed(2))
	}
}

// valued writes DataRilascio, Valori and the ModalitaCalcolo element named modalita, attributes in
// the XSD's order.
func valued(e *etree.Element, ind *population.Indicatore, modalita string) {
	c := ind.Calcolo
	e.CreateAttr("DataRilascio", ind.DataRilascio.String())
	amounts(e.CreateElement("Valori"), amount{"ISE", c.ISE}, amount{"ScalaEquivalenza", c.ScalaEquivalenza},
		amount{"ISEE", c.ISEE}, amount{"ISR", c.ISR}, amount{"ISP", c.ISP})
	m := e.CreateElement(modalita)
	amounts(m, amount{"SommaRedditiComponenti", c.SommaRedditi})
	if c.SommaRedditiCorrente != nil {
		amounts(m, amount{"SommaRedditiComponentiCorrente", *c.SommaRedditiCorrente})
	}
	amounts(m, amount{"RedditoFigurativoPatrimonioMobiliare", c.RedditoFigurativo}, amount{"Detrazioni", c.Detrazioni},
		amount{"ISR", c.ISR}, amount{"PatrimonioMobiliare", c.PatrimonioMobiliare}, amount{"DetrazionePatrimonioMobiliare", c.DetrazioneMobiliare},
		amount{"PatrimonioImmobiliare", c.PatrimonioImmobiliare}, amount{"DetrazionePatrimonioImmobiliare", c.DetrazioneImmobiliare},
		amount{"ISP", c.ISP}, amount{"ISE", c.ISE}, amount{"ParametroNucleo", c.ParametroNucleo},
		amount{"Maggiorazioni", c.Maggiorazioni}, amount{"ScalaEquivalenza", c.ScalaEquivalenza})
}

// renderIndicatore writes the Indicatore payload of ConsultazioneIndicatore.
func renderIndicatore(d *population.DSU, req adapter.RichiestaIndicatore, c *population.Calcolo) []byte {
	root := etree.NewElement("Indicatore")
	root.CreateAttr("xmlns", adapter.NamespaceISEERiforma)
	root.CreateAttr("TipoIndicatore", req.Tipo.TipoIndicatore())
	amounts(root, amount{"ISE", c.ISE}, amount{"ScalaEquivalenza", c.ScalaEquivalenza}, amount{"ISEE", c.ISEE},
		amount{"ISR", c.ISR}, amount{"ISP", c.ISP})
	root.CreateAttr("ProtocolloDSU", d.Protocollo)
	root.CreateAttr("DataPresentazione", d.DataPresentazione.String())
	f := root.CreateElement("RicercaCF")
	f.CreateAttr("CodiceFiscale", req.RicercaCF.CodiceFiscale)
	if !req.RicercaCF.DataValidita.IsZero() {
		f.CreateAttr("DataValidita", req.RicercaCF.DataValidita.String())
	}
	renderPrestazione(f, req.RicercaCF.Prestazione)
	return latin1Document(root)
}
