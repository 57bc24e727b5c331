package jose

// DecodeHeader lets the benchmark measure the header's decoder alone, without base64.
func DecodeHeader(data []byte, h *Header) error { return h.decode(data) }
