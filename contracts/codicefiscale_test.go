package contracts

import (
	"errors"
	"testing"
)

func TestValidateCodiceFiscale(t *testing.T) {
	for _, tc := range []struct {
		name string
		cf   string
		want CFReason // 0 = valid
	}{
		// Expected check characters computed by an independent implementation (Python, same tables).
		{"ok/classic example", "RSSMRA85T10A562S", 0},
		{"ok/woman, day+40", "BNCLRA70A41F205E", 0},
		{"ok/omocode level 1", "RSSMRA85T10A56NH", 0},
		{"ok/omocode level 7", "RSSMRAURTMLARNNG", 0},
		{"ok/legal person", "80078750587", 0}, // INPS
		{"ok/legal person 2", "00000000000", 0},
		{"fail/INPS sample with wrong check character", "AAABBB39M66A351C", CFBadCheckCharacter},
		{"fail/INPS sample 2 with wrong check character", "CCCDDD25A42H199X", CFBadCheckCharacter},
		{"fail/empty", "", CFEmpty},
		{"fail/15 characters", "RSSMRA85T10A562", CFLength},
		{"fail/lower case is not normalised here", "rssmra85t10a562s", CFFormat},
		{"fail/digit where a letter is due", "R5SMRA85T10A562S", CFFormat},
		{"fail/letter outside omocodia set", "RSSMRA8AT10A562S", CFFormat},
		{"fail/month letter", "RSSMRA85Z10A562S", CFMonth},
		{"fail/day 00", "RSSMRA85T00A562S", CFDay},
		{"fail/day 35", "RSSMRA85T35A562S", CFDay},
		{"fail/check character", "RSSMRA85T10A562T", CFBadCheckCharacter},
		{"fail/legal person check digit", "80078750588", CFBadCheckCharacter},
		{"fail/legal person letter", "8007875058A", CFFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateCodiceFiscale(tc.cf)
			if tc.want == 0 {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ce *CFError
			if !errors.As(err, &ce) {
				t.Fatalf("want CFError %v, got %v", tc.want, err)
			}
			if ce.Reason != tc.want {
				t.Fatalf("want reason %v, got %v (%v)", tc.want, ce.Reason, err)
			}
			if !errors.Is(err, ErrCodiceFiscale) {
				t.Fatal("errors.Is(err, ErrCodiceFiscale) = false")
			}
		})
	}
}

func TestOmocodeRoundTrip(t *testing.T) {
	const cf = "RSSMRA85T10A562S"
	for level := 0; level <= 7; level++ {
		o, err := Omocode(cf, level)
		if err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		if err := ValidateCodiceFiscalePersona(o); err != nil {
			t.Fatalf("level %d: %s not valid: %v", level, o, err)
		}
		if got := IsOmocode(o); got != (level > 0) {
			t.Fatalf("level %d: IsOmocode(%s) = %v", level, o, got)
		}
		if d := DecodeOmocodia(o); d[:15] != cf[:15] {
			t.Fatalf("level %d: DecodeOmocodia(%s) = %s", level, o, d)
		}
	}
	if _, err := Omocode(cf, 8); err == nil {
		t.Fatal("level 8 accepted")
	}
}

func FuzzValidateCodiceFiscale(f *testing.F) {
	for _, s := range []string{"RSSMRA85T10A562S", "80078750587", "RSSMRAURTMLARNNG", "", "ÀÀÀ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateCodiceFiscale(s)
		if err == nil && len(s) == 16 && CFCheckCharacter(s[:15]) != s[15] {
			t.Fatalf("accepted %q with a wrong check character", s)
		}
	})
}

func TestMaskCodiceFiscale(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"RSSMRA85T10A562S", "RSSMRA**********"},
		{"rssmra85t10a562s", "RSSMRA**********"}, // normalised first
		{" RSSMRA85T10A562S ", "RSSMRA**********"},
		{"80078750587", "****************"}, // an 11-digit code: its digits identify the holder
		{"8007875058", "****************"},  // so does any all-digit fragment of one
		{"RSS", "RSS*************"},
		{"", "****************"},
		{"RSSMRA85T10A562SEXTRA", "RSSMRA**********"},
		{"R\nS\x00MRA", "R*S*MR**********"}, // control characters never reach a log line
		{"ÀÉRSSMRA", "****RS**********"},    // non-ASCII bytes are masked
		{"RSS-MRA85T10A562S", "RSS*MR**********"},
	} {
		got := MaskCodiceFiscale(tc.in)
		if got != tc.want {
			t.Errorf("MaskCodiceFiscale(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzMaskCodiceFiscale(f *testing.F) {
	for _, s := range []string{"RSSMRA85T10A562S", "", "ÀÀÀ", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := MaskCodiceFiscale(s)
		if len(m) != 16 || m[6:] != "**********" {
			t.Fatalf("MaskCodiceFiscale(%q) = %q", s, m)
		}
		for i := 0; i < 6; i++ {
			if m[i] != '*' && cfIndex(m[i]) < 0 {
				t.Fatalf("MaskCodiceFiscale(%q) = %q leaks byte %q", s, m, m[i])
			}
		}
	})
}
