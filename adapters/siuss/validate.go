package siuss

import (
	_ "embed"
	"errors"
	"strings"

	"github.com/welfaregov/gateway/adapters/siuss/xsd"
)

// The real schemas, published by INPS in INPS-it/WaaS.Comuni under the MIT licence (see
// schema/README.md), interpreted at run time: the rules come from INPS's files, not from a copy.
var (
	//go:embed schema/PS_PSA_SINA201812.xsd
	xsdPS []byte
	//go:embed schema/SINBA.xsd
	xsdSINBA []byte
	//go:embed schema/api-comuni.yaml
	openAPI []byte

	schemaPS    = xsd.MustCompile(xsdPS)
	schemaSINBA = xsd.MustCompile(xsdSINBA)
)

// XSD returns the embedded schema of a flow type (the bytes INPS published).
func XSD(t Tipo) []byte {
	if t == TipoSINBA {
		return append([]byte(nil), xsdSINBA...)
	}
	return append([]byte(nil), xsdPS...)
}

// OpenAPI returns the embedded WaaS OpenAPI document (api-comuni.yaml v2.0.1).
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

// Problem is one reason a flow is refused: where (an element path with 1-based positions and
// @attribute, or a model JSON Pointer for build problems), which rule, and a detail that never
// repeats personal data.
type Problem = xsd.Problem

// InvalidFlowError lists why a flow must not be published: schema violations (rule names from the
// XSD: required, pattern, enumeration, maxLength ...) and violations of the specification's rules
// (rule names "siuss.*", listed in README.md).
type InvalidFlowError struct {
	Tipo     Tipo
	Problems []Problem
}

// ErrInvalidFlow matches every *InvalidFlowError with errors.Is.
var ErrInvalidFlow = errors.New("siuss: invalid flow")

func (e *InvalidFlowError) Error() string {
	return "siuss: invalid " + string(e.Tipo) + " flow: " + joinProblems(e.Problems)
}

// Is lets errors.Is(err, ErrInvalidFlow) match.
func (e *InvalidFlowError) Is(target error) bool { return target == ErrInvalidFlow }

func joinProblems(ps []Problem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// ValidateXSD checks a flow against the real XSD of its type only.
func ValidateXSD(t Tipo, flow []byte) error {
	s := schemaPS
	if t == TipoSINBA {
		s = schemaSINBA
	}
	return s.Validate(flow)
}

// Validate decides whether a flow may be published: it must be valid against its XSD and follow
// the specification's rules (one beneficiary and one prestazione, the @Nome scheme, dates and
// amounts by CaratterePrestazione, the quota sum, the DSU triple, AreaUtenza with PresaCarico,
// region and comune in Italy, codice fiscale ...). idFlusso is the id it will be published under,
// which @Nome must equal; codiceEnte is the codice_ente of the entry, which Ente@Codice must equal.
// It returns nil or an *InvalidFlowError with every problem found. The rules run only on a
// schema-valid document, so their problems are never a consequence of a schema problem.
func Validate(t Tipo, idFlusso, codiceEnte string, flow []byte) error {
	if !t.Valid() {
		return &InvalidFlowError{Tipo: t, Problems: []Problem{{Path: "/", Rule: "siuss.tipo", Detail: "the flow type must be PS_PSA_SINA or SINBA"}}}
	}
	if err := ValidateXSD(t, flow); err != nil {
		var xe *xsd.Error
		if errors.As(err, &xe) {
			return &InvalidFlowError{Tipo: t, Problems: append(xe.Problems, omocodiaProblems(flow, xe.Problems)...)}
		}
		return err
	}
	if ps := checkRules(t, idFlusso, codiceEnte, flow); len(ps) > 0 {
		return &InvalidFlowError{Tipo: t, Problems: ps}
	}
	return nil
}
