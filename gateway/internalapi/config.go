package internalapi

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/gateway/config"
)

// Config is the internal_api section: how WelfareGOV authenticates to the internal API, the limit
// of its calls, and what the lookups send to INPS and ANPR besides the runtime's credentials.
//
//	internal_api:
//	  api_keys:
//	    - {name: welfaregov-2026, key: {env: WGW_INTERNAL_API_KEY}}
//	  client_certificates: {subjects: [welfaregov.example.it]}
//	  rate_limit: {requests: 50, period: 1s}
//	  inps: {user_id: "80012345678", codice_ufficio: "001"}
//	  anpr: {id_prefix: "01"}
type Config struct {
	// APIKeys are the keys accepted in the Api-Key header, each with a name (logged, never the
	// key): list the new key beside the old one to rotate, then remove the old one. Empty: only
	// mutual TLS (listeners.internal.tls.client_auth) authenticates.
	APIKeys []APIKey `yaml:"api_keys"`
	// ClientCertificates restricts the client certificates accepted on the internal listener
	// (verified there against listeners.internal.tls.client_ca_file).
	ClientCertificates ClientCertificates `yaml:"client_certificates"`
	// RateLimit bounds each client's calls (per API key name or certificate subject), across
	// replicas [none].
	RateLimit *RateLimit `yaml:"rate_limit"`
	// INPS is the inps:Identity header of ConsultazioneISEE.
	INPS INPSIdentity `yaml:"inps"`
	// ANPR configures the ANPR requests.
	ANPR ANPRSettings `yaml:"anpr"`
}

// APIKey is one accepted key.
type APIKey struct {
	// Name identifies the key in logs and in the rate limit (letters, digits, '-', '_', '.').
	Name string `yaml:"name"`
	// Key is the secret ({file: ...} or {env: ...}), at least MinAPIKeyLength characters.
	Key config.Secret `yaml:"key"`
}

// ClientCertificates restricts mutual TLS clients.
type ClientCertificates struct {
	// Subjects are the accepted certificate subjects: a Common Name or a DNS name of the leaf.
	// Empty: any certificate the listener's client CA verifies.
	Subjects []string `yaml:"subjects"`
}

// RateLimit is a GCRA limit of Requests per Period with a burst of Requests.
type RateLimit struct {
	Requests int64           `yaml:"requests"`
	Period   config.Duration `yaml:"period"`
}

// INPSIdentity is ConsultazioneISEE's inps:Identity header (both required by INPS's WSDL).
type INPSIdentity struct {
	// UserID is the ente's codice fiscale, or the user INPS assigned [WELFAREGOV].
	UserID string `yaml:"user_id"`
	// CodiceUfficio is the office code [001].
	CodiceUfficio string `yaml:"codice_ufficio"`
}

// ANPRSettings configures ANPR requests.
type ANPRSettings struct {
	// IDPrefix goes into every idOperazioneClient after the timestamp: 0-8 letters or digits, a
	// different one per replica, the same length on all (set it per replica with
	// WGW_INTERNAL_API__ANPR__ID_PREFIX) [empty].
	IDPrefix string `yaml:"id_prefix"`
}

// MinAPIKeyLength is the shortest API key accepted: 32 characters of a random key carry well over
// 128 bits.
const MinAPIKeyLength = 32

// Defaults of INPSIdentity.
const (
	DefaultINPSUserID        = "WELFAREGOV"
	DefaultINPSCodiceUfficio = "001"
)

var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Check records every problem with its field path. It reads the key secrets (no network).
func (c *Config) Check(ck config.Checker) {
	names := map[string]bool{}
	values := map[string]string{}
	for i, k := range c.APIKeys {
		kck := ck.At("api_keys").Index(i)
		if !keyName.MatchString(k.Name) {
			kck.Errorf("name", "%q: use 1-64 letters, digits, '.', '-' and '_'", k.Name)
		} else if names[k.Name] {
			kck.Errorf("name", "%q is used by another key", k.Name)
		}
		names[k.Name] = true
		k.Key.Check(kck, "key", true)
		if !k.Key.IsSet() {
			continue
		}
		v, err := k.Key.Value()
		switch {
		case err != nil:
			continue // Check reported it
		case len(strings.TrimSpace(string(v))) < MinAPIKeyLength:
			kck.Errorf("key", "shorter than %d characters: generate a random key (openssl rand -hex 32)", MinAPIKeyLength)
		case values[string(v)] != "":
			kck.Errorf("key", "the same key as %s: each name needs its own key", values[string(v)])
		default:
			values[string(v)] = k.Name
		}
	}
	for i, s := range c.ClientCertificates.Subjects {
		if strings.TrimSpace(s) == "" || len(s) > 256 {
			ck.At("client_certificates.subjects").Errorf(fmt.Sprint(i), "give a certificate Common Name or DNS name")
		}
	}
	if r := c.RateLimit; r != nil {
		if r.Requests < 1 || r.Requests > 1_000_000 {
			ck.At("rate_limit").Errorf("requests", "%d is not in 1..1000000", r.Requests)
		}
		config.CheckDuration(ck.At("rate_limit"), "period", r.Period, time.Millisecond, time.Hour)
		if r.Period == 0 {
			ck.At("rate_limit").Errorf("period", "required, such as 1s or 1m")
		}
	}
	for _, f := range []struct{ name, v string }{{"inps.user_id", c.INPS.UserID}, {"inps.codice_ufficio", c.INPS.CodiceUfficio}} {
		if len(f.v) > 64 || strings.ContainsAny(f.v, "<>&\"'\r\n\t") {
			ck.Errorf(f.name, "at most 64 characters, no markup or control characters")
		}
	}
	if _, err := anpr.NewIDGenerator(c.ANPR.IDPrefix, time.Now); err != nil {
		ck.Errorf("anpr.id_prefix", "%q: 0-%d ASCII letters or digits", c.ANPR.IDPrefix, anpr.MaxIDPrefix)
	}
}

func (i INPSIdentity) orDefault() INPSIdentity {
	if i.UserID == "" {
		i.UserID = DefaultINPSUserID
	}
	if i.CodiceUfficio == "" {
		i.CodiceUfficio = DefaultINPSCodiceUfficio
	}
	return i
}
