package icef

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

// Client calls the ICEF e-service. Fields are set once; the Client is then safe for concurrent use
// when its Transport is.
type Client struct {
	// Transport sends the requests (required): the gateway's upstream runtime, which adds the PDND
	// voucher and the INTEGRITY_REST_02 headers.
	Transport upstream.Transport
	// BaseURL is the contract's server URL, such as https://icef.example/rest/icef/v1 (required).
	BaseURL string
	// Now stamps Provenienza.DataOraAcquisizione; nil means time.Now.
	Now func() time.Time
}

// politicaPattern is the shape of the contract's policy codes (assegno-unico-provinciale): the
// codes are the service's, so only the shape is checked here.
var politicaPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// Validate checks a request before it is sent; the error is an *Error with ReasonRichiestaNonValida
// naming each field, never quoting the codice fiscale.
func (r Richiesta) Validate() error {
	var bad []InvalidParam
	if err := contracts.ValidateCodiceFiscalePersona(r.CodiceFiscale); err != nil {
		var ce *contracts.CFError
		reason := "not a codice fiscale"
		if errors.As(err, &ce) {
			reason = ce.Detail
		}
		bad = append(bad, InvalidParam{Name: "codiceFiscale", Reason: reason})
	}
	if !politicaPattern.MatchString(r.Politica) {
		bad = append(bad, InvalidParam{Name: "politica", Reason: "1-64 lower-case letters, digits and '-' (GET /politiche lists the codes)"})
	}
	if r.Anno < 2000 || r.Anno > 2100 {
		bad = append(bad, InvalidParam{Name: "anno", Reason: "a year between 2000 and 2100"})
	}
	if len(bad) > 0 {
		return &Error{Reason: ReasonRichiestaNonValida, Operazione: opRicerca, Detail: "invalid request", Campi: bad}
	}
	return nil
}

// Indicatore asks for the ICEF indicator of r's applicant for a policy and year. "No indicator"
// (404) is an *Error of class Business (IsNotFound); an answer about another applicant, policy or
// year is refused with ReasonRicercaDiversa.
func (c *Client) Indicatore(ctx context.Context, r Richiesta) (*contracts.IndicatoreICEF, error) {
	r.CodiceFiscale = contracts.NormalizeCodiceFiscale(r.CodiceFiscale)
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, &Error{Reason: ReasonRichiestaNonValida, Operazione: opRicerca, Detail: "the request cannot be encoded", Cause: err}
	}
	status, header, data, at, err := c.exchange(ctx, OperationRicerca, http.MethodPost, "/indicatori/ricerca", body)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, ErrorFromResponse(opRicerca, status, header, data)
	}
	ind, err := TranslateIndicatore(data, Meta{Operazione: opRicerca, IDOperazione: correlationID(header), Ricevuta: at})
	if err != nil {
		return nil, err
	}
	if ind.CodiceFiscale != r.CodiceFiscale || ind.Politica != r.Politica || ind.Anno != r.Anno {
		return nil, &Error{Reason: ReasonRicercaDiversa, Operazione: opRicerca, Status: status,
			Detail: fmt.Sprintf("ICEF answered for %s, policy %q, year %d instead of %s, %q, %d: the answer is discarded",
				contracts.MaskCodiceFiscale(ind.CodiceFiscale), limit(ind.Politica, 64), ind.Anno, contracts.MaskCodiceFiscale(r.CodiceFiscale), r.Politica, r.Anno)}
	}
	return ind, nil
}

// Politiche lists the policy families an indicator can be asked for.
func (c *Client) Politiche(ctx context.Context) ([]Politica, error) {
	status, header, data, _, err := c.exchange(ctx, OperationPolitiche, http.MethodGet, "/politiche", nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, ErrorFromResponse(opPolitiche, status, header, data)
	}
	var out elencoPolitiche
	if _, err := decodeObject(data, &out); err != nil {
		return nil, &Error{Reason: ReasonMalformata, Operazione: opPolitiche, Status: status, Detail: "the answer is not the contract's JSON", Cause: err}
	}
	return out.Politiche, nil
}

// exchange sends one request of op and reads its answer within the bounds.
func (c *Client) exchange(ctx context.Context, op *upstream.Operation, method, path string, body []byte) (int, http.Header, []byte, time.Time, error) {
	fail := func(r Reason, detail string, cause error) (int, http.Header, []byte, time.Time, error) {
		return 0, nil, nil, time.Time{}, &Error{Reason: r, Operazione: op.Name, Detail: detail, Cause: cause}
	}
	if c.Transport == nil || c.BaseURL == "" {
		return fail(ReasonRichiestaNonValida, "the client needs a Transport and a BaseURL", nil)
	}
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + path)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fail(ReasonRichiestaNonValida, "the base URL is not an absolute http(s) URL", err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fail(ReasonRichiestaNonValida, "the request cannot be built", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	resp, err := c.Transport.Do(upstream.WithOperation(ctx, op), req)
	if err != nil {
		return fail(ReasonTransport, "the call to ICEF failed", err)
	}
	defer resp.Body.Close()
	bound := int64(MaxResponseBytes)
	if resp.StatusCode != http.StatusOK {
		bound = MaxErrorBodyBytes
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, bound+1))
	if err != nil {
		e := &Error{Reason: ReasonTransport, Operazione: op.Name, Status: resp.StatusCode, Detail: "the answer was cut short", Cause: err}
		return 0, nil, nil, time.Time{}, e
	}
	if resp.StatusCode == http.StatusOK && int64(len(data)) > bound {
		return 0, nil, nil, time.Time{}, &Error{Reason: ReasonTroppoGrande, Operazione: op.Name, Status: resp.StatusCode,
			Detail: fmt.Sprintf("the answer exceeds %d bytes", MaxResponseBytes)}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return resp.StatusCode, resp.Header, data, now(), nil
}
