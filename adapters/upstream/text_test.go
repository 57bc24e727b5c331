package upstream

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestMaskCodiciFiscali(t *testing.T) {
	for in, want := range map[string]string{
		"soggetto RSSMRA80A01H501U non trovato":  "soggetto RSSMRA********** non trovato",
		"cf=rssmra80a01h501u;":                   "cf=RSSMRA**********;",          // any case
		"CF:RSSMRAULALMHRLMDnon valido":          "CF:RSSMRA**********non valido", // glued to other letters: masked all the same
		"protocollo INPS-ISEE-2025-00012345A-00": "protocollo INPS-ISEE-2025-00012345A-00",
		"":                                       "",
	} {
		if got := MaskCodiciFiscali(in); got != want {
			t.Errorf("MaskCodiciFiscali(%q) = %q, want %q", in, got, want)
		}
	}
}

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
