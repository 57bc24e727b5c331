package contracts

import "testing"

func TestRuoloFromCodiceLegame(t *testing.T) {
	for _, tc := range []struct {
		code string
		want Ruolo
	}{
		{"1", RuoloIntestatarioDichiarante}, {"2", RuoloConiuge}, {"3", RuoloFiglio}, {"4", RuoloAltroParente},
		{"5", RuoloAltroParente}, {"6", RuoloGenitore}, {"7", RuoloAltroParente}, {"8", RuoloAltroParente},
		{"9", RuoloAltroParente}, {"10", RuoloAltroParente}, {"11", RuoloAltroParente}, {"12", RuoloAltroParente},
		{"13", RuoloAltroParente}, {"14", RuoloAltroParente}, {"15", RuoloAltroParente}, {"16", RuoloAltroParente},
		{"17", RuoloAltroParente}, {"18", RuoloAltroParente}, {"19", RuoloAltroParente}, {"20", RuoloAltroParente},
		{"21", RuoloAltroParente}, {"22", RuoloAltroParente}, {"23", RuoloAltroConvivente},
		{"24", RuoloIntestatarioDichiarante}, {"25", RuoloAltroConvivente}, {"26", RuoloAltroConvivente},
		{"28", RuoloConiuge}, {"80", RuoloFiglio}, {"81", RuoloAltroParente}, {"99", RuoloNonDefinito},
		// tolerated spellings
		{"01", RuoloIntestatarioDichiarante}, {" 3 ", RuoloFiglio}, {"003", RuoloFiglio},
		// unknown codes are kept as a member with an explicit "non definito" role
		{"27", RuoloNonDefinito}, {"0", RuoloNonDefinito}, {"", RuoloNonDefinito}, {"100", RuoloNonDefinito},
		{"-1", RuoloNonDefinito}, {"X", RuoloNonDefinito}, {"D", RuoloNonDefinito},
	} {
		if got := RuoloFromCodiceLegame(tc.code); got != tc.want {
			t.Errorf("RuoloFromCodiceLegame(%q) = %s, want %s", tc.code, got, tc.want)
		}
	}
}

func TestRuoloFromRapportoConDichiarante(t *testing.T) {
	for _, tc := range []struct {
		code string
		want Ruolo
	}{
		{"D", RuoloIntestatarioDichiarante}, {"C", RuoloConiuge}, {"F", RuoloFiglio}, {"MA", RuoloFiglio},
		{"FC", RuoloFiglio}, {"FNC", RuoloFiglio}, {"P", RuoloAltroConvivente}, {"GNC", RuoloComponenteAttratta},
		{"fc", RuoloFiglio}, {" GNC", RuoloComponenteAttratta},
		{"B", RuoloNonDefinito}, // B belongs to the restricted household's code set
		{"", RuoloNonDefinito}, {"X", RuoloNonDefinito}, {"1", RuoloNonDefinito}, {"DD", RuoloNonDefinito},
	} {
		if got := RuoloFromRapportoConDichiarante(tc.code); got != tc.want {
			t.Errorf("RuoloFromRapportoConDichiarante(%q) = %s, want %s", tc.code, got, tc.want)
		}
	}
}

func TestRuoloFromRelazioneConBeneficiario(t *testing.T) {
	for _, tc := range []struct {
		code string
		want Ruolo
	}{
		{"B", RuoloBeneficiario}, {"C", RuoloConiuge}, {"F", RuoloFiglio}, {"FC", RuoloFiglio},
		{"FNC", RuoloFiglio}, {"MA", RuoloFiglio}, {"b", RuoloBeneficiario},
		{"D", RuoloNonDefinito}, {"P", RuoloNonDefinito}, {"GNC", RuoloNonDefinito}, // not in this code set
		{"", RuoloNonDefinito}, {"Z", RuoloNonDefinito},
	} {
		if got := RuoloFromRelazioneConBeneficiario(tc.code); got != tc.want {
			t.Errorf("RuoloFromRelazioneConBeneficiario(%q) = %s, want %s", tc.code, got, tc.want)
		}
	}
}

// Every role a mapping can return is a declared, valid Ruolo.
func TestRuoloTablesReturnValidRoles(t *testing.T) {
	for _, table := range []map[string]Ruolo{ruoloByCodiceLegame, ruoloByRapportoConDichiarante, ruoloByRelazioneConBeneficiario} {
		for code, r := range table {
			if !r.Valid() {
				t.Errorf("code %q maps to undeclared role %q", code, r)
			}
		}
	}
}
