package icef

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
)

type received struct {
	method, path, contentType string
	body                      Richiesta
	op                        *upstream.Operation
}

// newClient serves h on loopback; the Transport records the operation the Client declared.
func newClient(t *testing.T, h http.HandlerFunc) (*Client, *received) {
	t.Helper()
	rec := &received{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.method, rec.path, rec.contentType = r.Method, r.URL.Path, r.Header.Get("Content-Type")
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &rec.body)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	tr := upstream.TransportFunc(func(ctx context.Context, req *http.Request) (*http.Response, error) {
		rec.op = upstream.OperationFrom(ctx)
		return srv.Client().Do(req.WithContext(ctx))
	})
	return &Client{Transport: tr, BaseURL: srv.URL + "/rest/icef/v1/", Now: func() time.Time { return ricevuta }}, rec
}

func serveFile(t *testing.T, status int, file string, headers ...string) http.HandlerFunc {
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

var richiesta = Richiesta{CodiceFiscale: "brtlcu80a01l378b", Politica: "assegno-unico-provinciale", Anno: 2025}

func TestIndicatore(t *testing.T) {
	c, rec := newClient(t, serveFile(t, 200, "testdata/ok.json", "X-Correlation-ID", "icef-77"))
	ind, err := c.Indicatore(context.Background(), richiesta)
	if err != nil {
		t.Fatal(err)
	}
	if rec.method != "POST" || rec.path != "/rest/icef/v1/indicatori/ricerca" || rec.contentType != "application/json" {
		t.Fatalf("request %+v", rec)
	}
	if rec.body.CodiceFiscale != "BRTLCU80A01L378B" || rec.body.Anno != 2025 {
		t.Fatalf("body %+v: the codice fiscale travels normalised in the body", rec.body)
	}
	if rec.op != OperationRicerca {
		t.Fatalf("declared operation %+v", rec.op)
	}
	if ind.Valore.String() != "0.1873" || len(ind.NucleoFamiliare.Componenti) != 4 || ind.Provenienza.IDOperazione != "icef-77" ||
		!ind.Provenienza.DataOraAcquisizione.Equal(ricevuta) {
		t.Fatalf("%+v", ind)
	}
}

func TestIndicatoreFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		h      http.HandlerFunc
		req    Richiesta
		reason Reason
		class  upstream.Class
	}{
		"fail/not-found":    {serveFile(t, 404, "testdata/errori/not_found_404.json", "Content-Type", "application/problem+json"), richiesta, ReasonNonTrovato, upstream.Business},
		"fail/other-person": {serveFile(t, 200, "testdata/ok_valore_uno.json"), richiesta, ReasonRicercaDiversa, upstream.Permanent},
		"fail/truncated":    {serveFile(t, 200, "testdata/malformed/troncato.json"), richiesta, ReasonMalformata, upstream.Retryable},
		"fail/503":          {serveFile(t, 503, "testdata/errori/unavailable_503.json"), richiesta, ReasonNonDisponibile, upstream.Retryable},
		"fail/bad-cf":       {nil, Richiesta{CodiceFiscale: "BRTLCU80A01L378C", Politica: "x", Anno: 2025}, ReasonRichiestaNonValida, upstream.Permanent},
		"fail/bad-politica": {nil, Richiesta{CodiceFiscale: richiesta.CodiceFiscale, Politica: "../x", Anno: 2025}, ReasonRichiestaNonValida, upstream.Permanent},
		"fail/bad-anno":     {nil, Richiesta{CodiceFiscale: richiesta.CodiceFiscale, Politica: "x", Anno: 25}, ReasonRichiestaNonValida, upstream.Permanent},
		"fail/too-large": {func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(strings.Repeat(" ", MaxResponseBytes+1)))
		}, richiesta, ReasonTroppoGrande, upstream.Permanent},
		"fail/closed-midway": {func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "500")
			_, _ = w.Write([]byte("{"))
		}, richiesta, ReasonTransport, upstream.Retryable},
	} {
		t.Run(name, func(t *testing.T) {
			h := tc.h
			called := false
			c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				called = true
				if h != nil {
					h(w, r)
				}
			})
			_, err := c.Indicatore(context.Background(), tc.req)
			if ReasonOf(err) != tc.reason || upstream.ClassOf(err) != tc.class {
				t.Fatalf("got %q %v (%v), want %q %v", ReasonOf(err), upstream.ClassOf(err), err, tc.reason, tc.class)
			}
			if tc.reason == ReasonRichiestaNonValida && called {
				t.Fatal("an invalid request must not be sent")
			}
			if strings.Contains(err.Error(), "BRTLCU80A01L378") {
				t.Fatalf("the error quotes a codice fiscale: %v", err)
			}
		})
	}
}

func TestPolitiche(t *testing.T) {
	c, rec := newClient(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"politiche":[{"codice":"assegno-unico-provinciale","denominazione":"Assegno unico provinciale","famiglia":"sostegno al reddito"}]}`))
	})
	ps, err := c.Politiche(context.Background())
	if err != nil || len(ps) != 1 || ps[0].Codice != "assegno-unico-provinciale" || rec.method != "GET" || rec.op != OperationPolitiche {
		t.Fatalf("%+v %v %+v", ps, err, rec)
	}
	c, _ = newClient(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"politiche":"no"}`)) })
	if _, err := c.Politiche(context.Background()); ReasonOf(err) != ReasonMalformata {
		t.Fatal(err)
	}
}

// The runtime's Check classifies the answers as the Client does.
func TestCheckAnswer(t *testing.T) {
	check := OperationRicerca.Check
	body := func(f string) []byte { b, _ := os.ReadFile(f); return b }
	for name, tc := range map[string]struct {
		status int
		body   []byte
		class  upstream.Class
	}{
		"ok":        {200, body("testdata/ok.json"), upstream.Unclassified},
		"not-found": {404, body("testdata/errori/not_found_404.json"), upstream.Business},
		"malformed": {200, body("testdata/malformed/troncato.json"), upstream.Retryable},
		"quota":     {429, nil, upstream.Retryable},
		"refused":   {400, body("testdata/errori/bad_request_400.json"), upstream.Permanent},
		"too-large": {200, make([]byte, MaxResponseBytes+1), upstream.Permanent},
	} {
		err := check(tc.status, http.Header{"Content-Type": {"application/problem+json"}}, tc.body)
		if upstream.ClassOf(err) != tc.class {
			t.Errorf("%s: %v (%v), want %v", name, upstream.ClassOf(err), err, tc.class)
		}
	}
	if err := OperationPolitiche.Check(200, nil, []byte(`{"politiche":[]}`)); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if err := check(404, nil, body("testdata/errori/not_found_404.json")); !errors.As(err, &e) || e.Code() != "icef-not-found" {
		t.Fatalf("the business answer keeps the service's code for the cache: %v", err)
	}
}
