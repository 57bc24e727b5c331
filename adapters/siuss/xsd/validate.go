package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Bounds on the documents Validate reads, so hostile input costs bounded memory and stack.
const (
	// MaxDocumentSize is the largest document accepted: the SIUSS flusso field holds at most
	// 10,000,000 base64 characters, i.e. 7.5 MB of XML.
	MaxDocumentSize = 7_500_000
	// MaxDepth bounds element nesting (the SIUSS schemas need 5).
	MaxDepth = 64
	// maxProblems bounds the problems one Validate reports.
	maxProblems = 100
)

// Problem is one schema violation: where (a path of elements with 1-based positions and, for an
// attribute, @name), which rule (required, pattern, enumeration, maxLength, type, unexpected,
// missing, namespace, text, well-formed ...) and a detail that never repeats the document's data.
type Problem struct {
	Path   string
	Rule   string
	Detail string
}

func (p Problem) String() string { return p.Path + ": " + p.Rule + ": " + p.Detail }

// Error lists the violations Validate found (at most 100).
type Error struct {
	Problems []Problem
}

// ErrInvalid matches every *Error with errors.Is.
var ErrInvalid = errors.New("xsd: document is not valid")

func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "xsd: invalid document: " + strings.Join(parts, "; ")
}

// Is lets errors.Is(err, ErrInvalid) match.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// node is a parsed element with its names resolved.
type node struct {
	ns, local string
	attrs     []attr
	kids      []*node
	text      strings.Builder // concatenated character data directly inside the element
	hasText   bool            // some character data (even whitespace) was present
	hasCDATA  bool            // a CDATA section was present (libxml2 counts it as text even when blank)
}

type attr struct {
	ns, local, value string
}

// Validate reports whether doc is well-formed and valid against the schema: nil, or an *Error
// listing the problems. Documents with a DOCTYPE, an encoding other than UTF-8, or more than
// MaxDocumentSize bytes or MaxDepth levels are refused as a matter of policy (xmllint would read
// the first two): SIUSS flows are UTF-8 documents without DTDs.
func (s *Schema) Validate(doc []byte) error {
	root, p := parse(doc)
	if p != nil {
		return &Error{Problems: []Problem{*p}}
	}
	v := &validator{}
	decl := s.roots[root.local]
	switch {
	case root.ns != s.targetNS:
		v.add("/"+root.local, "namespace", fmt.Sprintf("the root element must be in namespace %q", s.targetNS))
	case decl == nil:
		v.add("/"+root.local, "unexpected", "is not a global element of the schema")
	default:
		v.element(root, decl, "/"+root.local, s.targetNS)
	}
	if len(v.problems) > 0 {
		return &Error{Problems: v.problems}
	}
	return nil
}

// parse reads doc into a tree, checking well-formedness and namespace bindings.
func parse(doc []byte) (*node, *Problem) {
	bad := func(format string, args ...any) (*node, *Problem) {
		return nil, &Problem{Path: "/", Rule: "well-formed", Detail: fmt.Sprintf(format, args...)}
	}
	if len(doc) > MaxDocumentSize {
		return bad("the document has %d bytes, more than %d", len(doc), MaxDocumentSize)
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	type frame struct {
		n      *node
		raw    xml.Name
		scopes map[string]string // prefix -> namespace declared on this element
	}
	var stack []frame
	var root *node
	lookup := func(prefix string) (string, bool) {
		if prefix == "xml" {
			return "http://www.w3.org/XML/1998/namespace", true
		}
		for i := len(stack) - 1; i >= 0; i-- {
			if ns, ok := stack[i].scopes[prefix]; ok {
				return ns, true
			}
		}
		return "", prefix == "" // no default namespace: elements are in no namespace
	}
	first := true
	for {
		start := d.InputOffset()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return bad("line %d: %s", se.Line, se.Msg)
			}
			return bad("%s", err.Error())
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" {
				if !first {
					return bad("the XML declaration is not at the start")
				}
				if enc := procInstParam(string(t.Inst), "encoding"); enc != "" && !strings.EqualFold(enc, "UTF-8") {
					return bad("encoding %q: SIUSS flows are UTF-8", enc)
				}
			}
		case xml.Directive:
			return bad("DTDs and other declarations are not accepted")
		case xml.StartElement:
			if len(stack) == 0 && root != nil {
				return bad("more than one root element")
			}
			if len(stack) >= MaxDepth {
				return bad("elements nested deeper than %d", MaxDepth)
			}
			f := frame{n: &node{}, raw: t.Name, scopes: map[string]string{}}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					f.scopes[""] = a.Value
				case a.Name.Space == "xmlns":
					if a.Value == "" {
						return bad("prefix %q is bound to the empty namespace", a.Name.Local)
					}
					f.scopes[a.Name.Local] = a.Value
				}
			}
			stack = append(stack, f)
			ns, ok := lookup(t.Name.Space)
			if !ok {
				return bad("element prefix %q is not declared", t.Name.Space)
			}
			f.n.ns, f.n.local = ns, t.Name.Local
			seen := map[[2]string]bool{}
			for _, a := range t.Attr {
				if (a.Name.Space == "" && a.Name.Local == "xmlns") || a.Name.Space == "xmlns" {
					if seen[[2]string{"xmlns", a.Name.Local}] {
						return bad("namespace declaration repeated on element %s", t.Name.Local)
					}
					seen[[2]string{"xmlns", a.Name.Local}] = true
					continue
				}
				ans := ""
				if a.Name.Space != "" {
					if ans, ok = lookup(a.Name.Space); !ok {
						return bad("attribute prefix %q is not declared", a.Name.Space)
					}
				}
				key := [2]string{ans, a.Name.Local}
				if seen[key] {
					return bad("attribute %s repeated on element %s", a.Name.Local, t.Name.Local)
				}
				seen[key] = true
				// Attribute-value normalisation (XML 1.0 §3.3.3): whitespace characters become spaces.
				f.n.attrs = append(f.n.attrs, attr{ans, a.Name.Local, replaceSpace(a.Value)})
			}
			if len(stack) == 1 {
				root = f.n
			} else {
				parent := stack[len(stack)-2].n
				parent.kids = append(parent.kids, f.n)
			}
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].raw != t.Name {
				return bad("end tag %s does not match", t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimLeft(t, " \t\r\n")) > 0 {
					return bad("text outside the root element")
				}
				continue
			}
			n := stack[len(stack)-1].n
			n.text.Write(t)
			n.hasText = true
			if bytes.HasPrefix(doc[start:], []byte("<![CDATA[")) {
				n.hasCDATA = true
			}
		}
		first = false
	}
	if len(stack) > 0 {
		return bad("the document ends inside element %s", stack[len(stack)-1].raw.Local)
	}
	if root == nil {
		return bad("no root element")
	}
	return root, nil
}

// procInstParam reads name="value" (or 'value') from an XML declaration.
func procInstParam(inst, name string) string {
	i := strings.Index(inst, name)
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(inst[i+len(name):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	end := strings.IndexByte(rest[1:], rest[0])
	if end < 0 {
		return ""
	}
	return rest[1 : end+1]
}

type validator struct {
	problems []Problem
}

func (v *validator) add(path, rule, detail string) {
	if len(v.problems) < maxProblems {
		v.problems = append(v.problems, Problem{Path: path, Rule: rule, Detail: detail})
	}
}

func (v *validator) element(n *node, d *elementDecl, path, ns string) {
	if d.simple != nil {
		v.simpleElement(n, d.simple, path)
		return
	}
	ct := d.complex
	present := map[string]bool{}
	for _, a := range n.attrs {
		ap := path + "/@" + a.local
		switch {
		case a.ns == nsXSI && (a.local == "schemaLocation" || a.local == "noNamespaceSchemaLocation"):
		case a.ns == nsXSI:
			v.add(ap, "unexpected", "xsi:"+a.local+" is not supported")
		case a.ns != "":
			v.add(ap, "unexpected", fmt.Sprintf("attribute in namespace %q is not declared", a.ns))
		case ct.attrs[a.local] == nil:
			v.add(ap, "unexpected", "attribute is not declared for this element")
		default:
			present[a.local] = true
			if rule, detail, ok := ct.attrs[a.local].typ.check(a.value); !ok {
				v.add(ap, rule, detail)
			}
		}
	}
	for _, a := range ct.order {
		if a.required && !present[a.name] {
			v.add(path+"/@"+a.name, "required", "required attribute is missing")
		}
	}
	if ct.content == nil {
		if n.hasText || len(n.kids) > 0 {
			v.add(path, "empty", "the element must be empty (no text, not even whitespace, and no elements)")
		}
		return
	}
	if strings.TrimFunc(n.text.String(), isXMLSpace) != "" || n.hasCDATA {
		v.add(path, "text", "text (or a CDATA section) is not allowed in this element, only elements")
	}
	m := matcher{v: v, kids: n.kids, path: path, ns: ns, counts: map[string]int{}}
	if !m.group(ct.content) {
		return // m reported why
	}
	if m.i < len(m.kids) {
		k := m.kids[m.i]
		v.add(path, "unexpected", fmt.Sprintf("element %s is not expected here%s", qualified(k, ns), m.expected(ct.content)))
	}
}

func (v *validator) simpleElement(n *node, st *simpleType, path string) {
	for _, a := range n.attrs {
		if a.ns == nsXSI && (a.local == "schemaLocation" || a.local == "noNamespaceSchemaLocation") {
			continue
		}
		v.add(path+"/@"+a.local, "unexpected", "this element has no attributes")
	}
	if len(n.kids) > 0 {
		v.add(path, "unexpected", "this element holds a value, not elements")
		return
	}
	if rule, detail, ok := st.check(n.text.String()); !ok {
		v.add(path, rule, detail)
	}
}

func qualified(n *node, ns string) string {
	if n.ns == ns {
		return n.local
	}
	return fmt.Sprintf("{%s}%s", n.ns, n.local)
}

// matcher walks an element's children through its content model. The SIUSS models (and every
// model XML Schema allows, by the Unique Particle Attribution rule) are deterministic, so a
// greedy walk that takes each child with the first particle that accepts it decides validity.
type matcher struct {
	v      *validator
	kids   []*node
	i      int
	path   string
	ns     string
	counts map[string]int // children seen per name, for 1-based positions in paths
}

func (m *matcher) peek() *node {
	if m.i < len(m.kids) {
		return m.kids[m.i]
	}
	return nil
}

// group matches g with its occurrence bounds; false after reporting a missing particle.
func (m *matcher) group(g *group) bool {
	n := 0
	for g.max == unbounded || n < g.max {
		if n >= g.min && !m.starts(g) {
			break
		}
		if !m.once(g) {
			return false
		}
		n++
	}
	return true
}

// once matches one occurrence of g's body.
func (m *matcher) once(g *group) bool {
	if g.kind == choiceGroup {
		for _, p := range g.items {
			if m.startsParticle(p) {
				return m.particle(p)
			}
		}
		for _, p := range g.items {
			if emptiable(p) {
				return true
			}
		}
		m.missing(g)
		return false
	}
	for _, p := range g.items {
		if !m.particle(p) {
			return false
		}
	}
	return true
}

func (m *matcher) particle(p particle) bool {
	if p.group != nil {
		return m.group(p.group)
	}
	d := p.elem
	n := 0
	for d.max == unbounded || n < d.max {
		k := m.peek()
		if k == nil || k.ns != m.ns || k.local != d.name {
			break
		}
		m.counts[d.name]++
		m.v.element(k, d, fmt.Sprintf("%s/%s[%d]", m.path, d.name, m.counts[d.name]), m.ns)
		m.i++
		n++
	}
	if n < d.min {
		found := "the element ends"
		if k := m.peek(); k != nil {
			found = "found " + qualified(k, m.ns)
		}
		m.v.add(m.path, "missing", fmt.Sprintf("element %s expected (at least %d), %s", d.name, d.min, found))
		return false
	}
	return true
}

func (m *matcher) missing(g *group) {
	found := "the element ends"
	if k := m.peek(); k != nil {
		found = "found " + qualified(k, m.ns)
	}
	m.v.add(m.path, "missing", fmt.Sprintf("one of %s expected, %s", strings.Join(firsts(g), ", "), found))
}

// starts reports whether the next child can begin an occurrence of g.
func (m *matcher) starts(g *group) bool {
	for _, p := range g.items {
		if m.startsParticle(p) {
			return true
		}
		if g.kind == sequenceGroup && !emptiable(p) {
			return false
		}
	}
	return false
}

func (m *matcher) startsParticle(p particle) bool {
	if p.group != nil {
		return m.starts(p.group)
	}
	k := m.peek()
	return k != nil && k.ns == m.ns && k.local == p.elem.name
}

func emptiable(p particle) bool {
	if p.elem != nil {
		return p.elem.min == 0
	}
	g := p.group
	if g.min == 0 {
		return true
	}
	for _, q := range g.items {
		e := emptiable(q)
		if g.kind == choiceGroup && e {
			return true
		}
		if g.kind == sequenceGroup && !e {
			return false
		}
	}
	return g.kind == sequenceGroup
}

// firsts lists the element names that can begin g.
func firsts(g *group) []string {
	var out []string
	for _, p := range g.items {
		if p.elem != nil {
			out = append(out, p.elem.name)
		} else {
			out = append(out, firsts(p.group)...)
		}
		if g.kind == sequenceGroup && !emptiable(p) {
			break
		}
	}
	return out
}

// expected describes what the content model would have accepted, for "unexpected" messages.
func (m *matcher) expected(g *group) string {
	if len(m.kids) == 0 {
		return ""
	}
	return " (the content model is " + describe(g) + ")"
}

func describe(g *group) string {
	sep := ", "
	if g.kind == choiceGroup {
		sep = " | "
	}
	parts := make([]string, len(g.items))
	for i, p := range g.items {
		if p.elem != nil {
			parts[i] = p.elem.name + occursSuffix(p.elem.min, p.elem.max)
		} else {
			parts[i] = describe(p.group)
		}
	}
	return "(" + strings.Join(parts, sep) + ")" + occursSuffix(g.min, g.max)
}

func occursSuffix(lo, hi int) string {
	switch {
	case lo == 1 && hi == 1:
		return ""
	case lo == 0 && hi == 1:
		return "?"
	case lo == 0 && hi == unbounded:
		return "*"
	case lo == 1 && hi == unbounded:
		return "+"
	case hi == unbounded:
		return "{" + strconv.Itoa(lo) + ",}"
	}
	return "{" + strconv.Itoa(lo) + "," + strconv.Itoa(hi) + "}"
}
