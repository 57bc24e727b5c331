package tracing

// isUUID reports whether s is 8-4-4-4-12 hexadecimal digits (either case, any version), the shape
// PDND's validator (zod's uuid()) requires of purpose_id and token_id.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
