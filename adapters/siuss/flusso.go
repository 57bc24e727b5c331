// Package siuss turns WelfareGOV's model into the SIUSS flows INPS pulls from the Comune ("Welfare as
// a Service", siuss-waas.md): PS_PSA_SINA XML for a prestazione sociale, SINBA XML for a minor in
// care, one beneficiary and one prestazione per flow (cooperation mode). It validates a flow before
// anyone publishes it: against INPS's real XSDs (embedded, interpreted by package xsd) and against
// the rules of the SIUSS technical specification the XSDs do not express (rules.go).
//
// Everything here is pure: no network, no clock (the caller passes the date and sequence of the
// flow id), no globals but the compiled schemas. Errors name the element or attribute and the rule,
// never the personal data.
package siuss

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/welfaregov/gateway/contracts"
)

// Tipo is the flow type of the WaaS API (TipoFlusso).
type Tipo string

const (
	TipoPS    Tipo = "PS_PSA_SINA"
	TipoSINBA Tipo = "SINBA"
)

// Valid reports whether t is one of the two flow types.
func (t Tipo) Valid() bool { return t == TipoPS || t == TipoSINBA }

// code is the TIPO part of an id_flusso: PS for every PS_PSA_SINA flow, SINBA for SINBA.
func (t Tipo) code() string {
	if t == TipoSINBA {
		return "SINBA"
	}
	return "PS"
}

// Ente is the administration a flow comes from: IdentificazioneFlusso/Ente, and the codice_ente
// and denominazione_ente of the WaaS JSON.
type Ente struct {
	// Codice is the ente's Belfiore code (H501): Ente@Codice, codice_ente, the id_flusso prefix.
	Codice string
	// Denominazione is the ente's name (1-100 characters in the XML, 256 in the JSON).
	Denominazione string
	// Indirizzo is the Belfiore code of the comune of the ente's legal seat (Ente@Indirizzo).
	Indirizzo string
	// CFOperatore is the codice fiscale of the operator responsible for the flow: a personal code or
	// the ente's 11-digit one (whether INPS wants a user enabled on SIUSS is an open question).
	CFOperatore string
}

// Check reports the first problem of an Ente configuration, naming the field.
func (e Ente) Check() error {
	switch {
	case contracts.ValidateCodiceBelfiore(e.Codice) != nil:
		return fmt.Errorf("siuss: ente codice must be a Belfiore code (a letter and 3 digits)")
	case contracts.ValidateCodiceBelfiore(e.Indirizzo) != nil:
		return fmt.Errorf("siuss: ente indirizzo must be the Belfiore code of the legal seat")
	case len([]rune(e.Denominazione)) > 100:
		return fmt.Errorf("siuss: ente denominazione has more than 100 characters")
	case e.CFOperatore == "":
		return fmt.Errorf("siuss: ente cf_operatore is required")
	}
	if err := contracts.ValidateCodiceFiscale(e.CFOperatore); err != nil {
		return fmt.Errorf("siuss: ente cf_operatore: %w", err)
	}
	return nil
}

// idPattern is the id_flusso (and IdentificazioneFlusso@Nome) of our flows: a Belfiore code, the
// type, the creation date and a 7-digit daily sequence (siuss-waas.md §4.11). It also satisfies
// the stricter pattern OAS 1.0.4 enforced.
var idPattern = regexp.MustCompile(`^([A-Z][0-9]{3})\.(PS|SINBA)\.([0-9]{8})\.([0-9]{7})$`)

// MaxSequenza is the largest daily sequence an id_flusso can carry.
const MaxSequenza = 9_999_999

// IDFlusso builds "{Belfiore}.{PS|SINBA}.{YYYYMMDD}.{NNNNNNN}" for the flow number seq (1-based)
// of day (its calendar date is taken as is: pass the publication time in Europe/Rome).
func IDFlusso(ente string, tipo Tipo, day time.Time, seq int64) (string, error) {
	if contracts.ValidateCodiceBelfiore(ente) != nil {
		return "", fmt.Errorf("siuss: id_flusso: ente code is not a Belfiore code")
	}
	if !tipo.Valid() {
		return "", fmt.Errorf("siuss: id_flusso: unknown tipo %q", tipo)
	}
	if seq < 1 || seq > MaxSequenza {
		return "", fmt.Errorf("siuss: id_flusso: daily sequence %d outside 1..%d", seq, MaxSequenza)
	}
	return fmt.Sprintf("%s.%s.%s.%07d", ente, tipo.code(), day.Format("20060102"), seq), nil
}

// ParsedID is an id_flusso split into its parts.
type ParsedID struct {
	Ente      string
	Tipo      Tipo
	Data      contracts.Data
	Sequenza  int64
	Canonical string
}

// ParseIDFlusso splits an id_flusso of the form IDFlusso builds, checking the date.
func ParseIDFlusso(id string) (ParsedID, error) {
	m := idPattern.FindStringSubmatch(id)
	if m == nil {
		return ParsedID{}, fmt.Errorf("siuss: id_flusso does not match %s", idPattern)
	}
	d, err := time.Parse("20060102", m[3])
	if err != nil {
		return ParsedID{}, fmt.Errorf("siuss: id_flusso date %s is not a calendar date", m[3])
	}
	seq, _ := strconv.ParseInt(m[4], 10, 64)
	if seq < 1 {
		return ParsedID{}, fmt.Errorf("siuss: id_flusso sequence must start at 1")
	}
	tipo := TipoPS
	if m[2] == "SINBA" {
		tipo = TipoSINBA
	}
	return ParsedID{Ente: m[1], Tipo: tipo, Data: contracts.DataOf(d), Sequenza: seq, Canonical: id}, nil
}
