package inps

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// maxDepth bounds element nesting. The deepest path of the schemas is 9 levels
// (Envelope/Body/...Result) for the wrapper and 8 for the attestation
// (EsitoAttestazione/Attestazione/Ordinario/ISEEUni/StudenteUniversitario/ISEEUniStudAttratto/
// NucleoFamiliareAttratto/ElementoNucleoAttratto); 32 leaves room for unknown wrappers while keeping a
// hostile "<a><a><a>..." cheap to refuse.
const maxDepth = 32

// readXML parses one XML document leniently in form and strictly in safety: UTF-8 or ISO-8859-1
// (declared, or undeclared bytes that are not UTF-8: the schemas' encoding), no DOCTYPE (SOAP 1.1
// §3 forbids it, and it is the door to entity tricks), one root element, bounded depth. The notes
// record what was tolerated.
func readXML(b []byte, n *notes) (*etree.Element, error) {
	b = bytes.TrimPrefix(b, utf8BOM)
	if xmlDeclEncoding(b) == "" && !utf8.Valid(b) {
		b = Latin1ToUTF8(make([]byte, 0, len(b)+len(b)/8), b)
		n.add("the XML declares no encoding and is not UTF-8: read as ISO-8859-1, the schemas' encoding")
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: charsetReader, MaxDepth: maxDepth}
	if err := doc.ReadFromBytes(b); err != nil {
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, fmt.Errorf("elements nested deeper than %d levels", maxDepth)
		}
		if errors.Is(err, etree.ErrXML) {
			return nil, errors.New("not well-formed XML: unclosed elements or text after the end (a truncated answer?)")
		}
		return nil, fmt.Errorf("not well-formed XML: %w", err)
	}
	var root *etree.Element
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Directive:
			return nil, errors.New("a DOCTYPE or other directive is not allowed")
		case *etree.Element:
			if root != nil {
				return nil, errors.New("more than one root element")
			}
			root = t
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// firstChild returns the first child element of e with that local name, or nil.
func firstChild(e *etree.Element, name string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == name {
			return c
		}
	}
	return nil
}

// attr returns the value of an unqualified attribute and whether it is present.
func attr(e *etree.Element, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value, true
		}
	}
	return "", false
}

// textOf returns e's character data with XML whitespace trimmed.
func textOf(e *etree.Element) string { return strings.Trim(e.Text(), " \t\r\n") }

// maxAnomalie bounds the notes kept per answer: a broken payload could otherwise produce one note per
// element. The count of the notes dropped is kept.
const maxAnomalie = 50

// notes collects the anomalies of a lenient parse (for Provenienza.Anomalie) and whether required
// data was missing (Provenienza.Incompleto).
type notes struct {
	list       []string
	dropped    int
	incompleto bool
}

func (n *notes) add(format string, args ...any) {
	if len(n.list) >= maxAnomalie {
		n.dropped++
		return
	}
	n.list = append(n.list, fmt.Sprintf(format, args...))
}

// missing records required data that is absent: the result is incomplete.
func (n *notes) missing(format string, args ...any) {
	n.incompleto = true
	n.add(format, args...)
}

func (n *notes) result() []string {
	if n.dropped > 0 {
		return append(n.list, fmt.Sprintf("%d more anomalies not listed", n.dropped))
	}
	return n.list
}
