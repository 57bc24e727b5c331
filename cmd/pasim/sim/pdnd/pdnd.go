// Package pdnd simulates PDND Interoperabilità for pasim: the token endpoint with the real
// authorization server's rules and error codes, the voucher JWKS with key rotation, the PDND API v2
// key lookups, and a registry of tenants, e-services, purposes, clients and keys loaded from a seed
// file (seed.yaml). The keys of the simulated clients are generated at every start and written to a
// run directory, so the gateway, the modi CLI and tests can sign with them.
//
// The authorization server itself is gateway/pdnd/pdndtest.Authority; this package adds the seed,
// the generated keys, fault injection, the operator endpoints and Guard, the real verification the
// other simulators put in front of their e-services.
package pdnd

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
	"github.com/welfaregov/gateway/gateway/jose"
	gpdnd "github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// Defaults of the simulated environment.
const (
	// DefaultIssuer is the voucher iss (a name of our own, so a simulator voucher is never
	// mistaken for a PDND one).
	DefaultIssuer = "pasim.interop.local"
	// DefaultRotationGrace keeps a rotated voucher key in the JWKS longer than the longest voucher
	// lifespan of the seed (600 s), as PDND does.
	DefaultRotationGrace = 15 * time.Minute
	// DefaultM2MLifetime is the lifetime of PDND-API vouchers.
	DefaultM2MLifetime = 600 * time.Second
)

// Fault endpoint names and the semantic faults the token endpoint interprets.
const (
	EndpointToken        = "pdnd.token"
	EndpointJWKS         = "pdnd.jwks"
	EndpointKeys         = "pdnd.keys"
	EndpointProducerKeys = "pdnd.producerKeys"

	// SemanticBadSignature issues vouchers whose signature does not verify.
	SemanticBadSignature = "bad-signature"
	// SemanticExpiredVoucher issues vouchers that expired a minute ago (iat, nbf and exp moved back
	// by the lifespan plus a minute).
	SemanticExpiredVoucher = "expired-voucher"
)

// Options configure New.
type Options struct {
	// BaseURL is the simulator's base URL as clients address it (required): token URL, DPoP htu,
	// the client-assertion audience ("<host:port>/client-assertion") and the JWKS URL derive from it.
	BaseURL string
	// RunDir is the directory the generated keys and credentials.json go to (required; created).
	RunDir string
	// Seed is the registry; nil means DefaultSeed().
	Seed *Seed
	// Hosts resolve the {{name}} placeholders of the seed's audiences; "pdnd" is BaseURL.
	Hosts map[string]string
	// Faults wraps every endpoint; nil means no fault injection.
	Faults *fault.Injector
	// Store holds the DPoP proof jtis of token requests and the guards' replay records; nil means an
	// in-memory store owned by the simulator.
	Store store.Store
	// Issuer is the voucher iss (default DefaultIssuer).
	Issuer string
	// LenientClaims accepts claims outside PDND's whitelist, as PDND does while its strict-claims
	// flag is off; the default is strict.
	LenientClaims bool
	// Opaque answers token refusals exactly like production (only 015-0008, no diagnosis).
	Opaque bool
	// RateLimit vouchers per consumer per RateInterval (default interval 1 s); zero: no limit.
	RateLimit    int
	RateInterval time.Duration
	// RotationGrace is how long a rotated voucher key stays published (default DefaultRotationGrace).
	RotationGrace time.Duration
	// Now is the clock of the authority (default time.Now).
	Now func() time.Time
}

// Simulator is a running simulated PDND. Create it with New, serve Handler, Close it at the end.
type Simulator struct {
	auth     *pdndtest.Authority
	env      gpdnd.Environment
	seed     *Seed
	faults   *fault.Injector
	store    store.Store
	ownStore bool
	grace    time.Duration
	manifest Manifest
	file     string
	keys     map[string]*Key
	purposes map[string]PurposeInfo
	// eservices describe each e-service as its vouchers carry it (PurposeInfo without a purpose).
	eservices map[string]PurposeInfo

	mu     sync.Mutex
	guards *guardSet
}

// New checks the options, generates the keys, registers the seed on a fresh authority and writes
// the credentials manifest.
func New(o Options) (_ *Simulator, err error) {
	base, perr := url.Parse(o.BaseURL)
	err = perr
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("pdnd: BaseURL %q is not an http(s) URL", o.BaseURL)
	}
	if o.RunDir == "" {
		return nil, errors.New("pdnd: RunDir is required (the generated keys are written there)")
	}
	seed := o.Seed
	if seed == nil {
		seed = DefaultSeed()
	} else if err := seed.Check(); err != nil {
		return nil, err
	}
	s := &Simulator{seed: seed, faults: o.Faults, store: o.Store, grace: o.RotationGrace, purposes: map[string]PurposeInfo{}, eservices: map[string]PurposeInfo{}}
	if s.grace <= 0 {
		s.grace = DefaultRotationGrace
	}
	if s.store == nil {
		if s.store, err = memory.New(memory.Options{}); err != nil {
			return nil, err
		}
		s.ownStore = true
		defer func() {
			if err != nil {
				_ = s.Close()
			}
		}()
	}
	if s.auth, err = pdndtest.NewAuthority(s.store); err != nil {
		return nil, err
	}
	baseURL := strings.TrimRight(o.BaseURL, "/")
	issuer := o.Issuer
	if issuer == "" {
		issuer = DefaultIssuer
	}
	s.env = gpdnd.Environment{Issuer: issuer, JWKSURL: baseURL + "/.well-known/jwks.json", TokenURL: baseURL + "/token.oauth2",
		AssertionAudience: base.Host + "/client-assertion", APIURL: baseURL + "/v2"}
	a := s.auth
	a.Issuer, a.TokenURL, a.AssertionAudiences = issuer, s.env.TokenURL, []string{s.env.AssertionAudience}
	a.M2MAudience = base.Host + "/m2m"
	a.VoucherLifetime = DefaultM2MLifetime
	a.LenientClaims, a.Opaque = o.LenientClaims, o.Opaque
	a.RateLimit, a.RateInterval = o.RateLimit, o.RateInterval
	a.Now = o.Now
	a.VoucherHook = semanticFaults
	hosts := map[string]string{"pdnd": baseURL}
	for k, v := range o.Hosts {
		hosts[k] = v
	}
	dir := filepath.Join(o.RunDir, "pdnd")
	if s.keys, err = generateKeys(filepath.Join(dir, "keys"), seed.keyNames()); err != nil {
		return nil, err
	}
	if err := s.register(hosts); err != nil {
		return nil, err
	}
	s.file = filepath.Join(dir, "credentials.json")
	if err := s.writeManifest(); err != nil {
		return nil, err
	}
	if err := s.writeGatewayConfig(); err != nil {
		return nil, err
	}
	return s, nil
}

// keyNames lists every key the seed names, clients first.
func (s *Seed) keyNames() []string {
	var out []string
	for _, c := range s.Clients {
		out = append(out, c.Keys...)
	}
	for _, k := range s.ProducerKeychains {
		out = append(out, k.Keys...)
	}
	return out
}

// register puts the seed into the authority: clients with their keys, purposes with their
// e-service's descriptor, producer keychains.
func (s *Simulator) register(hosts map[string]string) error {
	seed, a := s.seed, s.auth
	for _, c := range seed.Clients {
		a.AddClient(c.ID, seed.tenant(c.Consumer).ID, c.Kind == KindAPI)
		for _, k := range c.Keys {
			if _, err := a.AddClientKey(c.ID, s.keys[k].Signer.Public()); err != nil {
				return err
			}
		}
	}
	for _, e := range seed.EServices {
		info := PurposeInfo{EService: e.Name, EServiceID: e.ID, DescriptorID: e.Descriptor.ID, ProducerID: seed.tenant(e.Producer).ID}
		for _, raw := range e.Descriptor.Audience {
			v, err := resolveAudience(raw, hosts)
			if err != nil {
				return fmt.Errorf("pdnd seed: eservice %s: %w", e.Name, err)
			}
			info.Audience = append(info.Audience, v)
		}
		s.eservices[e.Name] = info
	}
	for _, p := range seed.Purposes {
		e := seed.eservice(p.EService)
		aud := s.eservices[e.Name].Audience
		var clients []string
		for _, c := range seed.Clients {
			for _, name := range c.Purposes {
				if name == p.Name {
					clients = append(clients, c.ID)
				}
			}
		}
		ap := pdndtest.Purpose{ID: p.ID, EServiceID: e.ID, DescriptorID: e.Descriptor.ID, ProducerID: seed.tenant(e.Producer).ID,
			ConsumerID: seed.tenant(p.Consumer).ID, Audience: aud, VoucherLifetime: e.Descriptor.VoucherLifespan,
			PurposeInactive: !active(p.State), AgreementInactive: !active(p.AgreementState), DescriptorInactive: !active(e.Descriptor.State)}
		a.AddPurpose(ap, clients...)
		s.purposes[p.Name] = PurposeInfo{Name: p.Name, ID: p.ID, EService: e.Name, EServiceID: e.ID, DescriptorID: e.Descriptor.ID,
			ProducerID: ap.ProducerID, ConsumerID: ap.ConsumerID, Audience: aud}
	}
	for _, kc := range seed.ProducerKeychains {
		for _, k := range kc.Keys {
			if _, err := a.AddProducerKey(kc.ID, s.keys[k].Signer.Public()); err != nil {
				return err
			}
		}
	}
	return nil
}

// semanticFaults interprets the token endpoint's semantic faults.
func semanticFaults(r *http.Request, d *pdndtest.VoucherDraft) {
	name, ok := fault.SemanticFrom(r.Context())
	if !ok {
		return
	}
	switch name {
	case SemanticBadSignature:
		d.BreakSignature = true
	case SemanticExpiredVoucher:
		iat, _ := d.Claims["iat"].(int64)
		exp, _ := d.Claims["exp"].(int64)
		shift := exp - iat + 60
		d.Claims["iat"], d.Claims["nbf"], d.Claims["exp"] = iat-shift, iat-shift, exp-shift
	}
}

// Handler serves the simulated PDND: the token endpoint, the JWKS, the PDND API v2 key lookups
// (each wrapped with its fault endpoint) and the operator endpoints under /admin.
func (s *Simulator) Handler() http.Handler {
	a := s.auth
	hooks := fault.Hooks{Error: pdndError}
	mux := http.NewServeMux()
	mux.Handle("POST /token.oauth2", s.faults.Wrap(EndpointToken, "POST /token.oauth2 (vouchers)", hooks, a.TokenHandler()))
	mux.Handle("GET /.well-known/jwks.json", s.faults.Wrap(EndpointJWKS, "GET /.well-known/jwks.json (voucher keys)", hooks, a.JWKSHandler()))
	mux.Handle("GET /v2/keys/{kid}", s.faults.Wrap(EndpointKeys, "GET /v2/keys/{kid} (consumer keys)", hooks, a.ConsumerKeyHandler()))
	mux.Handle("GET /v2/producerKeys/{kid}", s.faults.Wrap(EndpointProducerKeys, "GET /v2/producerKeys/{kid} (producer keychain keys)", hooks, a.ProducerKeyHandler()))
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		simhttp.WriteJSON(w, http.StatusOK, problem.Problem{Type: problem.Healthy.URI(), Title: problem.Healthy.Title, Status: 200})
	})
	s.adminRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		simhttp.WriteProblem(w, problem.New(problem.NotFound, "no PDND endpoint at %s %s (POST /token.oauth2, GET /.well-known/jwks.json, GET /v2/keys/{kid}, GET /v2/producerKeys/{kid})", r.Method, r.URL.Path))
	})
	return mux
}

// pdndError renders injected errors as PDND does: problem bodies with its codes.
func pdndError(w http.ResponseWriter, _ *http.Request, status int) {
	code, title := pdndtest.CodeInternal, "The request couldn't be fulfilled due to an internal error"
	switch status {
	case http.StatusTooManyRequests:
		code, title = pdndtest.CodeTooManyRequests, "Too Many Requests"
	case http.StatusServiceUnavailable:
		title = "Service Unavailable"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(gpdnd.Problem{Type: "about:blank", Status: status, Title: title, Detail: title,
		Errors: []gpdnd.ProblemError{{Code: code, Detail: "injected by pasim"}}})
}

// Environment is the simulated PDND environment, as the gateway's pdnd section takes it.
func (s *Simulator) Environment() gpdnd.Environment { return s.env }

// Authority is the authorization server, for tests that sign vouchers themselves or change the
// registry at run time.
func (s *Simulator) Authority() *pdndtest.Authority { return s.auth }

// ManifestFile is the path of credentials.json (see Manifest).
func (s *Simulator) ManifestFile() string { return s.file }

// Manifest returns what credentials.json holds.
func (s *Simulator) Manifest() Manifest { return s.manifest }

// Close stops the guards' background work and the simulator's own store. It does not remove the
// run directory.
func (s *Simulator) Close() error {
	s.mu.Lock()
	g := s.guards
	s.guards = nil
	s.mu.Unlock()
	var errs []error
	if g != nil {
		errs = append(errs, g.close())
	}
	if s.ownStore {
		if c, ok := s.store.(interface{ Close() error }); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// PurposeInfo is a purpose as the vouchers for it will carry it.
type PurposeInfo struct {
	Name         string   `json:"name"`
	ID           string   `json:"id"`
	EService     string   `json:"eservice"`
	EServiceID   string   `json:"eserviceId"`
	DescriptorID string   `json:"descriptorId"`
	ProducerID   string   `json:"producerId"`
	ConsumerID   string   `json:"consumerId"`
	Audience     []string `json:"audience"`
}

// Purpose returns a purpose of the seed by name.
func (s *Simulator) Purpose(name string) (PurposeInfo, bool) {
	p, ok := s.purposes[name]
	return p, ok
}

// PurposeFor returns the purpose of consumer tenant on e-service (both seed names).
func (s *Simulator) PurposeFor(consumer, eservice string) (PurposeInfo, bool) {
	for _, p := range s.seed.Purposes {
		if p.Consumer == consumer && p.EService == eservice {
			return s.purposes[p.Name], true
		}
	}
	return PurposeInfo{}, false
}

// Credential is a simulated client: what a consumer needs to obtain vouchers and sign ModI
// tokens (its first key; Keys lists all).
type Credential struct {
	Name     string        `json:"name"`
	ClientID string        `json:"clientId"`
	Kind     string        `json:"kind"`
	Tenant   string        `json:"tenant"`
	TenantID string        `json:"tenantId"`
	Keys     []*Key        `json:"keys"`
	Purposes []PurposeInfo `json:"purposes,omitempty"`
	Kid      string        `json:"-"`
	KeyFile  string        `json:"-"`
	Signer   *jose.Signer  `json:"-"`
}

// Credential returns the simulated client named in the seed.
func (s *Simulator) Credential(name string) (*Credential, bool) {
	for i := range s.manifest.Clients {
		if s.manifest.Clients[i].Name == name {
			c := s.manifest.Clients[i]
			return &c, true
		}
	}
	return nil, false
}

// Keychain returns a producer keychain of the seed: its id and keys.
func (s *Simulator) Keychain(name string) (*KeychainInfo, bool) {
	for i := range s.manifest.ProducerKeychains {
		if s.manifest.ProducerKeychains[i].Name == name {
			k := s.manifest.ProducerKeychains[i]
			return &k, true
		}
	}
	return nil, false
}

// KeychainInfo is a producer keychain with its generated keys.
type KeychainInfo struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Producer string `json:"producer"`
	Keys     []*Key `json:"keys"`
}

// Manifest is credentials.json: the environment and, for every client and keychain, its ids, kids
// and key files. It holds paths, never key material, so it can be printed and shared.
type Manifest struct {
	Environment       ManifestEnvironment `json:"environment"`
	Tenants           []Tenant            `json:"tenants"`
	Clients           []Credential        `json:"clients"`
	ProducerKeychains []KeychainInfo      `json:"producerKeychains"`
}

// ManifestEnvironment is the pdnd section of a gateway configuration pointed at the simulator.
type ManifestEnvironment struct {
	Issuer            string `json:"issuer"`
	JWKSURL           string `json:"jwksUrl"`
	TokenURL          string `json:"tokenUrl"`
	AssertionAudience string `json:"assertionAudience"`
	APIURL            string `json:"apiUrl"`
}

func (s *Simulator) writeManifest() error {
	seed := s.seed
	m := Manifest{Environment: ManifestEnvironment{Issuer: s.env.Issuer, JWKSURL: s.env.JWKSURL, TokenURL: s.env.TokenURL,
		AssertionAudience: s.env.AssertionAudience, APIURL: s.env.APIURL}, Tenants: seed.Tenants}
	for _, c := range seed.Clients {
		cred := Credential{Name: c.Name, ClientID: c.ID, Kind: c.Kind, Tenant: c.Consumer, TenantID: seed.tenant(c.Consumer).ID}
		for _, k := range c.Keys {
			cred.Keys = append(cred.Keys, s.keys[k])
		}
		first := cred.Keys[0]
		cred.Kid, cred.KeyFile, cred.Signer = first.Kid, first.PrivateKeyFile, first.Signer
		for _, p := range c.Purposes {
			cred.Purposes = append(cred.Purposes, s.purposes[p])
		}
		sort.Slice(cred.Purposes, func(i, j int) bool { return cred.Purposes[i].Name < cred.Purposes[j].Name })
		m.Clients = append(m.Clients, cred)
	}
	for _, kc := range seed.ProducerKeychains {
		info := KeychainInfo{Name: kc.Name, ID: kc.ID, Producer: kc.Producer}
		for _, k := range kc.Keys {
			info.Keys = append(info.Keys, s.keys[k])
		}
		m.ProducerKeychains = append(m.ProducerKeychains, info)
	}
	s.manifest = m
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("pdnd: writing %s: %w", s.file, err)
	}
	return nil
}
