package upstream

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestFreeTextMasksBeforeTheCut: a code the cut would split is masked first, never shown in part;
// the cut falls on a character, not inside one, and is marked.
func TestFreeTextMasksBeforeTheCut(t *testing.T) {
	text := strings.Repeat("è", 10) + " RSSMRA80A01H501U fine"
	got := FreeText("  "+text+"  ", 20)
	if want := strings.Repeat("è", 10) + " RSSMRA***…"; got != want {
		t.Fatalf("FreeText = %q, want %q", got, want)
	}
	if !utf8.ValidString(FreeText(strings.Repeat("è", 400), 300)) {
		t.Fatal("the cut split a character")
	}
	if got := FreeText(" breve ", 300); got != "breve" {
		t.Fatalf("FreeText of a short text = %q", got)
	}
}

func TestCeilSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 0, time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, time.Minute: 60} {
		if got := CeilSeconds(d); got != want {
			t.Errorf("CeilSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
