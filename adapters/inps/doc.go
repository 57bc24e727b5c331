// Package inps is the gateway's adapter for INPS's ConsultazioneISEE SOAP e-service for enti
// erogatori on PDND (WSDL "ConsultazioneISEE_v2.8_PDND", service SvcConsultazione): the ISEE
// attestation (ConsultazioneAttestazione) and a single indicator (ConsultazioneIndicatore).
//
// The package is transport-free building blocks plus a thin client:
//
//   - request building: BuildConsultazioneAttestazione and BuildConsultazioneIndicatore validate the
//     input (errors name the field) and write the SOAP 1.1 envelope with the inps:Identity header;
//   - response parsing: ParseRisposta reads the envelope (any prefixes, whitespace, unknown
//     elements), a SOAP Fault, IdRichiesta, Esito, DescrizioneErrore and the base64 payload;
//   - Esito mapping: Risposta.Err turns every Esito but OK and DATI_NON_TROVATI into an *Error whose
//     class (adapters/upstream: Business, Retryable, Permanent) and UpstreamFault tell the runtime
//     whether to retry and what a circuit breaker counts (BreakerFailure);
//   - translation: TranslateAttestazione and TranslateIndicatore turn the ISO-8859-1 inner payloads
//     into package contracts' model, leniently (unknown elements and missing data are noted in
//     Provenienza.Anomalie, never a panic);
//   - selection: SelezionaISEE picks the "ISEE di prestazione" of a benefit for a beneficiary;
//   - Client: the two operations over an injected Transport (vouchers, breakers, timeouts and
//     retries belong to the caller).
//
// Everything but Client is a pure function of its arguments: no network, no clock, no globals that
// change. Every input is bounded by a named constant (MaxResponseBytes, MaxPayloadBytes, maxDepth).
// The schema's misspellings (ComponenteAgguntiva, ModalitaCalcoloISEEMinAggr,
// ModalitaCalcoloIISEESocioSanResAgg ...) are kept exactly; a test checks every name against the
// real XSDs. README.md in this folder is the upstream adapter page.
package inps
