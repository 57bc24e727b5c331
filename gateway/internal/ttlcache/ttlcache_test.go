package ttlcache

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestExpiryAndBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[string, int](3, nil)
		c.Put("a", 1, time.Now().Add(time.Minute))
		c.Put("b", 2, time.Now().Add(2*time.Minute))
		c.Put("past", 3, time.Now())
		if v, ok := c.Get("a"); !ok || v != 1 {
			t.Fatal("a")
		}
		if _, ok := c.Get("past"); ok || c.Len() != 2 {
			t.Fatal("an entry expiring now is not stored")
		}
		time.Sleep(time.Minute)
		if _, ok := c.Get("a"); ok {
			t.Fatal("a expired at its instant")
		}
		c.Put("c", 3, time.Now().Add(time.Hour))
		c.Put("d", 4, time.Now().Add(time.Hour)) // full: the expired "a" is swept
		if _, ok := c.Get("b"); !ok || c.Len() != 3 {
			t.Fatalf("len %d", c.Len())
		}
		c.Put("e", 5, time.Now().Add(time.Hour)) // full of live entries: one is dropped
		if c.Len() != 3 {
			t.Fatalf("len %d, bound 3", c.Len())
		}
		if _, ok := c.Get("e"); !ok {
			t.Fatal("the new entry is stored")
		}
		for range 1000 {
			c.Put("x", 1, time.Now().Add(time.Hour))
		}
		c.Delete("x")
		if _, ok := c.Get("x"); ok {
			t.Fatal("deleted")
		}
	})
}
