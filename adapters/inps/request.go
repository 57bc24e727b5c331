package inps

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/contracts"
)

// Identity is the inps:Identity SOAP header INPS requires on every call (both children are required
// by the header XSD). UserId is the ente's codice fiscale or a user INPS configured for it;
// CodiceUfficio the office code (e.g. "001").
type Identity struct {
	UserID        string
	CodiceUfficio string
}

// Prestazione is the optional reference to the benefit application that every filter may carry.
// INPS records it (the ente's reason for consulting the ISEE); the PDND e-service's purpose is the
// legal basis.
type Prestazione struct {
	// PrestazioneDaErogare is one of PrestazioniDaErogare() (A1.01 ... Z9.99).
	PrestazioneDaErogare string
	// ProtocolloDomandaEnteErogatore is the ente's own case number (at most 256 characters: the
	// inner XSD's bound on the echoed value).
	ProtocolloDomandaEnteErogatore string
	// StatodomandaPrestazione is "Da Erogare" or "Erogata".
	StatodomandaPrestazione StatoDomanda
}

// RicercaCF searches by a person's codice fiscale, optionally at a date.
type RicercaCF struct {
	CodiceFiscale string
	// DataValidita asks for the attestation valid on that day (zero: today's).
	DataValidita contracts.Data
	Prestazione
}

// RicercaProtDSU searches by DSU protocol; the beneficiary's codice fiscale is required by the wrapper XSD.
type RicercaProtDSU struct {
	ProtocolloDSU             string
	CodiceFiscaleBeneficiario string
	Prestazione
}

// RicercaProtMittente searches by the CAF's protocol (at most 29 characters).
type RicercaProtMittente struct {
	ProtocolloMittente        string
	CodiceFiscaleBeneficiario string
	Prestazione
}

// RichiestaAttestazione is ConsultazioneAttestazione's request: exactly one of the three filters.
type RichiestaAttestazione struct {
	RicercaCF           *RicercaCF
	RicercaProtDSU      *RicercaProtDSU
	RicercaProtMittente *RicercaProtMittente
}

// RichiestaIndicatore is ConsultazioneIndicatore's request: the kind of indicator and the person.
type RichiestaIndicatore struct {
	Tipo      contracts.TipoISEE
	RicercaCF RicercaCF
}

// Bounds of the request fields the schemas leave open (xs:string): generous for real values, small
// enough that a request stays a few KB.
const (
	maxProtocolloDomanda   = 256 // TypeRicercaCF@ProtocolloDomandaEnteErogatore maxLength (inner XSD)
	maxProtocolloMittente  = 29  // TypeRicercaProtMittente@ProtocolloMittente maxLength (inner XSD)
	maxIdentityField       = 64  // UserId and CodiceUfficio: a codice fiscale or an office code
	wsdlCodiceFiscaleShape = `^([A-Z]{6}[0-9]{2}[A-Z][0-9]{2}[A-Z][A-Z0-9]{3}[A-Z]|[0-9]{11})$`
)

// wsdlCF is CodiceFiscaleType of the wrapper XSD. It is stricter than the codice fiscale rules:
// digits only in the year and day, so omocodic codes of level 4 and above (letters there) cannot
// be sent. INPS's contract is the WSDL: we refuse them with a message that says so.
var wsdlCF = regexp.MustCompile(wsdlCodiceFiscaleShape)

type fieldChecker struct{ problems []FieldProblem }

func (c *fieldChecker) add(field, detail string) {
	c.problems = append(c.problems, FieldProblem{Campo: field, Dettaglio: detail})
}

func (c *fieldChecker) codiceFiscale(field, cf string) {
	if cf == "" {
		c.add(field, "required")
		return
	}
	if cf != contracts.NormalizeCodiceFiscale(cf) {
		c.add(field, "must be upper case without spaces (use contracts.NormalizeCodiceFiscale)")
		return
	}
	if err := contracts.ValidateCodiceFiscale(cf); err != nil {
		var ce *contracts.CFError
		if errors.As(err, &ce) {
			c.add(field, ce.Detail)
		} else {
			c.add(field, "not a valid codice fiscale")
		}
		return
	}
	if !wsdlCF.MatchString(cf) {
		c.add(field, "an omocodic codice fiscale with letters in the birth date, which the WSDL's CodiceFiscaleType does not admit")
	}
}

func (c *fieldChecker) text(field, v string, maxLen int, required bool) {
	switch {
	case v == "":
		if required {
			c.add(field, "required")
		}
	case !utf8.ValidString(v):
		c.add(field, "not valid UTF-8")
	case utf8.RuneCountInString(v) > maxLen:
		c.add(field, "at most "+strconv.Itoa(maxLen)+" characters")
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) }) >= 0:
		c.add(field, "control characters are not allowed")
	case strings.TrimSpace(v) != v:
		c.add(field, "leading or trailing spaces are not allowed")
	}
}

func (c *fieldChecker) prestazione(prefix string, p Prestazione) {
	if p.PrestazioneDaErogare != "" && !ValidPrestazioneDaErogare(p.PrestazioneDaErogare) {
		c.add(prefix+"PrestazioneDaErogare", "not a code of PrestazioneDaErogareType (A1.01 ... A3.03, Z9.99)")
	}
	c.text(prefix+"ProtocolloDomandaEnteErogatore", p.ProtocolloDomandaEnteErogatore, maxProtocolloDomanda, false)
	if p.StatodomandaPrestazione != "" && !p.StatodomandaPrestazione.Valid() {
		c.add(prefix+"StatodomandaPrestazione", `must be "Da Erogare" or "Erogata"`)
	}
}

func (c *fieldChecker) ricercaCF(prefix string, r RicercaCF) {
	c.codiceFiscale(prefix+"CodiceFiscale", r.CodiceFiscale)
	if !r.DataValidita.IsZero() && r.DataValidita.Precision() != contracts.PrecisionDay {
		c.add(prefix+"DataValidita", "must be a full date (xs:date)")
	}
	c.prestazione(prefix, r.Prestazione)
}

func (c *fieldChecker) identity(id Identity) {
	c.text("Identity/UserId", id.UserID, maxIdentityField, true)
	c.text("Identity/CodiceUfficio", id.CodiceUfficio, maxIdentityField, true)
}

func (c *fieldChecker) err(op Operazione) error {
	if len(c.problems) == 0 {
		return nil
	}
	return &Error{Reason: ReasonRichiestaNonValida, Operazione: op, Campi: c.problems,
		Detail: "the request is not valid for the WSDL; nothing was sent"}
}

// Validate checks r against the wrapper XSD (exactly one filter, field shapes, codes) and the
// codice fiscale rules. The error is an *Error with Reason ReasonRichiestaNonValida listing every field.
func (r RichiestaAttestazione) Validate() error {
	var c fieldChecker
	r.check(&c)
	return c.err(OpConsultazioneAttestazione)
}

func (r RichiestaAttestazione) check(c *fieldChecker) {
	n := 0
	if f := r.RicercaCF; f != nil {
		n++
		c.ricercaCF("RicercaCF/", *f)
	}
	if f := r.RicercaProtDSU; f != nil {
		n++
		if err := contracts.ValidateProtocolloDSU(f.ProtocolloDSU); err != nil {
			c.add("RicercaProtDSU/ProtocolloDSU", "must match INPS-ISEE-YYYY-NNNNNNNNL-NN")
		}
		c.codiceFiscale("RicercaProtDSU/CodiceFiscaleBeneficiario", f.CodiceFiscaleBeneficiario)
		c.prestazione("RicercaProtDSU/", f.Prestazione)
	}
	if f := r.RicercaProtMittente; f != nil {
		n++
		c.text("RicercaProtMittente/ProtocolloMittente", f.ProtocolloMittente, maxProtocolloMittente, true)
		c.codiceFiscale("RicercaProtMittente/CodiceFiscaleBeneficiario", f.CodiceFiscaleBeneficiario)
		c.prestazione("RicercaProtMittente/", f.Prestazione)
	}
	if n != 1 {
		c.add("request", "exactly one of RicercaCF, RicercaProtDSU and RicercaProtMittente is required, got "+strconv.Itoa(n))
	}
}

// Validate checks r: a TipoISEE INPS can be asked for, and the RicercaCF filter.
func (r RichiestaIndicatore) Validate() error {
	var c fieldChecker
	r.check(&c)
	return c.err(OpConsultazioneIndicatore)
}

func (r RichiestaIndicatore) check(c *fieldChecker) {
	if r.Tipo.TipoIndicatore() == "" {
		c.add("TipoIndicatore", "must be one of ORDINARIO, MINORENNI, UNIVERSITARIO, SOCIOSANITARIO, SOCIOSANITARIO_RESIDENZIALE, DOTTORATO")
	}
	c.ricercaCF("RicercaCF/", r.RicercaCF)
}

// CodiceFiscale returns the codice fiscale the request is about (the searched person or the
// beneficiary), "" when no filter is set.
func (r RichiestaAttestazione) CodiceFiscale() string {
	switch {
	case r.RicercaCF != nil:
		return r.RicercaCF.CodiceFiscale
	case r.RicercaProtDSU != nil:
		return r.RicercaProtDSU.CodiceFiscaleBeneficiario
	case r.RicercaProtMittente != nil:
		return r.RicercaProtMittente.CodiceFiscaleBeneficiario
	}
	return ""
}

// BuildConsultazioneAttestazione validates id and r and returns the SOAP 1.1 request envelope
// (UTF-8). Send it with Content-Type ContentType and SOAPAction
// OpConsultazioneAttestazione.SOAPActionHeader().
func BuildConsultazioneAttestazione(id Identity, r RichiestaAttestazione) ([]byte, error) {
	var c fieldChecker
	c.identity(id)
	r.check(&c)
	if err := c.err(OpConsultazioneAttestazione); err != nil {
		return nil, err
	}
	doc, body := newEnvelope(id)
	req := body.CreateElement("con:" + string(OpConsultazioneAttestazione)).CreateElement("con:request")
	switch {
	case r.RicercaCF != nil:
		writeRicercaCF(req.CreateElement("con:RicercaCF"), *r.RicercaCF)
	case r.RicercaProtDSU != nil:
		f := req.CreateElement("con:RicercaProtDSU")
		textChild(f, "ProtocolloDSU", r.RicercaProtDSU.ProtocolloDSU)
		textChild(f, "CodiceFiscaleBeneficiario", r.RicercaProtDSU.CodiceFiscaleBeneficiario)
		writePrestazione(f, r.RicercaProtDSU.Prestazione)
	default:
		f := req.CreateElement("con:RicercaProtMittente")
		textChild(f, "ProtocolloMittente", r.RicercaProtMittente.ProtocolloMittente)
		textChild(f, "CodiceFiscaleBeneficiario", r.RicercaProtMittente.CodiceFiscaleBeneficiario)
		writePrestazione(f, r.RicercaProtMittente.Prestazione)
	}
	return doc.WriteToBytes()
}

// BuildConsultazioneIndicatore validates id and r and returns the SOAP 1.1 request envelope (UTF-8)
// of ConsultazioneIndicatore.
func BuildConsultazioneIndicatore(id Identity, r RichiestaIndicatore) ([]byte, error) {
	var c fieldChecker
	c.identity(id)
	r.check(&c)
	if err := c.err(OpConsultazioneIndicatore); err != nil {
		return nil, err
	}
	doc, body := newEnvelope(id)
	req := body.CreateElement("con:" + string(OpConsultazioneIndicatore)).CreateElement("con:request")
	textChild(req, "TipoIndicatore", r.Tipo.TipoIndicatore())
	writeRicercaCF(req.CreateElement("con:RicercaCF"), r.RicercaCF)
	return doc.WriteToBytes()
}

// newEnvelope writes Envelope, Header/inps:Identity and an empty Body, and returns the Body.
func newEnvelope(id Identity) (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
	env := doc.CreateElement("soap:Envelope")
	env.CreateAttr("xmlns:soap", NamespaceSOAP)
	env.CreateAttr("xmlns:con", NamespaceServizio)
	identity := env.CreateElement("soap:Header").CreateElement("inps:Identity")
	identity.CreateAttr("xmlns:inps", NamespaceIdentity)
	identity.CreateElement("UserId").SetText(id.UserID) // unqualified, as the header XSD declares
	identity.CreateElement("CodiceUfficio").SetText(id.CodiceUfficio)
	return doc, env.CreateElement("soap:Body")
}

func textChild(parent *etree.Element, name, value string) {
	parent.CreateElement("con:" + name).SetText(value)
}

// writeRicercaCF writes RicercaCFType's sequence in the schema's order.
func writeRicercaCF(f *etree.Element, r RicercaCF) {
	textChild(f, "CodiceFiscale", r.CodiceFiscale)
	if !r.DataValidita.IsZero() {
		textChild(f, "DataValidita", r.DataValidita.String())
	}
	writePrestazione(f, r.Prestazione)
}

func writePrestazione(f *etree.Element, p Prestazione) {
	if p.PrestazioneDaErogare != "" {
		textChild(f, "PrestazioneDaErogare", p.PrestazioneDaErogare)
	}
	if p.ProtocolloDomandaEnteErogatore != "" {
		textChild(f, "ProtocolloDomandaEnteErogatore", p.ProtocolloDomandaEnteErogatore)
	}
	if p.StatodomandaPrestazione != "" {
		textChild(f, "StatodomandaPrestazione", string(p.StatodomandaPrestazione))
	}
}
