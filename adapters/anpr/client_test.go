package anpr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr/anprtest"
	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/contracts"
	"gopkg.in/yaml.v3"
)

func TestBaseURLsAndAudience(t *testing.T) {
	if got := BaseURL(HostProduzione, C021); got != "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/C021-servizioAccertamentoStatoFamiglia/v1" {
		t.Errorf("BaseURL %q", got)
	}
	if got := Audience(HostCollaudo+"/", C020); got != "https://modipa-val.anpr.interno.it/govway/rest/in/MinInternoPortaANPR/C020-servizioAccertamentoResidenza/v1" {
		t.Errorf("Audience %q (must lack -PDND)", got)
	}
	if got := C030.Servizio(true); got != "C030\u2013servizioAccertamentoIdUnicoNazionale" {
		t.Errorf("en dash spelling %q", got)
	}
	if len(Endpoints(HostProduzione)) != len(CasiUso) {
		t.Error("Endpoints misses a use case")
	}
}

// TestEnDashIsPercentEncoded: an en dash base path, written in clear or already encoded, becomes
// %E2%80%93 on the wire, and a real server decodes it back to the en dash.
func TestEnDashIsPercentEncoded(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.URL.EscapedPath())
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(readFixture(t, "en122_404"))
	}))
	defer srv.Close()
	const want = "/govway/rest/in/MinInternoPortaANPR-PDND/C020%E2%80%93servizioAccertamentoResidenza/v1/anpr-service-e002"
	bases := []string{
		srv.URL + "/govway/rest/in/MinInternoPortaANPR-PDND/C020\u2013servizioAccertamentoResidenza/v1",
		srv.URL + "/govway/rest/in/MinInternoPortaANPR-PDND/C020%E2%80%93servizioAccertamentoResidenza/v1/",
		srv.URL + "/govway/rest/in/MinInternoPortaANPR-PDND/C020%e2%80%93servizioAccertamentoResidenza/v1",
	}
	for _, base := range bases {
		c := newClient(t, srv.URL)
		c.Endpoints[C020] = base
		req, err := c.NewHTTPRequest(context.Background(), C020, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if req.URL.EscapedPath() != want || !strings.HasSuffix(req.URL.String(), want) {
			t.Errorf("%s → %s", base, req.URL.String())
		}
		if _, err := c.AccertaResidenza(context.Background(), "KT48213PW", "P-1", rif); !IsNotFound(err) {
			t.Fatalf("the request did not reach the server: %v", err)
		}
	}
	for _, s := range seen {
		if s != strings.ReplaceAll(want, "%E2%80%93", "\u2013")+" "+want {
			t.Errorf("server saw %q", s)
		}
	}
	for _, bad := range []string{"ftp://x/y", "https://x/y?q=1", "https:///nohost", "https://u:p@x/y", "://"} {
		if _, err := operationURL(bad); err == nil {
			t.Errorf("base %q accepted", bad)
		}
	}
}

// TestRealC001ServerURL builds the operation URL from the server of ANPR's own C001 spec, whose path
// carries the en dash.
func TestRealC001ServerURL(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(anprtest.SamplesDir(t), "anpr", "openapi", "C001-servizioNotifica.pn-national-registries.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Servers []struct{ URL string } `yaml:"servers"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Servers) == 0 {
		t.Fatalf("servers: %v", err)
	}
	for _, s := range doc.Servers {
		if !strings.Contains(s.URL, EnDash) {
			t.Fatalf("the C001 server %q has no en dash any more: revisit this test", s.URL)
		}
		u, err := operationURL(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(u.String(), "/MinInternoPortaANPR-PDND/C001%E2%80%93servizioNotifica/v1/anpr-service-e002") {
			t.Errorf("%s → %s", s.URL, u)
		}
	}
}

func newClient(t testing.TB, base string) *Client {
	t.Helper()
	ids, err := NewIDGenerator("T", func() time.Time { return ricevuta })
	if err != nil {
		t.Fatal(err)
	}
	eps := map[CasoUso]string{}
	for _, c := range CasiUso {
		eps[c] = base + "/govway/rest/in/MinInternoPortaANPR-PDND/" + c.Servizio(false) + "/v1"
	}
	return &Client{Transport: HTTPClient(&http.Client{Timeout: 5 * time.Second}), Endpoints: eps, IDs: ids,
		Now: func() time.Time { return ricevuta }}
}

// fakeANPR serves fixtures by use case over real HTTP and records the requests it got.
type fakeANPR struct {
	t       *testing.T
	mu      sync.Mutex
	answers map[CasoUso]fixture
	got     []e002.RichiestaE002
}

func (f *fakeANPR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || !strings.HasSuffix(r.URL.Path, OperationPath) {
		f.t.Errorf("bad request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	var req e002.RichiestaE002
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		f.t.Errorf("request body: %v", err)
	}
	f.mu.Lock()
	f.got = append(f.got, req)
	fx, ok := f.answers[CasoUso(req.DatiRichiesta.CasoUso)]
	f.mu.Unlock()
	if !ok || !strings.Contains(r.URL.Path, "/"+req.DatiRichiesta.CasoUso+"-") {
		f.t.Errorf("casoUso %s sent to %s", req.DatiRichiesta.CasoUso, r.URL.Path)
	}
	for k, v := range fx.header {
		w.Header()[k] = v
	}
	w.WriteHeader(fx.status)
	_, _ = w.Write(readFixture(f.t, fx.name))
}

func TestClientChainsC030ThenByIDANPR(t *testing.T) {
	fake := &fakeANPR{t: t, answers: map[CasoUso]fixture{
		C030: {name: "c030_ok", status: 200}, C021: {name: "c021_famiglia", status: 200},
		C020: {name: "c020_residenza", status: 200}, C015: {name: "c015_generalita_parziale", status: 200},
		C018: {name: "c018_doppia_cittadinanza", status: 200}, C019: {name: "c019_in_vita", status: 200},
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c := newClient(t, srv.URL)
	ctx := context.Background()
	r, err := c.AccertaPerCodiceFiscale(ctx, C021, "vrdgpp75c15l378n", "WGOV-2025-000123", rif)
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.got) != 2 || fake.got[0].CriteriRicerca.CodiceFiscale != "VRDGPP75C15L378N" || fake.got[0].CriteriRicerca.IDANPR != "" ||
		fake.got[1].CriteriRicerca.IDANPR != "KT48213PW" || fake.got[1].CriteriRicerca.CodiceFiscale != "" {
		t.Fatalf("chain sent %+v", fake.got)
	}
	if fake.got[0].IDOperazioneClient == fake.got[1].IDOperazioneClient {
		t.Fatal("two requests shared an idOperazioneClient")
	}
	n := r.NucleoFamiliare
	if n == nil || len(n.Componenti) != 3 || n.Provenienza.IDOperazioneClient != fake.got[1].IDOperazioneClient ||
		n.Provenienza.IDOperazione != "71000011" || !n.Provenienza.DataOraAcquisizione.Equal(ricevuta) {
		t.Fatalf("nucleo %+v", n)
	}
	for _, call := range []func(context.Context, string, string, contracts.Data) (*Risultato, error){
		c.AccertaResidenza, c.AccertaGeneralita, c.AccertaCittadinanza, c.AccertaEsistenzaInVita,
	} {
		r, err := call(ctx, "KT48213PW", "WGOV-1", rif)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Soggetto(); err != nil {
			t.Fatal(err)
		}
	}
	last := fake.got[len(fake.got)-4:]
	for i, uc := range []CasoUso{C020, C015, C018, C019} {
		if last[i].DatiRichiesta.CasoUso != string(uc) {
			t.Errorf("call %d sent casoUso %s, want %s", i, last[i].DatiRichiesta.CasoUso, uc)
		}
	}
	// An invalid request is refused before anything is sent.
	before := len(fake.got)
	if _, err := c.AccertaStatoFamiglia(ctx, "KT48213PW", "", rif); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("empty motivo: %v", err)
	}
	if len(fake.got) != before {
		t.Fatal("an invalid request was sent")
	}
}

func TestClientStopsTheChainOnC030Errors(t *testing.T) {
	fake := &fakeANPR{t: t, answers: map[CasoUso]fixture{C030: {name: "en122_404", status: 404}}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	_, err := newClient(t, srv.URL).AccertaPerCodiceFiscale(context.Background(), C020, "VRDGPP75C15L378N", "P", rif)
	if !IsNotFound(err) || Classify(err) != ClassBusiness || len(fake.got) != 1 {
		t.Fatalf("err %v after %d calls", err, len(fake.got))
	}
	fake.answers[C030] = fixture{name: "c030_omocodia", status: 200}
	_, err = newClient(t, srv.URL).AccertaPerCodiceFiscale(context.Background(), C020, "GLLFNC69R22A952X", "P", rif)
	if !errors.Is(err, ErrSoggetti) || len(fake.got) != 2 {
		t.Fatalf("two subjects for one codice fiscale must stop the chain: %v", err)
	}
}

func TestClientTransportFailures(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	boom := errors.New("connection refused")
	c.Transport = TransportFunc(func(context.Context, *http.Request) (*http.Response, error) { return nil, boom })
	_, err := c.AccertaResidenza(context.Background(), "KT48213PW", "P", rif)
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonTransport || !errors.Is(err, boom) || Classify(err) != ClassRetryable {
		t.Fatalf("transport error: %v", err)
	}
	c.Transport = TransportFunc(func(ctx context.Context, _ *http.Request) (*http.Response, error) { return nil, context.Canceled })
	if _, err := c.AccertaResidenza(context.Background(), "KT48213PW", "P", rif); Classify(err) != ClassPermanent {
		t.Fatalf("a cancelled call must not be retried: %v", err)
	}
	// The signer needs the body without consuming it.
	c.Transport = TransportFunc(func(_ context.Context, req *http.Request) (*http.Response, error) {
		copy1, _ := req.GetBody()
		b1, _ := io.ReadAll(copy1)
		b2, _ := io.ReadAll(req.Body)
		if len(b1) == 0 || !bytes.Equal(b1, b2) {
			t.Errorf("GetBody %q vs Body %q", b1, b2)
		}
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(string(readFixture(t, "c020_residenza")))), Header: http.Header{}}, nil
	})
	if _, err := c.AccertaResidenza(context.Background(), "KT48213PW", "P", rif); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*Client{{}, {Transport: c.Transport}, {Transport: c.Transport, IDs: c.IDs}} {
		if _, err := bad.AccertaResidenza(context.Background(), "KT48213PW", "P", rif); err == nil {
			t.Error("an incomplete Client worked")
		}
	}
	c.Endpoints = map[CasoUso]string{}
	if _, err := c.AccertaResidenza(context.Background(), "KT48213PW", "P", rif); err == nil || !strings.Contains(err.Error(), "no endpoint") {
		t.Errorf("missing endpoint: %v", err)
	}
}

// TestClientBoundsTheBody: an answer larger than MaxResponseBytes is refused without reading it all.
func TestClientBoundsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"listaSoggetti":{"datiSoggetto":[`))
		chunk := bytes.Repeat([]byte(`{"generalita":{"nome":"X"}},`), 4096)
		for written := 0; written <= MaxResponseBytes; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL).AccertaResidenza(context.Background(), "KT48213PW", "P", rif)
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonTooLarge || e.Class() != ClassPermanent {
		t.Fatalf("got %v", err)
	}
}
