package contracts

// NucleoFamiliare is a household. The law knows several, and they differ (payloads.md §5 rule 2):
// the registry family (ANPR stato di famiglia), the ISEE household of the DSU, the restricted
// household of socio-sanitary ISEE, the household a university student is attracted into, and the
// ICEF household. Origine says which one this is; never merge them.
type NucleoFamiliare struct {
	Origine OrigineNucleo `json:"origine"`
	// DataRiferimento is the date the composition refers to (ANPR dataRiferimentoRichiesta).
	DataRiferimento Data `json:"dataRiferimento,omitzero"`
	// IDFamigliaANPR is ANPR idFamigliaConvivenzaANPR.
	IDFamigliaANPR string `json:"idFamigliaANPR,omitempty"`
	// CodiceFiscaleBeneficiario is the person a restricted household is built around
	// (INPS Ridotto@CodiceFiscaleBeneficiario).
	CodiceFiscaleBeneficiario string       `json:"codiceFiscaleBeneficiario,omitempty"`
	Componenti                []Componente `json:"componenti"`
	// Provenienza is set when the household is a result of its own (ANPR C021, ICEF); households
	// inside an attestation share the attestation's.
	Provenienza *Provenienza `json:"provenienza,omitempty"`
}

// OrigineNucleo says which legal notion of household a NucleoFamiliare is.
type OrigineNucleo string

const (
	// NucleoANPR is the registry family or cohabitation (ANPR C021 stato di famiglia).
	NucleoANPR OrigineNucleo = "ANPR_STATO_FAMIGLIA"
	// NucleoISEE is the DSU household (INPS Ordinario/NucleoFamiliare).
	NucleoISEE OrigineNucleo = "ISEE_ORDINARIO"
	// NucleoISEERistretto is the restricted household of socio-sanitary ISEE (INPS
	// Ridotto/NucleoRistretto).
	NucleoISEERistretto OrigineNucleo = "ISEE_RISTRETTO"
	// NucleoISEEAttratto is the household a university student is attracted into (INPS
	// NucleoFamiliareAttratto).
	NucleoISEEAttratto OrigineNucleo = "ISEE_ATTRATTO"
	// NucleoICEF is the ICEF household (provisional).
	NucleoICEF OrigineNucleo = "ICEF"
)

var origineNucleoValues = []OrigineNucleo{NucleoANPR, NucleoISEE, NucleoISEERistretto, NucleoISEEAttratto, NucleoICEF}

// Valid reports whether o is one of the declared constants.
func (o OrigineNucleo) Valid() bool { return isOneOf(o, origineNucleoValues) }

// Componente is a member of a household: the person, the upstream relationship code exactly as
// received, and the normalised Ruolo. Exactly one of the three codes is set, by the source's
// household kind; an unknown code is kept here and its Ruolo is RuoloNonDefinito.
type Componente struct {
	Persona Persona `json:"persona"`
	// CodiceLegameANPR is ANPR legameSoggetto.codiceLegame (1 intestatario, 2 coniuge, 3 figlio ...).
	CodiceLegameANPR string `json:"codiceLegameANPR,omitempty"`
	// RapportoConDichiarante is the ISEE code of the DSU household: D, C, F, MA, FC, FNC, P, GNC.
	RapportoConDichiarante string `json:"rapportoConDichiarante,omitempty"`
	// RelazioneConBeneficiario is the ISEE code of the restricted household: B, C, F, FC, FNC, MA.
	RelazioneConBeneficiario string `json:"relazioneConBeneficiario,omitempty"`
	Ruolo                    Ruolo  `json:"ruolo"`
	// Progressivo is ANPR progressivoComponente, the member's position on the family sheet.
	Progressivo string `json:"progressivo,omitempty"`
	// DataDecorrenzaLegame is when the relationship began (ANPR dataDecorrenza).
	DataDecorrenzaLegame Data `json:"dataDecorrenzaLegame,omitzero"`
}

// Ruolo is the role of a member in a household, normalised across ANPR and ISEE codes so that
// WelfareGOV can reason on one vocabulary. The upstream code stays in Componente for detail.
type Ruolo string

const (
	// RuoloIntestatarioDichiarante is the household's reference person: ANPR intestatario scheda (1)
	// or responsabile della convivenza (24), ISEE dichiarante (D).
	RuoloIntestatarioDichiarante Ruolo = "INTESTATARIO_DICHIARANTE"
	// RuoloBeneficiario is the person a restricted socio-sanitary household is built around (ISEE B).
	RuoloBeneficiario Ruolo = "BENEFICIARIO"
	// RuoloConiuge is the spouse or civil partner (ANPR 2, 28; ISEE C).
	RuoloConiuge Ruolo = "CONIUGE"
	// RuoloFiglio is a child, adopted or in pre-adoptive custody (ANPR 3, 80; ISEE F, FC, FNC, MA).
	RuoloFiglio Ruolo = "FIGLIO"
	// RuoloGenitore is a parent living in the household (ANPR 6).
	RuoloGenitore Ruolo = "GENITORE"
	// RuoloAltroParente is any other relative by blood or marriage (ANPR 4-22 except 6, 81).
	RuoloAltroParente Ruolo = "ALTRO_PARENTE"
	// RuoloAltroConvivente is a cohabitant who is not a relative (ANPR 23, 25, 26; ISEE P).
	RuoloAltroConvivente Ruolo = "ALTRO_CONVIVENTE"
	// RuoloComponenteAttratta is a person the ISEE rules add to the household although they do not
	// live in it: the unmarried, non-cohabiting parent of a minor (ISEE GNC).
	RuoloComponenteAttratta Ruolo = "COMPONENTE_ATTRATTA"
	// RuoloNonDefinito is ANPR 99 and every code we do not know: the member is kept, the role is
	// not guessed.
	RuoloNonDefinito Ruolo = "NON_DEFINITO"
)

var ruoloValues = []Ruolo{
	RuoloIntestatarioDichiarante, RuoloBeneficiario, RuoloConiuge, RuoloFiglio, RuoloGenitore,
	RuoloAltroParente, RuoloAltroConvivente, RuoloComponenteAttratta, RuoloNonDefinito,
}

// Valid reports whether r is one of the declared constants.
func (r Ruolo) Valid() bool { return isOneOf(r, ruoloValues) }

// ANPR codiceLegame table (payloads.md §2.4: ScERPA's enum and anpr-query-riuso's decoding).
var ruoloByCodiceLegame = map[string]Ruolo{
	"1":  RuoloIntestatarioDichiarante, // intestatario scheda
	"2":  RuoloConiuge,
	"3":  RuoloFiglio,
	"4":  RuoloAltroParente, // nipote (discendente)
	"5":  RuoloAltroParente, // pronipote (discendente)
	"6":  RuoloGenitore,
	"7":  RuoloAltroParente,            // nonno/nonna
	"8":  RuoloAltroParente,            // bisnonno/bisnonna
	"9":  RuoloAltroParente,            // fratello/sorella
	"10": RuoloAltroParente,            // nipote (collaterale)
	"11": RuoloAltroParente,            // zio/zia
	"12": RuoloAltroParente,            // cugino/cugina
	"13": RuoloAltroParente,            // altro parente
	"14": RuoloAltroParente,            // figliastro/figliastra: child of the spouse only, an affine
	"15": RuoloAltroParente,            // patrigno/matrigna
	"16": RuoloAltroParente,            // genero/nuora
	"17": RuoloAltroParente,            // suocero/suocera
	"18": RuoloAltroParente,            // cognato/cognata
	"19": RuoloAltroParente,            // fratellastro/sorellastra
	"20": RuoloAltroParente,            // nipote (affine)
	"21": RuoloAltroParente,            // zio/zia (affine)
	"22": RuoloAltroParente,            // altro affine
	"23": RuoloAltroConvivente,         // convivente (con vincoli di adozione o affettivi)
	"24": RuoloIntestatarioDichiarante, // responsabile della convivenza non affettiva
	"25": RuoloAltroConvivente,         // membro della convivenza non affettiva
	"26": RuoloAltroConvivente,         // tutore
	"28": RuoloConiuge,                 // unito civilmente
	"80": RuoloFiglio,                  // adottato
	"81": RuoloAltroParente,            // nipote
	"99": RuoloNonDefinito,             // non definito
}

// RuoloFromCodiceLegame maps ANPR legameSoggetto.codiceLegame to a Ruolo. Leading zeros and
// surrounding spaces are ignored ("01" is "1"); unknown or empty codes give RuoloNonDefinito.
func RuoloFromCodiceLegame(code string) Ruolo {
	code = trimCode(code)
	for len(code) > 1 && code[0] == '0' {
		code = code[1:]
	}
	if r, ok := ruoloByCodiceLegame[code]; ok {
		return r
	}
	return RuoloNonDefinito
}

// ISEE RapportoConDichiarante (ISEE_Attestazione.xsd v1.4, ComponenteNucleo and ElementoNucleoAttratto).
var ruoloByRapportoConDichiarante = map[string]Ruolo{
	"D":   RuoloIntestatarioDichiarante, // dichiarante
	"C":   RuoloConiuge,                 // coniuge
	"F":   RuoloFiglio,                  // figlio minorenne
	"MA":  RuoloFiglio,                  // figlio in affido preadottivo
	"FC":  RuoloFiglio,                  // figlio maggiorenne convivente
	"FNC": RuoloFiglio,                  // figlio maggiorenne non convivente a carico IRPEF
	"P":   RuoloAltroConvivente,         // altra persona convivente
	"GNC": RuoloComponenteAttratta,      // genitore non coniugato e non convivente
}

// RuoloFromRapportoConDichiarante maps an ISEE RapportoConDichiarante code to a Ruolo. Case and
// surrounding spaces are ignored; unknown or empty codes give RuoloNonDefinito.
func RuoloFromRapportoConDichiarante(code string) Ruolo {
	if r, ok := ruoloByRapportoConDichiarante[upperCode(code)]; ok {
		return r
	}
	return RuoloNonDefinito
}

// ISEE RelazioneConBeneficiario (ISEE_Attestazione.xsd v1.4, ComponenteNucleoRistretto).
var ruoloByRelazioneConBeneficiario = map[string]Ruolo{
	"B":   RuoloBeneficiario, // beneficiario
	"C":   RuoloConiuge,
	"F":   RuoloFiglio,
	"FC":  RuoloFiglio,
	"FNC": RuoloFiglio,
	"MA":  RuoloFiglio,
}

// RuoloFromRelazioneConBeneficiario maps an ISEE RelazioneConBeneficiario code (restricted
// household) to a Ruolo. Case and surrounding spaces are ignored; unknown or empty codes give
// RuoloNonDefinito.
func RuoloFromRelazioneConBeneficiario(code string) Ruolo {
	if r, ok := ruoloByRelazioneConBeneficiario[upperCode(code)]; ok {
		return r
	}
	return RuoloNonDefinito
}

func trimCode(s string) string {
	start, end := 0, len(s)
	for start < end && (s[start] == ' ' || s[start] == '\t') {
		start++
	}
	for end > start && (s[end-1] == ' ' || s[end-1] == '\t') {
		end--
	}
	return s[start:end]
}

func upperCode(s string) string {
	s = trimCode(s)
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
