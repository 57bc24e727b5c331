package siuss_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/adapters/siuss"
)

// case_ is one document of the differential test and how it was made.
type case_ struct {
	tipo siuss.Tipo
	desc string
	xml  []byte
}

// attrValues are the replacement values tried on every attribute: each breaks some rule of some
// attribute (pattern, enumeration, length, type, bounds, whitespace) and keeps others valid.
var attrValues = []string{"", "X", "0", "1", "2", "9", "10", "-1", "1.5", "+1", " 1", "01", "99999999999", "2020-02-30", "2020-12-31",
	"12/2020", "13/2020", "١٢٣", "AAABBB39M66A351C", "AAABBBLNM66A351C", "12345678901", "12345678901     ", strings.Repeat("A", 37), strings.Repeat("B", 201), "ABCDE"}

// mutations returns doc's systematic mutations: every attribute removed and set to each of
// attrValues; every element removed, duplicated, swapped with its next sibling, moved to another
// namespace, given an unknown child, text or attribute; the root in a wrong namespace.
func mutations(tipo siuss.Tipo, name string, doc []byte, values bool) []case_ {
	var out []case_
	src := etree.NewDocument()
	if err := src.ReadFromBytes(doc); err != nil {
		panic(err)
	}
	paths := map[*etree.Element]string{}
	var walk func(e *etree.Element, p string)
	var all []*etree.Element
	walk = func(e *etree.Element, p string) {
		paths[e] = p
		all = append(all, e)
		for i, k := range e.ChildElements() {
			walk(k, fmt.Sprintf("%s/%s[%d]", p, k.Tag, i))
		}
	}
	walk(src.Root(), "/"+src.Root().Tag)
	// mutate applies f to a fresh copy of the element at index i of the walk.
	mutate := func(i int, desc string, f func(e *etree.Element)) {
		d := src.Copy()
		var copies []*etree.Element
		var w func(e *etree.Element)
		w = func(e *etree.Element) {
			copies = append(copies, e)
			for _, k := range e.ChildElements() {
				w(k)
			}
		}
		w(d.Root())
		f(copies[i])
		b, err := d.WriteToBytes()
		if err != nil {
			panic(err)
		}
		out = append(out, case_{tipo, name + " " + paths[all[i]] + ": " + desc, b})
	}
	for i, e := range all {
		for _, a := range e.Attr {
			if a.Space == "" && a.Key == "xmlns" {
				continue
			}
			key := a.Key
			mutate(i, "remove @"+key, func(e *etree.Element) { e.RemoveAttr(key) })
			if values {
				for _, v := range attrValues {
					mutate(i, fmt.Sprintf("@%s=%q", key, v), func(e *etree.Element) { e.CreateAttr(key, v) })
				}
			}
		}
		mutate(i, "unknown attribute", func(e *etree.Element) { e.CreateAttr("Extra", "1") })
		mutate(i, "attribute in another namespace", func(e *etree.Element) {
			e.CreateAttr("xmlns:o", "http://example.org/other")
			e.CreateAttr("o:Extra", "1")
		})
		mutate(i, "unknown child", func(e *etree.Element) { e.CreateElement("Extra") })
		mutate(i, "text child", func(e *etree.Element) { e.CreateText("x") })
		mutate(i, "whitespace child", func(e *etree.Element) { e.CreateText(" ") })
		mutate(i, "wrong namespace", func(e *etree.Element) { e.CreateAttr("xmlns", "http://example.org/other") })
		if e.Text() != "" {
			mutate(i, "text emptied", func(e *etree.Element) { e.SetText("") })
			if values {
				for _, v := range attrValues {
					mutate(i, fmt.Sprintf("text %q", v), func(e *etree.Element) { e.SetText(v) })
				}
			}
		}
		if e.Parent() == nil || e.Parent().Parent() == nil && e.Tag == "Flusso" {
			continue
		}
		mutate(i, "removed", func(e *etree.Element) { e.Parent().RemoveChild(e) })
		mutate(i, "duplicated", func(e *etree.Element) { e.Parent().InsertChildAt(e.Index()+1, e.Copy()) })
		mutate(i, "swapped with the next sibling", func(e *etree.Element) {
			if next := e.NextSibling(); next != nil {
				p := e.Parent()
				p.RemoveChild(next)
				p.InsertChildAt(e.Index(), next)
			}
		})
		mutate(i, "duplicated 6 times", func(e *etree.Element) {
			for range 5 {
				e.Parent().InsertChildAt(e.Index()+1, e.Copy())
			}
		})
	}
	return out
}

// xmllintVerdicts validates every file with one xmllint run and returns file -> valid.
func xmllintVerdicts(t *testing.T, schema string, files []string) map[string]bool {
	t.Helper()
	args := append([]string{"--noout", "--schema", schema}, files...)
	cmd := exec.Command("xmllint", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run() // a non-zero exit only says some file is invalid
	verdicts := map[string]bool{}
	sc := bufio.NewScanner(&stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasSuffix(line, " validates"):
			verdicts[strings.TrimSuffix(line, " validates")] = true
		case strings.HasSuffix(line, " fails to validate"):
			verdicts[strings.TrimSuffix(line, " fails to validate")] = false
		case strings.HasSuffix(line, " validation generated an internal error"):
			verdicts[strings.TrimSuffix(line, " validation generated an internal error")] = false
		}
	}
	for _, f := range files {
		if _, ok := verdicts[f]; !ok {
			// Not well-formed documents get parser errors and no verdict line.
			verdicts[f] = false
		}
	}
	return verdicts
}

func needXmllint(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("WGW_SAMPLES_DIR") != "" || os.Getenv("CI") != "" {
			t.Fatal("xmllint is not on PATH (apt-get install libxml2-utils): the differential test needs it")
		}
		t.Skip("xmllint is not on PATH: the differential test against libxml2 was skipped")
	}
}

// TestDifferentialAgainstXmllint: on the PS and SINBA flows built from the whole population, on our
// SINBA fixture and on thousands of systematic mutations of them, the embedded XSD interpreter's verdict
// equals xmllint's on INPS's real XSD files. Any disagreement fails the test.
func TestDifferentialAgainstXmllint(t *testing.T) {
	needXmllint(t)
	flows := populationFlows(t)
	var cases []case_
	for i, f := range flows {
		cases = append(cases, case_{siuss.TipoPS, f.id + " as built", f.xml})
		// Value mutations on a few flows of different shapes, structural ones on more.
		if i < 12 {
			cases = append(cases, mutations(siuss.TipoPS, f.id, f.xml, i < 4)...)
		}
	}
	sinba := readTestdata(t, "sinba_full.xml")
	cases = append(cases, case_{siuss.TipoSINBA, "sinba_full.xml", sinba})
	cases = append(cases, mutations(siuss.TipoSINBA, "sinba_full.xml", sinba, true)...)
	// The SINBA flows BuildSINBA writes for the population's minors in care, and value mutations of
	// the first (its attributes are the builder's selection, not the fixture's).
	built := populationSINBAFlows(t)
	for i, f := range built {
		cases = append(cases, case_{siuss.TipoSINBA, f.id + " as built", f.xml})
		if i == 0 {
			cases = append(cases, mutations(siuss.TipoSINBA, f.id, f.xml, true)...)
		}
	}
	cases = append(cases, extraCases()...)

	dir := t.TempDir()
	byTipo := map[siuss.Tipo][]string{}
	file := map[string]case_{}
	for i, c := range cases {
		name := filepath.Join(dir, fmt.Sprintf("c%05d.xml", i))
		if err := os.WriteFile(name, c.xml, 0o600); err != nil {
			t.Fatal(err)
		}
		byTipo[c.tipo] = append(byTipo[c.tipo], name)
		file[name] = c
	}
	var valid, invalid, disagree int
	for tipo, files := range byTipo {
		schema := filepath.Join(dir, string(tipo)+".xsd")
		if err := os.WriteFile(schema, siuss.XSD(tipo), 0o600); err != nil {
			t.Fatal(err)
		}
		want := xmllintVerdicts(t, schema, files)
		for _, f := range files {
			c := file[f]
			err := siuss.ValidateXSD(tipo, c.xml)
			if (err == nil) != want[f] {
				disagree++
				if disagree <= 20 {
					t.Errorf("%s (%s): xmllint valid=%v, ours: %v", c.desc, filepath.Base(f), want[f], err)
				}
			}
			if want[f] {
				valid++
			} else {
				invalid++
			}
		}
	}
	t.Logf("%d documents: %d valid and %d invalid for xmllint; %d disagreements", len(cases), valid, invalid, disagree)
	if valid < 100 || invalid < 1000 {
		t.Fatalf("the corpus is too one-sided to prove anything: %d valid, %d invalid", valid, invalid)
	}
}

// extraCases are hand-made documents for what mutations of an element cannot express.
func extraCases() []case_ {
	ps := `<Flusso xmlns="http://inps.it/Casellario"><IdentificazioneFlusso Nome="L378.PS.20260115.0000001"><Ente Codice="L378" Indirizzo="L378" CFOperatore="00355870221"/></IdentificazioneFlusso><Beneficiario CodiceFiscale="RSSMRA80A01H501U"><Anagrafica Cognome="R" Nome="M" AnnoNascita="1980" LuogoNascita="H501" Genere="1" CodiceCittadinanza="380"/><Indirizzo CodiceNazione="380"/><PrestazioniSociali PresenzaProvaMezzi="4" CodicePrestazione="A1.01" DenominazionePrestazione="Prestazione di prova" ProtocolloDomanda="P1" PresaCarico="2"/></Beneficiario></Flusso>`
	var out []case_
	add := func(desc, doc string) { out = append(out, case_{siuss.TipoPS, "extra: " + desc, []byte(doc)}) }
	add("minimal valid", ps)
	add("prefixed namespace", strings.ReplaceAll(strings.ReplaceAll(ps, "<", "<c:"), "<c:/", "</c:")+"")
	add("prefixed namespace declared", strings.Replace(strings.ReplaceAll(strings.ReplaceAll(ps, "<", "<c:"), "<c:/", "</c:"), `xmlns="`, `xmlns:c="`, 1))
	add("no namespace", strings.Replace(ps, ` xmlns="http://inps.it/Casellario"`, "", 1))
	add("xsi:schemaLocation", strings.Replace(ps, `xmlns="http://inps.it/Casellario"`, `xmlns="http://inps.it/Casellario" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://inps.it/Casellario"`, 1))
	add("comment and PI inside", strings.Replace(ps, "<Beneficiario", "<!-- c --><?pi x?><Beneficiario", 1))
	add("CDATA whitespace in element content", strings.Replace(ps, "<Beneficiario", "<![CDATA[ ]]><Beneficiario", 1))
	add("duplicate attribute", strings.Replace(ps, `Genere="1"`, `Genere="1" Genere="1"`, 1))
	add("unclosed", strings.TrimSuffix(ps, "</Flusso>"))
	add("two roots", ps+ps)
	add("text after root", ps+"x")
	add("undeclared prefix", strings.Replace(ps, "<Beneficiario", "<q:Beneficiario", 1))
	add("empty document", "")
	add("other root", `<Beneficiario xmlns="http://inps.it/Casellario"/>`)
	add("attribute with entity", strings.Replace(ps, `Cognome="R"`, `Cognome="R&amp;S"`, 1))
	add("unknown entity", strings.Replace(ps, `Cognome="R"`, `Cognome="R&foo;"`, 1))
	add("tab in attribute", strings.Replace(ps, `AnnoNascita="1980"`, "AnnoNascita=\"19\t80\"", 1))
	add("newline around year", strings.Replace(ps, `AnnoNascita="1980"`, "AnnoNascita=\"\n1980\"", 1))
	add("decimal with spaces", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" ImportoMensile=" 10.5 "`, 1))
	add("decimal 1.", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" ImportoMensile="1."`, 1))
	add("decimal .5", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" ImportoMensile=".5"`, 1))
	add("decimal .", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" ImportoMensile="."`, 1))
	add("decimal exponent", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" ImportoMensile="1e3"`, 1))
	add("date with zone", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" DataEvento="2024-02-29+01:00"`, 1))
	add("date 2023-02-29", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" DataEvento="2023-02-29"`, 1))
	add("date zone 15h", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" DataEvento="2024-02-28+15:00"`, 1))
	add("date year 0000", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" DataEvento="0000-01-01"`, 1))
	add("date negative year", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" DataEvento="-2024-01-01"`, 1))
	add("int with plus", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" PeriodoErogazione="+12"`, 1))
	add("int 13", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" PeriodoErogazione="13"`, 1))
	add("int 2^40", strings.Replace(ps, `PresaCarico="2"`, `PresaCarico="2" PeriodoErogazione="1099511627776"`, 1))
	add("CF with Arabic digits", strings.Replace(ps, `RSSMRA80A01H501U`, `RSSMRA٨٠A01H501U`, 1))
	add("CF lower case", strings.Replace(ps, `RSSMRA80A01H501U`, `rssmra80a01h501u`, 1))
	add("CF 11 digits and 5 spaces", strings.Replace(ps, `RSSMRA80A01H501U`, `12345678901     `, 1))
	add("CF 11 digits and 6 spaces", strings.Replace(ps, `RSSMRA80A01H501U`, `12345678901      `, 1))
	add("Nome 36 characters with accents", strings.Replace(ps, `Nome="M"`, `Nome="`+strings.Repeat("è", 36)+`"`, 1))
	add("Nome 37 characters with accents", strings.Replace(ps, `Nome="M"`, `Nome="`+strings.Repeat("è", 37)+`"`, 1))
	add("five Indirizzo", strings.Replace(ps, `<Indirizzo CodiceNazione="380"/>`, strings.Repeat(`<Indirizzo CodiceNazione="380"/>`, 5), 1))
	add("six Indirizzo", strings.Replace(ps, `<Indirizzo CodiceNazione="380"/>`, strings.Repeat(`<Indirizzo CodiceNazione="380"/>`, 6), 1))
	add("Ente with whitespace", strings.Replace(ps, `CFOperatore="00355870221"/>`, `CFOperatore="00355870221"> </Ente>`, 1))
	add("Ente with comment", strings.Replace(ps, `CFOperatore="00355870221"/>`, `CFOperatore="00355870221"><!-- x --></Ente>`, 1))
	add("PrestazioniSociali with whitespace", strings.Replace(ps, `PresaCarico="2"/>`, `PresaCarico="2"> </PrestazioniSociali>`, 1))
	add("XML declaration UTF-8", `<?xml version="1.0" encoding="UTF-8"?>`+ps)
	return out
}
