package cache

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/internal/replicas"
	"github.com/welfaregov/gateway/gateway/store"
)

// newReplicaCache is a cache on one replica's store of a Redis pair.
func newReplicaCache(t *testing.T, st store.Store, localTTL time.Duration) *Cache {
	t.Helper()
	c, err := New(Options{Store: st, Key: testKey, Kinds: DefaultKinds, LocalTTL: localTTL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	cfA = "RSSMRA80A01H501U"
	cfB = "VRDLGU70B02L378X"
)

// Nothing in Redis reveals a codice fiscale or a payload: keys are keyed hashes, values are
// AES-GCM ciphertexts with a fresh nonce each (the same payload stored twice differs), bound to
// their key (moved under another key, a value does not decrypt, and reads as a miss).
func TestSharedTierPrivacy(t *testing.T) {
	pair := replicas.Redis(t)
	c := newReplicaCache(t, pair.A, 0)
	ctx := context.Background()
	payload := []byte(`{"codiceFiscale":"` + cfA + `","isee":"12254.90"}`)
	load := func(context.Context) (Value, error) { return Value{Data: payload}, nil }
	for _, k := range []Key{
		{Kind: "isee_attestazione", Subject: cfA, Variant: "2025-02-12"},
		{Kind: "isee_indicatore", Subject: cfA, Variant: "Ordinario"},
		{Kind: "anpr_residenza", Subject: cfA},
		{Kind: "anpr_residenza", Subject: cfB},
	} {
		if _, err := c.Get(ctx, k, load); err != nil {
			t.Fatal(err)
		}
	}
	keys := pair.Keys(t)
	if len(keys) != 6 { // 4 entries + one purge index per subject
		t.Fatalf("keys %v", keys)
	}
	forbidden := [][]byte{[]byte(cfA), []byte(strings.ToLower(cfA)), []byte(cfB), []byte("12254.90"),
		[]byte(base64.StdEncoding.EncodeToString([]byte(cfA))), []byte(hex.EncodeToString([]byte(cfA)))}
	var values [][]byte
	for _, k := range keys {
		var raw []byte
		typ, err := pair.Raw.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch typ {
		case "string":
			raw, err = pair.Raw.Get(ctx, k).Bytes()
			values = append(values, raw)
		case "hash":
			var m map[string]string
			m, err = pair.Raw.HGetAll(ctx, k).Result()
			for f, v := range m {
				raw = append(raw, f+"="+v+";"...)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k, pair.Prefix+"cache:") {
			t.Fatalf("key %s outside the cache namespace", k)
		}
		for _, f := range forbidden {
			if bytes.Contains([]byte(k), f) || bytes.Contains(raw, f) {
				t.Fatalf("key %s or its value reveals %q", k, f)
			}
		}
	}
	if len(values) != 4 {
		t.Fatalf("%d values, want 4", len(values))
	}
	sk := c.seal.storageKey(Key{Kind: "anpr_residenza", Subject: cfA})
	e := entry{data: payload, fetchedAt: time.UnixMilli(1), freshUntil: time.UnixMilli(2), expiresAt: time.UnixMilli(3)}
	if bytes.Equal(c.seal.seal(sk, e), c.seal.seal(sk, e)) {
		t.Fatal("sealing the same entry twice must give different ciphertexts (a fresh nonce each)")
	}

	// A value moved under another key (a swap attack) does not decrypt: the lookup misses.
	ka := c.seal.storageKey(Key{Kind: "anpr_residenza", Subject: cfA})
	kb := c.seal.storageKey(Key{Kind: "anpr_residenza", Subject: cfB})
	va, _ := pair.Raw.Get(ctx, pair.Prefix+ka).Bytes()
	pair.Raw.Set(ctx, pair.Prefix+kb, va, time.Hour)
	other := newReplicaCache(t, pair.B, 0)
	calls := 0
	if _, err := other.Get(ctx, Key{Kind: "anpr_residenza", Subject: cfB}, func(context.Context) (Value, error) {
		calls++
		return Value{Data: []byte("fresh")}, nil
	}); err != nil || calls != 1 {
		t.Fatalf("a swapped value must read as a miss: calls %d, %v", calls, err)
	}
	// And another secret cannot read anything.
	stranger, err := New(Options{Store: pair.B, Key: bytes.Repeat([]byte("k"), 32), Kinds: DefaultKinds})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.seal.open(ka, va); err == nil {
		t.Fatal("a value decrypted under another secret")
	}
}

// A replica serves what another replica loaded, from the shared tier; a purge on one replica
// removes every kind and variant of the subject from Redis at once (other subjects untouched),
// and the other replica stops serving its in-process copy within local_ttl.
func TestPurgeAcrossReplicas(t *testing.T) {
	pair := replicas.Redis(t)
	const localTTL = 100 * time.Millisecond
	a, b := newReplicaCache(t, pair.A, localTTL), newReplicaCache(t, pair.B, localTTL)
	ctx := context.Background()
	calls := map[string]int{}
	load := func(k Key) func(context.Context) (Value, error) {
		return func(context.Context) (Value, error) {
			calls[k.Subject]++
			return Value{Data: []byte(k.Kind + "/" + k.Variant)}, nil
		}
	}
	keysA := []Key{
		{Kind: "isee_attestazione", Subject: cfA, Variant: "2025-02-12"},
		{Kind: "isee_attestazione", Subject: cfA, Variant: "2025-03-01"},
		{Kind: "anpr_famiglia", Subject: cfA},
	}
	keyB := Key{Kind: "anpr_famiglia", Subject: cfB}
	for _, k := range append(keysA, keyB) {
		if _, err := a.Get(ctx, k, load(k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range append(keysA, keyB) {
		r, err := b.Get(ctx, k, load(k))
		if err != nil || r.State != contracts.CacheHit {
			t.Fatalf("replica B on %v: %+v %v", k, r, err)
		}
	}
	if calls[cfA] != 3 || calls[cfB] != 1 {
		t.Fatalf("upstream calls %v: replica B must be served by A's loads", calls)
	}

	if err := a.Purge(ctx, cfA); err != nil {
		t.Fatal(err)
	}
	left := pair.Keys(t)
	if len(left) != 2 { // cfB's entry and its index
		t.Fatalf("after the purge Redis holds %v", left)
	}
	for _, k := range left {
		if strings.Contains(k, a.seal.mac("subject", cfA)) {
			t.Fatalf("cfA's index survived: %s", k)
		}
	}
	if r, _ := a.Get(ctx, keysA[0], load(keysA[0])); r.State != contracts.CacheMiss || calls[cfA] != 4 {
		t.Fatalf("replica A after its purge: %+v, calls %v", r, calls)
	}
	// Replica B still trusts its own copy until local_ttl passes, then re-reads Redis.
	if r, _ := b.Get(ctx, keysA[2], load(keysA[2])); r.State != contracts.CacheHit || calls[cfA] != 4 {
		t.Fatalf("replica B within local_ttl: %+v", r)
	}
	time.Sleep(localTTL + 20*time.Millisecond)
	if r, _ := b.Get(ctx, keysA[2], load(keysA[2])); r.State != contracts.CacheMiss || calls[cfA] != 5 {
		t.Fatalf("replica B past local_ttl: %+v, calls %v; the purge must be honoured", r, calls)
	}
	if r, _ := b.Get(ctx, keyB, load(keyB)); r.State != contracts.CacheHit || calls[cfB] != 1 {
		t.Fatalf("another subject must survive the purge: %+v", r)
	}
}
