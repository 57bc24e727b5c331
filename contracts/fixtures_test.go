package contracts

import (
	"fmt"
	"slices"
	"time"
)

// Test fixtures: complete, internally consistent instances of the model, built in Go so that every
// variant is covered by construction. The numbers follow the synthetic INPS sample
// (inps/synthetic/EsitoAttestazione_ordinario_3componenti.xml): ISR 20000, ISP 25000, scala 2.04,
// ISE 25000.00, ISEE 12254.90.

var fixtureTime = time.Date(2025, 2, 12, 9, 30, 0, 0, time.UTC)

// fixtureCF returns a valid personal codice fiscale, different for each n in 1..28.
func fixtureCF(surname string, n int) string {
	first15 := fmt.Sprintf("%sLCU15C%02dL378", surname, n)
	return first15 + string(CFCheckCharacter(first15))
}

// fixtureValori computes consistent values from ISR, ISP and the scale.
func fixtureValori(isr, isp, scala string) *ValoriISEE {
	r, p, s := MustDecimal(isr), MustDecimal(isp), MustDecimal(scala)
	ise := r.Add(p.Mul(fifth)).Round(2)
	return &ValoriISEE{
		ISEE: Decimal{ise.DivRound(s.Decimal, 2)}, ISE: Decimal{ise}, ISR: r, ISP: p, ScalaEquivalenza: s,
	}
}

// fixtureModalita is a breakdown that agrees with fixtureValori("20000.00", "25000.00", "2.04").
func fixtureModalita() *ModalitaCalcolo {
	return &ModalitaCalcolo{
		SommaRedditiComponenti: MustDecimal("24000.00"), RedditoFigurativoPatrimonioMobiliare: MustDecimal("150.00"),
		Detrazioni: MustDecimal("4150.00"), ISR: MustDecimal("20000.00"),
		PatrimonioMobiliare: MustDecimal("20000.00"), DetrazionePatrimonioMobiliare: MustDecimal("10000.00"),
		PatrimonioImmobiliare: MustDecimal("75000.00"), DetrazionePatrimonioImmobiliare: MustDecimal("60000.00"),
		ISP: MustDecimal("25000.00"), ISE: MustDecimal("25000.00"),
		ParametroNucleo: MustDecimal("2.04"), Maggiorazioni: MustDecimal("0.00"), ScalaEquivalenza: MustDecimal("2.04"),
	}
}

func fixtureProvenienza(s Sistema, op, id string) Provenienza {
	return Provenienza{Sistema: s, Operazione: op, IDOperazione: id, DataOraAcquisizione: fixtureTime, Cache: CacheMiss}
}

func fixtureMember(rapporto string, n int, nome string) Componente {
	return Componente{
		Persona:                Persona{CodiceFiscale: fixtureCF("RSS", n), Cognome: "ROSSI", Nome: nome},
		RapportoConDichiarante: rapporto,
		Ruolo:                  RuoloFromRapportoConDichiarante(rapporto),
	}
}

func fixtureAggiuntiva(tipo TipoComponenteAggiuntiva, n int) ComponenteAggiuntiva {
	return ComponenteAggiuntiva{
		Tipo: tipo, Cognome: "VERDI", Nome: "PAOLO", CodiceFiscale: fixtureCF("VRD", n),
		ProtocolloDSURiferimento: "INPS-ISEE-2025-00012345A-00", Valore: DecimalPtr("1520.30"),
		ProtocolloDSU: "INPS-ISEE-2025-00099999B-01", ProtocolloMittente: "CAF-TN-2025-000777",
	}
}

// fixtureAttestazione carries one indicator for every (tipo, variante) an attestation can hold:
// all of variantiPerTipo except the ConsultazioneIndicatore-only NON_SPECIFICATA.
func fixtureAttestazione() AttestazioneISEE {
	dich := fixtureCF("RSS", 1)
	a := AttestazioneISEE{
		ProtocolloDSU: "INPS-ISEE-2025-00012345A-00", ProtocolloMittente: "CAF-TN-2025-000999",
		CodiceFiscaleDichiarante: dich,
		DataPresentazione:        MustData(2025, 2, 10), DataValidita: MustData(2025, 12, 31),
		DataScadenzaDSUCorrente: MustData(2025, 8, 31),
		NucleoFamiliare: &NucleoFamiliare{Origine: NucleoISEE, Componenti: []Componente{
			fixtureMember("D", 1, "MARIO"), fixtureMember("C", 2, "ANNA"), fixtureMember("F", 3, "LUCA"),
			fixtureMember("FC", 4, "GIULIA"), fixtureMember("FNC", 5, "MARCO"), fixtureMember("MA", 6, "SARA"),
			fixtureMember("P", 7, "ELENA"), fixtureMember("GNC", 8, "PIETRO"),
		}},
		NucleiRistretti: []NucleoFamiliare{{
			Origine: NucleoISEERistretto, CodiceFiscaleBeneficiario: fixtureCF("RSS", 9),
			Componenti: []Componente{
				{Persona: Persona{CodiceFiscale: fixtureCF("RSS", 9), Cognome: "ROSSI", Nome: "ADA"}, RelazioneConBeneficiario: "B", Ruolo: RuoloBeneficiario},
				{Persona: Persona{CodiceFiscale: fixtureCF("RSS", 10), Cognome: "ROSSI", Nome: "UGO"}, RelazioneConBeneficiario: "C", Ruolo: RuoloConiuge},
			},
		}},
		Difformita: []Difformita{{
			Tipo: DifformitaPatrimoniMobiliari, CodiceFiscale: fixtureCF("RSS", 2), DataControlloAE: MustData(2025, 2, 11),
			Rapporti: []RapportoFinanziario{{
				Sezione: "A", TipoRapporto: "01", Identificativo: "IT60X0542811101000000123456", CodiceFiscaleOperatore: "00000000000",
				DescrizioneOperatore: "BANCA ESEMPIO", Saldo3112: DecimalPtr("1200"), ConsistenzaMedia: DecimalPtr("900"),
				Valore: DecimalPtr("1200"), DataInizio: MustData(2024, 1, 1), DataFine: MustData(2024, 12, 31),
			}},
			RedditoAE: &RedditoAE{Modello: Modello730, RedditoComplessivoIRPEF: DecimalPtr("18000.00"),
				RedditoLavoroDipendente: DecimalPtr("17000.00"), RedditoPensione: DecimalPtr("0.00"),
				RedditoAgrario: DecimalPtr("0.00"), RedditiImpostaSostitutiva: DecimalPtr("1000.00")},
		}},
		Variazione: &Variazione{
			Tipo: VariazioneContestazione, ProtocolloDSUVariata: "INPS-ISEE-2025-00011111C-00",
			DataPresentazioneDSUVariata: MustData(2025, 1, 20), ProtocolloMittenteDSUVariata: "CAF-TN-2025-000500",
			Note:        "contestazione del saldo",
			Discordanze: []DiscordanzaContestazione{{CodiceFiscale: fixtureCF("RSS", 2), Tipologia: "PM", Specifica: "saldo contestato"}},
		},
		Provenienza: fixtureProvenienza(SistemaINPS, "ConsultazioneAttestazione", "884213"),
	}
	n := 11
	for _, tipo := range tipoISEEValues {
		for _, v := range variantiPerTipo[tipo] {
			if v == VarianteNonSpecificata {
				continue
			}
			ind := IndicatoreISEE{Tipo: tipo, Variante: v, Stato: IndicatoreCalcolato, DataRilascio: MustData(2025, 2, 12),
				Valori: fixtureValori("20000.00", "25000.00", "2.04"), ModalitaCalcolo: fixtureModalita()}
			if slices.Contains(tipiPerBeneficiario, tipo) {
				ind.CodiceFiscaleBeneficiario = fixtureCF("RSS", n)
				n++
			}
			switch v {
			case VarianteNonCalcolabile:
				ind.Stato, ind.Valori, ind.ModalitaCalcolo, ind.DataRilascio = IndicatoreNonCalcolabile, nil, nil, Data{}
			case VarianteComponenteAttratta, VarianteStudenteAttrattoComponenteAttratta:
				ind.ComponentiAggiuntive = []ComponenteAggiuntiva{fixtureAggiuntiva(ComponenteTipoAttratta, n)}
			case VarianteComponenteAggiuntiva, VarianteStudenteAttrattoComponenteAggiuntiva, VarianteOrdinarioComponentiAggiuntive,
				VarianteResidenzialeComponentiAggiuntive, VarianteRistrettoComponentiAggiuntive, VarianteResidenzialeRistrettoComponentiAggiuntive:
				ind.ComponentiAggiuntive = []ComponenteAggiuntiva{fixtureAggiuntiva(ComponenteTipoAggiuntiva, n)}
			}
			switch v {
			case VarianteStudenteAttratto, VarianteStudenteAttrattoComponenteAttratta, VarianteStudenteAttrattoComponenteAggiuntiva:
				ind.NucleoAttratto = &NucleoFamiliare{Origine: NucleoISEEAttratto, Componenti: []Componente{
					{Persona: Persona{CodiceFiscale: fixtureCF("BNC", 1), Cognome: "BIANCHI", Nome: "CARLO"}, RapportoConDichiarante: "D", Ruolo: RuoloIntestatarioDichiarante},
					{Persona: Persona{CodiceFiscale: ind.CodiceFiscaleBeneficiario, Cognome: "ROSSI", Nome: "LUCA"}, RapportoConDichiarante: "F", Ruolo: RuoloFiglio},
				}}
			}
			if tipo == ISEESocioSanitario {
				ind.Corrente = true
				ind.ProtocolloDSUModuloSostitutivo = "INPS-ISEE-2025-00054321Z-00"
				ind.DataPresentazioneModuloSostitutivo = MustData(2025, 3, 1)
				ind.ModalitaCalcolo.SommaRedditiComponentiCorrente = DecimalPtr("21000.00")
			}
			a.Indicatori = append(a.Indicatori, ind)
		}
	}
	return a
}

// fixturePersonaANPR is an ANPR subject born abroad with a birth date known only to the month,
// resident abroad (AIRE), with two citizenships, and deceased.
func fixturePersonaANPR() Persona {
	born, _ := DataFromANPR("1950-03-01", true, false)
	validated := true
	deathYear, _ := NewDataYear(2024)
	return Persona{
		CodiceFiscale: fixtureCF("RSS", 20), CodiceFiscaleValidato: &validated, IDANPR: "AF41450AS",
		Cognome: "ROSSI", Nome: "GIOVANNI", Sesso: SessoMaschile, DataNascita: born,
		LuogoNascita: &Luogo{CodiceBelfiore: "Z404", Localita: "NEW YORK", CodiceStato: "536", Stato: "STATI UNITI D'AMERICA", ProvinciaContea: "NY"},
		Cittadinanze: []Cittadinanza{{CodiceStato: "100", Stato: "ITALIA"}, {CodiceStato: "536", Stato: "STATI UNITI D'AMERICA", DataValidita: MustData(1970, 1, 1)}},
		StatoCivile:  &StatoCivile{Codice: "3", Note: "vedovo"},
		Residenze: []Residenza{
			{TipoIndirizzo: "4", DataDecorrenza: MustData(1990, 6, 1), Estero: &IndirizzoEstero{
				CodiceStato: "536", Stato: "STATI UNITI D'AMERICA", Localita: "NEW YORK", ProvinciaContea: "NY", CAP: "10001",
				Indirizzo: "FIFTH AVENUE", Civico: "350", CodiceConsolato: "5360001", DescrizioneConsolato: "CONSOLATO GENERALE NEW YORK",
			}},
			{TipoIndirizzo: "7", CodiceIstatComune: "058091", Comune: "ROMA", SiglaProvincia: "RM", CAP: "00174", Frazione: "",
				Specie: "VIA", Denominazione: "AMERIGO VESPUCCI", Civico: "55", Esponente: "B", Scala: "B4", Interno: "3", Piano: "2",
				Presso: "FAMIGLIA BIANCHI", Note: "ultima residenza italiana"},
		},
		SoggettoAIRE: true,
		Decesso:      &Decesso{Data: deathYear, Luogo: &Luogo{CodiceIstatComune: "058091", CodiceBelfiore: "H501", Comune: "ROMA", SiglaProvincia: "RM"}},
		Provenienza:  &Provenienza{Sistema: SistemaANPR, Operazione: "C020", IDOperazione: "58370927", IDOperazioneClient: "WGOV20250212093000001", DataOraAcquisizione: fixtureTime, Cache: CacheStale, EtaSecondi: 3600},
	}
}

// fixtureNucleoANPR is a C021 family with an unknown codiceLegame kept as NON_DEFINITO.
func fixtureNucleoANPR() NucleoFamiliare {
	member := func(code string, n int, nome string, sesso Sesso, born Data) Componente {
		return Componente{
			Persona:          Persona{CodiceFiscale: fixtureCF("RSS", n), IDANPR: fmt.Sprintf("AB%05dCD", n), Cognome: "ROSSI", Nome: nome, Sesso: sesso, DataNascita: born},
			CodiceLegameANPR: code, Ruolo: RuoloFromCodiceLegame(code), Progressivo: fmt.Sprint(n), DataDecorrenzaLegame: MustData(2014, 5, 1),
		}
	}
	year, _ := NewDataYear(1940)
	p := fixtureProvenienza(SistemaANPR, "C021", "58370999")
	p.Anomalie = []string{`codiceLegame "27" is not in the ANPR table: role NON_DEFINITO`}
	return NucleoFamiliare{
		Origine: NucleoANPR, DataRiferimento: MustData(2025, 2, 12), IDFamigliaANPR: "FAM0001",
		Componenti: []Componente{
			member("1", 1, "MARIO", SessoMaschile, MustData(1980, 1, 1)),
			member("2", 2, "ANNA", SessoFemminile, MustData(1982, 2, 1)),
			member("3", 3, "LUCA", SessoMaschile, MustData(2015, 3, 1)),
			member("6", 4, "ADA", SessoFemminile, year),
			member("27", 5, "X", SessoMaschile, MustData(1999, 9, 9)),
		},
		Provenienza: &p,
	}
}

func fixturePrestazionePeriodica() PrestazioneSociale {
	return PrestazioneSociale{
		TipoOperazione: OperazioneInserimento,
		Beneficiario: Persona{
			CodiceFiscale: fixtureCF("RSS", 3), Cognome: "ROSSI", Nome: "LUCA", Sesso: SessoMaschile,
			DataNascita: MustData(2015, 3, 1), LuogoNascita: &Luogo{CodiceBelfiore: "L378", CodiceIstatComune: "022205", Comune: "TRENTO", SiglaProvincia: "TN"},
			Cittadinanze: []Cittadinanza{{CodiceStato: "100"}},
			Residenze:    []Residenza{{TipoIndirizzo: "1", CodiceIstatComune: "022205", Comune: "TRENTO"}},
		},
		CodicePrestazione: "A1.07", DenominazionePrestazione: "Contributo retta asilo nido", ProtocolloDomanda: "WGOV-2025-000123",
		ProvaMezzi: ProvaMezziISEE, Carattere: CaratterePeriodica,
		DSU:        &RiferimentoDSU{Protocollo: "INPS-ISEE-2025-00012345A-00", Anno: 2025, Data: MustData(2025, 2, 10)},
		DataEvento: MustData(2025, 2, 20), DataInizio: MustData(2025, 3, 1), DataFine: MustData(2025, 12, 31),
		ImportoMensile: DecimalPtr("101.23"), PeriodoErogazione: 10,
		QuotaEnte: DecimalPtr("52.54"), QuotaUtente: DecimalPtr("0.00"), QuotaSSN: DecimalPtr("48.69"),
		QuotaRichiesta: DecimalPtr("400.00"), SogliaISEE: DecimalPtr("30000.00"), OreServizioMensile: DecimalPtr("2.30"),
		PresaInCarico: true, AreaUtenza: AreaFamigliaMinori,
		SINA: &ValutazioneSINA{
			Mobilita: 2, AttivitaVitaQuotidiana: 2, DisturbiAreaCognitiva: 1, DisturbiComportamentali: 1, NecessitaCureSanitarie: 2,
			AreaReddituale: 2, AreaSupporto: 1, FonteDerivazioneValutazione: 1, StrumentoValutazione: 1, FonteDerivazioneInvalidita: 1,
			NecessitaInterventiSociali: []string{"A2.17", "A2.18"}, InvaliditaCivile: []int{1, 5},
		},
		Provenienza: &Provenienza{Sistema: SistemaWelfareGOV, IDOperazione: "pratica-778", DataOraAcquisizione: fixtureTime, Cache: CacheMiss},
	}
}

func fixturePrestazioneOccasionale() PrestazioneSociale {
	p := fixturePrestazionePeriodica()
	p.Carattere, p.DataInizio, p.DataFine, p.ImportoMensile, p.PeriodoErogazione = CarattereOccasionale, Data{}, Data{}, nil, 0
	p.DataErogazione, p.Importo = MustData(2025, 4, 15), DecimalPtr("250.00")
	p.QuotaEnte, p.QuotaUtente, p.QuotaSSN = DecimalPtr("200.00"), DecimalPtr("50.00"), nil
	p.PresaInCarico, p.AreaUtenza, p.SINA, p.DSU, p.ProvaMezzi = false, "", nil, nil, ProvaMezziNessuna
	return p
}

func fixtureSchedaSINBA() SchedaSINBA {
	segnalazione, _ := NewDataMonth(2024, 3)
	tribunale, _ := NewDataMonth(2024, 5)
	return SchedaSINBA{
		IDBeneficiario: "TN-MIN-000042", AnnoNascita: 2015, FasciaEta: 4, CodiceStatoResidenza: "100", CodiceIstatComuneResidenza: "022205",
		CodicePrestazione: "A1.02", Famiglia: []int{1, 3}, CondizioneMinore: 1, LuogoVita: 1, ScuolaFrequentata: 3, CondizioneLavoro: 1,
		Disabilita: true, TipoDisabilita: 2, DataPrimaSegnalazione: segnalazione, FonteSegnalazione: 2, ValutazioneMinore: 5,
		ValutazioneFamigliaMinore: 7, SegnalazioneAutoritaGiudiziaria: true, DataSegnalazione: tribunale,
		Provenienza: &Provenienza{Sistema: SistemaWelfareGOV, IDOperazione: "pratica-779", DataOraAcquisizione: fixtureTime, Cache: CacheMiss},
	}
}

func fixtureICEF() IndicatoreICEF {
	n := NucleoFamiliare{Origine: NucleoICEF, Componenti: []Componente{
		{Persona: Persona{CodiceFiscale: fixtureCF("RSS", 1), Cognome: "ROSSI", Nome: "MARIO"}, Ruolo: RuoloIntestatarioDichiarante},
	}}
	return IndicatoreICEF{
		CodiceFiscale: fixtureCF("RSS", 1), Anno: 2025, Politica: "ASSEGNO_UNICO_PROVINCIALE", Valore: MustDecimal("0.2345"),
		RF: DecimalPtr("21000.00"), PF: DecimalPtr("5000.00"), VF: DecimalPtr("2.04"), ProtocolloDomanda: "ICEF-2025-0001",
		DataCalcolo: MustData(2025, 1, 15), NucleoFamiliare: &n, Provenienza: fixtureProvenienza(SistemaICEF, "icef", "X1"),
	}
}

func fixtureSelezioneMinorenne() SelezioneISEE {
	a := fixtureAttestazione()
	var chosen IndicatoreISEE
	for _, ind := range a.Indicatori {
		if ind.Tipo == ISEEMinorenni && ind.Variante == VarianteComponenteAggiuntiva {
			chosen = ind
		}
	}
	return SelezioneISEE{
		Indicatore: chosen, Motivo: MotivoBeneficiarioMinorenne, DettaglioMotivo: "A1.07 is a benefit for a minor",
		TipoRichiesto: ISEEMinorenni, CodiceFiscaleBeneficiario: chosen.CodiceFiscaleBeneficiario, CodicePrestazione: "A1.07",
		ProtocolloDSU: a.ProtocolloDSU, DataPresentazione: a.DataPresentazione, DataValidita: a.DataValidita,
		Difforme: a.Difforme(), Attestazione: &a, Provenienza: a.Provenienza,
	}
}

// fixtureSelezioneDottorato is a ConsultazioneIndicatore answer: values only, no attestation.
func fixtureSelezioneDottorato() SelezioneISEE {
	p := fixtureProvenienza(SistemaINPS, "ConsultazioneIndicatore", "884214")
	p.Cache, p.EtaSecondi = CacheHit, 120
	return SelezioneISEE{
		Indicatore: IndicatoreISEE{Tipo: ISEEDottorato, Variante: VarianteNonSpecificata, Stato: IndicatoreCalcolato,
			Valori: fixtureValori("20000.00", "25000.00", "2.04")},
		Motivo: MotivoTipoRichiesto, TipoRichiesto: ISEEDottorato, CodiceFiscaleBeneficiario: fixtureCF("RSS", 1),
		ProtocolloDSU: "INPS-ISEE-2025-00012345A-00", DataPresentazione: MustData(2025, 2, 10), Provenienza: p,
	}
}

// fixtureSelezioneIncompleta is the lenient parse of idpay's stub <Indicatore ISEE="10000"/>.
func fixtureSelezioneIncompleta() SelezioneISEE {
	p := fixtureProvenienza(SistemaINPS, "ConsultazioneIndicatore", "1")
	p.Incompleto = true
	p.Anomalie = []string{"Indicatore lacks TipoIndicatore, ISE, ScalaEquivalenza, ISR, ISP, ProtocolloDSU, DataPresentazione"}
	return SelezioneISEE{
		Indicatore: IndicatoreISEE{Tipo: ISEEOrdinario, Variante: VarianteNonSpecificata, Stato: IndicatoreCalcolato,
			Valori: &ValoriISEE{ISEE: MustDecimal("10000"), ISE: MustDecimal("0"), ISR: MustDecimal("0"), ISP: MustDecimal("0"), ScalaEquivalenza: MustDecimal("1")}},
		Motivo: MotivoTipoRichiesto, Provenienza: p,
		Incongruenze: CheckIndicatore(IndicatoreISEE{Stato: IndicatoreCalcolato,
			Valori: &ValoriISEE{ISEE: MustDecimal("10000"), ISE: MustDecimal("0"), ISR: MustDecimal("0"), ISP: MustDecimal("0"), ScalaEquivalenza: MustDecimal("1")}}, "/indicatore"),
	}
}
