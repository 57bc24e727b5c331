package xsd_test

import (
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/siuss/xsd"
)

// schema wraps body in an xs:schema with the target namespace of INPS's files.
func schema(body string) string {
	return `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">` + body + `</xs:schema>`
}

// TestCompileErrors: every construct the interpreter does not implement (or a malformed schema)
// makes Compile fail naming it, so an unsupported schema is never half-checked; the constructs INPS
// uses compile.
func TestCompileErrors(t *testing.T) {
	for name, c := range map[string]struct {
		xsd  string
		want string // "" means it compiles
	}{
		"ok/element-with-attributes": {schema(`<xs:element name="R"><xs:complexType><xs:sequence><xs:element name="C" type="xs:string" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:attribute name="a" type="T" use="required"/></xs:complexType></xs:element><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:pattern value="[A-Z]\d{3}"/><xs:maxLength value="4"/></xs:restriction></xs:simpleType>`), ""},
		"ok/choice-and-decimal":      {schema(`<xs:element name="R"><xs:complexType><xs:choice><xs:element name="A" type="D"/><xs:element name="B" type="xs:date"/></xs:choice></xs:complexType></xs:element><xs:simpleType name="D"><xs:restriction base="xs:decimal"><xs:totalDigits value="9"/><xs:fractionDigits value="2"/><xs:minExclusive value="0"/></xs:restriction></xs:simpleType>`), ""},
		"fail/not-xml":               {`<xs:schema`, "parsing the schema"},
		"fail/not-a-schema":          {`<schema/>`, "not an xs:schema"},
		"fail/unqualified-elements":  {strings.Replace(schema(`<xs:element name="R" type="xs:string"/>`), `elementFormDefault="qualified"`, "", 1), "elementFormDefault"},
		"fail/qualified-attributes":  {strings.Replace(schema(`<xs:element name="R" type="xs:string"/>`), `elementFormDefault="qualified"`, `elementFormDefault="qualified" attributeFormDefault="qualified"`, 1), "attributeFormDefault"},
		"fail/no-global-element":     {schema(`<xs:simpleType name="T"><xs:restriction base="xs:string"/></xs:simpleType>`), "no global element"},
		"fail/import":                {schema(`<xs:import namespace="urn:o"/><xs:element name="R" type="xs:string"/>`), "top-level xs:import"},
		"fail/element-ref":           {schema(`<xs:element name="R"><xs:complexType><xs:sequence><xs:element ref="X"/></xs:sequence></xs:complexType></xs:element>`), "attribute ref on xs:element"},
		"fail/any-type":              {schema(`<xs:element name="R"/>`), "without a type"},
		"fail/type-and-inline":       {schema(`<xs:element name="R" type="xs:string"><xs:simpleType><xs:restriction base="xs:string"/></xs:simpleType></xs:element>`), "both a type attribute and an inline type"},
		"fail/undeclared-type":       {schema(`<xs:element name="R" type="Nope"/>`), "not declared"},
		"fail/unknown-prefix":        {schema(`<xs:element name="R" type="p:T"/>`), `prefix "p"`},
		"fail/foreign-type":          {strings.Replace(schema(`<xs:element name="R" type="o:T"/>`), `xmlns="urn:t"`, `xmlns="urn:t" xmlns:o="urn:o"`, 1), "imports are not supported"},
		"fail/unsupported-builtin":   {schema(`<xs:element name="R" type="xs:duration"/>`), "builtin type xs:duration"},
		"fail/recursive-type":        {schema(`<xs:element name="R" type="T"/><xs:complexType name="T"><xs:sequence><xs:element name="C" type="T" minOccurs="0"/></xs:sequence></xs:complexType>`), "recursive type T"},
		"fail/bad-min-occurs":        {schema(`<xs:element name="R"><xs:complexType><xs:sequence><xs:element name="C" type="xs:string" minOccurs="-1"/></xs:sequence></xs:complexType></xs:element>`), "minOccurs"},
		"fail/max-below-min":         {schema(`<xs:element name="R"><xs:complexType><xs:sequence><xs:element name="C" type="xs:string" minOccurs="3" maxOccurs="2"/></xs:sequence></xs:complexType></xs:element>`), "maxOccurs 2 < minOccurs 3"},
		"fail/all-group":             {schema(`<xs:element name="R"><xs:complexType><xs:all><xs:element name="C" type="xs:string"/></xs:all></xs:complexType></xs:element>`), "xs:all in a complex type"},
		"fail/empty-sequence":        {schema(`<xs:element name="R"><xs:complexType><xs:sequence/></xs:complexType></xs:element>`), "empty xs:sequence"},
		"fail/any-in-group":          {schema(`<xs:element name="R"><xs:complexType><xs:sequence><xs:any/></xs:sequence></xs:complexType></xs:element>`), "xs:any in a model group"},
		"fail/attribute-twice":       {schema(`<xs:element name="R"><xs:complexType><xs:attribute name="a" type="xs:string"/><xs:attribute name="a" type="xs:string"/></xs:complexType></xs:element>`), "declared twice"},
		"fail/attribute-ref":         {schema(`<xs:element name="R"><xs:complexType><xs:attribute ref="a"/></xs:complexType></xs:element>`), "attribute ref on xs:attribute"},
		"fail/attribute-prohibited":  {schema(`<xs:element name="R"><xs:complexType><xs:attribute name="a" type="xs:string" use="prohibited"/></xs:complexType></xs:element>`), `use="prohibited"`},
		"fail/attribute-no-type":     {schema(`<xs:element name="R"><xs:complexType><xs:attribute name="a"/></xs:complexType></xs:element>`), "exactly one of a type attribute"},
		"fail/list-type":             {schema(`<xs:element name="R" type="L"/><xs:simpleType name="L"><xs:list itemType="xs:string"/></xs:simpleType>`), "only xs:restriction"},
		"fail/facet-without-value":   {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:maxLength/></xs:restriction></xs:simpleType>`), "without a value"},
		"fail/negative-length":       {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:maxLength value="-2"/></xs:restriction></xs:simpleType>`), "not a non-negative integer"},
		"fail/length-on-decimal":     {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:decimal"><xs:maxLength value="2"/></xs:restriction></xs:simpleType>`), "non-string type"},
		"fail/bound-on-string":       {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:minInclusive value="1"/></xs:restriction></xs:simpleType>`), "non-numeric type"},
		"fail/bound-not-decimal":     {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:decimal"><xs:minInclusive value="one"/></xs:restriction></xs:simpleType>`), "is not a decimal"},
		"fail/zero-total-digits":     {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:decimal"><xs:totalDigits value="0"/></xs:restriction></xs:simpleType>`), "totalDigits must be positive"},
		"fail/unknown-facet":         {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:assertion value="x"/></xs:restriction></xs:simpleType>`), "xs:assertion"},
		"fail/pattern-backslash":     {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:pattern value="a\"/></xs:restriction></xs:simpleType>`), "ends with a backslash"},
		"fail/pattern-subtraction":   {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:pattern value="[a-z-[aeiou]]"/></xs:restriction></xs:simpleType>`), "class subtraction"},
		"fail/pattern-unterminated":  {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:pattern value="[a-z"/></xs:restriction></xs:simpleType>`), "unterminated class"},
		"fail/pattern-escape":        {schema(`<xs:element name="R" type="T"/><xs:simpleType name="T"><xs:restriction base="xs:string"><xs:pattern value="\i"/></xs:restriction></xs:simpleType>`), `escape \i`},
		"fail/foreign-element":       {schema(`<xs:element name="R" type="xs:string"/><o:x xmlns:o="urn:o"/>`), "outside the XML Schema namespace"},
		"fail/unknown-attribute":     {schema(`<xs:element name="R" type="xs:string" nillable="true"/>`), "attribute nillable on xs:element"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := xsd.Compile([]byte(c.xsd))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}
