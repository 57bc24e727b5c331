// Package inpsxsd validates XML against INPS's real ConsultazioneISEE schemas with xmllint, for the
// tests of adapters/inps and of the pasim INPS simulator. The schemas' licence is unclear, so they
// are never committed: they are read from $WGW_SAMPLES_DIR/inps (the shared samples folder).
// Without WGW_SAMPLES_DIR the tests that need them skip with a message; with it, a missing file or
// a missing xmllint fails them.
//
// Documents are validated in batches (one xmllint process per schema and per few hundred files), so
// that checking every answer of the simulator for a whole population stays fast.
package inpsxsd

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Schema names a schema documents are validated against.
type Schema string

const (
	// Envelope is a minimal SOAP 1.1 envelope schema of our own (the W3C note's schema is not in the
	// samples) whose Header and Body children are validated strictly against the real
	// ConsultazioneISEE_v2.8_PDND.xsd (requests and responses) and ConsultazioneISEE_IdentityHeader.xsd
	// (inps:Identity); it also declares the SOAP 1.1 Fault.
	Envelope Schema = "envelope"
	// Attestazione is ISEE_EsitoConsultazioneAttestazione.xsd (which includes ISEE_Attestazione.xsd
	// v1.4 and ISEE_TipiComuni.xsd): the decoded XmlEsitoAttestazione.
	Attestazione Schema = "isee-riforma/ISEE_EsitoConsultazioneAttestazione.xsd"
	// Indicatore is ISEE_EsitoConsultazioneIndicatore.xsd: the decoded XmlEsitoIndicatore.
	Indicatore Schema = "isee-riforma/ISEE_EsitoConsultazioneIndicatore.xsd"
)

// Files the validator needs from the samples folder.
var required = []string{
	"pdnd-consultazione-isee/ConsultazioneISEE_v2.8_PDND.xsd",
	"pdnd-consultazione-isee/ConsultazioneISEE_IdentityHeader.xsd",
	"pdnd-consultazione-isee/ConsultazioneISEE_v2.8_PDND.wsdl",
	"isee-riforma/ISEE_EsitoConsultazioneAttestazione.xsd",
	"isee-riforma/ISEE_EsitoConsultazioneIndicatore.xsd",
	"isee-riforma/ISEE_Attestazione.xsd",
	"isee-riforma/ISEE_TipiComuni.xsd",
}

// Dir returns $WGW_SAMPLES_DIR/inps after checking that every schema is there. It skips the test
// when the variable is unset and fails it when a file is missing.
func Dir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("WGW_SAMPLES_DIR")
	if root == "" {
		t.Skip("WGW_SAMPLES_DIR is not set: skipping the check against INPS's real schemas and samples")
	}
	dir := filepath.Join(root, "inps")
	for _, f := range required {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("WGW_SAMPLES_DIR is set but INPS's %s is missing: %v", f, err)
		}
	}
	return dir
}

// Validator validates batches of documents. Create one per test with New.
type Validator struct {
	t       testing.TB
	dir     string // samples
	work    string // temporary files
	xmllint string
}

// New returns a validator, skipping or failing the test as Dir does, and failing it when xmllint is
// not installed.
func New(t testing.TB) *Validator {
	t.Helper()
	dir := Dir(t)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("WGW_SAMPLES_DIR is set but xmllint is not installed: %v", err)
	}
	return &Validator{t: t, dir: dir, work: t.TempDir(), xmllint: xmllint}
}

// SampleDir is the samples folder (…/inps) the validator reads.
func (v *Validator) SampleDir() string { return v.dir }

func (v *Validator) schemaPath(s Schema) string {
	if s != Envelope {
		return filepath.Join(v.dir, string(s))
	}
	path := filepath.Join(v.work, "soap11-envelope.xsd")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	xsd := fmt.Sprintf(envelopeXSD,
		filepath.Join(v.dir, "pdnd-consultazione-isee", "ConsultazioneISEE_v2.8_PDND.xsd"),
		filepath.Join(v.dir, "pdnd-consultazione-isee", "ConsultazioneISEE_IdentityHeader.xsd"))
	if err := os.WriteFile(path, []byte(xsd), 0o600); err != nil {
		v.t.Fatal(err)
	}
	return path
}

// batch bounds the files given to one xmllint process (the command line stays far below ARG_MAX).
const batch = 400

// Validate checks every document of docs (name → bytes) against schema and returns the failures:
// name → xmllint's messages. Names must be usable as file names.
func (v *Validator) Validate(schema Schema, docs map[string][]byte) map[string]string {
	v.t.Helper()
	schemaFile := v.schemaPath(schema)
	dir, err := os.MkdirTemp(v.work, "docs")
	if err != nil {
		v.t.Fatal(err)
	}
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	byPath := map[string]string{}
	var paths []string
	for i, n := range names {
		p := filepath.Join(dir, fmt.Sprintf("%05d.xml", i))
		if err := os.WriteFile(p, docs[n], 0o600); err != nil {
			v.t.Fatal(err)
		}
		byPath[p] = n
		paths = append(paths, p)
	}
	failures := map[string]string{}
	for start := 0; start < len(paths); start += batch {
		chunk := paths[start:min(start+batch, len(paths))]
		cmd := exec.Command(v.xmllint, append([]string{"--noout", "--nonet", "--schema", schemaFile}, chunk...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		ok := map[string]bool{}
		msgs := map[string][]string{}
		for _, line := range strings.Split(out.String(), "\n") {
			switch {
			case strings.HasSuffix(line, " validates"):
				ok[strings.TrimSuffix(line, " validates")] = true
			case line == "":
			default:
				file, _, _ := strings.Cut(line, ":")
				file = strings.TrimSuffix(file, " fails to validate")
				msgs[file] = append(msgs[file], line)
			}
		}
		if err != nil && len(msgs) == 0 {
			v.t.Fatalf("xmllint failed on %s: %v\n%s", schema, err, out.String())
		}
		for _, p := range chunk {
			if !ok[p] {
				failures[byPath[p]] = strings.Join(msgs[p], "\n")
			}
		}
	}
	return failures
}

// MustValidate fails the test for every document of docs that does not validate against schema.
func (v *Validator) MustValidate(schema Schema, docs map[string][]byte) {
	v.t.Helper()
	failures := v.Validate(schema, docs)
	names := make([]string, 0, len(failures))
	for n := range failures {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		if i == 10 {
			v.t.Errorf("... and %d more documents fail %s", len(names)-10, schema)
			break
		}
		v.t.Errorf("%s does not validate against %s:\n%s", n, schema, failures[n])
	}
}

// envelopeXSD is our minimal SOAP 1.1 envelope schema (Envelope, Header, Body, Fault as in SOAP 1.1
// §4), importing the real schemas for the content: processContents="strict" makes xmllint validate
// each Header and Body child against its global declaration.
const envelopeXSD = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
    targetNamespace="http://schemas.xmlsoap.org/soap/envelope/" elementFormDefault="qualified">
  <xs:import namespace="http://inps.it/ConsultazioneISEE" schemaLocation="%s"/>
  <xs:import namespace="http://inps.it/" schemaLocation="%s"/>
  <xs:element name="Envelope">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Header" minOccurs="0">
          <xs:complexType>
            <xs:sequence><xs:any namespace="##other" processContents="strict" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="Body">
          <xs:complexType>
            <xs:sequence><xs:any namespace="##any" processContents="strict"/></xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:element name="Fault">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="faultcode" type="xs:QName" form="unqualified"/>
        <xs:element name="faultstring" type="xs:string" form="unqualified"/>
        <xs:element name="faultactor" type="xs:anyURI" minOccurs="0" form="unqualified"/>
        <xs:element name="detail" minOccurs="0" form="unqualified">
          <xs:complexType mixed="true">
            <xs:sequence><xs:any namespace="##any" minOccurs="0" maxOccurs="unbounded" processContents="lax"/></xs:sequence>
            <xs:anyAttribute namespace="##any" processContents="lax"/>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
`
