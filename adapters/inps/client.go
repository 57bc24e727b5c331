package inps

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

// Transport sends one HTTP request to INPS: the shared interface of adapters/upstream, which the
// gateway implements with the PDND voucher, timeouts, the breaker and retries.
type Transport = upstream.Transport

// TransportFunc adapts a function to Transport.
type TransportFunc = upstream.TransportFunc

// HTTPClient adapts an *http.Client (nil: http.DefaultClient) to Transport.
func HTTPClient(c *http.Client) Transport {
	if c == nil {
		c = http.DefaultClient
	}
	return TransportFunc(func(ctx context.Context, req *http.Request) (*http.Response, error) {
		return c.Do(req.WithContext(ctx))
	})
}

// Client calls ConsultazioneISEE. It holds no state between calls and is safe for concurrent use
// when its Transport is.
type Client struct {
	// Transport is required.
	Transport Transport
	// Identity is sent in the inps:Identity header of every call (both fields required).
	Identity Identity
	// Endpoint is the service URL; empty means DefaultEndpoint.
	Endpoint string
	// Now stamps Provenienza.DataOraAcquisizione; nil means time.Now. It is the package's only clock.
	Now func() time.Time
}

// RisultatoAttestazione is ConsultazioneAttestazione's answer: Esito is OK (Attestazione set) or
// DATI_NON_TROVATI (no valid ISEE for the search: Attestazione nil). Every other Esito is an error.
type RisultatoAttestazione struct {
	Esito             Esito
	IDRichiesta       string
	DescrizioneErrore string
	EsitoAttestazione
	// Payload is the decoded XmlEsitoAttestazione as received, for the audit trail.
	Payload []byte `json:"-"`
}

// Trovata reports whether INPS returned an attestation.
func (r *RisultatoAttestazione) Trovata() bool { return r.Attestazione != nil }

// RisultatoIndicatore is ConsultazioneIndicatore's answer: Selezione is nil for DATI_NON_TROVATI.
type RisultatoIndicatore struct {
	Esito             Esito
	IDRichiesta       string
	DescrizioneErrore string
	Selezione         *contracts.SelezioneISEE
	Payload           []byte `json:"-"`
}

// ConsultazioneAttestazione asks INPS for the attestation matching req. DATI_NON_TROVATI is a
// result (Trovata false), not an error. Errors are *Error; upstream.ClassOf and BreakerFailure tell
// the runtime what to do with them.
// The answer is checked against the request: an echo of another search (RicercaCF for another
// codice fiscale, another DSU protocol) is refused with ReasonRicercaDiversa.
func (c *Client) ConsultazioneAttestazione(ctx context.Context, req RichiestaAttestazione) (*RisultatoAttestazione, error) {
	const op = OpConsultazioneAttestazione
	body, err := BuildConsultazioneAttestazione(c.Identity, req)
	if err != nil {
		return nil, err
	}
	risp, at, err := c.call(ctx, op, body)
	if err != nil {
		return nil, err
	}
	out := &RisultatoAttestazione{Esito: risp.Esito, IDRichiesta: risp.IDRichiesta, DescrizioneErrore: risp.DescrizioneErrore, Payload: risp.Payload}
	meta := Meta{Operazione: op, IDRichiesta: risp.IDRichiesta, Acquisizione: at, Anomalie: risp.Anomalie}
	if risp.Esito == EsitoDatiNonTrovati {
		if err := notFound(req, risp, meta, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	esito, err := TranslateAttestazione(risp.Payload, meta)
	if err != nil {
		setAnswer(err, risp)
		return nil, err
	}
	if esito.Attestazione == nil {
		esito.Provenienza.Anomalie = append(esito.Provenienza.Anomalie, "Esito OK without an Attestazione: read as nothing found")
	}
	out.EsitoAttestazione = *esito
	if err := checkEcho(req, esito.Ricerca); err != nil {
		setAnswer(err, risp)
		return nil, err
	}
	if a := esito.Attestazione; a != nil && !member(*a, req.CodiceFiscale()) {
		e := newError(op, ReasonRicercaDiversa, "the attestation of DSU %s does not include the requested %s: the answer is discarded",
			a.ProtocolloDSU, contracts.MaskCodiceFiscale(req.CodiceFiscale()))
		setAnswer(e, risp)
		return nil, e
	}
	return out, nil
}

// ConsultazioneIndicatore asks INPS for one indicator of req.Tipo for req.RicercaCF's person.
// DATI_NON_TROVATI is a result (Selezione nil).
func (c *Client) ConsultazioneIndicatore(ctx context.Context, req RichiestaIndicatore) (*RisultatoIndicatore, error) {
	const op = OpConsultazioneIndicatore
	body, err := BuildConsultazioneIndicatore(c.Identity, req)
	if err != nil {
		return nil, err
	}
	risp, at, err := c.call(ctx, op, body)
	if err != nil {
		return nil, err
	}
	out := &RisultatoIndicatore{Esito: risp.Esito, IDRichiesta: risp.IDRichiesta, DescrizioneErrore: risp.DescrizioneErrore, Payload: risp.Payload}
	if risp.Esito == EsitoDatiNonTrovati {
		return out, nil
	}
	meta := Meta{Operazione: op, IDRichiesta: risp.IDRichiesta, Acquisizione: at, Anomalie: risp.Anomalie}
	sel, err := TranslateIndicatore(risp.Payload, meta, req.Tipo, req.RicercaCF.CodiceFiscale)
	if err != nil {
		setAnswer(err, risp)
		return nil, err
	}
	if sel.CodiceFiscaleBeneficiario != req.RicercaCF.CodiceFiscale {
		e := newError(op, ReasonRicercaDiversa, "INPS answered for codice fiscale %s, not the requested %s: the answer is discarded",
			contracts.MaskCodiceFiscale(sel.CodiceFiscaleBeneficiario), contracts.MaskCodiceFiscale(req.RicercaCF.CodiceFiscale))
		setAnswer(e, risp)
		return nil, e
	}
	out.Selezione = sel
	return out, nil
}

// notFound fills a DATI_NON_TROVATI result. The payload, when INPS sends one, carries only the
// search echo: it is read for that echo (checked like an OK answer's); a payload that cannot be read,
// or that contradicts the Esito with an attestation, is noted, not trusted.
func notFound(req RichiestaAttestazione, risp *Risposta, meta Meta, out *RisultatoAttestazione) error {
	if len(risp.Payload) == 0 {
		out.Provenienza = meta.provenienza(OpConsultazioneAttestazione, &notes{})
		return nil
	}
	esito, err := TranslateAttestazione(risp.Payload, meta)
	if err != nil {
		meta.Anomalie = append(meta.Anomalie, "the DATI_NON_TROVATI payload is unusable and was ignored: "+truncate(err.Error(), 200))
		out.Provenienza = meta.provenienza(OpConsultazioneAttestazione, &notes{})
		return nil
	}
	if err := checkEcho(req, esito.Ricerca); err != nil {
		setAnswer(err, risp)
		return err
	}
	if esito.Attestazione != nil {
		esito.Provenienza.Anomalie = append(esito.Provenienza.Anomalie, "Esito DATI_NON_TROVATI with an attestation: the attestation was ignored")
		esito.Attestazione, esito.Incongruenze = nil, nil
	}
	out.EsitoAttestazione = *esito
	return nil
}

func setAnswer(err error, r *Risposta) {
	var e *Error
	if errors.As(err, &e) {
		e.Operazione, e.IDRichiesta, e.Esito = r.Operazione, r.IDRichiesta, r.Esito
	}
}

// checkEcho compares the search INPS says it answered with the one sent. A payload without Ricerca
// is incomplete (noted) but not refused; a different filter or key is.
func checkEcho(req RichiestaAttestazione, got *Ricerca) error {
	if got == nil {
		return nil
	}
	var wantFiltro, wantKey, gotKey, cfWant, cfGot string
	switch {
	case req.RicercaCF != nil:
		wantFiltro, cfWant, cfGot = "RicercaCF", req.RicercaCF.CodiceFiscale, got.CodiceFiscale
	case req.RicercaProtDSU != nil:
		wantFiltro, wantKey, gotKey = "RicercaProtDSU", req.RicercaProtDSU.ProtocolloDSU, got.ProtocolloDSU
		cfWant, cfGot = req.RicercaProtDSU.CodiceFiscaleBeneficiario, got.CodiceFiscaleBeneficiario
	default:
		wantFiltro, wantKey, gotKey = "RicercaProtMittente", req.RicercaProtMittente.ProtocolloMittente, got.ProtocolloMittente
		cfWant, cfGot = req.RicercaProtMittente.CodiceFiscaleBeneficiario, got.CodiceFiscaleBeneficiario
	}
	const op = OpConsultazioneAttestazione
	switch {
	case got.Filtro != wantFiltro:
		return newError(op, ReasonRicercaDiversa, "INPS echoes a %s, but a %s was sent: the answer is discarded", got.Filtro, wantFiltro)
	case wantKey != gotKey:
		return newError(op, ReasonRicercaDiversa, "INPS echoes the %s %q, not the one sent: the answer is discarded", wantFiltro, truncate(gotKey, 40))
	case cfGot != "" && cfGot != cfWant:
		return newError(op, ReasonRicercaDiversa, "INPS answered for codice fiscale %s, not the requested %s: the answer is discarded",
			contracts.MaskCodiceFiscale(cfGot), contracts.MaskCodiceFiscale(cfWant))
	}
	return nil
}

// call posts the envelope and turns the HTTP exchange into a parsed answer or an *Error.
func (c *Client) call(ctx context.Context, op Operazione, body []byte) (*Risposta, time.Time, error) {
	if c.Transport == nil {
		return nil, time.Time{}, newError(op, ReasonRichiestaNonValida, "the client has no Transport")
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		e := newError(op, ReasonRichiestaNonValida, "the endpoint %q is not a usable URL", truncate(endpoint, 120))
		e.Cause = err
		return nil, time.Time{}, e
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("SOAPAction", op.SOAPActionHeader())
	req.Header.Set("Accept", "text/xml")
	resp, err := c.Transport.Do(upstream.WithOperation(ctx, OperationOf(op)), req)
	if err != nil {
		return nil, time.Time{}, transportError(ctx, op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		e := transportError(ctx, op, err)
		e.HTTPStatus = resp.StatusCode
		return nil, time.Time{}, e
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	at := now()
	risp, err := readAnswer(op, resp.StatusCode, resp.Header, data)
	return risp, at, err
}

// readAnswer reads a complete HTTP answer of op: its status (statusError), its envelope (ParseRisposta)
// and its Esito (Risposta.Err). The Client and the runtime's Check (CheckAnswer) share it, so the
// runtime retries and counts exactly what the Client reports.
func readAnswer(op Operazione, status int, header http.Header, data []byte) (*Risposta, error) {
	if len(data) > MaxResponseBytes {
		e := newError(op, ReasonTroppoGrande, "the answer exceeds %d bytes", MaxResponseBytes)
		e.HTTPStatus = status
		return nil, e
	}
	if err := statusError(op, status, header, data); err != nil {
		return nil, err
	}
	risp, err := ParseRisposta(op, data)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.HTTPStatus = status
			if e.Reason == ReasonEnvelopeMalformato {
				if ct := header.Get("Content-Type"); !isXMLMediaType(ct) {
					e.Detail += " (Content-Type " + truncate(ct, 60) + ")"
				}
			}
		}
		return nil, err
	}
	if err := risp.Err(); err != nil {
		err.(*Error).HTTPStatus = status
		return nil, err
	}
	return risp, nil
}

// statusError maps a non-200 answer. The status decides for 429 (the daily quota), 401/403 (a
// refused voucher: the caller may get a new one) and 502/503/504 (unavailability), whatever the body;
// otherwise a SOAP Fault in the body is the answer (SOAP 1.1 sends faults with 500), and a 500
// without one is unavailability.
func statusError(op Operazione, s int, header http.Header, data []byte) error {
	if s == http.StatusOK {
		return nil
	}
	_, parsed := ParseRisposta(op, data)
	var fault *Error
	if ReasonOf(parsed) == ReasonSOAPFault {
		fault = parsed.(*Error)
		fault.HTTPStatus = s
	}
	var e *Error
	switch {
	case s == http.StatusTooManyRequests:
		e = newError(op, ReasonQuota, "INPS refused the call with HTTP 429: the daily quota is exhausted or calls are too frequent")
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e = newError(op, ReasonNonAutorizzata, "INPS refused the authorisation (HTTP %d): check the PDND voucher and the purpose", s)
		if h := header.Get("WWW-Authenticate"); h != "" {
			e.Detail += "; WWW-Authenticate: " + truncate(h, 200)
		}
		if fault != nil {
			e.Fault, e.Detail = fault.Fault, e.Detail+"; faultstring: "+fault.Fault.String
		}
	case s == http.StatusBadGateway || s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout:
		e = newError(op, ReasonNonDisponibile, "INPS is unavailable (HTTP %d)", s)
	case fault != nil:
		return fault
	case s == http.StatusInternalServerError:
		e = newError(op, ReasonNonDisponibile, "INPS is unavailable (HTTP 500 without a SOAP Fault)")
	default:
		e = newError(op, ReasonStatoHTTP, "INPS answered with HTTP %d", s)
	}
	e.HTTPStatus = s
	e.RetryAfter = retryAfter(header.Get("Retry-After"), header.Get("Date"))
	return e
}

// retryAfter parses Retry-After (seconds, or an HTTP date measured against the answer's Date header,
// so no clock is read). Unparseable or past values give zero.
func retryAfter(v, date string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 7*24*3600)) * time.Second
	}
	at, err1 := http.ParseTime(v)
	now, err2 := http.ParseTime(date)
	if err1 != nil || err2 != nil || !at.After(now) {
		return 0
	}
	return min(at.Sub(now), 7*24*time.Hour)
}

func transportError(ctx context.Context, op Operazione, err error) *Error {
	var e *Error
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		e = newError(op, ReasonAnnullata, "the call was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		e = newError(op, ReasonTimeout, "INPS did not answer before the deadline")
	default:
		e = newError(op, ReasonTransport, "the call to INPS failed")
	}
	e.Cause = err
	return e
}

func isXMLMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "text/xml" || mt == "application/xml" || mt == "application/soap+xml")
}
