// Package icef is the gateway's adapter for ICEF, the means test of the Provincia autonoma di
// Trento, against the PROVISIONAL contract cmd/pasim/sim/icef/openapi.yaml: no public interface
// of ICEF exists (payloads.md §3.1), so the project defined one; see README.md for what changes
// when Trentino Digitale publishes the real one.
//
// The package is pure except Client, a thin shell over an injected Transport (the gateway's
// upstream runtime adds the PDND voucher and the INTEGRITY_REST_02 headers): it builds the
// request, classifies every answer (*Error with a Reason and the adapters/upstream Class) and
// translates the indicator into contracts.IndicatoreICEF.
package icef
