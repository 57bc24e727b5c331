package inps

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/contracts"
)

// Meta is what a translation needs besides the payload: where and when it came from.
type Meta struct {
	// Operazione defaults to the operation the payload belongs to.
	Operazione Operazione
	// IDRichiesta is the answer's IdRichiesta (Provenienza.IDOperazione).
	IDRichiesta string
	// Acquisizione is when the gateway received the answer (Provenienza.DataOraAcquisizione).
	Acquisizione time.Time
	// Anomalie are notes from the envelope (Risposta.Anomalie), prepended to the payload's.
	Anomalie []string
}

func (m Meta) provenienza(op Operazione, n *notes) contracts.Provenienza {
	if m.Operazione != "" {
		op = m.Operazione
	}
	p := contracts.Provenienza{Sistema: contracts.SistemaINPS, Operazione: string(op), IDOperazione: m.IDRichiesta,
		DataOraAcquisizione: m.Acquisizione.UTC(), Cache: contracts.CacheMiss, Incompleto: n.incompleto}
	p.Anomalie = append(append([]string(nil), m.Anomalie...), n.result()...)
	return p
}

// readPayload checks the size of an inner payload and parses it.
func readPayload(op Operazione, payload []byte, n *notes) (*etree.Element, error) {
	if len(payload) > MaxPayloadBytes {
		return nil, newError(op, ReasonTroppoGrande, "the payload is %d bytes, more than the %d accepted", len(payload), MaxPayloadBytes)
	}
	root, err := readXML(payload, n)
	if err != nil {
		e := newError(op, ReasonPayloadMalformato, "%s is not usable XML", op.PayloadElement())
		e.Cause = err
		return nil, e
	}
	if ns := root.NamespaceURI(); ns != NamespaceISEERiforma {
		n.add("%s is in namespace %q instead of %s", truncate(root.Tag, 64), truncate(ns, 80), NamespaceISEERiforma)
	}
	return root, nil
}

// reader reads attributes and children with the lenient rules every translation shares: missing
// required data makes the result incomplete, unknown elements and malformed values are noted,
// nothing panics.
type reader struct {
	n *notes
}

// known notes every child element of e whose name is not in names; a name ending in "*" matches
// every name with that prefix.
func (r reader) known(e *etree.Element, path string, names ...string) {
next:
	for _, c := range e.ChildElements() {
		for _, name := range names {
			if c.Tag == name || (strings.HasSuffix(name, "*") && strings.HasPrefix(c.Tag, name[:len(name)-1])) {
				continue next
			}
		}
		r.n.add("unknown element %s/%s ignored", path, truncate(c.Tag, 64))
	}
}

func (r reader) str(e *etree.Element, path, name string, required bool) string {
	v, ok := attr(e, name)
	if !ok && required {
		r.n.missing("%s lacks the required attribute %s", path, name)
	}
	return v
}

// date parses xs:date, tolerating a time-zone suffix (allowed by xs:date) and noting a time part
// (not allowed, but .NET writes DateTime values that way).
func (r reader) date(e *etree.Element, path, name string, required bool) contracts.Data {
	v := r.str(e, path, name, required)
	if v == "" {
		return contracts.Data{}
	}
	s := strings.TrimSpace(v)
	if len(s) > 10 {
		switch rest := s[10:]; {
		case rest == "Z", len(rest) == 6 && (rest[0] == '+' || rest[0] == '-'):
			s = s[:10] // a time zone: allowed by xs:date, meaningless for a civil date
		case rest[0] == 'T':
			r.n.add("%s@%s %q is a date-time; its date part is used", path, name, truncate(v, 40))
			s = s[:10]
		}
	}
	d, err := contracts.ParseData(s)
	if err != nil || d.Precision() != contracts.PrecisionDay {
		r.n.missing("%s@%s %q is not an xs:date", path, name, truncate(v, 40))
		return contracts.Data{}
	}
	return d
}

// dec parses xs:decimal: an optional sign, digits with an optional point (".5" and "5." included),
// surrounding whitespace collapsed.
func (r reader) dec(e *etree.Element, path, name string, required bool) *contracts.Decimal {
	v := r.str(e, path, name, required)
	if v == "" {
		return nil
	}
	d, err := parseXSDecimal(v)
	if err != nil {
		r.n.missing("%s@%s %q is not an xs:decimal", path, name, truncate(v, 40))
		return nil
	}
	return &d
}

// decOrZero is dec for required values of structs whose fields are not optional: a missing value is
// zero, and the result is already marked incomplete.
func (r reader) decOrZero(e *etree.Element, path, name string) contracts.Decimal {
	if d := r.dec(e, path, name, true); d != nil {
		return *d
	}
	return contracts.Decimal{}
}

var errXSDecimal = errors.New("not an xs:decimal")

func parseXSDecimal(v string) (contracts.Decimal, error) {
	s := strings.Trim(v, " \t\r\n")
	neg := false
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	}
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" || s[0] == '-' || s[0] == '+' {
		return contracts.Decimal{}, errXSDecimal
	}
	if neg {
		s = "-" + s
	}
	return contracts.ParseDecimal(s)
}

// cf reads a codice fiscale attribute: trimmed (TypeCodiceFiscale allows 11 digits followed by up to
// 5 spaces) and upper-cased, kept as received otherwise. A wrong check character or a malformed code
// is noted with the code masked, never corrected or dropped: the attestation is INPS's legal act.
func (r reader) cf(e *etree.Element, path, name string, required bool) string {
	v := contracts.NormalizeCodiceFiscale(r.str(e, path, name, required))
	if v == "" {
		return ""
	}
	var ce *contracts.CFError
	if err := contracts.ValidateCodiceFiscale(v); errors.As(err, &ce) {
		if ce.Reason == contracts.CFBadCheckCharacter {
			r.n.add("%s@%s %s has a wrong check character (kept as received)", path, name, contracts.MaskCodiceFiscale(v))
		} else {
			r.n.add("%s@%s %s is not a valid codice fiscale: %s (kept as received)", path, name, contracts.MaskCodiceFiscale(v), ce.Detail)
		}
	}
	return v
}

// indexed is "path/name[i]" with a 1-based index, as in XPath.
func indexed(path, name string, i int) string {
	return path + "/" + name + "[" + strconv.Itoa(i+1) + "]"
}
