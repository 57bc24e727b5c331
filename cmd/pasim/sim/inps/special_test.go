package inps

import (
	"bytes"
	"context"
	"testing"

	adapter "github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

// TestSpecialCases makes sure the population's special households reach the gateway with the
// structure they were built for, so that the generic sweep of TestEveryPersonEveryOperation cannot
// pass vacuously if the population changes.
func TestSpecialCases(t *testing.T) {
	h := newHarness(t, Options{})
	has := func(a *contracts.AttestazioneISEE, tipo contracts.TipoISEE, v contracts.VarianteISEE) bool {
		for _, ind := range a.Indicatori {
			if ind.Tipo == tipo && ind.Variante == v {
				return true
			}
		}
		return false
	}
	cases := map[string]func(*contracts.AttestazioneISEE) bool{
		population.TagMinAttratta: func(a *contracts.AttestazioneISEE) bool {
			return has(a, contracts.ISEEMinorenni, contracts.VarianteComponenteAttratta)
		},
		population.TagMinAggiuntiva: func(a *contracts.AttestazioneISEE) bool {
			return has(a, contracts.ISEEMinorenni, contracts.VarianteComponenteAggiuntiva)
		},
		population.TagMinNonCalcolabile: func(a *contracts.AttestazioneISEE) bool {
			return has(a, contracts.ISEEMinorenni, contracts.VarianteNonCalcolabile)
		},
		population.TagUniversitario: func(a *contracts.AttestazioneISEE) bool {
			return has(a, contracts.ISEEUniversitario, contracts.VarianteOrdinario)
		},
		population.TagUniNonCalcolabile: func(a *contracts.AttestazioneISEE) bool {
			return has(a, contracts.ISEEUniversitario, contracts.VarianteNonCalcolabile)
		},
		population.TagRistretto: func(a *contracts.AttestazioneISEE) bool {
			return has(a, contracts.ISEESocioSanitario, contracts.VarianteRistretto) && has(a, contracts.ISEESocioSanitarioResidenziale, contracts.VarianteResidenzialeRistretto)
		},
		population.TagResidenziale: func(a *contracts.AttestazioneISEE) bool {
			return has(a, contracts.ISEESocioSanitarioResidenziale, contracts.VarianteResidenziale)
		},
		population.TagResidenzialeAgg: func(a *contracts.AttestazioneISEE) bool {
			return has(a, contracts.ISEESocioSanitarioResidenziale, contracts.VarianteOrdinarioComponentiAggiuntive)
		},
		population.TagCorrente: func(a *contracts.AttestazioneISEE) bool {
			return a.Indicatori[0].Corrente && !a.DataScadenzaDSUCorrente.IsZero()
		},
		population.TagVariazione:  func(a *contracts.AttestazioneISEE) bool { return a.Variazione != nil },
		population.TagDifformita:  func(a *contracts.AttestazioneISEE) bool { return a.Difforme() },
		population.TagLargeFamily: func(a *contracts.AttestazioneISEE) bool { return len(a.NucleoFamiliare.Componenti) >= 7 },
	}
	for tag, check := range cases {
		t.Run(tag, func(t *testing.T) {
			seen := false
			for _, hh := range testPopulation().HouseholdsTagged(tag) {
				d := hh.DSU
				if d == nil {
					continue
				}
				res, err := h.client.ConsultazioneAttestazione(context.Background(), adapter.RichiestaAttestazione{
					RicercaProtDSU: &adapter.RicercaProtDSU{ProtocolloDSU: d.Protocollo, CodiceFiscaleBeneficiario: d.Dichiarante.CodiceFiscale}})
				if err != nil || !res.Trovata() {
					t.Fatalf("%v %v", res, err)
				}
				seen = seen || check(res.Attestazione)
			}
			if !seen {
				t.Errorf("no household tagged %s yields the expected structure", tag)
			}
		})
	}
	// The studente attratto's own DSU (the single student) carries ISEEUniStudAttratto.
	found := false
	for _, hh := range testPopulation().HouseholdsTagged(population.TagStudenteAttratto) {
		if hh.DSU == nil {
			continue
		}
		for _, u := range hh.DSU.Universitari {
			if u.Variante != population.VarUniStudAttratto {
				continue
			}
			res, err := h.client.ConsultazioneAttestazione(context.Background(), adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: u.Beneficiario.CodiceFiscale}})
			if err != nil {
				t.Fatal(err)
			}
			for _, ind := range res.Attestazione.Indicatori {
				found = found || (ind.Variante == contracts.VarianteStudenteAttratto && ind.NucleoAttratto != nil && len(ind.NucleoAttratto.Componenti) > 0)
			}
		}
	}
	if !found {
		t.Error("no ISEEUniStudAttratto with its NucleoFamiliareAttratto reached the gateway")
	}
}

// TestISO88591Names: the population's accented names (NICOLÒ ...) travel in ISO-8859-1, as INPS's
// schemas declare, and reach the model as the same Unicode text.
func TestISO88591Names(t *testing.T) {
	h := newHarness(t, Options{})
	checked := 0
	for _, d := range testPopulation().DSUs {
		for _, c := range d.Nucleo {
			name := c.Persona.Nome + c.Persona.Cognome
			if isASCII(name) {
				continue
			}
			res, err := h.client.ConsultazioneAttestazione(context.Background(), adapter.RichiestaAttestazione{
				RicercaProtDSU: &adapter.RicercaProtDSU{ProtocolloDSU: d.Protocollo, CodiceFiscaleBeneficiario: c.Persona.CodiceFiscale}})
			if err != nil {
				t.Fatal(err)
			}
			latin1, _ := adapter.UTF8ToLatin1XML([]byte(c.Persona.Nome))
			if !bytes.Contains(res.Payload, []byte(`encoding="ISO-8859-1"`)) || !bytes.Contains(res.Payload, latin1) || bytes.Contains(res.Payload, []byte(c.Persona.Nome)) && !isASCII(c.Persona.Nome) {
				t.Errorf("the payload does not carry %q in ISO-8859-1", c.Persona.Nome)
			}
			for _, m := range res.Attestazione.NucleoFamiliare.Componenti {
				if m.Persona.CodiceFiscale == c.Persona.CodiceFiscale && (m.Persona.Nome != c.Persona.Nome || m.Persona.Cognome != c.Persona.Cognome) {
					t.Errorf("read back as %q %q, want %q %q", m.Persona.Nome, m.Persona.Cognome, c.Persona.Nome, c.Persona.Cognome)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("the population has no accented name to check")
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
