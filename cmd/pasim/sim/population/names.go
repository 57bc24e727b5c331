package population

// Name pools for the generator. Italian names are common ones; foreign ones are typical of the
// communities living in Italy. All people built from them are fictitious.
var (
	cognomiIT = []string{"ROSSI", "BIANCHI", "FERRARI", "ESPOSITO", "RICCI", "MARINO", "GRECO", "BRUNO",
		"GALLO", "CONTI", "DE LUCA", "COSTA", "GIORDANO", "MANCINI", "RIZZO", "LOMBARDI", "MORETTI",
		"BARBIERI", "FONTANA", "SANTORO", "MARIANI", "RINALDI", "CARUSO", "FERRARA", "GATTI", "PELLEGRINI",
		"PALUMBO", "SANNA", "FACCHINELLI", "DALLAPICCOLA", "ZANONI", "BERTOLDI", "MOSER", "PEDROTTI",
		"DEGASPERI", "ANDREATTA", "D'AMICO", "DELL'ORTO", "NICOLUSSI", "ZENI"}
	nomiM = []string{"MARCO", "LUCA", "GIUSEPPE", "ANDREA", "FRANCESCO", "ALESSANDRO", "MATTEO", "LORENZO",
		"DAVIDE", "SIMONE", "FEDERICO", "RICCARDO", "STEFANO", "PAOLO", "GIOVANNI", "NICOLÒ", "TOMMASO",
		"EMANUELE", "CRISTIAN", "FABIO", "ROBERTO", "DANIELE", "MICHELE", "ANTONIO", "PIETRO"}
	nomiF = []string{"GIULIA", "CHIARA", "FRANCESCA", "SARA", "MARTINA", "ELENA", "ALESSIA", "VALENTINA",
		"ANNA", "LAURA", "SILVIA", "FEDERICA", "ELISA", "GIORGIA", "SOFIA", "AURORA", "ALICE", "BEATRICE",
		"MARIA", "PAOLA", "ROBERTA", "ILARIA", "NOEMI", "GRETA", "IRENE"}
	// foreign name pools by state name: surnames, male names, female names.
	nomiStranieri = map[string][3][]string{
		"ROMANIA": {{"POPESCU", "IONESCU", "CONSTANTIN", "DUMITRU"}, {"ANDREI", "MIHAI", "IONUT"}, {"IOANA", "ELENA", "ANDREEA"}},
		"ALBANIA": {{"HOXHA", "SHEHU", "KOLA", "DOKA"}, {"ARDIT", "ERION", "BESNIK"}, {"ELIRA", "BLERTA", "ARJANA"}},
		"MAROCCO": {{"EL AMRANI", "BENALI", "OUAZZANI", "TAHIRI"}, {"YOUSSEF", "MOHAMED", "KARIM"}, {"FATIMA", "KHADIJA", "SALMA"}},
		"UCRAINA": {{"KOVALENKO", "SHEVCHENKO", "BONDARENKO"}, {"OLEKSANDR", "DMYTRO", "ANDRIY"}, {"OLENA", "IRYNA", "NATALIIA"}},
		"CINA":    {{"HU", "WANG", "CHEN", "ZHOU"}, {"WEI", "JUN", "HAO"}, {"LI NA", "XIU", "MEI"}},
		"BRASILE": {{"DA SILVA", "SOUZA", "OLIVEIRA"}, {"JOAO", "PEDRO", "RAFAEL"}, {"ANA", "BEATRIZ", "LUANA"}},
	}
	strade = [][2]string{{"VIA", "ROMA"}, {"VIA", "GIUSEPPE MAZZINI"}, {"CORSO", "TRE NOVEMBRE"}, {"PIAZZA", "DUOMO"},
		{"VIA", "GIUSEPPE GARIBALDI"}, {"VIALE", "DEGLI ALPINI"}, {"VIA", "BRENNERO"}, {"VIA", "DANTE ALIGHIERI"},
		{"VIA", "SAN PIETRO"}, {"VIA", "DEI MILLE"}, {"LARGO", "CARDUCCI"}, {"VIA", "CESARE BATTISTI"}}
)
