package icef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/welfaregov/gateway/contracts"
)

// Bounds of what the adapter reads: an indicator of a household of twenty is about 3 KB.
const (
	// MaxResponseBytes bounds a 200 answer.
	MaxResponseBytes = 256 << 10
	// MaxErrorBodyBytes bounds the body of an error answer that is read.
	MaxErrorBodyBytes = 16 << 10
	// MaxNucleo bounds the household members translated (the contract says at most 20).
	MaxNucleo = 50
	// maxAnomalie bounds the notes of one translation.
	maxAnomalie = 50
)

// Meta is what the translation records in Provenienza besides the payload.
type Meta struct {
	// Operazione is the operationId ("ricercaIndicatore").
	Operazione string
	// IDOperazione is the upstream's id of the exchange when it sent one (X-Correlation-ID or
	// GovWay-Transaction-ID of the answer).
	IDOperazione string
	// Ricevuta is when the answer arrived (Provenienza.DataOraAcquisizione).
	Ricevuta time.Time
}

// TranslateIndicatore translates the body of a 200 answer of POST /indicatori/ricerca into the
// model. It tolerates unknown members and missing optional data (noted in Provenienza.Anomalie;
// missing elements, household or dates set Provenienza.Incompleto). What the model cannot hold is
// refused as ReasonMalformata: a body that is not the contract's JSON object, or one without a
// well-formed applicant codice fiscale, politica, anno or valore.
func TranslateIndicatore(body []byte, m Meta) (*contracts.IndicatoreICEF, error) {
	const op = "ricercaIndicatore"
	if len(body) > MaxResponseBytes {
		return nil, &Error{Reason: ReasonTroppoGrande, Operazione: op, Status: 200, Detail: fmt.Sprintf("the answer exceeds %d bytes", MaxResponseBytes)}
	}
	var w Indicatore
	unknown, err := decodeObject(body, &w)
	if err != nil {
		return nil, &Error{Reason: ReasonMalformata, Operazione: op, Status: 200, Detail: "the answer is not the contract's Indicatore", Cause: err}
	}
	t := &translator{}
	for _, k := range unknown {
		t.note("unknown member %q ignored", limit(k, 64))
	}
	cf := contracts.NormalizeCodiceFiscale(w.CodiceFiscaleRichiedente)
	var bad []string
	if !plausibleCF(cf) {
		bad = append(bad, "codiceFiscaleRichiedente is missing or not a codice fiscale")
	}
	if strings.TrimSpace(w.Politica) == "" {
		bad = append(bad, "politica is missing")
	}
	if w.Anno < 1900 || w.Anno > 9999 {
		bad = append(bad, fmt.Sprintf("anno %d is not a year", w.Anno))
	}
	valore, err := contracts.ParseDecimal(w.Valore)
	if err != nil {
		bad = append(bad, "valore is missing or not a decimal")
	}
	if len(bad) > 0 {
		return nil, &Error{Reason: ReasonMalformata, Operazione: op, Status: 200, Detail: strings.Join(bad, "; ")}
	}
	if valore.Sign() < 0 || valore.Cmp(decimal.NewFromInt(1)) > 0 {
		t.note("valore %s is outside 0..1", valore)
	}
	out := &contracts.IndicatoreICEF{CodiceFiscale: cf, Anno: w.Anno, Politica: w.Politica, Valore: valore, ProtocolloDomanda: strings.TrimSpace(w.Protocollo)}
	if out.ProtocolloDomanda == "" {
		t.missing("protocollo is missing")
	}
	out.DataCalcolo = t.date("dataCalcolo", w.DataCalcolo, true)
	if w.Elementi == nil {
		t.missing("elementi (RF, PF, VF) are missing")
	} else {
		out.RF = t.decimal("elementi.redditoFamiliare", w.Elementi.RedditoFamiliare)
		out.PF = t.decimal("elementi.patrimonioFamiliare", w.Elementi.PatrimonioFamiliare)
		out.VF = t.decimal("elementi.pesoFamiliare", w.Elementi.PesoFamiliare)
	}
	out.NucleoFamiliare = t.nucleo(w.Nucleo)
	out.Provenienza = contracts.Provenienza{Sistema: contracts.SistemaICEF, Operazione: op, IDOperazione: m.IDOperazione,
		DataOraAcquisizione: m.Ricevuta.UTC(), Cache: contracts.CacheMiss, Incompleto: t.incompleto, Anomalie: t.notes}
	return out, nil
}

func (t *translator) nucleo(members []Componente) *contracts.NucleoFamiliare {
	if members == nil {
		t.missing("nucleo is missing")
		return nil
	}
	n := &contracts.NucleoFamiliare{Origine: contracts.NucleoICEF, Componenti: make([]contracts.Componente, 0, min(len(members), MaxNucleo))}
	if len(members) > MaxNucleo {
		t.missing("nucleo has %d members; the first %d are kept", len(members), MaxNucleo)
		members = members[:MaxNucleo]
	}
	for i, m := range members {
		at := fmt.Sprintf("nucleo[%d]", i)
		p := contracts.Persona{CodiceFiscale: contracts.NormalizeCodiceFiscale(m.CodiceFiscale), Cognome: strings.TrimSpace(m.Cognome), Nome: strings.TrimSpace(m.Nome)}
		switch {
		case p.CodiceFiscale == "":
			t.missing("%s.codiceFiscale is missing", at)
		case !plausibleCF(p.CodiceFiscale):
			// The model holds codici fiscali of the right shape only: the member stays, without it.
			t.missing("%s.codiceFiscale is not a codice fiscale; the member is kept without it", at)
			p.CodiceFiscale = ""
		case contracts.ValidateCodiceFiscale(p.CodiceFiscale) != nil:
			t.note("%s.codiceFiscale %s has a wrong check character; kept as received", at, contracts.MaskCodiceFiscale(p.CodiceFiscale))
		}
		p.DataNascita = t.date(at+".dataNascita", m.DataNascita, false)
		code := strings.TrimSpace(m.CodiceLegame)
		ruolo := contracts.RuoloFromCodiceLegame(code)
		if code == "" {
			t.missing("%s.codiceLegame is missing", at)
		} else if ruolo == contracts.RuoloNonDefinito && strings.TrimLeft(code, "0") != "99" {
			t.note("%s.codiceLegame %q is not an ANPR code we know; role NON_DEFINITO", at, limit(code, 8))
		}
		n.Componenti = append(n.Componenti, contracts.Componente{Persona: p, CodiceLegameANPR: code, Ruolo: ruolo})
	}
	return n
}

// translator collects the notes of one translation.
type translator struct {
	notes      []string
	dropped    int
	incompleto bool
}

func (t *translator) note(format string, args ...any) {
	if len(t.notes) >= maxAnomalie {
		t.dropped++
		if t.dropped == 1 {
			t.notes[len(t.notes)-1] = "further anomalies omitted"
		}
		return
	}
	t.notes = append(t.notes, maskText(fmt.Sprintf(format, args...)))
}

// missing notes data the model expects and marks the result incomplete.
func (t *translator) missing(format string, args ...any) {
	t.incompleto = true
	t.note(format, args...)
}

func (t *translator) date(at, s string, required bool) contracts.Data {
	if strings.TrimSpace(s) == "" {
		if required {
			t.missing("%s is missing", at)
		}
		return contracts.Data{}
	}
	d, err := contracts.ParseData(strings.TrimSpace(s))
	if err != nil {
		t.missing("%s %q is not a date", at, limit(s, 32))
		return contracts.Data{}
	}
	return d
}

func (t *translator) decimal(at, s string) *contracts.Decimal {
	if strings.TrimSpace(s) == "" {
		t.missing("%s is missing", at)
		return nil
	}
	d, err := contracts.ParseDecimal(strings.TrimSpace(s))
	if err != nil {
		t.missing("%s %q is not a decimal", at, limit(s, 32))
		return nil
	}
	return &d
}

// decodeObject decodes one JSON object (and nothing after it) into v and returns the top-level
// members v does not know, so they can be noted. The strict decode is tried first: an answer of the
// contract's exact shape is decoded once. Errors say where the body broke but never quote it.
func decodeObject(body []byte, v any) (unknown []string, err error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("the body is not a JSON object")
	}
	if err := decodeOne(trimmed, v, true); err == nil {
		return nil, nil
	} else if !strings.HasPrefix(err.Error(), "json: unknown field") {
		return nil, describe(err)
	}
	if err := decodeOne(trimmed, v, false); err != nil {
		return nil, describe(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, describe(err)
	}
	known := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(v).Elem()) {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" {
			known[name] = true
		}
	}
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	return unknown, nil
}

func decodeOne(b []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// describe turns a JSON error into one that names the place, not the value.
func describe(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("%s is a JSON %s, not a %s", te.Field, te.Value, te.Type.Kind())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the JSON ends early (truncated)")
	}
	return errors.New("invalid JSON")
}

func limit(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// plausibleCF accepts a codice fiscale whose shape is right, even with a wrong check character:
// the systems of record do hold such codes, and the model keeps them (contracts README).
func plausibleCF(cf string) bool {
	var ce *contracts.CFError
	err := contracts.ValidateCodiceFiscale(cf)
	return err == nil || errors.As(err, &ce) && ce.Reason == contracts.CFBadCheckCharacter
}
