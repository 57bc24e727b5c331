package inps

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/beevik/etree"

	adapter "github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/contracts"
)

// maxRequestBytes bounds a request: the largest legitimate one (RicercaProtMittente with a
// 256-character ProtocolloDomandaEnteErogatore) is under 2 KB.
const maxRequestBytes = 64 << 10

// maxRequestDepth bounds nesting: Envelope/Body/op/request/filter/field is 6 levels.
const maxRequestDepth = 16

// richiesta is a parsed request: the identity header and one of the two operations' bodies, in the
// adapter's types (so that the simulator checks them with the same WSDL rules the gateway applies
// before sending).
type richiesta struct {
	identity     adapter.Identity
	identityOK   bool
	attestazione adapter.RichiestaAttestazione
	indicatore   adapter.RichiestaIndicatore
}

// soapFault is a request the simulator answers with a SOAP Fault (status, faultcode, faultstring).
type soapFault struct {
	status int
	code   string
	msg    string
}

func (f *soapFault) Error() string { return f.msg }

func clientFault(format string, args ...any) *soapFault {
	return &soapFault{http.StatusInternalServerError, "Client", fmt.Sprintf(format, args...)}
}

// invalida is a request that parses but breaks the WSDL's rules: answered with Esito RICHIESTA_INVALIDA.
type invalida struct{ msg string }

func (e *invalida) Error() string { return e.msg }

// readRichiesta parses the SOAP request of op. A *soapFault means the message is not a SOAP request
// of op at all; an *invalida that it is one with invalid content.
func readRichiesta(op adapter.Operazione, r *http.Request) (*richiesta, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/xml" {
		// WCF's BasicHttpBinding answers 415 to anything but SOAP 1.1's media type.
		return nil, &soapFault{http.StatusUnsupportedMediaType, "Client",
			fmt.Sprintf("Content-Type %q non supportato: è atteso text/xml; charset=utf-8 (SOAP 1.1)", truncate(r.Header.Get("Content-Type"), 60))}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxRequestBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &soapFault{http.StatusRequestEntityTooLarge, "Client", fmt.Sprintf("Messaggio oltre %d byte", maxRequestBytes)}
		}
		return nil, clientFault("Messaggio non leggibile")
	}
	doc := etree.NewDocument()
	doc.ReadSettings.MaxDepth = maxRequestDepth
	if err := doc.ReadFromBytes(body); err != nil {
		return nil, clientFault("Il messaggio non è XML ben formato: %s", truncate(err.Error(), 120))
	}
	for _, t := range doc.Child {
		if _, ok := t.(*etree.Directive); ok {
			return nil, clientFault("Un messaggio SOAP non può contenere una DTD")
		}
	}
	env := doc.Root()
	if env == nil || env.Tag != "Envelope" || env.NamespaceURI() != adapter.NamespaceSOAP {
		return nil, clientFault("Il messaggio non è un Envelope SOAP 1.1 (%s)", adapter.NamespaceSOAP)
	}
	req := &richiesta{}
	var body0 *etree.Element
	for _, c := range env.ChildElements() {
		switch {
		case c.Tag == "Header" && c.NamespaceURI() == adapter.NamespaceSOAP:
			req.readIdentity(c)
		case c.Tag == "Body" && c.NamespaceURI() == adapter.NamespaceSOAP:
			body0 = c
		}
	}
	if body0 == nil || len(body0.ChildElements()) != 1 {
		return nil, clientFault("Il Body SOAP deve contenere un solo elemento")
	}
	opEl := body0.ChildElements()[0]
	if opEl.Tag != string(op) || opEl.NamespaceURI() != adapter.NamespaceServizio {
		return nil, clientFault("Il Body contiene {%s}%s, ma la SOAPAction indica %s", opEl.NamespaceURI(), opEl.Tag, op)
	}
	reqEl := child(opEl, "request")
	if reqEl == nil {
		return req, &invalida{"Elemento request assente"}
	}
	if op == adapter.OpConsultazioneIndicatore {
		return req, req.readIndicatore(reqEl)
	}
	return req, req.readAttestazione(reqEl)
}

func (req *richiesta) readIdentity(h *etree.Element) {
	for _, c := range h.ChildElements() {
		if c.Tag != "Identity" || c.NamespaceURI() != adapter.NamespaceIdentity {
			continue
		}
		for _, f := range c.ChildElements() {
			switch f.Tag {
			case "UserId":
				req.identity.UserID = strings.TrimSpace(f.Text())
			case "CodiceUfficio":
				req.identity.CodiceUfficio = strings.TrimSpace(f.Text())
			}
		}
		req.identityOK = req.identity.UserID != "" && req.identity.CodiceUfficio != ""
	}
}

// child returns the child of e in the service namespace named name.
func child(e *etree.Element, name string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == name && c.NamespaceURI() == adapter.NamespaceServizio {
			return c
		}
	}
	return nil
}

func text(e *etree.Element, name string) string {
	if c := child(e, name); c != nil {
		return strings.TrimSpace(c.Text())
	}
	return ""
}

func readPrestazione(f *etree.Element) adapter.Prestazione {
	return adapter.Prestazione{
		PrestazioneDaErogare:           text(f, "PrestazioneDaErogare"),
		ProtocolloDomandaEnteErogatore: text(f, "ProtocolloDomandaEnteErogatore"),
		StatodomandaPrestazione:        adapter.StatoDomanda(text(f, "StatodomandaPrestazione")),
	}
}

func readRicercaCF(f *etree.Element) (adapter.RicercaCF, error) {
	r := adapter.RicercaCF{CodiceFiscale: text(f, "CodiceFiscale"), Prestazione: readPrestazione(f)}
	if s := text(f, "DataValidita"); s != "" {
		d, err := contracts.ParseData(s)
		if err != nil || d.Precision() != contracts.PrecisionDay {
			return r, &invalida{"DataValidita non è una data (AAAA-MM-GG)"}
		}
		r.DataValidita = d
	}
	return r, nil
}

func (req *richiesta) readAttestazione(e *etree.Element) error {
	filtri := 0
	for _, f := range e.ChildElements() {
		if f.NamespaceURI() != adapter.NamespaceServizio {
			continue
		}
		switch f.Tag {
		case "RicercaCF":
			r, err := readRicercaCF(f)
			if err != nil {
				return err
			}
			req.attestazione.RicercaCF = &r
		case "RicercaProtDSU":
			req.attestazione.RicercaProtDSU = &adapter.RicercaProtDSU{ProtocolloDSU: text(f, "ProtocolloDSU"),
				CodiceFiscaleBeneficiario: text(f, "CodiceFiscaleBeneficiario"), Prestazione: readPrestazione(f)}
		case "RicercaProtMittente":
			req.attestazione.RicercaProtMittente = &adapter.RicercaProtMittente{ProtocolloMittente: text(f, "ProtocolloMittente"),
				CodiceFiscaleBeneficiario: text(f, "CodiceFiscaleBeneficiario"), Prestazione: readPrestazione(f)}
		default:
			continue
		}
		filtri++
	}
	if filtri != 1 {
		return &invalida{"La richiesta deve contenere uno e uno solo tra RicercaCF, RicercaProtDSU e RicercaProtMittente"}
	}
	return validity(req.attestazione.Validate())
}

func (req *richiesta) readIndicatore(e *etree.Element) error {
	code := text(e, "TipoIndicatore")
	tipo, ok := contracts.TipoFromTipoIndicatore(code)
	if !ok {
		return &invalida{"TipoIndicatore assente o non valido: " + truncate(code, 40)}
	}
	f := child(e, "RicercaCF")
	if f == nil {
		return &invalida{"RicercaCF assente"}
	}
	r, err := readRicercaCF(f)
	if err != nil {
		return err
	}
	req.indicatore = adapter.RichiestaIndicatore{Tipo: tipo, RicercaCF: r}
	return validity(req.indicatore.Validate())
}

// validity turns the adapter's field problems into INPS's DescrizioneErrore.
func validity(err error) error {
	var e *adapter.Error
	if !errors.As(err, &e) {
		return err
	}
	var parts []string
	for _, c := range e.Campi {
		parts = append(parts, c.Campo+": "+c.Dettaglio)
	}
	return &invalida{"Richiesta non valida: " + strings.Join(parts, "; ")}
}
