package inps

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/inps/inpsxsd"
)

// outcome is what the golden of an answer fixture records: the parsed fields, or the error.
type outcome struct {
	Operazione        Operazione `json:"operazione"`
	IDRichiesta       string     `json:"idRichiesta,omitempty"`
	Esito             Esito      `json:"esito,omitempty"`
	DescrizioneErrore string     `json:"descrizioneErrore,omitempty"`
	PayloadBytes      int        `json:"payloadBytes,omitempty"`
	PayloadSHA256     string     `json:"payloadSHA256,omitempty"`
	Anomalie          []string   `json:"anomalie,omitempty"`
	// Tradotto is the translated payload's DSU protocol (attestation) or ISEE (indicator), for an OK answer.
	Tradotto string `json:"tradotto,omitempty"`
	Errore   *struct {
		Reason  Reason `json:"reason"`
		Class   string `json:"class"`
		Breaker bool   `json:"breaker"`
		Error   string `json:"error"`
		Fault   *Fault `json:"fault,omitempty"`
	} `json:"errore,omitempty"`
}

func parseOutcome(op Operazione, body []byte) outcome {
	out := outcome{Operazione: op}
	r, err := ParseRisposta(op, body)
	if err == nil {
		out.IDRichiesta, out.Esito, out.DescrizioneErrore, out.Anomalie = r.IDRichiesta, r.Esito, r.DescrizioneErrore, r.Anomalie
		if len(r.Payload) > 0 {
			sum := sha256.Sum256(r.Payload)
			out.PayloadBytes, out.PayloadSHA256 = len(r.Payload), hex.EncodeToString(sum[:])
		}
		err = r.Err()
		if err == nil && r.Esito == EsitoOK {
			err = translated(&out, r)
		}
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			panic("not an *Error: " + err.Error())
		}
		out.Errore = &struct {
			Reason  Reason `json:"reason"`
			Class   string `json:"class"`
			Breaker bool   `json:"breaker"`
			Error   string `json:"error"`
			Fault   *Fault `json:"fault,omitempty"`
		}{e.Reason, e.Class().String(), BreakerFailure(e), e.Error(), e.Fault}
	}
	return out
}

// translated translates an OK answer's payload as the client does.
func translated(out *outcome, r *Risposta) error {
	m := Meta{IDRichiesta: r.IDRichiesta, Acquisizione: fixtureMeta.Acquisizione, Anomalie: r.Anomalie}
	if r.Operazione == OpConsultazioneIndicatore {
		sel, err := TranslateIndicatore(r.Payload, m, "", "")
		if err == nil {
			out.Tradotto = sel.Indicatore.Valori.ISEE.String()
		}
		return err
	}
	e, err := TranslateAttestazione(r.Payload, m)
	if err == nil && e.Attestazione != nil {
		out.Tradotto = e.Attestazione.ProtocolloDSU
	}
	return err
}

func opOf(body []byte) Operazione {
	if bytes.Contains(body, []byte("ConsultazioneIndicatoreResponse")) {
		return OpConsultazioneIndicatore
	}
	return OpConsultazioneAttestazione
}

// TestParseRispostaFixtures parses every answer fixture (the operation is the one its body answers,
// except malformed/operazione_diversa, read as the other operation) and compares with its golden.
func TestParseRispostaFixtures(t *testing.T) {
	var all []fixture
	for _, pattern := range []string{"*.xml", "lenient/*.xml", "malformed/*.xml"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", "risposta", pattern))
		for _, p := range paths {
			name := strings.TrimSuffix(strings.TrimPrefix(p, "testdata/risposta/"), ".xml")
			all = append(all, fixture{name: name, path: p, lenient: strings.Contains(name, "/")})
		}
	}
	if len(all) < 20 {
		t.Fatalf("only %d answer fixtures", len(all))
	}
	for _, f := range all {
		t.Run(f.name, func(t *testing.T) {
			body := readFile(t, f.path)
			op := opOf(body)
			if f.name == "malformed/operazione_diversa" {
				op = OpConsultazioneAttestazione
			}
			out := parseOutcome(op, body)
			golden(t, f.path, out)
			malformed := strings.HasPrefix(f.name, "malformed/")
			if malformed && (out.Errore == nil || out.Errore.Class == ClassBusiness.String()) {
				t.Errorf("a malformed answer must fail, got %+v", out)
			}
			if out.Errore != nil && strings.Contains(out.Errore.Error, "RSSMRA80A01H501U") {
				t.Errorf("the error quotes a codice fiscale in clear: %s", out.Errore.Error)
			}
		})
	}
}

// TestRispostaFixturesAgainstXSD checks that the top-level answer fixtures are valid SOAP answers of
// the real wrapper XSD and that lenient ones are not. Malformed ones are about what our parser
// refuses; some are schema-valid (a DOCTYPE, an OK without payload, a payload that is not XML).
func TestRispostaFixturesAgainstXSD(t *testing.T) {
	v := inpsxsd.New(t)
	docs := map[string][]byte{}
	for _, pattern := range []string{"*.xml", "lenient/*.xml", "malformed/*.xml"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", "risposta", pattern))
		for _, p := range paths {
			docs[strings.TrimPrefix(p, "testdata/risposta/")] = readFile(t, p)
		}
	}
	failures := v.Validate(inpsxsd.Envelope, docs)
	for name := range docs {
		_, failed := failures[name]
		switch {
		case strings.HasPrefix(name, "malformed/"):
		case strings.HasPrefix(name, "lenient/") && !failed:
			t.Errorf("%s validates against the schemas but is in lenient/", name)
		case !strings.Contains(name, "/") && failed:
			t.Errorf("%s does not validate:\n%s", name, failures[name])
		}
	}
}

func TestParseRispostaBounds(t *testing.T) {
	huge := bytes.Repeat([]byte(" "), MaxResponseBytes+1)
	if _, err := ParseRisposta(OpConsultazioneAttestazione, huge); ReasonOf(err) != ReasonTroppoGrande {
		t.Errorf("oversized answer: %v", err)
	}
	deep := strings.Repeat("<a>", maxDepth+2) + strings.Repeat("</a>", maxDepth+2)
	if _, err := ParseRisposta(OpConsultazioneAttestazione, []byte(deep)); ReasonOf(err) != ReasonEnvelopeMalformato || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("deep nesting: %v", err)
	}
	if _, err := ParseRisposta("Altro", []byte("<x/>")); ReasonOf(err) != ReasonRichiestaNonValida {
		t.Errorf("unknown operation: %v", err)
	}
	big := bytes.Repeat([]byte("A"), MaxPayloadBytes+4)
	if _, err := TranslateAttestazione(big, Meta{}); ReasonOf(err) != ReasonTroppoGrande {
		t.Errorf("oversized payload: %v", err)
	}
	if _, err := TranslateIndicatore(big, Meta{}, "", ""); ReasonOf(err) != ReasonTroppoGrande {
		t.Errorf("oversized indicator payload: %v", err)
	}
}

// TestFaultTextNeverShowsPartOfACodiceFiscale: a fault string longer than maxFaultText with a
// codice fiscale across the cut keeps no part of the code (the text is masked, then cut).
func TestFaultTextNeverShowsPartOfACodiceFiscale(t *testing.T) {
	const cf = "RSSMRA80A01H501U"
	text := strings.Repeat("x", maxFaultText-8) + " " + cf + " non trovato"
	body := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>` +
		text + `</faultstring><detail>` + text + `</detail></soap:Fault></soap:Body></soap:Envelope>`
	_, err := ParseRisposta(OpConsultazioneAttestazione, []byte(body))
	var e *Error
	if !errors.As(err, &e) || e.Fault == nil {
		t.Fatalf("ParseRisposta = %v, want a SOAP fault", err)
	}
	for _, s := range []string{e.Fault.String, e.Fault.Detail, e.Error()} {
		if strings.Contains(s, cf[:7]) { // the mask keeps the six letters; a seventh character is a leak
			t.Fatalf("part of the codice fiscale is shown: %q", s[len(s)-40:])
		}
	}
	if !strings.HasSuffix(e.Fault.String, "RSSMRA*…") {
		t.Fatalf("fault string ends %q, want the masked code cut and marked", e.Fault.String[len(e.Fault.String)-20:])
	}
}
