package cache

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

type anprNotFound struct{}

func (anprNotFound) Error() string                { return "anpr: C021 HTTP 404: not found; EN122" }
func (anprNotFound) UpstreamClass() adapter.Class { return adapter.Business }
func (anprNotFound) Code() string                 { return "EN122" }

// The typed view stores the model as JSON, ends an ISEE's freshness with its DataValidita (the
// end of that day in Rome), and turns a business error into a cached BusinessAnswer that keeps
// the upstream's code.
func TestTyped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newMemoryCache(t, func(o *Options) { o.Kinds = DefaultKinds })
		isee, err := NewTyped(c, "isee_attestazione", func(a contracts.AttestazioneISEE) time.Time { return ValidUntil(a.DataValidita) })
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// The bubble starts at 2000-01-01 00:00 UTC (01:00 in Rome): valid through 2000-01-01.
		att := contracts.AttestazioneISEE{ProtocolloDSU: "INPS-ISEE-2025-00012345A-00", DataPresentazione: contracts.MustData(1999, 12, 1),
			DataValidita: contracts.MustData(2000, 1, 1), Provenienza: contracts.Provenienza{Sistema: contracts.SistemaINPS}}
		loads := 0
		load := func(context.Context) (contracts.AttestazioneISEE, error) { loads++; return att, nil }
		got, r, err := isee.Get(ctx, cfA, "", load)
		if err != nil || got.ProtocolloDSU != att.ProtocolloDSU || r.State != contracts.CacheMiss {
			t.Fatalf("%+v %+v %v", got, r, err)
		}
		time.Sleep(22*time.Hour + 59*time.Minute) // 23:59 in Rome
		if _, r, _ := isee.Get(ctx, cfA, "", load); r.State != contracts.CacheHit || loads != 1 {
			t.Fatalf("before midnight in Rome: %+v", r)
		}
		time.Sleep(2 * time.Minute)
		if _, r, _ := isee.Get(ctx, cfA, "", load); r.State != contracts.CacheMiss || loads != 2 {
			t.Fatalf("after DataValidita: %+v, loads %d", r, loads)
		}

		fam, err := NewTyped[contracts.NucleoFamiliare](c, "anpr_famiglia", nil)
		if err != nil {
			t.Fatal(err)
		}
		missing := func(context.Context) (contracts.NucleoFamiliare, error) {
			return contracts.NucleoFamiliare{}, anprNotFound{}
		}
		for i, want := range []contracts.StatoCache{contracts.CacheMiss, contracts.CacheHit} {
			_, r, err := fam.Get(ctx, cfB, "", missing)
			var ba *BusinessAnswer
			if !errors.As(err, &ba) || ba.Code != "EN122" || ba.Message != (anprNotFound{}).Error() ||
				adapter.ClassOf(err) != adapter.Business || r.State != want {
				t.Fatalf("lookup %d: %+v %v", i, r, err)
			}
		}
		if _, err := NewTyped[int](c, "no.such.kind", nil); err == nil {
			t.Fatal("an unknown kind must be refused")
		}
	})
}

func TestValidUntil(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	for name, tc := range map[string]struct {
		d    contracts.Data
		want time.Time
	}{
		"ok/day":             {contracts.MustData(2025, 12, 31), time.Date(2026, 1, 1, 0, 0, 0, 0, rome)},
		"ok/before-dst-ends": {contracts.MustData(2025, 10, 25), time.Date(2025, 10, 26, 0, 0, 0, 0, rome)},
		"ok/zero":            {contracts.Data{}, time.Time{}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := ValidUntil(tc.d); !got.Equal(tc.want) {
				t.Fatalf("%v, want %v", got, tc.want)
			}
		})
	}
	month, _ := contracts.NewDataMonth(2025, 5)
	if !ValidUntil(month).IsZero() {
		t.Fatal("a partial date has no end instant")
	}
}

// With SharedValues, the hits on one in-process entry return the value decoded once (the same
// slice backs every hit), a new load gives a new value, and the kept values are bounded.
func TestTypedSharedValues(t *testing.T) {
	c, _ := newMemoryCache(t, func(o *Options) { o.Kinds = DefaultKinds })
	fam, err := NewTyped[contracts.NucleoFamiliare](c, "anpr_famiglia", nil, SharedValues())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := contracts.NucleoFamiliare{Origine: contracts.NucleoANPR, Componenti: []contracts.Componente{{Persona: contracts.Persona{Cognome: "ROSSI"}, Ruolo: contracts.RuoloFiglio}}}
	load := func(context.Context) (contracts.NucleoFamiliare, error) { return n, nil }
	first, _, err := fam.Get(ctx, cfA, "", load)
	if err != nil {
		t.Fatal(err)
	}
	second, r, _ := fam.Get(ctx, cfA, "", load)
	third, _, _ := fam.Get(ctx, cfA, "", load)
	if r.State != contracts.CacheHit || &second.Componenti[0] != &third.Componenti[0] {
		t.Fatal("two hits on one entry decoded it twice")
	}
	if &first.Componenti[0] == &n.Componenti[0] {
		t.Fatal("the value must come from the cached bytes, not the loader's")
	}
	plain, _ := NewTyped[contracts.NucleoFamiliare](c, "anpr_famiglia", nil)
	a, _, _ := plain.Get(ctx, cfA, "", load)
	b, _, _ := plain.Get(ctx, cfA, "", load)
	if &a.Componenti[0] == &b.Componenti[0] {
		t.Fatal("without SharedValues every Get decodes a fresh value")
	}
	d := &decodedValues[int]{m: map[*byte]int{}}
	big := make([]byte, MaxSharedBytes/2+1)
	other := make([]byte, MaxSharedBytes/2+1)
	d.put(big, 1)
	d.put(other, 2)
	if _, ok := d.get(big); ok || d.bytes != len(other) {
		t.Fatalf("the decoded values exceed MaxSharedBytes: %d bytes kept", d.bytes)
	}
}
