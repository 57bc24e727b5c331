package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// inForce is the test's own statement of the e-service's rule (README.md): means-tested (prova
// mezzi 1-3), not cancelled, periodic and running on the date, or one-off paid in the date's year
// up to the date.
func inForce(pop *population.Population, cf string, on population.Date) []*population.Prestazione {
	cancelled := map[string]bool{}
	for _, p := range pop.Prestazioni {
		if p.TipoOperazione == "C" {
			cancelled[p.ID], cancelled[p.AnnullaID] = true, true
		}
	}
	var out []*population.Prestazione
	for _, p := range pop.Prestazioni {
		if p.Beneficiario.CodiceFiscale != cf || cancelled[p.ID] || p.PresenzaProvaMezzi == "4" {
			continue
		}
		day := on.String() // YYYY-MM-DD strings compare as the dates do
		switch p.CaratterePrestazione {
		case "1":
			if d := p.DataInizioPrestazione; d != "" && d <= day && (p.DataFinePrestazione == "" || p.DataFinePrestazione >= day) {
				out = append(out, p)
			}
		case "2":
			if d := p.DataErogazionePrestazione; d != "" && d[:4] == day[:4] && d <= day {
				out = append(out, p)
			}
		}
	}
	return out
}

// subject picks a person with a periodic means-tested benefit and the date it starts: the person
// the tests consult.
func subject(t testing.TB, pop *population.Population) (string, population.Date) {
	t.Helper()
	for _, p := range pop.Prestazioni {
		if p.CaratterePrestazione != "1" || p.PresenzaProvaMezzi == "4" {
			continue
		}
		var start population.Date
		if err := start.UnmarshalText([]byte(p.DataInizioPrestazione)); err == nil && len(inForce(pop, p.Beneficiario.CodiceFiscale, start)) > 0 {
			return p.Beneficiario.CodiceFiscale, start
		}
	}
	t.Fatal("the population has no means-tested periodic benefit")
	return "", population.Date{}
}

// personWithout picks someone of the population without any prestazione.
func personWithout(t testing.TB, pop *population.Population) string {
	t.Helper()
	has := map[string]bool{}
	for _, p := range pop.Prestazioni {
		has[p.Beneficiario.CodiceFiscale] = true
	}
	for _, p := range pop.People {
		if !has[p.CodiceFiscale] {
			return p.CodiceFiscale
		}
	}
	t.Fatal("everyone has a prestazione")
	return ""
}

func ricerca(cf string, on population.Date) []byte {
	return []byte(fmt.Sprintf(`{"codiceFiscale":%q,"dataRiferimento":%q}`, cf, on.String()))
}

type risposta struct {
	DataRiferimento string           `json:"dataRiferimento"`
	Prestazioni     []map[string]any `json:"prestazioni"`
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// TestConsultazione: an accepted call with the full PDND profile (voucher, INTEGRITY_REST_02,
// AUDIT_REST_02) returns exactly the benefits in force, every field for the purpose allowed them
// all and only two for the other (fields not allowed are absent), a signed response the consumer
// verifies with the producer key on PDND, no-store and the rate-limit headers; an unknown person
// and a person without benefits get byte-identical answers; every answer matches the contract.
func TestConsultazione(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, w.config(memoryStore(), ""))
	cf, on := subject(t, w.pop)
	want := inForce(w.pop, cf, on)

	full := w.newConsumer(clientID, purposeFull, audPrest, mountPrest, true, true)
	a := full.call(t, g, "POST", "/ricerca", ricerca(cf, on))
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	checkContract(t, mountPrest, a)
	got := decode[risposta](t, a.body)
	if len(got.Prestazioni) != len(want) || got.DataRiferimento != on.String() {
		t.Fatalf("%d prestazioni on %s, want %d", len(got.Prestazioni), got.DataRiferimento, len(want))
	}
	codes := map[string]bool{}
	for _, p := range want {
		codes[p.CodicePrestazione] = true
	}
	for _, p := range got.Prestazioni {
		if !codes[p["codicePrestazione"].(string)] || p["ente"] == nil || p["provaMezzi"] == nil || p["carattere"] == nil {
			t.Fatalf("unexpected or incomplete prestazione %v", p)
		}
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q, want no-store", a.header.Get("Cache-Control"))
	}
	for _, h := range []string{eservice.HeaderLimit, eservice.HeaderRemaining, eservice.HeaderReset} {
		if a.header.Get(h) == "" {
			t.Fatalf("no %s", h)
		}
	}
	t.Logf("%d prestazioni in force: %.300s", len(want), a.body)
	verifyResponseSignature(t, w, a)

	minimal := w.newConsumer(clientID, purposeMin, audPrest, mountPrest, true, true)
	m := minimal.call(t, g, "POST", "/ricerca", ricerca(cf, on))
	if m.status != 200 {
		t.Fatalf("status %d: %s", m.status, m.body)
	}
	checkContract(t, mountPrest, m)
	for _, p := range decode[risposta](t, m.body).Prestazioni {
		if keys := slices.Sorted(maps.Keys(p)); !slices.Equal(keys, []string{"carattere", "codicePrestazione"}) {
			t.Fatalf("the minimal purpose sees %v, want only carattere and codicePrestazione", keys)
		}
	}
	if strings.Contains(string(m.body), "importo") || strings.Contains(string(m.body), "ente") {
		t.Fatalf("a field the purpose may not see is in the answer: %s", m.body)
	}

	unknown := full.call(t, g, "POST", "/ricerca", ricerca("RSSMRA80A01H501U", on))
	none := full.call(t, g, "POST", "/ricerca", ricerca(personWithout(t, w.pop), on))
	if unknown.status != 200 || none.status != 200 || string(unknown.body) != string(none.body) {
		t.Fatalf("unknown person %d %s vs person without benefits %d %s: want the same answer", unknown.status, unknown.body, none.status, none.body)
	}
	if string(unknown.body) != fmt.Sprintf(`{"dataRiferimento":%q,"prestazioni":[]}`, on.String()) {
		t.Fatalf("empty answer %s", unknown.body)
	}
	checkContract(t, mountPrest, unknown)
}

// verifyResponseSignature checks the response's Digest and Agid-JWT-Signature as a consumer does:
// the key from the producer keychain on PDND (GET /producerKeys/{kid}), aud the consumer's client.
func verifyResponseSignature(t testing.TB, w *world, a *answer) {
	t.Helper()
	env := w.pdnd.Environment()
	key, err := jose.NewSigner(sectest.RSAKey(t, 6))
	if err != nil {
		t.Fatal(err)
	}
	api := pdnd.NewVoucherCache(&pdnd.Client{ClientID: apiClient, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: key})
	v := modi.NewResponseVerifier(pdnd.NewKeyAPI(env.APIURL, api).ProducerKey, nil, nil)
	res, err := v.Verify(context.Background(), a.header, a.body, &modi.ResponseExpect{Required: true, Audience: clientID})
	if err != nil {
		t.Fatalf("the response signature does not verify: %v", err)
	}
	if res.KID != w.producerKey.Kid() {
		t.Fatalf("signed with kid %s, want the producer key %s", res.KID, w.producerKey.Kid())
	}
	var signed []string
	for _, h := range res.SignedHeaders {
		signed = append(signed, h.Name)
	}
	for _, h := range []string{"digest", "content-type", "x-correlation-id"} {
		if !slices.Contains(signed, h) {
			t.Fatalf("signed_headers %v lack %s", signed, h)
		}
	}
}
