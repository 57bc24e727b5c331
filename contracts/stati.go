package contracts

// ISO 3166-1 numeric codes of states, for systems that want them instead of ISTAT's (SIUSS: Italy
// is 380 there, 100 in ISTAT's list; siuss-waas.md §4.3).
//
// istatToISO maps every sovereign state of ISTAT's "Elenco dei codici e delle denominazioni delle
// unità territoriali estere" (codes as listed by Interruttore/cf-generator stati.js, itself taken
// from ISTAT) to its ISO 3166-1 numeric code. Dependent territories (ISTAT 9xx) and Kosovo (which
// has no ISO numeric code) are absent on purpose: a caller meeting one must refuse it by name, not
// guess.

// ISONonDisponibile is the code SIUSS uses for a citizenship that is not available.
const ISONonDisponibile = "990"

// StatoISO returns the ISO 3166-1 numeric code of the state with ISTAT code istat.
func StatoISO(istat string) (string, bool) {
	iso, ok := istatToISO[istat]
	return iso, ok
}

// StatoISTAT returns the ISTAT code of the state with ISO 3166-1 numeric code iso.
func StatoISTAT(iso string) (string, bool) {
	istat, ok := isoToISTAT[iso]
	return istat, ok
}

var isoToISTAT = func() map[string]string {
	m := make(map[string]string, len(istatToISO))
	for istat, iso := range istatToISO {
		m[iso] = istat
	}
	return m
}()

var istatToISO = map[string]string{
	"100": "380", // Italia
	"201": "008", // Albania
	"202": "020", // Andorra
	"203": "040", // Austria
	"206": "056", // Belgio
	"209": "100", // Bulgaria
	"212": "208", // Danimarca
	"214": "246", // Finlandia
	"215": "250", // Francia
	"216": "276", // Germania
	"219": "826", // Regno Unito
	"220": "300", // Grecia
	"221": "372", // Irlanda
	"223": "352", // Islanda
	"225": "438", // Liechtenstein
	"226": "442", // Lussemburgo
	"227": "470", // Malta
	"229": "492", // Monaco
	"231": "578", // Norvegia
	"232": "528", // Paesi Bassi
	"233": "616", // Polonia
	"234": "620", // Portogallo
	"235": "642", // Romania
	"236": "674", // San Marino
	"239": "724", // Spagna
	"240": "752", // Svezia
	"241": "756", // Svizzera
	"243": "804", // Ucraina
	"244": "348", // Ungheria
	"245": "643", // Federazione russa
	"246": "336", // Città del Vaticano
	"247": "233", // Estonia
	"248": "428", // Lettonia
	"249": "440", // Lituania
	"250": "191", // Croazia
	"251": "705", // Slovenia
	"252": "070", // Bosnia-Erzegovina
	"253": "807", // Macedonia del Nord
	"254": "498", // Moldova
	"255": "703", // Slovacchia
	"256": "112", // Bielorussia
	"257": "203", // Repubblica ceca
	"270": "499", // Montenegro
	"271": "688", // Serbia
	"301": "004", // Afghanistan
	"302": "682", // Arabia Saudita
	"304": "048", // Bahrein
	"305": "050", // Bangladesh
	"306": "064", // Bhutan
	"307": "104", // Myanmar
	"309": "096", // Brunei Darussalam
	"310": "116", // Cambogia
	"311": "144", // Sri Lanka
	"314": "156", // Cina
	"315": "196", // Cipro
	"319": "408", // Corea del Nord
	"320": "410", // Corea del Sud
	"322": "784", // Emirati Arabi Uniti
	"323": "608", // Filippine
	"324": "275", // Palestina
	"326": "392", // Giappone
	"327": "400", // Giordania
	"330": "356", // India
	"331": "360", // Indonesia
	"332": "364", // Iran
	"333": "368", // Iraq
	"334": "376", // Israele
	"335": "414", // Kuwait
	"336": "418", // Laos
	"337": "422", // Libano
	"338": "626", // Timor Leste
	"339": "462", // Maldive
	"340": "458", // Malaysia
	"341": "496", // Mongolia
	"342": "524", // Nepal
	"343": "512", // Oman
	"344": "586", // Pakistan
	"345": "634", // Qatar
	"346": "702", // Singapore
	"348": "760", // Siria
	"349": "764", // Thailandia
	"351": "792", // Turchia
	"353": "704", // Vietnam
	"354": "887", // Yemen
	"356": "398", // Kazakhstan
	"357": "860", // Uzbekistan
	"358": "051", // Armenia
	"359": "031", // Azerbaigian
	"360": "268", // Georgia
	"361": "417", // Kirghizistan
	"362": "762", // Tagikistan
	"363": "158", // Taiwan
	"364": "795", // Turkmenistan
	"401": "012", // Algeria
	"402": "024", // Angola
	"404": "384", // Costa d'Avorio
	"406": "204", // Benin
	"408": "072", // Botswana
	"409": "854", // Burkina Faso
	"410": "108", // Burundi
	"411": "120", // Camerun
	"413": "132", // Capo Verde
	"414": "140", // Repubblica Centrafricana
	"415": "148", // Ciad
	"417": "174", // Comore
	"418": "178", // Congo
	"419": "818", // Egitto
	"420": "231", // Etiopia
	"421": "266", // Gabon
	"422": "270", // Gambia
	"423": "288", // Ghana
	"424": "262", // Gibuti
	"425": "324", // Guinea
	"426": "624", // Guinea-Bissau
	"427": "226", // Guinea equatoriale
	"428": "404", // Kenya
	"429": "426", // Lesotho
	"430": "430", // Liberia
	"431": "434", // Libia
	"432": "450", // Madagascar
	"434": "454", // Malawi
	"435": "466", // Mali
	"436": "504", // Marocco
	"437": "478", // Mauritania
	"438": "480", // Maurizio
	"440": "508", // Mozambico
	"441": "516", // Namibia
	"442": "562", // Niger
	"443": "566", // Nigeria
	"446": "646", // Ruanda
	"448": "678", // Sao Tomé e Principe
	"449": "690", // Seychelles
	"450": "686", // Senegal
	"451": "694", // Sierra Leone
	"453": "706", // Somalia
	"454": "710", // Sudafrica
	"455": "729", // Sudan
	"456": "748", // Eswatini
	"457": "834", // Tanzania
	"458": "768", // Togo
	"460": "788", // Tunisia
	"461": "800", // Uganda
	"463": "180", // Repubblica Democratica del Congo
	"464": "894", // Zambia
	"465": "716", // Zimbabwe
	"466": "232", // Eritrea
	"467": "728", // Sud Sudan
	"503": "028", // Antigua e Barbuda
	"505": "044", // Bahamas
	"506": "052", // Barbados
	"507": "084", // Belize
	"509": "124", // Canada
	"513": "188", // Costa Rica
	"514": "192", // Cuba
	"515": "212", // Dominica
	"516": "214", // Repubblica Dominicana
	"517": "222", // El Salvador
	"518": "388", // Giamaica
	"519": "308", // Grenada
	"523": "320", // Guatemala
	"524": "332", // Haiti
	"525": "340", // Honduras
	"527": "484", // Messico
	"529": "558", // Nicaragua
	"530": "591", // Panama
	"532": "662", // Santa Lucia
	"533": "670", // Saint Vincent e Grenadine
	"534": "659", // Saint Kitts e Nevis
	"536": "840", // Stati Uniti d'America
	"602": "032", // Argentina
	"604": "068", // Bolivia
	"605": "076", // Brasile
	"606": "152", // Cile
	"608": "170", // Colombia
	"609": "218", // Ecuador
	"612": "328", // Guyana
	"614": "600", // Paraguay
	"615": "604", // Perù
	"616": "740", // Suriname
	"617": "780", // Trinidad e Tobago
	"618": "858", // Uruguay
	"619": "862", // Venezuela
	"701": "036", // Australia
	"703": "242", // Figi
	"708": "296", // Kiribati
	"712": "584", // Isole Marshall
	"713": "583", // Stati Federati di Micronesia
	"715": "520", // Nauru
	"719": "554", // Nuova Zelanda
	"720": "585", // Palau
	"721": "598", // Papua Nuova Guinea
	"725": "090", // Isole Salomone
	"727": "882", // Samoa
	"730": "776", // Tonga
	"731": "798", // Tuvalu
	"732": "548", // Vanuatu
}
