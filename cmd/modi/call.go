package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// maxAnswer bounds the answer body printed.
const maxAnswer = 16 << 20

func runCall(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("call", "--url URL [--method M] [--body FILE] --token-url URL --client-id ID --purpose-id ID --key FILE [--kid KID] [--audience AUD] [--integrity] [--audit k=v,...] [--dpop-key FILE] [--cacert FILE] [--header 'Name: value'...]", stderr)
	c := addClientFlags(fs, true)
	target := fs.String("url", "", "the e-service operation URL")
	method := fs.String("method", "", "HTTP method (default POST with --body, GET without)")
	body := fs.String("body", "", "file with the request body, or - for stdin")
	audience := fs.String("audience", "", "the e-service audience of its PDND descriptor (default --url without query)")
	integrity := fs.Bool("integrity", false, "INTEGRITY_REST_02: send Digest and Agid-JWT-Signature signed with --key")
	audit := fs.String("audit", "", "AUDIT_REST_02: agreed audit claims userID=...,userLocation=...,LoA=... of a tracking evidence bound to the voucher")
	dpopKey := fs.String("dpop-key", "", "PEM private key (RSA or EC P-256): a DPoP-bound voucher and a DPoP proof")
	caCert := fs.String("cacert", "", "PEM file of the certificate authorities to trust for --url (the gateway demo's .run/dev-pki/root.pem); default: the system's")
	var headers headerList
	fs.Var(&headers, "header", "an extra request header 'Name: value' (repeatable), e.g. 'Content-Type: application/json'")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "url", "token-url", "client-id", "purpose-id", "key"); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || !u.IsAbs() {
		return usagef("--url %q is not an absolute URL", *target)
	}
	claims, err := parseKV(*audit)
	if err != nil {
		return usagef("--audit: %v", err)
	}
	client, err := c.client(stderr)
	if err != nil {
		return err
	}
	if *dpopKey != "" {
		if client.DPoP, err = loadSigner(*dpopKey, "", stderr); err != nil {
			return err
		}
	}
	var b []byte
	if *body != "" {
		if b, err = readInput(*body, stdin); err != nil {
			return fmt.Errorf("--body: %w", err)
		}
	}
	m := strings.ToUpper(*method)
	if m == "" {
		m = http.MethodGet
		if *body != "" {
			m = http.MethodPost
		}
	}
	aud := *audience
	if aud == "" {
		aud = u.Scheme + "://" + u.Host + u.EscapedPath()
	}
	h := http.Header{}
	for _, line := range headers {
		name, value, _ := strings.Cut(line, ":")
		h.Add(name, strings.TrimSpace(value))
	}
	if len(b) > 0 && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	cache := pdnd.NewVoucherCache(client, pdnd.WithEvidenceSigner(&modi.AuditSigner{Signer: client.Signer, ClientID: client.ClientID}))
	out := &modi.Outbound{Vouchers: cache, Client: client, Integrity: &modi.MessageSigner{Signer: client.Signer, Issuer: client.ClientID}, Now: client.Now}
	call := &modi.Call{Method: m, URL: *target, Header: h, Body: b, PurposeID: *c.purposeID, Audience: aud, Integrity: *integrity, DPoP: *dpopKey != ""}
	if *audit != "" {
		call.Audit = &pdnd.AuditRequest{Claims: claims, Bind: true}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *c.timeout)
	defer cancel()
	if _, err := out.Prepare(ctx, call); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, m, *target, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header = call.Header
	hc := client.HTTP
	if *caCert != "" {
		if hc, err = trusting(*caCert, hc.Timeout); err != nil {
			return err
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	fmt.Fprintf(stdout, "%s %s\n", resp.Proto, resp.Status)
	printHeaders(stdout, resp.Header)
	fmt.Fprintf(stdout, "\n%s", answer)
	if len(answer) > 0 && !bytes.HasSuffix(answer, []byte("\n")) {
		fmt.Fprintln(stdout)
	}
	if resp.StatusCode >= 400 {
		return errFailed
	}
	return nil
}

// trusting returns an HTTP client that trusts only the authorities in the PEM file (the e-service's
// server certificate; the voucher still comes from the token endpoint with the default client).
func trusting(file string, timeout time.Duration) (*http.Client, error) {
	pemData, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--cacert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, usagef("--cacert %s holds no PEM certificate", file)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Timeout: timeout, Transport: tr}, nil
}
