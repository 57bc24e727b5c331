package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/welfaregov/gateway/gateway/modi"
)

func runSign(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("sign", "--method M --url URL [--body FILE] --key FILE [--kid KID] --aud AUD [--client-id ID] [--audit k=v,... --purpose-id ID]", stderr)
	method := fs.String("method", "", "HTTP method of the request (POST, GET ...)")
	target := fs.String("url", "", "URL the request is sent to (checked to be absolute; DPoP and request_url audiences use it)")
	body := fs.String("body", "", "file with the exact body bytes to send, or - for stdin (none: an empty body)")
	key := fs.String("key", "", "PEM private key of a key uploaded to your PDND client")
	kid := fs.String("kid", "", "kid of the key on PDND (default: the key's RFC 7638 thumbprint)")
	aud := fs.String("aud", "", "the e-service audience, as published on its PDND descriptor")
	clientID := fs.String("client-id", "", "your PDND client_id: iss and sub of the Agid-JWT-Signature (and iss of the tracking evidence)")
	purposeID := fs.String("purpose-id", "", "purposeId of the tracking evidence (required with --audit)")
	audit := fs.String("audit", "", "AUDIT_REST_01/02: agreed audit claims userID=...,userLocation=...,LoA=... of an Agid-JWT-TrackingEvidence")
	contentType := fs.String("content-type", "", "Content-Type to send and sign (default application/json when there is a body)")
	now := fs.String("now", "", "sign as of this RFC 3339 time instead of the clock (to reproduce clock-skew problems)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "method", "url", "key", "aud"); err != nil {
		return err
	}
	if m := strings.ToUpper(*method); m != *method || strings.ContainsAny(m, " /:") {
		return usagef("--method %q is not an HTTP method (POST, GET ...)", *method)
	}
	if u, err := url.Parse(*target); err != nil || !u.IsAbs() {
		return usagef("--url %q is not an absolute URL", *target)
	}
	if *audit != "" && *purposeID == "" {
		return usagef("--audit needs --purpose-id (the tracking evidence carries it)")
	}
	claims, err := parseKV(*audit)
	if err != nil {
		return usagef("--audit: %v", err)
	}
	clock, err := (&clientFlags{now: now}).clock()
	if err != nil {
		return err
	}
	signer, err := loadSigner(*key, *kid, stderr)
	if err != nil {
		return err
	}
	var b []byte
	if *body != "" {
		if b, err = readInput(*body, stdin); err != nil {
			return fmt.Errorf("--body: %w", err)
		}
	}
	h := http.Header{}
	if ct := *contentType; ct != "" {
		h.Set("Content-Type", ct)
	} else if len(b) > 0 {
		h.Set("Content-Type", "application/json")
	}
	ms := &modi.MessageSigner{Signer: signer, Issuer: *clientID}
	if err := ms.SignRequest(h, b, *aud, clock()); err != nil {
		return err
	}
	if *audit != "" {
		ev, _, err := (&modi.AuditSigner{Signer: signer, ClientID: *clientID}).SignEvidence(*purposeID, *aud, claims, clock())
		if err != nil {
			return err
		}
		h.Set(modi.TrackingEvidenceHeader, ev)
	}
	printHeaders(stdout, h)
	return nil
}

// spelled are the ModI header names as the guidelines write them (http.Header canonicalises
// them to Agid-Jwt-Signature; names are case-insensitive, but people grep for these).
var spelled = map[string]string{
	"Agid-Jwt-Signature":        modi.SignatureHeader,
	"Agid-Jwt-Trackingevidence": modi.TrackingEvidenceHeader,
}

// printHeaders prints one "Name: value" line per header, in a stable order.
func printHeaders(w io.Writer, h http.Header) {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		display := n
		if s, ok := spelled[n]; ok {
			display = s
		}
		for _, v := range h[n] {
			fmt.Fprintf(w, "%s: %s\n", display, v)
		}
	}
}
