package icef

// The wire format of the provisional contract (components.schemas of openapi.yaml).

// Richiesta is the body of POST /indicatori/ricerca.
type Richiesta struct {
	// CodiceFiscale is the applicant's: any member of the ICEF household.
	CodiceFiscale string `json:"codiceFiscale"`
	// Politica is the policy family (GET /politiche lists them).
	Politica string `json:"politica"`
	// Anno is the reference year.
	Anno int `json:"anno"`
}

// Indicatore is the 200 answer of POST /indicatori/ricerca.
type Indicatore struct {
	CodiceFiscaleRichiedente string       `json:"codiceFiscaleRichiedente"`
	Politica                 string       `json:"politica"`
	Anno                     int          `json:"anno"`
	Protocollo               string       `json:"protocollo"`
	DataCalcolo              string       `json:"dataCalcolo"`
	Valore                   string       `json:"valore"`
	Elementi                 *Elementi    `json:"elementi"`
	Nucleo                   []Componente `json:"nucleo"`
}

// Elementi are RF, PF and VF, amounts as strings with two decimals.
type Elementi struct {
	RedditoFamiliare    string `json:"redditoFamiliare"`
	PatrimonioFamiliare string `json:"patrimonioFamiliare"`
	PesoFamiliare       string `json:"pesoFamiliare"`
}

// Componente is one member of the ICEF household.
type Componente struct {
	CodiceFiscale string `json:"codiceFiscale"`
	Cognome       string `json:"cognome"`
	Nome          string `json:"nome"`
	DataNascita   string `json:"dataNascita"`
	// CodiceLegame is ANPR's codiceLegame of the member.
	CodiceLegame string `json:"codiceLegame"`
}

// Politica is one entry of GET /politiche.
type Politica struct {
	Codice        string `json:"codice"`
	Denominazione string `json:"denominazione"`
	Famiglia      string `json:"famiglia"`
}

// Problem is the RFC 9457 body of the contract's error answers.
type Problem struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail"`
	Code          string         `json:"code"`
	InvalidParams []InvalidParam `json:"invalidParams"`
}

// InvalidParam names one refused field of the request.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}
