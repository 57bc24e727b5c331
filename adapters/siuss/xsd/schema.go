// Package xsd validates XML documents against a W3C XML Schema at run time, in pure Go, for the
// subset of XML Schema 1.0 that INPS's SIUSS schemas (PS_PSA_SINA201812.xsd, SINBA.xsd) use. The
// gateway is a static binary without libxml2, and the rules must come from the real schema file,
// not from a hand copy that drifts from it.
//
// Supported: global elements and named or anonymous complex types whose content is a sequence or
// choice of element particles (nested groups allowed) with minOccurs/maxOccurs, or empty content;
// attributes with use="required|optional" and a named or anonymous simple type; simple types that
// restrict xs:string, xs:normalizedString, xs:token, xs:date, xs:decimal, xs:integer, xs:long,
// xs:int, xs:short or a named simple type, with the facets length, minLength, maxLength, pattern,
// enumeration, minInclusive, maxInclusive, minExclusive, maxExclusive, totalDigits,
// fractionDigits; elementFormDefault="qualified" with unqualified attributes. Anything else in the
// schema (xs:all, xs:any, extension, union, list, groups, imports, mixed content, defaults ...)
// makes Compile fail with the construct named, so an unsupported schema is never half-checked.
//
// A Schema is immutable after Compile and safe for concurrent use. Validate's verdict is checked
// against xmllint on generated documents and systematic mutations (see the tests); its messages
// name the element or attribute and the rule, never the offending value, because SIUSS values are
// personal data.
package xsd

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

const (
	nsXS  = "http://www.w3.org/2001/XMLSchema"
	nsXSI = "http://www.w3.org/2001/XMLSchema-instance"
)

// unbounded is maxOccurs="unbounded".
const unbounded = -1

// Schema is a compiled schema.
type Schema struct {
	targetNS string
	roots    map[string]*elementDecl
}

type elementDecl struct {
	name     string
	min, max int
	complex  *complexType // exactly one of complex and simple is set
	simple   *simpleType
}

type complexType struct {
	content *group // nil: empty content
	attrs   map[string]*attributeDecl
	order   []*attributeDecl // declaration order, for reporting missing attributes stably
}

type groupKind int

const (
	sequenceGroup groupKind = iota
	choiceGroup
)

type group struct {
	kind     groupKind
	min, max int
	items    []particle
}

// particle is an element declaration or a nested group.
type particle struct {
	elem  *elementDecl
	group *group
}

type attributeDecl struct {
	name     string
	required bool
	typ      *simpleType
}

// builtin is the primitive a simple type derives from, which decides its lexical space and
// whitespace handling.
type builtin int

const (
	bString builtin = iota
	bNormalizedString
	bToken
	bDate
	bDecimal
	bInteger // xs:integer and its bounded derivations (long, int, short)
)

var builtins = map[string]struct {
	b        builtin
	min, max *big.Rat
}{
	"string":           {b: bString},
	"normalizedString": {b: bNormalizedString},
	"token":            {b: bToken},
	"date":             {b: bDate},
	"decimal":          {b: bDecimal},
	"integer":          {b: bInteger},
	"long":             {bInteger, ratInt(-1 << 63), ratInt(1<<63 - 1)},
	"int":              {bInteger, ratInt(-1 << 31), ratInt(1<<31 - 1)},
	"short":            {bInteger, ratInt(-1 << 15), ratInt(1<<15 - 1)},
}

func ratInt(n int64) *big.Rat { return new(big.Rat).SetInt64(n) }

// simpleType is a builtin with the facets of every restriction step applied.
type simpleType struct {
	name string // for messages: the type's name or the builtin's
	base builtin
	// patterns holds one entry per derivation step: a value must match one pattern of every step.
	patterns     [][]*regexp.Regexp
	patternText  []string
	enumeration  []string // nil: no enumeration facet
	length       int      // -1: unset
	minLength    int
	maxLength    int
	minIncl      *big.Rat
	maxIncl      *big.Rat
	minExcl      *big.Rat
	maxExcl      *big.Rat
	totalDigits  int // 0: unset
	fractionDigs int // -1: unset
}

// compiler holds the schema's named definitions while they are compiled, each once.
type compiler struct {
	targetNS     string
	complexDefs  map[string]*etree.Element
	simpleDefs   map[string]*etree.Element
	complexTypes map[string]*complexType
	simpleTypes  map[string]*simpleType
	inProgress   map[string]bool
}

// Compile parses and compiles an XML Schema document.
func Compile(xsd []byte) (*Schema, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xsd); err != nil {
		return nil, fmt.Errorf("xsd: parsing the schema: %w", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "schema" || root.NamespaceURI() != nsXS {
		return nil, errors.New("xsd: the document is not an xs:schema")
	}
	if v := root.SelectAttrValue("elementFormDefault", "unqualified"); v != "qualified" {
		return nil, fmt.Errorf("xsd: elementFormDefault %q is not supported (only qualified)", v)
	}
	if v := root.SelectAttrValue("attributeFormDefault", "unqualified"); v != "unqualified" {
		return nil, fmt.Errorf("xsd: attributeFormDefault %q is not supported (only unqualified)", v)
	}
	c := &compiler{
		targetNS:     root.SelectAttrValue("targetNamespace", ""),
		complexDefs:  map[string]*etree.Element{},
		simpleDefs:   map[string]*etree.Element{},
		complexTypes: map[string]*complexType{},
		simpleTypes:  map[string]*simpleType{},
		inProgress:   map[string]bool{},
	}
	var globals []*etree.Element
	for _, e := range root.ChildElements() {
		if err := checkXS(e); err != nil {
			return nil, err
		}
		switch e.Tag {
		case "complexType":
			c.complexDefs[e.SelectAttrValue("name", "")] = e
		case "simpleType":
			c.simpleDefs[e.SelectAttrValue("name", "")] = e
		case "element":
			globals = append(globals, e)
		case "annotation":
		default:
			return nil, fmt.Errorf("xsd: top-level xs:%s is not supported", e.Tag)
		}
	}
	s := &Schema{targetNS: c.targetNS, roots: map[string]*elementDecl{}}
	for _, e := range globals {
		d, err := c.element(e, true)
		if err != nil {
			return nil, err
		}
		s.roots[d.name] = d
	}
	if len(s.roots) == 0 {
		return nil, errors.New("xsd: the schema declares no global element")
	}
	return s, nil
}

// MustCompile is Compile for schemas embedded in the binary: it panics on error.
func MustCompile(xsd []byte) *Schema {
	s, err := Compile(xsd)
	if err != nil {
		panic(err)
	}
	return s
}

func checkXS(e *etree.Element) error {
	if e.NamespaceURI() != nsXS {
		return fmt.Errorf("xsd: element %s outside the XML Schema namespace", e.FullTag())
	}
	return nil
}

// children returns e's XML Schema children other than annotations.
func children(e *etree.Element) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, k := range e.ChildElements() {
		if err := checkXS(k); err != nil {
			return nil, err
		}
		if k.Tag != "annotation" {
			out = append(out, k)
		}
	}
	return out, nil
}

// onlyAttrs fails when e carries an attribute outside allowed (namespace declarations aside).
func onlyAttrs(e *etree.Element, allowed ...string) error {
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		ok := false
		for _, name := range allowed {
			ok = ok || (a.Space == "" && a.Key == name)
		}
		if !ok {
			return fmt.Errorf("xsd: attribute %s on xs:%s is not supported", a.FullKey(), e.Tag)
		}
	}
	return nil
}

func occurs(e *etree.Element) (int, int, error) {
	lo, hi := 1, 1
	if v := e.SelectAttrValue("minOccurs", "1"); v != "1" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("xsd: minOccurs %q on xs:%s", v, e.Tag)
		}
		lo = n
	}
	if v := e.SelectAttrValue("maxOccurs", "1"); v == "unbounded" {
		hi = unbounded
	} else if v != "1" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, fmt.Errorf("xsd: maxOccurs %q on xs:%s", v, e.Tag)
		}
		hi = n
	}
	if hi != unbounded && hi < lo {
		return 0, 0, fmt.Errorf("xsd: maxOccurs %d < minOccurs %d on xs:%s", hi, lo, e.Tag)
	}
	return lo, hi, nil
}

// resolve splits a QName attribute value of e into namespace URI and local name.
func resolve(e *etree.Element, qname string) (string, string, error) {
	prefix, local, ok := strings.Cut(qname, ":")
	if !ok {
		prefix, local = "", qname
	}
	for x := e; x != nil; x = x.Parent() {
		for _, a := range x.Attr {
			if (prefix == "" && a.Space == "" && a.Key == "xmlns") || (prefix != "" && a.Space == "xmlns" && a.Key == prefix) {
				return a.Value, local, nil
			}
		}
	}
	if prefix == "" {
		return "", local, nil
	}
	return "", "", fmt.Errorf("xsd: prefix %q of %q is not declared", prefix, qname)
}

func (c *compiler) element(e *etree.Element, global bool) (*elementDecl, error) {
	allowed := []string{"name", "type", "minOccurs", "maxOccurs"}
	if global {
		allowed = allowed[:2]
	}
	if err := onlyAttrs(e, allowed...); err != nil {
		return nil, err
	}
	d := &elementDecl{name: e.SelectAttrValue("name", "")}
	if d.name == "" {
		return nil, errors.New("xsd: xs:element without a name (ref is not supported)")
	}
	var err error
	if d.min, d.max, err = occurs(e); err != nil {
		return nil, err
	}
	kids, err := children(e)
	if err != nil {
		return nil, err
	}
	typeName := e.SelectAttrValue("type", "")
	switch {
	case typeName != "" && len(kids) > 0:
		return nil, fmt.Errorf("xsd: element %s has both a type attribute and an inline type", d.name)
	case typeName != "":
		d.complex, d.simple, err = c.typeRef(e, typeName)
	case len(kids) == 1 && kids[0].Tag == "complexType":
		d.complex, err = c.complexType(kids[0])
	case len(kids) == 1 && kids[0].Tag == "simpleType":
		d.simple, err = c.simpleType(kids[0], d.name)
	default:
		return nil, fmt.Errorf("xsd: element %s: declarations without a type (anyType) are not supported", d.name)
	}
	if err != nil {
		return nil, fmt.Errorf("xsd: element %s: %w", d.name, err)
	}
	return d, nil
}

// typeRef resolves a type="..." reference to a named complex or simple type or a builtin.
func (c *compiler) typeRef(e *etree.Element, qname string) (*complexType, *simpleType, error) {
	ns, local, err := resolve(e, qname)
	if err != nil {
		return nil, nil, err
	}
	if ns == nsXS {
		st, err := builtinType(local)
		return nil, st, err
	}
	if ns != c.targetNS {
		return nil, nil, fmt.Errorf("type %s is outside the target namespace (imports are not supported)", qname)
	}
	if _, ok := c.complexDefs[local]; ok {
		ct, err := c.namedComplex(local)
		return ct, nil, err
	}
	st, err := c.namedSimple(local)
	return nil, st, err
}

func builtinType(local string) (*simpleType, error) {
	b, ok := builtins[local]
	if !ok {
		return nil, fmt.Errorf("builtin type xs:%s is not supported", local)
	}
	return &simpleType{name: "xs:" + local, base: b.b, length: -1, minLength: -1, maxLength: -1, fractionDigs: -1, minIncl: b.min, maxIncl: b.max}, nil
}

func (c *compiler) namedComplex(name string) (*complexType, error) {
	if ct, ok := c.complexTypes[name]; ok {
		return ct, nil
	}
	if c.inProgress[name] {
		return nil, fmt.Errorf("recursive type %s is not supported", name)
	}
	c.inProgress[name] = true
	ct, err := c.complexType(c.complexDefs[name])
	delete(c.inProgress, name)
	if err != nil {
		return nil, fmt.Errorf("type %s: %w", name, err)
	}
	c.complexTypes[name] = ct
	return ct, nil
}

func (c *compiler) namedSimple(name string) (*simpleType, error) {
	if st, ok := c.simpleTypes[name]; ok {
		return st, nil
	}
	def, ok := c.simpleDefs[name]
	if !ok {
		return nil, fmt.Errorf("type %s is not declared", name)
	}
	if c.inProgress[name] {
		return nil, fmt.Errorf("recursive type %s", name)
	}
	c.inProgress[name] = true
	st, err := c.simpleType(def, name)
	delete(c.inProgress, name)
	if err != nil {
		return nil, err
	}
	c.simpleTypes[name] = st
	return st, nil
}

func (c *compiler) complexType(e *etree.Element) (*complexType, error) {
	if err := onlyAttrs(e, "name"); err != nil {
		return nil, err
	}
	kids, err := children(e)
	if err != nil {
		return nil, err
	}
	ct := &complexType{attrs: map[string]*attributeDecl{}}
	for i, k := range kids {
		switch k.Tag {
		case "sequence", "choice":
			if i != 0 || ct.content != nil {
				return nil, fmt.Errorf("xs:%s must come first and once", k.Tag)
			}
			if ct.content, err = c.group(k); err != nil {
				return nil, err
			}
		case "attribute":
			a, err := c.attribute(k)
			if err != nil {
				return nil, err
			}
			if ct.attrs[a.name] != nil {
				return nil, fmt.Errorf("attribute %s declared twice", a.name)
			}
			ct.attrs[a.name] = a
			ct.order = append(ct.order, a)
		default:
			return nil, fmt.Errorf("xs:%s in a complex type is not supported", k.Tag)
		}
	}
	return ct, nil
}

func (c *compiler) group(e *etree.Element) (*group, error) {
	if err := onlyAttrs(e, "minOccurs", "maxOccurs"); err != nil {
		return nil, err
	}
	g := &group{kind: sequenceGroup}
	if e.Tag == "choice" {
		g.kind = choiceGroup
	}
	var err error
	if g.min, g.max, err = occurs(e); err != nil {
		return nil, err
	}
	kids, err := children(e)
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		switch k.Tag {
		case "element":
			d, err := c.element(k, false)
			if err != nil {
				return nil, err
			}
			g.items = append(g.items, particle{elem: d})
		case "sequence", "choice":
			sub, err := c.group(k)
			if err != nil {
				return nil, err
			}
			g.items = append(g.items, particle{group: sub})
		default:
			return nil, fmt.Errorf("xs:%s in a model group is not supported", k.Tag)
		}
	}
	if len(g.items) == 0 {
		return nil, fmt.Errorf("an empty xs:%s is not supported", e.Tag)
	}
	return g, nil
}

func (c *compiler) attribute(e *etree.Element) (*attributeDecl, error) {
	if err := onlyAttrs(e, "name", "type", "use"); err != nil {
		return nil, err
	}
	a := &attributeDecl{name: e.SelectAttrValue("name", "")}
	if a.name == "" {
		return nil, errors.New("xs:attribute without a name (ref is not supported)")
	}
	switch use := e.SelectAttrValue("use", "optional"); use {
	case "required":
		a.required = true
	case "optional":
	default:
		return nil, fmt.Errorf("attribute %s: use=%q is not supported", a.name, use)
	}
	kids, err := children(e)
	if err != nil {
		return nil, err
	}
	typeName := e.SelectAttrValue("type", "")
	switch {
	case typeName != "" && len(kids) == 0:
		var ct *complexType
		ct, a.typ, err = c.typeRef(e, typeName)
		if err == nil && ct != nil {
			err = fmt.Errorf("complex type %s for an attribute", typeName)
		}
	case typeName == "" && len(kids) == 1 && kids[0].Tag == "simpleType":
		a.typ, err = c.simpleType(kids[0], "@"+a.name)
	default:
		err = errors.New("needs exactly one of a type attribute and an inline xs:simpleType")
	}
	if err != nil {
		return nil, fmt.Errorf("attribute %s: %w", a.name, err)
	}
	return a, nil
}

func (c *compiler) simpleType(e *etree.Element, name string) (*simpleType, error) {
	if err := onlyAttrs(e, "name"); err != nil {
		return nil, err
	}
	kids, err := children(e)
	if err != nil {
		return nil, err
	}
	if len(kids) != 1 || kids[0].Tag != "restriction" {
		return nil, fmt.Errorf("simple type %s: only xs:restriction is supported", name)
	}
	r := kids[0]
	if err := onlyAttrs(r, "base"); err != nil {
		return nil, err
	}
	var base *simpleType
	switch ct, st, err := c.typeRef(r, r.SelectAttrValue("base", "")); {
	case err != nil:
		return nil, fmt.Errorf("simple type %s: %w", name, err)
	case ct != nil:
		return nil, fmt.Errorf("simple type %s restricts a complex type", name)
	default:
		base = st
	}
	st := *base // facets of the base apply too
	st.name = name
	st.patterns = append([][]*regexp.Regexp(nil), base.patterns...)
	st.patternText = append([]string(nil), base.patternText...)
	facets, err := children(r)
	if err != nil {
		return nil, err
	}
	var patterns []*regexp.Regexp
	var ptext []string
	var enum []string
	for _, f := range facets {
		v, ok := f.SelectAttrValue("value", ""), f.SelectAttr("value") != nil
		if !ok {
			return nil, fmt.Errorf("simple type %s: xs:%s without a value", name, f.Tag)
		}
		if err := c.facet(&st, f.Tag, v, &patterns, &ptext, &enum); err != nil {
			return nil, fmt.Errorf("simple type %s: %w", name, err)
		}
	}
	if patterns != nil {
		st.patterns = append(st.patterns, patterns)
		st.patternText = append(st.patternText, strings.Join(ptext, " | "))
	}
	if enum != nil {
		st.enumeration = enum
	}
	return &st, nil
}

func (c *compiler) facet(st *simpleType, tag, v string, patterns *[]*regexp.Regexp, ptext, enum *[]string) error {
	isString := st.base <= bToken
	isNumber := st.base == bDecimal || st.base == bInteger
	nonNeg := func() (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("xs:%s value %q is not a non-negative integer", tag, v)
		}
		return n, nil
	}
	bound := func() (*big.Rat, error) {
		if !isNumber {
			return nil, fmt.Errorf("xs:%s on a non-numeric type is not supported", tag)
		}
		r, ok := parseDecimal(collapse(v))
		if !ok {
			return nil, fmt.Errorf("xs:%s value %q is not a decimal", tag, v)
		}
		return r, nil
	}
	var err error
	switch tag {
	case "length", "minLength", "maxLength":
		if !isString {
			return fmt.Errorf("xs:%s on a non-string type is not supported", tag)
		}
		n, err := nonNeg()
		if err != nil {
			return err
		}
		switch tag {
		case "length":
			st.length = n
		case "minLength":
			st.minLength = n
		default:
			st.maxLength = n
		}
	case "pattern":
		re, err := compilePattern(v)
		if err != nil {
			return err
		}
		*patterns = append(*patterns, re)
		*ptext = append(*ptext, v)
	case "enumeration":
		if !isString {
			return fmt.Errorf("xs:enumeration on a non-string type is not supported")
		}
		*enum = append(*enum, v)
	case "minInclusive":
		st.minIncl, err = bound()
	case "maxInclusive":
		st.maxIncl, err = bound()
	case "minExclusive":
		st.minExcl, err = bound()
	case "maxExclusive":
		st.maxExcl, err = bound()
	case "totalDigits", "fractionDigits":
		if st.base != bDecimal && st.base != bInteger {
			return fmt.Errorf("xs:%s on a non-decimal type is not supported", tag)
		}
		n, err := nonNeg()
		if err != nil {
			return err
		}
		if tag == "totalDigits" {
			if n == 0 {
				return errors.New("xs:totalDigits must be positive")
			}
			st.totalDigits = n
		} else {
			st.fractionDigs = n
		}
	case "whiteSpace":
		if want := map[builtin]string{bString: "preserve", bNormalizedString: "replace"}[st.base]; v != want && !(want == "" && v == "collapse") {
			return fmt.Errorf("xs:whiteSpace %q that changes the base type's handling is not supported", v)
		}
	default:
		return fmt.Errorf("facet xs:%s is not supported", tag)
	}
	return err
}
