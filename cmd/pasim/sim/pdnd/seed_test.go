package pdnd

import (
	"strings"
	"testing"
)

func TestCommittedSeedIsValid(t *testing.T) {
	s, err := ParseSeed(DefaultSeedYAML)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Clients) == 0 || len(s.Purposes) == 0 || len(s.ProducerKeychains) == 0 {
		t.Fatalf("empty registry: %+v", s)
	}
	if strings.Contains(string(DefaultSeedYAML), "PRIVATE KEY") {
		t.Fatal("the seed must never hold key material")
	}
}

// TestSeedProblems: each kind of mistake in a seed is reported with its entry and field, all at
// once.
func TestSeedProblems(t *testing.T) {
	const good = `
tenants:
  - {name: a, id: 87185e72-a4a9-494c-a969-6f64353dcd66}
  - {name: b, id: 41617339-e717-4a8f-b479-1431ec978f2d}
eservices:
  - {name: e, id: 75cde6d3-7b5d-4daf-8b48-31bf1170285d, producer: a, descriptor: {id: e578a499-f717-46f2-906c-70b627630d68, audience: [x]}}
purposes:
  - {name: p, id: 25f90f5c-bd33-469b-9df3-28cf5380f989, eservice: e, consumer: b}
clients:
  - {name: c, id: f8518787-aa58-4f99-b5d9-ffb56256c2b7, kind: consumer, consumer: b, keys: [k1], purposes: [p]}
`
	if _, err := ParseSeed([]byte(good)); err != nil {
		t.Fatalf("good seed refused: %v", err)
	}
	for name, tc := range map[string]struct {
		edit func(string) string
		want string
	}{
		"fail/unknown-member": {func(s string) string { return strings.Replace(s, "keys: [k1]", "keyz: [k1]", 1) }, "field keyz not found"},
		"fail/not-uuid": {func(s string) string {
			return strings.Replace(s, "87185e72-a4a9-494c-a969-6f64353dcd66", "tenant-a", 1)
		}, "tenants[0] a: id \"tenant-a\" is not a UUID"},
		"fail/duplicate-id": {func(s string) string {
			return strings.Replace(s, "41617339-e717-4a8f-b479-1431ec978f2d", "87185e72-a4a9-494c-a969-6f64353dcd66", 1)
		}, "is also the id of tenants[0] a"},
		"fail/undefined-ref":     {func(s string) string { return strings.Replace(s, "eservice: e,", "eservice: nope,", 1) }, "purposes[0] p: eservice \"nope\" is not defined"},
		"fail/foreign-purpose":   {func(s string) string { return strings.Replace(s, "consumer: b, keys", "consumer: a, keys", 1) }, "purpose p belongs to b, not to the client's tenant a"},
		"fail/api-with-purposes": {func(s string) string { return strings.Replace(s, "kind: consumer", "kind: api", 1) }, "a PDND-API client has no purposes"},
		"fail/unknown-kind":      {func(s string) string { return strings.Replace(s, "kind: consumer", "kind: m2m", 1) }, "kind \"m2m\" is not consumer or api"},
		"fail/no-keys":           {func(s string) string { return strings.Replace(s, "keys: [k1]", "keys: []", 1) }, "at least one key is required"},
		"fail/duplicate-name":    {func(s string) string { return strings.Replace(s, "{name: b,", "{name: a,", 1) }, "name \"a\" is used twice"},
		"fail/no-audience":       {func(s string) string { return strings.Replace(s, "audience: [x]", "audience: []", 1) }, "descriptor.audience is required"},
		"fail/key-twice": {func(s string) string {
			return s + "producer_keychains:\n  - {name: kc, id: 2b7e1c4d-8f3a-4d6e-a1b2-c3d4e5f60718, producer: a, keys: [k1]}\n"
		}, "key \"k1\" is already listed by clients[0] c"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSeed([]byte(tc.edit(good)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestResolveAudience(t *testing.T) {
	got, err := resolveAudience("{{anpr}}/govway/x/v1", map[string]string{"anpr": "http://127.0.0.1:7003/"})
	if err != nil || got != "http://127.0.0.1:7003/govway/x/v1" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := resolveAudience("{{nope}}/v1", map[string]string{"anpr": "x"}); err == nil || !strings.Contains(err.Error(), "known: anpr") {
		t.Fatalf("unknown placeholder: %v", err)
	}
}
