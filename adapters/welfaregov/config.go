package welfaregov

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
)

// Config is the `backend` section: where the WelfareGOV backend is and how the gateway
// authenticates to it.
//
//	backend:
//	  url: https://welfaregov.internal/api
//	  api_key: {file: /run/secrets/welfaregov-api-key}
//	  timeout: 10s
type Config struct {
	// URL is the backend's base URL (http or https). Required.
	URL string `yaml:"url"`
	// APIKey is sent as X-Api-Key on every call. Required.
	APIKey config.Secret `yaml:"api_key"`
	// Timeout bounds one call to the backend. Default 10s; at most 5m.
	Timeout config.Duration `yaml:"timeout"`
	// MaxConnections bounds the connections one replica opens to the backend (a bulkhead: a burst
	// of e-service calls waits for a connection instead of opening hundreds). Default 64; at most
	// 1024.
	MaxConnections int `yaml:"max_connections"`
}

// DefaultMaxConnections is the default bound of connections to the backend.
const DefaultMaxConnections = 64

// Check records every problem of the section.
func (c *Config) Check(ck config.Checker) {
	if u, err := url.Parse(c.URL); c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ck.Errorf("url", "%q: required, the backend's absolute http(s) base URL", c.URL)
	} else if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		ck.Errorf("url", "%q: no credentials, query or fragment (the key goes in api_key)", c.URL)
	}
	c.APIKey.Check(ck, "api_key", true)
	if d := c.Timeout.D(); d < 0 || d > 5*time.Minute {
		ck.Errorf("timeout", "%s: between 1ms and 5m (0 means %s)", c.Timeout, DefaultTimeout)
	}
	if c.MaxConnections < 0 || c.MaxConnections > 1024 {
		ck.Errorf("max_connections", "%d: between 1 and 1024 (0 means %d)", c.MaxConnections, DefaultMaxConnections)
	}
}

// NewClient builds the client the section describes (cfg must have passed Check).
func (c *Config) NewClient() (*Client, error) {
	key, err := c.APIKey.Value()
	if err != nil {
		return nil, fmt.Errorf("backend.api_key: %w", err)
	}
	timeout := c.Timeout.D()
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	conns := c.MaxConnections
	if conns == 0 {
		conns = DefaultMaxConnections
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost = conns, conns
	return NewClient(c.URL, string(key), &http.Client{Timeout: timeout, Transport: tr})
}
