package contracts

import (
	"strings"
	"testing"
)

func TestCheckValoriKnownAnswer(t *testing.T) {
	// The synthetic INPS sample: 25000 / 2.04 = 12254.90 (12254.9019...).
	v := ValoriISEE{ISEE: MustDecimal("12254.90"), ISE: MustDecimal("25000.00"), ISR: MustDecimal("20000.00"),
		ISP: MustDecimal("25000.00"), ScalaEquivalenza: MustDecimal("2.04")}
	if got := CheckValori(v, "/valori"); len(got) != 0 {
		t.Fatalf("the known answer is flagged: %+v", got)
	}
	if got := CheckModalitaCalcolo(*fixtureModalita(), "/m"); len(got) != 0 {
		t.Fatalf("the sample breakdown is flagged: %+v", got)
	}
}

func TestCheckValori(t *testing.T) {
	base := func() ValoriISEE {
		return ValoriISEE{ISEE: MustDecimal("12254.90"), ISE: MustDecimal("25000.00"), ISR: MustDecimal("20000.00"),
			ISP: MustDecimal("25000.00"), ScalaEquivalenza: MustDecimal("2.04")}
	}
	type want struct {
		eq           Equazione
		campo        string
		atteso, trov string // atteso "" = absent
	}
	for _, tc := range []struct {
		name   string
		mutate func(*ValoriISEE)
		want   []want
	}{
		{"ok/isee one cent off is within tolerance", func(v *ValoriISEE) { v.ISEE = MustDecimal("12254.91") }, nil},
		{"ok/isee truncated instead of rounded", func(v *ValoriISEE) {
			v.ISE, v.ISR, v.ISEE = MustDecimal("25000.01"), MustDecimal("20000.01"), MustDecimal("12254.90")
		}, nil},
		{"fail/isee two cents off", func(v *ValoriISEE) { v.ISEE = MustDecimal("12254.92") },
			[]want{{EquazioneISEE, "isee", "12254.90", "12254.92"}}},
		{"fail/isee computed with the wrong scale", func(v *ValoriISEE) { v.ISEE = MustDecimal("15923.57") },
			[]want{{EquazioneISEE, "isee", "12254.90", "15923.57"}}},
		{"fail/ise is ISR + ISP", func(v *ValoriISEE) { v.ISE = MustDecimal("45000.00"); v.ISEE = MustDecimal("22058.82") },
			[]want{{EquazioneISE, "ise", "25000.00", "45000.00"}}},
		{"fail/both equations", func(v *ValoriISEE) { v.ISE = MustDecimal("25100.00") },
			[]want{{EquazioneISE, "ise", "25000.00", "25100.00"}, {EquazioneISEE, "isee", "12303.92", "12254.90"}}},
		{"fail/zero scale", func(v *ValoriISEE) { v.ScalaEquivalenza = MustDecimal("0") },
			[]want{{EquazioneISEE, "scalaEquivalenza", "", "0.00"}}},
		{"fail/negative scale", func(v *ValoriISEE) { v.ScalaEquivalenza = MustDecimal("-2.04") },
			[]want{{EquazioneISEE, "scalaEquivalenza", "", "-2.04"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := base()
			tc.mutate(&v)
			got := CheckValori(v, "/valori")
			if len(got) != len(tc.want) {
				t.Fatalf("got %d incongruenze %+v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Equazione != w.eq || g.Campo != w.campo || g.Trovato.String() != w.trov || g.Riferimento != "/valori" ||
					!strings.Contains(g.Dettaglio, w.trov) {
					t.Errorf("[%d] got %+v, want %+v", i, g, w)
				}
				if (w.atteso == "") != (g.Atteso == nil) || (g.Atteso != nil && g.Atteso.String() != w.atteso) {
					t.Errorf("[%d] atteso %v, want %q", i, g.Atteso, w.atteso)
				}
			}
		})
	}
}

func TestCheckModalitaCalcoloScala(t *testing.T) {
	m := fixtureModalita()
	m.Maggiorazioni = MustDecimal("0.20") // 2.04 + 0.20 != 2.04
	got := CheckModalitaCalcolo(*m, "/indicatori/0/modalitaCalcolo")
	if len(got) != 1 || got[0].Equazione != EquazioneScala || got[0].Atteso.String() != "2.24" || got[0].Trovato.String() != "2.04" {
		t.Fatalf("got %+v", got)
	}
	m = fixtureModalita()
	m.ISE = MustDecimal("26000.00")
	if got := CheckModalitaCalcolo(*m, ""); len(got) != 1 || got[0].Equazione != EquazioneISE {
		t.Fatalf("got %+v", got)
	}
}

func TestCheckAttestazione(t *testing.T) {
	a := fixtureAttestazione()
	if got := CheckAttestazione(a); len(got) != 0 {
		t.Fatalf("the consistent fixture is flagged: %+v", got)
	}
	// Break the third indicator's detail: Valori and ModalitaCalcolo now disagree on ISR, and the
	// breakdown's own ISE equation fails.
	a.Indicatori[2].ModalitaCalcolo.ISR = MustDecimal("19000.00")
	got := CheckAttestazione(a)
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	if got[0].Equazione != EquazioneISE || got[0].Riferimento != "/indicatori/2/modalitaCalcolo" {
		t.Errorf("first: %+v", got[0])
	}
	if got[1].Equazione != EquazioneValoriDettaglio || got[1].Campo != "isr" || got[1].Atteso.String() != "20000.00" || got[1].Trovato.String() != "19000.00" {
		t.Errorf("second: %+v", got[1])
	}
	// A non-computable indicator is never checked, even with garbage values.
	ind := IndicatoreISEE{Stato: IndicatoreNonCalcolabile, Valori: &ValoriISEE{}}
	if got := CheckIndicatore(ind, ""); got != nil {
		t.Fatalf("NON_CALCOLABILE checked: %+v", got)
	}
}
