package contracts

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

// A codice fiscale with a valid check character (Mario Rossi, born 1 January 1980 in Roma), the
// same person's omocode, and the Comune di Trento's numeric code (valid check digit), masked.
const (
	textCF              = "RSSMRA80A01H501U"
	textCFOmocode       = "RSSMRAULALMHRLMD"
	textCFMasked        = "RSSMRA**********"
	textCFNumeric       = "00355870221"
	textCFNumericMasked = "****************"
)

func TestMaskCodiciFiscaliInText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"alone", textCF, textCFMasked},
		{"in a sentence", "soggetto " + textCF + " non trovato", "soggetto " + textCFMasked + " non trovato"},
		{"punctuation around", "cf:" + textCF + ",", "cf:" + textCFMasked + ","},
		{"underscores around", "_" + textCF + "_", "_" + textCFMasked + "_"},
		{"lower case", "cf=rssmra80a01h501u;", "cf=" + textCFMasked + ";"},
		{"mixed case omocode", "RssMraULaLmHRlmD", textCFMasked},
		{"omocode next to the code", textCF + " " + textCFOmocode, textCFMasked + " " + textCFMasked},
		{"wrong check character", "RSSMRA80A01H501X", textCFMasked}, // a mistyped code is still personal data
		{"not a month letter", "RSSMRA80Z01H501U", textCFMasked},    // the shape is what counts
		// Glued to other letters and digits: upstream messages do not always put spaces around a code.
		{"glued to letters after", "CF:RSSMRAULALMHRLMDnon valido", "CF:" + textCFMasked + "non valido"},
		{"glued to a letter before", "X" + textCF, "X" + textCFMasked},
		{"glued to a digit after", textCF + "9", textCFMasked + "9"},
		{"glued to a digit before", "1" + textCF, "1" + textCFMasked},
		{"deep in a run", "ABCDEFGHIJ" + textCF + "KLMNO", "ABCDEFGHIJ" + textCFMasked + "KLMNO"},
		{"two glued codes", textCF + textCFOmocode, textCFMasked + textCFMasked},
		// The second code starts inside the first (its first six letters are the first's last six):
		// masking only the first would show the second's date and place.
		{"overlapping codes", "RSSMRAULALMHRLMD80A01H501U", "RSSMRA********************"},
		{"15-character run", "RSSMRA80A01H501", "RSSMRA80A01H501"},
		{"17-character run", "RSSMRA80A01H501UX", textCFMasked + "X"},
		{"a letter where a digit is due", "RSSMRA8AA01H501U", "RSSMRA8AA01H501U"},
		{"a digit where a letter is due", "RSSMR180A01H501U", "RSSMR180A01H501U"},
		{"split by a space", "RSSMRA80A01 H501U", "RSSMRA80A01 H501U"},
		{"16 digits", "1234567890123456", "1234567890123456"},
		{"ids and words", "request 3f2b9c1e-aaaa-bbbb protocollo INPS-ISEE-2025-00012345A-00", "request 3f2b9c1e-aaaa-bbbb protocollo INPS-ISEE-2025-00012345A-00"},
		// Unicode around a code is not part of it; ſ and the Kelvin sign read as the letters s and k.
		{"accented letters around", "è" + textCF + "à", "è" + textCFMasked + "à"},
		{"quotes around", "«" + textCF + "»…", "«" + textCFMasked + "»…"},
		{"long s", "ſSSMRA80A01H501U", "SSSMRA**********"},
		{"long s for a digit", "RSSMRA8ſA01H501U", textCFMasked},
		{"kelvin sign", "RSSMRA80\u212a01H501U", textCFMasked},
		{"kelvin sign first", "x\u212aSSMRA80A01H501U", "xKSSMRA**********"},
		{"kelvin sign is no digit", "RSSMRA8\u212aA01H501U", "RSSMRA8\u212aA01H501U"},
		{"invalid UTF-8 around", "\xff" + textCF + "\xc5", "\xff" + textCFMasked + "\xc5"},
		// Numeric codes: masked when the check digit is valid and they are a whole run.
		{"numeric", textCFNumeric, textCFNumericMasked},
		{"numeric in a sentence", "ente " + textCFNumeric + ": refused", "ente " + textCFNumericMasked + ": refused"},
		{"numeric padded", `CFOperatore="` + textCFNumeric + `   "`, `CFOperatore="` + textCFNumericMasked + `   "`},
		{"numeric after unicode", "n°" + textCFNumeric + "—", "n°" + textCFNumericMasked + "—"},
		{"numeric, wrong check digit", "80078750587,80078750588", textCFNumericMasked + ",80078750588"},
		{"12 digits", "1" + textCFNumeric, "1" + textCFNumeric},
		{"10 digits", "size 0035587022", "size 0035587022"},
		{"epoch ms", "ts=1767225600000", "ts=1767225600000"},
		{"numeric glued to a letter", "x" + textCFNumeric, "x" + textCFNumeric},
		{"numeric after a personal code", textCF + textCFNumeric, textCFMasked + textCFNumericMasked},
		{"numeric before a personal code", textCFNumeric + textCF, textCFNumeric + textCFMasked},
		{"11 letters", "responsabil", "responsabil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MaskCodiciFiscaliInText(tc.in)
			if got != tc.want {
				t.Fatalf("MaskCodiciFiscaliInText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := MaskCodiciFiscaliInText(got); again != got {
				t.Fatalf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// TestMaskCodiciFiscaliInTextAllocations: a text without a code is returned as it is, without
// allocating; the function runs on every log line.
func TestMaskCodiciFiscaliInTextAllocations(t *testing.T) {
	for _, s := range []string{noCodeLine, "responsabil 1767225600000 80078750588 RSSMRA80A01H501 ſſſ \u212a … è"} {
		if allocs := testing.AllocsPerRun(100, func() {
			if MaskCodiciFiscaliInText(s) != s {
				t.Fatal("changed")
			}
		}); allocs != 0 {
			t.Errorf("%v allocations for %q", allocs, s)
		}
	}
}

// The regexp that masked codes in upstream text before MaskCodiciFiscaliInText, and the numeric
// codes the log sanitizer masked: nothing either found may be left in a masked text.
var (
	oldUpstreamCF = regexp.MustCompile(`(?i)[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]`)
	wholeDigits11 = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([0-9]{11})(?:[^0-9A-Za-z]|$)`)
)

func FuzzMaskCodiciFiscaliInText(f *testing.F) {
	for _, s := range []string{
		"soggetto " + textCF + " non trovato", "RSSMRAULALMHRLMD80A01H501U", textCF + textCFNumeric,
		"ſSSMRA80A01H501U", "n°" + textCFNumeric, noCodeLine, "\xff\xc5\xe2\x84",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := MaskCodiciFiscaliInText(s)
		if again := MaskCodiciFiscaliInText(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
		if m := oldUpstreamCF.FindString(out); m != "" {
			t.Fatalf("MaskCodiciFiscaliInText(%q) = %q leaves %q", s, out, m)
		}
		for _, m := range wholeDigits11.FindAllStringSubmatch(out, -1) {
			if ValidateCodiceFiscaleNumerico(m[1]) == nil {
				t.Fatalf("MaskCodiciFiscaliInText(%q) = %q leaves %q", s, out, m[1])
			}
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("MaskCodiciFiscaliInText(%q) = %q is not UTF-8", s, out)
		}
	})
}

// noCodeLine is a typical log line: no codice fiscale, some ids, a JSON-ish shape, Italian text.
const noCodeLine = `time=2026-01-01T10:00:00.000Z level=INFO msg="lookup served" request_id=3f2b9c1e-aaaa-bbbb-cccc-0123456789ab ` +
	`operation=inps.ConsultazioneAttestazione status=200 duration_ms=184 cache=MISS protocollo=INPS-ISEE-2025-00012345A-00 ` +
	`detail="la richiesta è stata elaborata correttamente…"`

func BenchmarkMaskCodiciFiscaliInText(b *testing.B) {
	for name, s := range map[string]string{
		"no-code":  noCodeLine,
		"personal": noCodeLine + " cf=" + textCF,
		"numeric":  noCodeLine + " ente=" + textCFNumeric,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				MaskCodiciFiscaliInText(s)
			}
		})
	}
}
