package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// clientFlags are the flags of a PDND client: its id, key and the token endpoint.
type clientFlags struct {
	clientID, purposeID, kid, key, aud, tokenURL, now *string
	timeout                                           *time.Duration
}

func addClientFlags(fs *flag.FlagSet, token bool) *clientFlags {
	c := &clientFlags{
		clientID:  fs.String("client-id", "", "client_id of the PDND client (a UUID, shown in the back office)"),
		purposeID: fs.String("purpose-id", "", "purposeId (e-service clients; omit for a PDND-API client)"),
		kid:       fs.String("kid", "", "kid of the key on PDND (default: the key's RFC 7638 thumbprint, which is what PDND assigns)"),
		key:       fs.String("key", "", "PEM private key file (PKCS #1 or #8) of a key uploaded to the client"),
		aud:       fs.String("aud", "", "client-assertion aud (default: the token URL's host + /client-assertion, e.g. auth.interop.pagopa.it/client-assertion)"),
		now:       fs.String("now", "", "sign as of this RFC 3339 time instead of the clock (to reproduce clock-skew problems)"),
		timeout:   fs.Duration("timeout", 30*time.Second, "timeout of each HTTP exchange"),
	}
	if token {
		c.tokenURL = fs.String("token-url", "", "PDND token endpoint, e.g. https://auth.uat.interop.pagopa.it/token.oauth2")
	} else {
		c.tokenURL = new(string)
	}
	return c
}

// clock returns the --now time or the wall clock.
func (c *clientFlags) clock() (func() time.Time, error) {
	if *c.now == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, *c.now)
	if err != nil {
		return nil, usagef("--now %q is not an RFC 3339 time (2026-03-02T10:00:00Z)", *c.now)
	}
	return func() time.Time { return t }, nil
}

// loadSigner reads a PEM private key and returns its signer with kid (default the thumbprint).
func loadSigner(file, kid string, stderr io.Writer) (*jose.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	key, err := jose.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", file, err)
	}
	var opts []jose.Option
	if kid != "" {
		if tp, _ := jose.Thumbprint(key.Public()); tp != kid {
			fmt.Fprintf(stderr, "modi: note: --kid %s is not the key's RFC 7638 thumbprint %s; PDND's kids are thumbprints\n", kid, tp)
		}
		opts = append(opts, jose.WithKid(kid))
	}
	s, err := jose.NewSigner(key, opts...)
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", file, err)
	}
	return s, nil
}

// client builds the token client.
func (c *clientFlags) client(stderr io.Writer) (*pdnd.Client, error) {
	signer, err := loadSigner(*c.key, *c.kid, stderr)
	if err != nil {
		return nil, err
	}
	now, err := c.clock()
	if err != nil {
		return nil, err
	}
	aud := *c.aud
	if aud == "" {
		if *c.tokenURL == "" {
			return nil, usagef("--aud is required (e.g. auth.uat.interop.pagopa.it/client-assertion)")
		}
		u, err := url.Parse(*c.tokenURL)
		if err != nil || u.Host == "" {
			return nil, usagef("--token-url %q is not a URL", *c.tokenURL)
		}
		aud = u.Host + "/client-assertion"
	}
	return &pdnd.Client{ClientID: *c.clientID, TokenURL: *c.tokenURL, AssertionAudience: aud, Signer: signer,
		HTTP: &http.Client{Timeout: *c.timeout}, Now: now}, nil
}

func runAssertion(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("assertion", "--client-id ID --purpose-id ID --key FILE [--kid KID] [--aud AUD] [--audit-jwt FILE]", stderr)
	c := addClientFlags(fs, false)
	auditJWT := fs.String("audit-jwt", "", "tracking evidence (Agid-JWT-TrackingEvidence) file, or - for stdin: its hex SHA-256 goes in the digest claim (AUDIT_REST_02)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "client-id", "key"); err != nil {
		return err
	}
	if *c.aud == "" {
		*c.aud = pdnd.Environments["production"].AssertionAudience
	}
	client, err := c.client(stderr)
	if err != nil {
		return err
	}
	var digest *pdnd.Digest
	if *auditJWT != "" {
		raw, err := readInput(*auditJWT, stdin)
		if err != nil {
			return fmt.Errorf("--audit-jwt: %w", err)
		}
		// The digest is over the exact token sent in the header: a trailing newline of the file is
		// not part of it (the mistake in PDND's own tutorial, pdnd-modi.md §6).
		digest = pdnd.AuditDigest(strings.TrimRight(string(raw), "\r\n"))
	}
	a, err := client.ClientAssertion(*c.purposeID, digest)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, a)
	return nil
}

func runVoucher(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("voucher", "--token-url URL --client-id ID [--purpose-id ID] --key FILE [--kid KID] [--audit k=v,... --audit-aud AUD] [--dpop-key FILE]", stderr)
	c := addClientFlags(fs, true)
	audit := fs.String("audit", "", "AUDIT_REST_02: agreed audit claims (userID=...,userLocation=...,LoA=...) of a tracking evidence signed with --key and bound to the voucher")
	auditAud := fs.String("audit-aud", "", "aud of the tracking evidence: the e-service audience (required with --audit)")
	dpopKey := fs.String("dpop-key", "", "PEM private key (RSA or EC P-256) for a DPoP-bound voucher (a DPoP proof goes with the request)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "token-url", "client-id", "key"); err != nil {
		return err
	}
	if *audit != "" && *auditAud == "" {
		return usagef("--audit needs --audit-aud (the e-service audience)")
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
	out, err := obtain(client, *c.purposeID, *audit, *auditAud, *dpopKey != "")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// voucherOutput is what `modi voucher` prints: the token response, and the evidence it binds.
type voucherOutput struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	TrackingEvidence string `json:"tracking_evidence,omitempty"`
}

// obtain requests a voucher, with a tracking evidence bound to it when audit claims are given.
func obtain(client *pdnd.Client, purposeID, audit, auditAud string, dpop bool) (*voucherOutput, error) {
	claims, err := parseKV(audit)
	if err != nil {
		return nil, usagef("--audit: %v", err)
	}
	req := pdnd.TokenRequest{PurposeID: purposeID, DPoP: dpop}
	var evidence string
	if audit != "" {
		signer := &modi.AuditSigner{Signer: client.Signer, ClientID: client.ClientID}
		if evidence, _, err = signer.SignEvidence(purposeID, auditAud, claims, client.Now()); err != nil {
			return nil, err
		}
		req.Digest = pdnd.AuditDigest(evidence)
	}
	ctx, cancel := context.WithTimeout(context.Background(), client.HTTP.Timeout)
	defer cancel()
	tr, err := client.RequestToken(ctx, req)
	if err != nil {
		return nil, err
	}
	return &voucherOutput{AccessToken: tr.AccessToken, TokenType: tr.TokenType, ExpiresIn: int64(tr.ExpiresIn / time.Second), TrackingEvidence: evidence}, nil
}
