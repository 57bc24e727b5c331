package welfaregov_test

import (
	"errors"
	"testing"

	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/adapters/welfaregov/wire"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
)

// minorInCare is a population record with a SINBA block.
func minorInCare(t *testing.T) welfaregov.Prestazione {
	t.Helper()
	for _, p := range population.Build(population.DefaultSeed).Prestazioni {
		if p.SINBA != nil && p.Beneficiario.CodiceNazione == "380" {
			return welfaregov.Prestazione(*p.Clone())
		}
	}
	t.Fatal("the population has no minor in care")
	return welfaregov.Prestazione{}
}

// TestToSINBA: the SINBA block becomes the pseudonymous model record (year of birth, ISTAT state
// and comune of residence and the service taken from the record, no codice fiscale); a record
// without the block has none; every unreadable field is a TranslationError naming it.
func TestToSINBA(t *testing.T) {
	p := minorInCare(t)
	s, err := p.ToSINBA()
	if err != nil || s == nil {
		t.Fatalf("ToSINBA = %v, %v", s, err)
	}
	if s.IDBeneficiario != p.SINBA.IDBeneficiario || s.AnnoNascita != p.Beneficiario.AnnoNascita || s.CodiceStatoResidenza != "100" ||
		s.CodiceIstatComuneResidenza != p.Beneficiario.CodiceComune || s.CodicePrestazione != p.CodicePrestazione ||
		s.DataPrimaSegnalazione.String() != p.SINBA.DataPrimaSegnalazione || len(s.Famiglia) != len(p.SINBA.ComposizioneFamiglia) {
		t.Fatalf("ToSINBA = %+v from %+v", s, p.SINBA)
	}
	none := p
	none.SINBA = nil
	if s, err := none.ToSINBA(); s != nil || err != nil {
		t.Fatalf("a record without SINBA: %v, %v", s, err)
	}
	for field, mutate := range map[string]func(s *welfaregov.SINBA, p *welfaregov.Prestazione){
		"sinba.fonteSegnalazione":         func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.FonteSegnalazione = "due" },
		"sinba.disabilita":                func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.Disabilita = "S" },
		"sinba.dataPrimaSegnalazione":     func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.DataPrimaSegnalazione = "2024" },
		"sinba.dataSegnalazione":          func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.DataSegnalazione = "03/2024" },
		"sinba.composizioneFamiglia":      func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.ComposizioneFamiglia = []string{"1", "0"} },
		"sinba.tipoDisabilita":            func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.TipoDisabilita = "-1" },
		"beneficiario.codiceNazione":      func(_ *welfaregov.SINBA, p *welfaregov.Prestazione) { p.Beneficiario.CodiceNazione = "" },
		"sinba.minoreStranieroNoAcc":      func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.MinoreStranieroNoAcc = "" },
		"sinba.fasciaEtaBeneficiario":     func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.FasciaEtaBeneficiario = "" },
		"sinba.valutazioneFamigliaMinore": func(s *welfaregov.SINBA, _ *welfaregov.Prestazione) { s.ValutazioneFamigliaMinore = "100" },
	} {
		t.Run("fail/"+field, func(t *testing.T) {
			q := welfaregov.Prestazione(*(*wire.Prestazione)(&p).Clone())
			mutate(q.SINBA, &q)
			var te *welfaregov.TranslationError
			if _, err := q.ToSINBA(); !errors.As(err, &te) || te.Field != field {
				t.Fatalf("ToSINBA = %v, want a TranslationError on %s", err, field)
			}
		})
	}
}
