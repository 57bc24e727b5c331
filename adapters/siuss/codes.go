package siuss

// SIUSS's CodiceRegione is the 2-digit region code ("Codifica DM1986"); for every region it
// coincides with ISTAT's region code (the DM list splits only Trentino-Alto Adige, which a 2-digit
// field cannot carry). provinceRegion maps the ISTAT province code (the first three digits of the
// comune code) to it, for provinces 001-111 (up to the 2016 reform). The Sardinian provinces of
// 2025 (codes above 111) are not in the table yet: such comuni are refused by name until ISTAT's
// codes are added. Nation and citizenship codes are converted with contracts.StatoISO.

// provinceRegion maps ISTAT province codes (1..111) to region codes.
var provinceRegion = [...]string{
	1: "01", 2: "01", 3: "01", 4: "01", 5: "01", 6: "01", 7: "02", 8: "07",
	9: "07", 10: "07", 11: "07", 12: "03", 13: "03", 14: "03", 15: "03", 16: "03",
	17: "03", 18: "03", 19: "03", 20: "03", 21: "04", 22: "04", 23: "05", 24: "05",
	25: "05", 26: "05", 27: "05", 28: "05", 29: "05", 30: "06", 31: "06", 32: "06",
	33: "08", 34: "08", 35: "08", 36: "08", 37: "08", 38: "08", 39: "08", 40: "08",
	41: "11", 42: "11", 43: "11", 44: "11", 45: "09", 46: "09", 47: "09", 48: "09",
	49: "09", 50: "09", 51: "09", 52: "09", 53: "09", 54: "10", 55: "10", 56: "12",
	57: "12", 58: "12", 59: "12", 60: "12", 61: "15", 62: "15", 63: "15", 64: "15",
	65: "15", 66: "13", 67: "13", 68: "13", 69: "13", 70: "14", 71: "16", 72: "16",
	73: "16", 74: "16", 75: "16", 76: "17", 77: "17", 78: "18", 79: "18", 80: "18",
	81: "19", 82: "19", 83: "19", 84: "19", 85: "19", 86: "19", 87: "19", 88: "19",
	89: "19", 90: "20", 91: "20", 92: "20", 93: "06", 94: "14", 95: "20", 96: "01",
	97: "03", 98: "03", 99: "08", 100: "09", 101: "18", 102: "18", 103: "01", 104: "20",
	105: "20", 106: "20", 107: "20", 108: "03", 109: "11", 110: "16", 111: "20",
}
