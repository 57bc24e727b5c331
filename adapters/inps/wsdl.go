package inps

// Names and addresses from ConsultazioneISEE_v2.8_PDND.wsdl, its XSD and the Identity header XSD.

const (
	// NamespaceSOAP is the SOAP 1.1 envelope namespace (the WSDL binds soap:, not soap12:).
	NamespaceSOAP = "http://schemas.xmlsoap.org/soap/envelope/"
	// NamespaceSOAP12 is SOAP 1.2's: recognised only to say clearly that it is not supported.
	NamespaceSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	// NamespaceServizio is the wrapper's namespace (request and response elements).
	NamespaceServizio = "http://inps.it/ConsultazioneISEE"
	// NamespaceIdentity is the namespace of the inps:Identity SOAP header. Its children UserId and
	// CodiceUfficio are unqualified (the header XSD has no elementFormDefault).
	NamespaceIdentity = "http://inps.it/"
	// NamespaceISEERiforma is the namespace of the base64 inner payloads (EsitoAttestazione, Indicatore).
	NamespaceISEERiforma = "http://inps.it/ISEERiforma"

	// DefaultEndpoint is the WSDL's soap:address (PDND e-service version 1).
	DefaultEndpoint = "https://api.inps.it/pdnd/soap/ConsultazioneISEE/v1"

	// ContentType is the request media type of a SOAP 1.1 binding (WCF BasicHttpBinding).
	ContentType = "text/xml; charset=utf-8"
)

// Operazione is a WSDL operation of ISvcConsultazione.
type Operazione string

const (
	OpConsultazioneAttestazione Operazione = "ConsultazioneAttestazione"
	OpConsultazioneIndicatore   Operazione = "ConsultazioneIndicatore"
)

// soapActionBase prefixes every soap:operation soapAction of the binding.
const soapActionBase = "http://inps.it/ConsultazioneISEE/ISvcConsultazione/"

// SOAPAction is the binding's soapAction URI of op (without the quotes the HTTP header carries).
func (op Operazione) SOAPAction() string { return soapActionBase + string(op) }

// SOAPActionHeader is the value of the HTTP SOAPAction header: SOAP 1.1 §6.1.1 quotes the URI.
func (op Operazione) SOAPActionHeader() string { return `"` + op.SOAPAction() + `"` }

// ResponseElement and ResultElement name the wrapper elements of op's answer
// (ConsultazioneAttestazioneResponse/ConsultazioneAttestazioneResult).
func (op Operazione) ResponseElement() string { return string(op) + "Response" }

// ResultElement is the child of ResponseElement carrying IdRichiesta, Esito and the payload.
func (op Operazione) ResultElement() string { return string(op) + "Result" }

// PayloadElement is the base64Binary element of op's result: XmlEsitoAttestazione or XmlEsitoIndicatore.
func (op Operazione) PayloadElement() string {
	if op == OpConsultazioneIndicatore {
		return "XmlEsitoIndicatore"
	}
	return "XmlEsitoAttestazione"
}

// Valid reports whether op is one of the two operations.
func (op Operazione) Valid() bool {
	return op == OpConsultazioneAttestazione || op == OpConsultazioneIndicatore
}

// OperazioneFromSOAPAction maps an HTTP SOAPAction header (quoted or not) to the operation.
func OperazioneFromSOAPAction(h string) (Operazione, bool) {
	if len(h) >= 2 && h[0] == '"' && h[len(h)-1] == '"' {
		h = h[1 : len(h)-1]
	}
	for _, op := range []Operazione{OpConsultazioneAttestazione, OpConsultazioneIndicatore} {
		if h == op.SOAPAction() {
			return op, true
		}
	}
	return "", false
}

// PrestazioniDaErogare are the codes of PrestazioneDaErogareType (wrapper XSD) and
// TypePrestazioneDaErogare (ISEE_TipiComuni.xsd), in the schema's order. A test checks them against
// both schemas.
var prestazioniDaErogare = []string{
	"A1.01", "A1.02", "A1.03", "A1.04", "A1.05", "A1.06", "A1.07", "A1.08", "A1.09", "A1.10",
	"A1.11", "A1.12", "A1.13", "A1.14", "A1.15", "A1.16", "A1.17", "A1.18", "A1.19", "A1.20",
	"A2.01", "A2.02", "A2.03", "A2.04", "A2.05", "A2.06", "A2.07", "A2.08", "A2.09", "A2.10",
	"A2.11", "A2.12", "A3.01", "A3.02", "A3.03", "Z9.99",
}

// ValidPrestazioneDaErogare reports whether code is one of the schema's PrestazioneDaErogare codes.
func ValidPrestazioneDaErogare(code string) bool {
	for _, c := range prestazioniDaErogare {
		if c == code {
			return true
		}
	}
	return false
}

// PrestazioniDaErogare returns the schema's PrestazioneDaErogare codes (a fresh slice).
func PrestazioniDaErogare() []string { return append([]string(nil), prestazioniDaErogare...) }

// StatoDomanda is StatoDomandaPrestazioneType: whether the benefit is still to be paid.
type StatoDomanda string

const (
	StatoDaErogare StatoDomanda = "Da Erogare"
	StatoErogata   StatoDomanda = "Erogata"
)

// Valid reports whether s is one of the two schema values.
func (s StatoDomanda) Valid() bool { return s == StatoDaErogare || s == StatoErogata }
