package contracts

import (
	"errors"
	"testing"
)

func TestCodeShapes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(string) error
		in    string
		ok    bool
	}{
		{"ok/istat comune Roma", ValidateCodiceIstatComune, "058091", true},
		{"ok/istat comune Trento", ValidateCodiceIstatComune, "022205", true},
		{"fail/istat comune 5 digits", ValidateCodiceIstatComune, "58091", false},
		{"fail/istat comune 7 digits", ValidateCodiceIstatComune, "0580910", false},
		{"fail/istat comune letter", ValidateCodiceIstatComune, "05809A", false},
		{"fail/istat comune province 000", ValidateCodiceIstatComune, "000091", false},
		{"fail/istat comune progressive 000", ValidateCodiceIstatComune, "058000", false},
		{"fail/istat comune is a Belfiore", ValidateCodiceIstatComune, "H501", false},
		{"fail/istat comune empty", ValidateCodiceIstatComune, "", false},
		{"ok/istat stato Italia", ValidateCodiceIstatStato, "100", true},
		{"ok/istat stato Albania", ValidateCodiceIstatStato, "201", true},
		{"ok/istat stato apolide", ValidateCodiceIstatStato, "999", true},
		{"fail/istat stato leading zero", ValidateCodiceIstatStato, "038", false},
		{"fail/istat stato 4 digits", ValidateCodiceIstatStato, "1000", false},
		{"fail/istat stato letters", ValidateCodiceIstatStato, "ITA", false},
		{"fail/istat stato empty", ValidateCodiceIstatStato, "", false},
		{"ok/belfiore Roma", ValidateCodiceBelfiore, "H501", true},
		{"ok/belfiore foreign state", ValidateCodiceBelfiore, "Z404", true},
		{"fail/belfiore lower case", ValidateCodiceBelfiore, "h501", false},
		{"fail/belfiore 3 characters", ValidateCodiceBelfiore, "H50", false},
		{"fail/belfiore two letters", ValidateCodiceBelfiore, "HH01", false},
		{"fail/belfiore digits only", ValidateCodiceBelfiore, "1501", false},
		{"fail/belfiore is ISTAT", ValidateCodiceBelfiore, "058091", false},
		{"ok/protocollo DSU", ValidateProtocolloDSU, "INPS-ISEE-2025-00012345A-00", true},
		{"fail/protocollo DSU lower-case letter", ValidateProtocolloDSU, "INPS-ISEE-2025-00012345a-00", false},
		{"fail/protocollo DSU 7 digits", ValidateProtocolloDSU, "INPS-ISEE-2025-0012345A-00", false},
		{"fail/protocollo DSU missing suffix", ValidateProtocolloDSU, "INPS-ISEE-2025-00012345A", false},
		{"fail/protocollo DSU ISEE flow protocol", ValidateProtocolloDSU, "INPS-ISED-2025-00012345A", false},
		{"fail/protocollo DSU trailing text", ValidateProtocolloDSU, "INPS-ISEE-2025-00012345A-00 ", false},
		{"fail/protocollo DSU two-digit year", ValidateProtocolloDSU, "INPS-ISEE-25-00012345A-00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check(tc.in)
			if tc.ok && err != nil {
				t.Fatalf("%q: %v", tc.in, err)
			}
			if !tc.ok && !errors.Is(err, ErrCodice) {
				t.Fatalf("%q: want ErrCodice, got %v", tc.in, err)
			}
		})
	}
	if !IsBelfioreStatoEstero("Z404") || IsBelfioreStatoEstero("H501") || IsBelfioreStatoEstero("Z40") {
		t.Fatal("IsBelfioreStatoEstero")
	}
}

func TestStatoISORoundTrip(t *testing.T) {
	for _, c := range []struct{ istat, iso string }{{"100", "380"}, {"215", "250"}, {"235", "642"}, {"436", "504"}, {"605", "076"}, {"536", "840"}} {
		if got, ok := StatoISO(c.istat); !ok || got != c.iso {
			t.Errorf("StatoISO(%s) = %q, %v; want %s", c.istat, got, ok, c.iso)
		}
		if got, ok := StatoISTAT(c.iso); !ok || got != c.istat {
			t.Errorf("StatoISTAT(%s) = %q, %v; want %s", c.iso, got, ok, c.istat)
		}
	}
	for _, istat := range []string{"272", "908", "999", ""} { // Kosovo, a territory, unknown
		if iso, ok := StatoISO(istat); ok {
			t.Errorf("StatoISO(%q) = %s, want no mapping", istat, iso)
		}
	}
	if len(isoToISTAT) != len(istatToISO) {
		t.Fatalf("two ISTAT codes share an ISO code: %d ISO codes for %d ISTAT codes", len(isoToISTAT), len(istatToISO))
	}
}
