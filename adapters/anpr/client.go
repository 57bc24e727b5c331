package anpr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

// Transport sends one HTTP request. The gateway's upstream runtime implements it: it adds the PDND
// voucher (Authorization: Bearer), Digest and Agid-JWT-Signature (INTEGRITY_REST_02) over the body
// (req.GetBody returns a fresh copy), and Agid-JWT-TrackingEvidence (AUDIT_REST_02, with the
// operator's userID, userLocation and LoA from ctx) before sending. *http.Client satisfies it through
// TransportFunc.
//
// Do follows net/http's contract: a non-nil error means no response; otherwise the caller closes
// the body.
type Transport interface {
	Do(ctx context.Context, req *http.Request) (*http.Response, error)
}

// TransportFunc adapts a function to Transport.
type TransportFunc func(ctx context.Context, req *http.Request) (*http.Response, error)

// Do calls f.
func (f TransportFunc) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	return f(ctx, req)
}

// HTTPClient adapts an *http.Client (which takes the context from the request) to Transport.
func HTTPClient(c *http.Client) Transport {
	return TransportFunc(func(ctx context.Context, req *http.Request) (*http.Response, error) {
		return c.Do(req.WithContext(ctx))
	})
}

// Client calls the E002 e-services. Fields are set once; the Client is then safe for concurrent use
// (if its Transport is).
type Client struct {
	// Transport sends the requests (required).
	Transport Transport
	// Endpoints maps each use case to its base URL, such as BaseURL(HostProduzione, C021). The en
	// dash spelling ("C001–servizio…") may be written in clear or percent-encoded.
	Endpoints map[CasoUso]string
	// IDs mints idOperazioneClient (required).
	IDs *IDGenerator
	// Now stamps Provenienza.DataOraAcquisizione (required; time.Now in production).
	Now func() time.Time
}

// AccertaIDANPR calls C030: from a codice fiscale to the subject's idANPR (Risultato.IDANPR).
func (c *Client) AccertaIDANPR(ctx context.Context, cf, motivo string, rif contracts.Data) (*Risultato, error) {
	return c.Do(ctx, C030, Richiesta{CodiceFiscale: cf, MotivoRichiesta: motivo, DataRiferimento: rif})
}

// AccertaResidenza calls C020: the subject's residence records (and the death data when present).
func (c *Client) AccertaResidenza(ctx context.Context, idANPR, motivo string, rif contracts.Data) (*Risultato, error) {
	return c.Do(ctx, C020, Richiesta{IDANPR: idANPR, MotivoRichiesta: motivo, DataRiferimento: rif})
}

// AccertaStatoFamiglia calls C021: the registry household (Risultato.NucleoFamiliare).
func (c *Client) AccertaStatoFamiglia(ctx context.Context, idANPR, motivo string, rif contracts.Data) (*Risultato, error) {
	return c.Do(ctx, C021, Richiesta{IDANPR: idANPR, MotivoRichiesta: motivo, DataRiferimento: rif})
}

// AccertaGeneralita calls C015: the subject's personal data.
func (c *Client) AccertaGeneralita(ctx context.Context, idANPR, motivo string, rif contracts.Data) (*Risultato, error) {
	return c.Do(ctx, C015, Richiesta{IDANPR: idANPR, MotivoRichiesta: motivo, DataRiferimento: rif})
}

// AccertaCittadinanza calls C018: the subject's citizenships.
func (c *Client) AccertaCittadinanza(ctx context.Context, idANPR, motivo string, rif contracts.Data) (*Risultato, error) {
	return c.Do(ctx, C018, Richiesta{IDANPR: idANPR, MotivoRichiesta: motivo, DataRiferimento: rif})
}

// AccertaEsistenzaInVita calls C019: whether the subject is alive at the reference date
// (Risultato.InVita, and Persona.Decesso when not).
func (c *Client) AccertaEsistenzaInVita(ctx context.Context, idANPR, motivo string, rif contracts.Data) (*Risultato, error) {
	return c.Do(ctx, C019, Richiesta{IDANPR: idANPR, MotivoRichiesta: motivo, DataRiferimento: rif})
}

// AccertaPerCodiceFiscale runs the chain ANPR's clients use: C030 to turn the codice fiscale into an
// idANPR, then use case uc by idANPR. It returns the answer of uc; a C030 failure is returned as is.
func (c *Client) AccertaPerCodiceFiscale(ctx context.Context, uc CasoUso, cf, motivo string, rif contracts.Data) (*Risultato, error) {
	id, err := c.AccertaIDANPR(ctx, cf, motivo, rif)
	if err != nil {
		return nil, err
	}
	if uc == C030 {
		return id, nil
	}
	idANPR, err := id.IDANPR()
	if err != nil {
		return nil, &Error{Reason: ReasonMalformed, CasoUso: C030, Status: http.StatusOK, IDOperazioneANPR: id.IDOperazioneANPR, Cause: err}
	}
	return c.Do(ctx, uc, Richiesta{IDANPR: idANPR, MotivoRichiesta: motivo, DataRiferimento: rif})
}

// Do sends one E002 request for use case uc and interprets the answer. Errors are a *RequestError
// (nothing was sent), an *Error, or a configuration error.
func (c *Client) Do(ctx context.Context, uc CasoUso, r Richiesta) (*Risultato, error) {
	if c.Transport == nil || c.IDs == nil || c.Now == nil {
		return nil, errors.New("anpr: Client needs Transport, IDs and Now")
	}
	id := c.IDs.Next()
	body, err := BuildRichiesta(uc, r, id)
	if err != nil {
		return nil, err
	}
	req, err := c.NewHTTPRequest(ctx, uc, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.Transport.Do(upstream.WithOperation(ctx, uc.Operation()), req)
	if err != nil {
		return nil, &Error{Reason: ReasonTransport, CasoUso: uc, Cause: err}
	}
	defer resp.Body.Close()
	limit := int64(MaxResponseBytes)
	if resp.StatusCode != http.StatusOK {
		limit = MaxErrorBodyBytes
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &Error{Reason: ReasonTransport, CasoUso: uc, Status: resp.StatusCode, Cause: fmt.Errorf("reading the body: %w", err)}
	}
	if resp.StatusCode == http.StatusOK && int64(len(raw)) > limit {
		return nil, &Error{Reason: ReasonTooLarge, CasoUso: uc, Status: resp.StatusCode,
			Cause: fmt.Errorf("answer longer than %d bytes", limit)}
	}
	return InterpretResponse(uc, resp.StatusCode, resp.Header, raw, Meta{IDOperazioneClient: id, DataRiferimento: r.DataRiferimento, Ricevuta: c.Now()})
}

// NewHTTPRequest builds the POST of body to use case uc's endpoint, with Content-Type
// application/json and GetBody set (the signer hashes the body without consuming it).
func (c *Client) NewHTTPRequest(ctx context.Context, uc CasoUso, body []byte) (*http.Request, error) {
	base, ok := c.Endpoints[uc]
	if !ok {
		return nil, fmt.Errorf("anpr: no endpoint configured for %s", uc)
	}
	u, err := operationURL(base)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("anpr: building the %s request: %w", uc, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	return req, nil
}
