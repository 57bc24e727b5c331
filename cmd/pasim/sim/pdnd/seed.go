package pdnd

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"
)

// DefaultSeedYAML is the committed registry (seed.yaml beside this file).
//
//go:embed seed.yaml
var DefaultSeedYAML []byte

// Seed is the simulator's registry: who exists on the simulated PDND and how they relate. It holds
// no key material: every name under a client's or keychain's keys is generated at start.
type Seed struct {
	Tenants           []Tenant   `yaml:"tenants"`
	EServices         []EService `yaml:"eservices"`
	Purposes          []Purpose  `yaml:"purposes"`
	Clients           []Client   `yaml:"clients"`
	ProducerKeychains []Keychain `yaml:"producer_keychains"`
}

// Tenant is an organization on PDND (a producer, a consumer, or both).
type Tenant struct {
	Name        string `yaml:"name"`
	ID          string `yaml:"id"`
	Description string `yaml:"description"`
}

// EService is an e-service with its published version.
type EService struct {
	Name       string     `yaml:"name"`
	ID         string     `yaml:"id"`
	Producer   string     `yaml:"producer"`
	Descriptor Descriptor `yaml:"descriptor"`
}

// Descriptor is an e-service version: what PDND copies into vouchers.
type Descriptor struct {
	ID       string   `yaml:"id"`
	Audience []string `yaml:"audience"`
	// VoucherLifespan is exp - iat of the vouchers (the producer's choice; PDND's usual 600 s).
	VoucherLifespan time.Duration `yaml:"voucher_lifespan"`
	// State is ACTIVE (default) or anything else (a suspended or archived version: 8027).
	State string `yaml:"state"`
}

// Purpose is a consumer's purpose on an e-service.
type Purpose struct {
	Name     string `yaml:"name"`
	ID       string `yaml:"id"`
	EService string `yaml:"eservice"`
	Consumer string `yaml:"consumer"`
	// State and AgreementState are ACTIVE (default) or anything else (8026, 8028).
	State          string `yaml:"state"`
	AgreementState string `yaml:"agreement_state"`
}

// Client kinds.
const (
	KindConsumer = "consumer" // e-service client: vouchers for purposes
	KindAPI      = "api"      // PDND-API client: m2m vouchers for the PDND API
)

// Client is a PDND client of a tenant.
type Client struct {
	Name     string   `yaml:"name"`
	ID       string   `yaml:"id"`
	Kind     string   `yaml:"kind"`
	Consumer string   `yaml:"consumer"`
	Keys     []string `yaml:"keys"`
	Purposes []string `yaml:"purposes"`
}

// Keychain is a producer keychain (keys that sign a producer's responses).
type Keychain struct {
	Name     string   `yaml:"name"`
	ID       string   `yaml:"id"`
	Producer string   `yaml:"producer"`
	Keys     []string `yaml:"keys"`
}

// ParseSeed decodes a seed strictly (an unknown member is an error naming its line) and checks it.
func ParseSeed(data []byte) (*Seed, error) {
	var s Seed
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("pdnd seed: %w", err)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// DefaultSeed is the committed registry.
func DefaultSeed() *Seed {
	s, err := ParseSeed(DefaultSeedYAML)
	if err != nil {
		panic(err) // seed_test keeps the committed file valid
	}
	return s
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Check reports every problem of the seed, each naming its entry and field: names unique and
// kebab-case, ids UUIDs and unique, references resolved, kinds known, consumer clients with
// purposes of their own tenant, keys named once.
func (s *Seed) Check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("pdnd seed: "+format, args...)) }
	ids := map[string]string{}
	id := func(where, v string) {
		switch {
		case v == "":
			bad("%s: id is required", where)
		case uuidOK(v) != nil:
			bad("%s: id %q is not a UUID (PDND ids are UUIDs)", where, v)
		case ids[strings.ToLower(v)] != "":
			bad("%s: id %s is also the id of %s", where, v, ids[strings.ToLower(v)])
		default:
			ids[strings.ToLower(v)] = where
		}
	}
	names := func(section string, n int, name func(i int) string) map[string]bool {
		seen := map[string]bool{}
		for i := range n {
			nm := name(i)
			if !namePattern.MatchString(nm) {
				bad("%s[%d]: name %q must be lowercase letters, digits and hyphens", section, i, nm)
			}
			if seen[nm] {
				bad("%s[%d]: name %q is used twice", section, i, nm)
			}
			seen[nm] = true
		}
		return seen
	}
	tenants := names("tenants", len(s.Tenants), func(i int) string { return s.Tenants[i].Name })
	eservices := names("eservices", len(s.EServices), func(i int) string { return s.EServices[i].Name })
	purposes := names("purposes", len(s.Purposes), func(i int) string { return s.Purposes[i].Name })
	names("clients", len(s.Clients), func(i int) string { return s.Clients[i].Name })
	names("producer_keychains", len(s.ProducerKeychains), func(i int) string { return s.ProducerKeychains[i].Name })
	ref := func(where, field, v string, set map[string]bool) {
		if !set[v] {
			bad("%s: %s %q is not defined", where, field, v)
		}
	}
	for i, t := range s.Tenants {
		id(fmt.Sprintf("tenants[%d] %s", i, t.Name), t.ID)
	}
	purposeConsumer := map[string]string{}
	for i, e := range s.EServices {
		where := fmt.Sprintf("eservices[%d] %s", i, e.Name)
		id(where, e.ID)
		id(where+" descriptor", e.Descriptor.ID)
		ref(where, "producer", e.Producer, tenants)
		if len(e.Descriptor.Audience) == 0 {
			bad("%s: descriptor.audience is required (the aud of its vouchers)", where)
		}
		if e.Descriptor.VoucherLifespan < 0 || e.Descriptor.VoucherLifespan > 24*time.Hour {
			bad("%s: descriptor.voucher_lifespan %s is outside 0..24h", where, e.Descriptor.VoucherLifespan)
		}
	}
	for i, p := range s.Purposes {
		where := fmt.Sprintf("purposes[%d] %s", i, p.Name)
		id(where, p.ID)
		ref(where, "eservice", p.EService, eservices)
		ref(where, "consumer", p.Consumer, tenants)
		purposeConsumer[p.Name] = p.Consumer
	}
	keys := map[string]string{}
	key := func(where, name string) {
		if !namePattern.MatchString(name) {
			bad("%s: key name %q must be lowercase letters, digits and hyphens (it names a file)", where, name)
		}
		if keys[name] != "" {
			bad("%s: key %q is already listed by %s (a key belongs to one client or keychain)", where, name, keys[name])
		}
		keys[name] = where
	}
	for i, c := range s.Clients {
		where := fmt.Sprintf("clients[%d] %s", i, c.Name)
		id(where, c.ID)
		ref(where, "consumer", c.Consumer, tenants)
		if len(c.Keys) == 0 {
			bad("%s: keys: at least one key is required", where)
		}
		for _, k := range c.Keys {
			key(where, k)
		}
		switch c.Kind {
		case KindConsumer:
			for _, p := range c.Purposes {
				ref(where, "purpose", p, purposes)
				if purposes[p] && purposeConsumer[p] != c.Consumer {
					bad("%s: purpose %s belongs to %s, not to the client's tenant %s", where, p, purposeConsumer[p], c.Consumer)
				}
			}
		case KindAPI:
			if len(c.Purposes) > 0 {
				bad("%s: a PDND-API client has no purposes", where)
			}
		default:
			bad("%s: kind %q is not consumer or api", where, c.Kind)
		}
	}
	for i, k := range s.ProducerKeychains {
		where := fmt.Sprintf("producer_keychains[%d] %s", i, k.Name)
		id(where, k.ID)
		ref(where, "producer", k.Producer, tenants)
		if len(k.Keys) == 0 {
			bad("%s: keys: at least one key is required", where)
		}
		for _, n := range k.Keys {
			key(where, n)
		}
	}
	return errors.Join(errs...)
}

func uuidOK(s string) error {
	if len(s) != 36 {
		return errors.New("not 36 characters")
	}
	_, err := uuid.Parse(s)
	return err
}

var placeholder = regexp.MustCompile(`\{\{([a-z0-9-]+)\}\}`)

// resolveAudience replaces {{name}} with hosts[name] (without a trailing slash); an unknown name is
// an error.
func resolveAudience(aud string, hosts map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(aud, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		h, ok := hosts[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return strings.TrimRight(h, "/")
	})
	if len(missing) > 0 {
		known := make([]string, 0, len(hosts))
		for k := range hosts {
			known = append(known, k)
		}
		slices.Sort(known)
		return "", fmt.Errorf("audience %q: no host for {{%s}} (known: %s)", aud, strings.Join(missing, "}}, {{"), strings.Join(known, ", "))
	}
	return out, nil
}

// tenant, eservice ... find entries by name (the seed is checked, so they exist).
func (s *Seed) tenant(name string) Tenant {
	for _, t := range s.Tenants {
		if t.Name == name {
			return t
		}
	}
	return Tenant{}
}

func (s *Seed) eservice(name string) EService {
	for _, e := range s.EServices {
		if e.Name == name {
			return e
		}
	}
	return EService{}
}

func active(state string) bool { return state == "" || strings.EqualFold(state, "ACTIVE") }
