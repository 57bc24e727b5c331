package openapi

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the generated part of internal-api.yaml from model.yaml")

// generatedMarker starts the part of internal-api.yaml copied from model.yaml.
const generatedMarker = "    # ---- model.yaml components: generated, do not edit below this line\n" +
	"    # (go test ./contracts/openapi -run TestInternalAPIEmbedsTheModel -update)\n"

var (
	schemaHeader = regexp.MustCompile(`^    ([A-Za-z0-9]+):\s*$`)
	schemaRef    = regexp.MustCompile(`#/components/schemas/([A-Za-z0-9]+)`)
)

// modelBlocks splits model.yaml's components.schemas into each schema's text, in document order.
func modelBlocks(t *testing.T) (order []string, blocks map[string]string) {
	t.Helper()
	lines := strings.SplitAfter(string(Model()), "\n")
	start := slices.Index(lines, "  schemas:\n")
	if start < 0 {
		t.Fatal("model.yaml has no components.schemas")
	}
	blocks = map[string]string{}
	var cur string
	var b strings.Builder
	flush := func() {
		if cur != "" {
			blocks[cur] = strings.TrimRight(b.String(), "\n") + "\n"
			order = append(order, cur)
		}
		b.Reset()
	}
	for _, l := range lines[start+1:] {
		if m := schemaHeader.FindStringSubmatch(l); m != nil {
			flush()
			cur = m[1]
		} else if strings.HasPrefix(l, "    #") || (strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "     ")) {
			flush()
			cur = ""
			continue
		}
		if cur != "" {
			b.WriteString(l)
		}
	}
	flush()
	return order, blocks
}

// closure is every model schema the hand-written part references, directly or through other
// model schemas, in model.yaml's order.
func closure(t *testing.T, hand string, order []string, blocks map[string]string) []string {
	t.Helper()
	need := map[string]bool{}
	var visit func(text string)
	visit = func(text string) {
		for _, m := range schemaRef.FindAllStringSubmatch(text, -1) {
			name := m[1]
			if need[name] {
				continue
			}
			if _, ok := blocks[name]; !ok {
				continue // defined in the hand-written part
			}
			need[name] = true
			visit(blocks[name])
		}
	}
	visit(hand)
	var out []string
	for _, n := range order {
		if need[n] {
			out = append(out, n)
		}
	}
	return out
}

// TestInternalAPIEmbedsTheModel: the internal API contract is self-contained (tools and the
// gateway's response checks need no second file): after the marker it holds exactly the model
// schemas its own part references, transitively, as model.yaml writes them. -update regenerates it.
func TestInternalAPIEmbedsTheModel(t *testing.T) {
	doc := string(InternalAPI())
	i := strings.Index(doc, generatedMarker)
	if i < 0 {
		t.Fatalf("internal-api.yaml lacks the marker line:\n%s", generatedMarker)
	}
	hand := doc[:i+len(generatedMarker)]
	order, blocks := modelBlocks(t)
	var b strings.Builder
	b.WriteString(hand)
	for _, name := range closure(t, hand, order, blocks) {
		if strings.Contains(hand[strings.Index(hand, "\n  schemas:\n"):], "\n    "+name+":\n") {
			t.Fatalf("%s is defined both in internal-api.yaml and model.yaml: rename one", name)
		}
		b.WriteString(blocks[name])
	}
	want := b.String()
	if *update {
		if err := os.WriteFile(InternalAPIFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Fatal("internal-api.yaml's model schemas differ from model.yaml: run go test ./contracts/openapi -run TestInternalAPIEmbedsTheModel -update")
	}
}

// The contract parses, every $ref resolves inside it, and the checker of real responses compiles
// every response schema.
func TestInternalAPIContractResolves(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(InternalAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, m := range schemaRef.FindAllStringSubmatch(string(InternalAPI()), -1) {
		if _, ok := schemas[m[1]]; !ok {
			t.Errorf("$ref to %s, which the contract does not define", m[1])
		}
	}
	if _, err := NewValidatorFor(InternalAPI()); err != nil {
		t.Fatal(err)
	}
	c, err := NewContract(InternalAPI())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/soggetti/RSSMRA80A01H501U/isee", "/api/v1/soggetti/RSSMRA80A01H501U", "/api/v1/soggetti/RSSMRA80A01H501U/famiglia", "/api/v1/soggetti/RSSMRA80A01H501U/icef"} {
		err := c.CheckResponse("GET", path, 404, map[string][]string{"Content-Type": {"application/problem+json"}},
			[]byte(`{"type":"https://welfaregov.github.io/gateway/problems/subject-not-found","title":"Subject not found in ANPR","status":404,"code":"anpr.not-found"}`))
		if err != nil {
			t.Error(fmt.Errorf("%s: %w", path, err))
		}
	}
}
