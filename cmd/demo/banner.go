package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/welfaregov/gateway/cmd/demo/democonfig"
	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/app"
	"github.com/welfaregov/gateway/gateway/eservice/estrazione"
	"github.com/welfaregov/gateway/gateway/eservice/prestazioni"
	"github.com/welfaregov/gateway/gateway/eservice/waas"
)

// Banner is what the demo prints: the URLs, where its files are, and the example calls.
type Banner struct {
	Internal, Admin, EServices, Simulators, Dashboard string
	// EServiceURLs are the published e-services, each on the e-service listener.
	EServiceURLs []EServiceURL
	// AdminTokenFile holds the admin token (the dashboard's controls, the SIUSS queues);
	// AuditDir is the audit trail; ConfigFile the composed configuration; DevRoot the certificate
	// that the e-service listener's is issued by.
	AdminTokenFile, AuditDir, ConfigFile, DevRoot string
	// Calls are the example curl commands of the internal API (WelfareGOV's side).
	Calls []Call
	// EServiceCall is the Comune di Trento's call of the prestazioni e-service with the modi CLI:
	// the README walkthrough against the running demo.
	EServiceCall ModiCall
	// Operator is an admin call with the generated token: the SIUSS esiti that need someone.
	Operator Call
	// FaultOn and FaultOff make INPS fail and heal it, on pasim's admin listener.
	FaultOn, FaultOff Call
}

// EServiceURL is one published e-service.
type EServiceURL struct{ Name, URL, Who string }

// Call is one example HTTP call, printed as a curl command.
type Call struct {
	Title, Method, URL string
	Header             [][2]string
	Body               string
}

// Curl is the command line that makes the call. A header value that reads a file with $(cat ...)
// is double-quoted so that the shell expands it; everything else is single-quoted.
func (c Call) Curl() string {
	var b strings.Builder
	b.WriteString("curl -s")
	if c.Method != "GET" {
		b.WriteString(" -X " + c.Method)
	}
	for _, h := range c.Header {
		if strings.Contains(h[1], "$(") {
			fmt.Fprintf(&b, " \\\n    -H \"%s: %s\"", h[0], h[1])
		} else {
			fmt.Fprintf(&b, " \\\n    -H '%s: %s'", h[0], h[1])
		}
	}
	if c.Body != "" {
		fmt.Fprintf(&b, " \\\n    -d '%s'", c.Body)
	}
	fmt.Fprintf(&b, " \\\n    '%s'", c.URL)
	return b.String()
}

// ModiCall is a `modi call` command line: its flags in order, each with its value ("" for a
// boolean flag).
type ModiCall struct {
	Flags [][2]string
}

// Command is the command line, one flag per continuation line, values single-quoted when the
// shell would split or expand them.
func (m ModiCall) Command() string {
	var b strings.Builder
	b.WriteString("bin/modi call")
	for _, f := range m.Flags {
		fmt.Fprintf(&b, " \\\n    --%s", f[0])
		if f[1] != "" {
			b.WriteString(" " + shellWord(f[1]))
		}
	}
	return b.String()
}

// shellWord quotes s for a POSIX shell when it holds anything but safe characters.
func shellWord(s string) string {
	if strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// demoOperator is who the internal API calls say they are.
var demoOperator = [][2]string{
	{"Operatore-Id", "mario.rossi"}, {"Operatore-Postazione", "TN-SERVIZI-SOCIALI-04"},
	{"Operatore-LoA", "SPID_L2"}, {"Riferimento-Pratica", "PRAT-2025-000123"},
}

// operator is who makes an e-service call, as the agreed audit claims of its tracking evidence
// (AUDIT_REST_02), in order.
type operator [][2]string

// comuneOperator is the Comune di Trento's operator in its e-service calls.
var comuneOperator = operator{{"userID", "operatore-17"}, {"userLocation", "postazione-3"}, {"LoA", "SPID_L2"}}

// claims are the claims of the tracking evidence.
func (o operator) claims() map[string]any {
	m := map[string]any{}
	for _, kv := range o {
		m[kv[0]] = kv[1]
	}
	return m
}

// flag is the value of `modi call --audit`.
func (o operator) flag() string {
	parts := make([]string, len(o))
	for i, kv := range o {
		parts[i] = kv[0] + "=" + kv[1]
	}
	return strings.Join(parts, ",")
}

// newBanner gathers the URLs of the gateway and pasim, picks example subjects from pasim's
// population (a family with an ISEE and a minor, a declaration with one of the population's
// deliberate discrepancies, a person with a benefit of the Comune di Trento in force), and writes
// the e-service call's body to the secrets' directory.
func newBanner(a *app.App, cfg *app.Config, r *sim.Running, s *democonfig.Secrets, configFile string) (Banner, error) {
	b := Banner{Simulators: r.URLs["admin"], ConfigFile: display(configFile), DevRoot: display(a.DevRootFile()),
		AdminTokenFile: display(s.Path(democonfig.AdminTokenFile))}
	if cfg.Audit != nil {
		b.AuditDir = display(cfg.Audit.Dir)
	}
	for _, e := range a.Endpoints() {
		switch e.Name {
		case "internal":
			b.Internal = e.URL
		case "admin":
			b.Admin = e.URL
			b.Dashboard = e.URL + "/dashboard"
		case "eservices":
			b.EServices = e.URL
		}
	}
	e := cfg.EServices
	if e.Prestazioni != nil {
		mount, _ := e.Prestazioni.Resolved(prestazioni.DefaultMount, e.PublicBaseURL)
		b.EServiceURLs = append(b.EServiceURLs, EServiceURL{"prestazioni", b.EServices + mount, "consultazione (BLOCK_REST): the Comune di Trento"})
	}
	if e.Estrazione != nil {
		mount, _ := e.Estrazione.Resolved(estrazione.DefaultMount, e.PublicBaseURL)
		b.EServiceURLs = append(b.EServiceURLs, EServiceURL{"estrazione", b.EServices + mount, "estrazione (NONBLOCK_PULL_REST): the Comune di Trento"})
	}
	if e.SIUSS != nil {
		mount, _ := e.SIUSS.Resolved(waas.DefaultMount, e.PublicBaseURL)
		b.EServiceURLs = append(b.EServiceURLs, EServiceURL{"siuss", b.EServices + mount, "the Comune's SIUSS feed: INPS only"})
	}

	p := r.Population
	rif := population.ReferenceDate.String()
	header := append([][2]string{{"Api-Key", s.InternalAPIKey}}, demoOperator...)
	isee := subjectWithISEE(p)
	b.Calls = append(b.Calls,
		Call{Title: "The ISEE of a family (" + isee.Cognome + " " + isee.Nome + "), valid on the population's reference date", Method: "GET",
			URL: b.Internal + "/api/v1/soggetti/" + isee.CodiceFiscale + "/isee?dataValidita=" + rif, Header: header},
		Call{Title: "The same person's registry data (ANPR)", Method: "GET",
			URL: b.Internal + "/api/v1/soggetti/" + isee.CodiceFiscale + "?dataRiferimento=" + rif, Header: header})
	if cf, anno := subjectWithICEF(p); cf != "" {
		b.Calls = append(b.Calls, Call{Title: "A Trentino household's ICEF for the provincial single allowance (" + icefPolitica + ", " + anno + ")",
			Method: "GET", URL: b.Internal + "/api/v1/soggetti/" + cf + "/icef?politica=" + icefPolitica + "&anno=" + anno, Header: header})
	}
	d := p.Household(p.Discrepancies()[0].HouseholdID).DSU
	decl := map[string]any{"codiceFiscaleDichiarante": d.Dichiarante.CodiceFiscale, "dataRiferimento": rif,
		"isee": map[string]string{"valore": contracts.NewDecimal(d.Ordinario.Calcolo.ISEE).String(), "protocolloDSU": d.Protocollo}}
	var members []map[string]string
	for _, c := range d.Nucleo {
		members = append(members, map[string]string{"codiceFiscale": c.Persona.CodiceFiscale, "rapportoConDichiarante": c.Rapporto})
	}
	decl["componenti"] = members
	body, _ := json.Marshal(decl)
	b.Calls = append(b.Calls, Call{Title: "Check a self-declaration against ANPR and INPS (this household declares someone ANPR does not register with it)",
		Method: "POST", URL: b.Internal + "/api/v1/verifiche", Header: append(header, [2]string{"Content-Type", "application/json"}), Body: string(body)})

	if e.Prestazioni != nil {
		call, err := comuneCall(r, b, s)
		if err != nil {
			return b, err
		}
		b.EServiceCall = call
	}
	if e.SIUSS != nil && len(e.SIUSS.Enti) > 0 {
		b.Operator = Call{Title: "The SIUSS esiti of the " + e.SIUSS.Enti[0].Denominazione + " that need an operator", Method: "GET",
			URL:    b.Admin + "/siuss/enti/" + e.SIUSS.Enti[0].Codice + "/attenzione?limit=5",
			Header: [][2]string{{"Authorization", "Bearer $(cat " + b.AdminTokenFile + ")"}}}
	}
	fault := r.URLs["admin"] + "/faults/inps.consultazioneAttestazione"
	b.FaultOn = Call{Method: "PUT", URL: fault, Header: [][2]string{{"Content-Type", "application/json"}}, Body: `{"errorRate":1,"errorStatus":503}`}
	b.FaultOff = Call{Method: "DELETE", URL: fault}
	return b, nil
}

// comuneCall is the README walkthrough's accepted call: the Comune di Trento (pasim's client
// comune-trento and its purpose comune-trento-prestazioni) asks for the benefits of a person who
// has one in force, with the body in the secrets' directory (ricerca.json).
func comuneCall(r *sim.Running, b Banner, s *democonfig.Secrets) (ModiCall, error) {
	trento, ok := r.PDND.Credential(comuneClient)
	purpose, ok2 := r.PDND.Purpose(comunePurpose)
	if !ok || !ok2 || len(purpose.Audience) == 0 {
		return ModiCall{}, fmt.Errorf("pasim's PDND seed has no client %s with the purpose %s", comuneClient, comunePurpose)
	}
	cf, on := subjectWithBenefit(r.Population)
	body := filepath.Join(s.Dir, "ricerca.json")
	if err := os.WriteFile(body, ricerca(cf, on), 0o644); err != nil {
		return ModiCall{}, err
	}
	var url string
	for _, e := range b.EServiceURLs {
		if e.Name == "prestazioni" {
			url = e.URL + "/ricerca"
		}
	}
	flags := [][2]string{{"url", url}}
	if b.DevRoot != "" {
		flags = append(flags, [2]string{"cacert", b.DevRoot})
	}
	return ModiCall{Flags: append(flags, [][2]string{
		{"body", display(body)}, {"token-url", r.PDND.Environment().TokenURL}, {"client-id", trento.ClientID},
		{"purpose-id", purpose.ID}, {"key", display(trento.KeyFile)}, {"audience", purpose.Audience[0]},
		{"integrity", ""}, {"audit", comuneOperator.flag()},
	}...)}, nil
}

// The Comune di Trento in pasim's PDND seed: its client, and its purpose on the prestazioni
// e-service.
const (
	comuneClient  = "comune-trento"
	comunePurpose = "comune-trento-prestazioni"
)

// ricerca is the body of a consultazione: a person and the day the benefits must be in force.
func ricerca(cf string, on string) []byte {
	b, _ := json.Marshal(map[string]string{"codiceFiscale": cf, "dataRiferimento": on})
	return b
}

// subjectWithISEE is the declarant of the first living household with a DSU and a minor.
func subjectWithISEE(p *population.Population) *population.Person {
	for _, h := range p.Households {
		if h.DSU == nil || h.DSU.Dichiarante.Deceduto() {
			continue
		}
		for _, m := range h.Members {
			if m.Minorenne() {
				return h.DSU.Dichiarante
			}
		}
	}
	return p.DSUs[0].Dichiarante
}

// icefPolitica is the ICEF policy of the example call: every Trentino household has it.
const icefPolitica = "assegno-unico-provinciale"

// subjectWithICEF is a living person whose household has an ICEF indicator for icefPolitica, and
// its year ("" when the population has none).
func subjectWithICEF(p *population.Population) (cf, anno string) {
	for _, h := range p.Households {
		for _, i := range h.ICEF {
			if i.Politica != icefPolitica {
				continue
			}
			for _, m := range h.Members {
				if !m.Deceduto() && p.ICEF(m.CodiceFiscale, icefPolitica, i.Anno) != nil {
					return m.CodiceFiscale, strconv.Itoa(i.Anno)
				}
			}
		}
	}
	return "", ""
}

// subjectWithBenefit is the beneficiary of the first means-tested periodic benefit of the Comune
// di Trento that no record cancels, and the day it starts: the consultazione finds it in force.
func subjectWithBenefit(p *population.Population) (cf, on string) {
	cancelled := map[string]bool{}
	for _, pr := range p.Prestazioni {
		if pr.TipoOperazione == "C" {
			cancelled[pr.ID], cancelled[pr.AnnullaID] = true, true
		}
	}
	for _, pr := range p.Prestazioni {
		if pr.Ente.Codice == trentoCodice && pr.CaratterePrestazione == "1" && pr.PresenzaProvaMezzi != "4" &&
			!cancelled[pr.ID] && pr.DataInizioPrestazione != "" {
			return pr.Beneficiario.CodiceFiscale, pr.DataInizioPrestazione
		}
	}
	first := p.Prestazioni[0]
	return first.Beneficiario.CodiceFiscale, population.ReferenceDate.String()
}

// trentoCodice is the Belfiore code of the Comune di Trento, the ente of the demo's SIUSS feed.
const trentoCodice = "L378"

// display is path relative to the working directory when it lies below it (what a reader types),
// else as it is.
func display(path string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(path) {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

func printBanner(w io.Writer, b Banner, traffic time.Duration) {
	var s strings.Builder
	s.WriteString("WelfareGOV gateway demo is serving, with the pasim simulators:\n")
	fmt.Fprintf(&s, "  internal API  %-30s WelfareGOV (contract: %s/api/v1/openapi.yaml)\n", b.Internal, b.Internal)
	tls := ""
	if b.DevRoot != "" {
		tls = " (TLS: --cacert " + b.DevRoot + ")"
	}
	fmt.Fprintf(&s, "  e-services    %-30s other administrations, through PDND%s\n", b.EServices, tls)
	for _, e := range b.EServiceURLs {
		fmt.Fprintf(&s, "    %-11s %s\n                %s\n", e.Name, e.URL, e.Who)
	}
	fmt.Fprintf(&s, "  admin         %-30s operators: /status, /readyz, /metrics\n", b.Admin)
	fmt.Fprintf(&s, "  dashboard     %-30s integrations at a glance (no token needed to look)\n", b.Dashboard)
	fmt.Fprintf(&s, "  pasim         %-30s simulators' faults and status (GET /faults, GET /simulators)\n", b.Simulators)
	fmt.Fprintf(&s, "Admin token (dashboard controls, SIUSS queues): %s\n", b.AdminTokenFile)
	if b.AuditDir != "" {
		fmt.Fprintf(&s, "Audit trail of the e-service calls: %s (check it: bin/gateway audit verify %s)\n", b.AuditDir, b.AuditDir)
	}
	fmt.Fprintf(&s, "Configuration (deploy/config/demo.yaml + pasim's ports and keys + generated credentials): %s\n", b.ConfigFile)
	if traffic > 0 {
		fmt.Fprintf(&s, "Background traffic every %s: WelfareGOV calls the internal API; the Comune di Trento the prestazioni\n", traffic)
		s.WriteString("e-service (now and then with a tampered body, refused) and the estrazione one; INPS reads the SIUSS\n")
		s.WriteString("feed and posts its esiti; WelfareGOV grants new benefits (now and then an invalid one, refused into\n")
		s.WriteString("the scarti queue). --traffic 0 turns it off.\n")
	}
	s.WriteString("\nWelfareGOV calling the internal API:\n")
	for i, c := range b.Calls {
		fmt.Fprintf(&s, "\n%d. %s:\n%s\n", i+1, c.Title, c.Curl())
	}
	if len(b.EServiceCall.Flags) > 0 {
		s.WriteString("\nThe Comune di Trento calling WelfareGOV's prestazioni e-service (README.md, \"Calling WelfareGOV's\n")
		s.WriteString("e-services\"): a PDND voucher from pasim, INTEGRITY_REST_02 and AUDIT_REST_02, a signed answer\n")
		s.WriteString("(`make run` built bin/modi; without --integrity the call is refused with 400 integrity.missing):\n")
		fmt.Fprintf(&s, "%s\n", b.EServiceCall.Command())
	}
	if b.Operator.URL != "" {
		fmt.Fprintf(&s, "\n%s:\n%s\n", b.Operator.Title, b.Operator.Curl())
	}
	s.WriteString("\nMake INPS fail: cached answers still come (HIT), new questions get 503 upstream-unavailable,\n")
	s.WriteString("and after 5 failures in a row 503 upstream-circuit-open without calling INPS; DELETE heals it:\n")
	fmt.Fprintf(&s, "%s\n%s\n", b.FaultOn.Curl(), b.FaultOff.Curl())
	s.WriteString("Or from the dashboard: force the breaker open, watch the stale answers and the refusals, reset it.\n")
	s.WriteString("Stop with Ctrl-C.\n")
	fmt.Fprint(w, s.String())
}
