package inps

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/adapters/upstream"
)

// MaxResponseBytes bounds the HTTP body the client reads and ParseRisposta accepts. The largest
// legitimate answer, an attestation of a large household carrying every indicator, is about 30 KB
// of XML, 40 KB in base64 inside the envelope; 4 MiB is a hundred times that and still bounds the
// memory one call can take.
const MaxResponseBytes = 4 << 20

// MaxPayloadBytes bounds a decoded inner payload (XmlEsitoAttestazione, XmlEsitoIndicatore) given to
// the Translate functions directly; through ParseRisposta it cannot exceed 3/4 of MaxResponseBytes.
const MaxPayloadBytes = 3 << 20

// Risposta is a parsed answer of ConsultazioneAttestazione or ConsultazioneIndicatore.
type Risposta struct {
	Operazione Operazione
	// IDRichiesta is INPS's id of the call (xs:int), kept as text; quote it to INPS.
	IDRichiesta string
	Esito       Esito
	// DescrizioneErrore is INPS's explanation, as received (it may contain personal data: mask it
	// before logging, as Err does).
	DescrizioneErrore string
	// Payload is the decoded XmlEsitoAttestazione or XmlEsitoIndicatore, in its own encoding (usually
	// ISO-8859-1); nil when absent or, for an Esito other than OK, not decodable.
	Payload []byte
	// Anomalie are what the lenient parse tolerated (unknown elements, a non-numeric IdRichiesta ...).
	Anomalie []string
}

// Fault is a SOAP 1.1 Fault (§4.4).
type Fault struct {
	// Code is faultcode as written ("soap:Server", "s:Client.Auth").
	Code string
	// String is faultstring; Actor faultactor; Detail the text content of detail (bounded).
	String, Actor, Detail string
}

// IsClient reports whether the fault blames the request (faultcode Client or Client.*).
func (f *Fault) IsClient() bool {
	local := f.Code
	if i := strings.LastIndexByte(local, ':'); i >= 0 {
		local = local[i+1:]
	}
	return local == "Client" || strings.HasPrefix(local, "Client.")
}

// ParseRisposta parses the SOAP 1.1 answer of op. Namespace prefixes, whitespace, comments and
// unknown elements are tolerated (and noted); a SOAP Fault is returned as an *Error with Reason
// ReasonSOAPFault; anything unusable is an *Error with Reason ReasonEnvelopeMalformato,
// ReasonPayloadMalformato or ReasonTroppoGrande. A parsed Risposta may still carry a failing Esito:
// see Risposta.Err.
func ParseRisposta(op Operazione, body []byte) (*Risposta, error) {
	if !op.Valid() {
		return nil, newError(op, ReasonRichiestaNonValida, "unknown operation %q", truncate(string(op), 64))
	}
	if len(body) > MaxResponseBytes {
		return nil, newError(op, ReasonTroppoGrande, "the answer is %d bytes, more than the %d accepted", len(body), MaxResponseBytes)
	}
	var n notes
	env, err := readXML(body, &n)
	if err != nil {
		e := newError(op, ReasonEnvelopeMalformato, "the answer is not a SOAP envelope")
		e.Cause = err
		return nil, e
	}
	switch ns := env.NamespaceURI(); {
	case env.Tag != "Envelope":
		return nil, newError(op, ReasonEnvelopeMalformato, "the answer's root element is %q, not a SOAP Envelope", truncate(env.Tag, 64))
	case ns == NamespaceSOAP12:
		return nil, newError(op, ReasonEnvelopeMalformato, "the answer is a SOAP 1.2 envelope; the WSDL binds SOAP 1.1")
	case ns != NamespaceSOAP:
		return nil, newError(op, ReasonEnvelopeMalformato, "the Envelope's namespace is %q, not SOAP 1.1's %s", truncate(ns, 80), NamespaceSOAP)
	}
	var soapBody *etree.Element
	for _, c := range env.ChildElements() {
		switch {
		case c.Tag == "Body" && c.NamespaceURI() == NamespaceSOAP && soapBody == nil:
			soapBody = c
		case c.Tag == "Header" && c.NamespaceURI() == NamespaceSOAP:
		default:
			n.add("unknown element Envelope/%s ignored", truncate(c.Tag, 64))
		}
	}
	if soapBody == nil {
		return nil, newError(op, ReasonEnvelopeMalformato, "the SOAP envelope has no Body")
	}
	var resp *etree.Element
	for _, c := range soapBody.ChildElements() {
		switch {
		case c.Tag == "Fault" && c.NamespaceURI() == NamespaceSOAP:
			return nil, faultError(op, c)
		case c.Tag == op.ResponseElement() && resp == nil:
			resp = c
		default:
			n.add("unknown element Body/%s ignored", truncate(c.Tag, 64))
		}
	}
	if resp == nil {
		return nil, newError(op, ReasonEnvelopeMalformato, "the SOAP Body has no %s", op.ResponseElement())
	}
	if ns := resp.NamespaceURI(); ns != NamespaceServizio {
		n.add("%s is in namespace %q instead of %s", op.ResponseElement(), truncate(ns, 80), NamespaceServizio)
	}
	result := firstChild(resp, op.ResultElement())
	if result == nil {
		return nil, newError(op, ReasonEnvelopeMalformato, "%s has no %s", op.ResponseElement(), op.ResultElement())
	}
	r := &Risposta{Operazione: op}
	var payload *etree.Element
	for _, c := range result.ChildElements() {
		switch c.Tag {
		case "IdRichiesta":
			r.IDRichiesta = textOf(c)
		case "Esito":
			r.Esito = Esito(textOf(c))
		case "DescrizioneErrore":
			r.DescrizioneErrore = textOf(c)
		case op.PayloadElement():
			payload = c
		default:
			n.add("unknown element %s/%s ignored", op.ResultElement(), truncate(c.Tag, 64))
		}
	}
	if r.Esito == "" {
		return nil, newError(op, ReasonEnvelopeMalformato, "%s has no Esito", op.ResultElement())
	}
	switch {
	case r.IDRichiesta == "":
		n.add("IdRichiesta is missing")
	case !isXSInt(r.IDRichiesta):
		n.add("IdRichiesta %q is not an xs:int", truncate(r.IDRichiesta, 32))
	}
	if payload != nil {
		data, err := decodeBase64(textOf(payload), &n)
		switch {
		case err == nil:
			r.Payload = data
		case r.Esito == EsitoOK:
			e := newError(op, ReasonPayloadMalformato, "%s is not base64", op.PayloadElement())
			e.IDRichiesta, e.Esito, e.Cause = r.IDRichiesta, r.Esito, err
			return nil, e
		default:
			n.add("%s is not base64 and was ignored (Esito %s)", op.PayloadElement(), r.Esito)
		}
	}
	if r.Esito == EsitoOK && len(r.Payload) == 0 {
		e := newError(op, ReasonPayloadMalformato, "Esito OK without %s", op.PayloadElement())
		e.IDRichiesta, e.Esito = r.IDRichiesta, r.Esito
		return nil, e
	}
	r.Anomalie = n.result()
	return r, nil
}

func isXSInt(s string) bool {
	if strings.HasPrefix(s, "+") {
		s = s[1:]
		if strings.HasPrefix(s, "-") {
			return false
		}
	}
	_, err := strconv.ParseInt(s, 10, 32)
	return err == nil
}

// maxFaultText bounds each Fault field kept: fault strings are one line; a detail can be a stack trace.
const maxFaultText = 512

func faultError(op Operazione, f *etree.Element) *Error {
	fault := &Fault{}
	for _, c := range f.ChildElements() {
		// faultcode, faultstring, faultactor and detail are unqualified (SOAP 1.1 §4.4); tolerate a prefix.
		switch c.Tag {
		case "faultcode":
			fault.Code = truncate(textOf(c), 128)
		case "faultstring":
			fault.String = upstream.FreeText(textOf(c), maxFaultText)
		case "faultactor":
			fault.Actor = truncate(textOf(c), 256)
		case "detail":
			fault.Detail = upstream.FreeText(strings.Join(strings.Fields(allText(c)), " "), maxFaultText)
		}
	}
	e := newError(op, ReasonSOAPFault, "INPS answered with a SOAP Fault %s: %s", fault.Code, fault.String)
	e.Fault = fault
	return e
}

// allText concatenates the character data of e and its descendants.
func allText(e *etree.Element) string {
	var b strings.Builder
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.CharData:
				b.WriteString(t.Data)
				b.WriteByte(' ')
			case *etree.Element:
				walk(t)
			}
			if b.Len() > maxFaultText*2 {
				return
			}
		}
	}
	walk(e)
	return b.String()
}

// decodeBase64 decodes xs:base64Binary: whitespace anywhere is allowed (XML Schema's lexical space),
// padding is expected; unpadded input is accepted and noted.
func decodeBase64(s string, n *notes) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	if b2, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
		n.add("the base64 payload has no padding")
		return b2, nil
	}
	return nil, err
}
