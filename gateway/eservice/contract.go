package eservice

import (
	"bytes"
	"strconv"
	"strings"
)

// WithServer returns the OpenAPI document doc (YAML) with its top-level servers list replaced by
// the one URL the e-service is served at, and every other byte unchanged: the SIUSS contract is
// INPS's file, adjusted only in servers. A document without a top-level servers key gets one
// appended. An http:// URL (a test or demo installation) is marked x-sandbox.
func WithServer(doc []byte, publicURL string) []byte {
	block := "servers:\n- url: " + strconv.Quote(publicURL) + "\n  description: questa installazione del gateway WelfareGOV\n"
	if strings.HasPrefix(publicURL, "http://") {
		// A plain-HTTP installation is a test or demo one: say so to the checker (servers-use-https).
		block += "  x-sandbox: true\n"
	}
	lines := bytes.SplitAfter(doc, []byte("\n"))
	start := -1
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte("servers:")) {
			start = i
			break
		}
	}
	if start < 0 {
		out := append([]byte(nil), doc...)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		return append(out, block...)
	}
	end := start + 1
	for end < len(lines) && continuesBlock(lines[end]) {
		end++
	}
	var out bytes.Buffer
	for _, l := range lines[:start] {
		out.Write(l)
	}
	out.WriteString(block)
	for _, l := range lines[end:] {
		out.Write(l)
	}
	return out.Bytes()
}

// continuesBlock reports whether a line belongs to the block of the top-level key above it: it is
// indented, a list item at column 0, a comment or blank.
func continuesBlock(l []byte) bool {
	t := bytes.TrimRight(l, "\r\n")
	return len(t) == 0 || t[0] == ' ' || t[0] == '\t' || t[0] == '-' || t[0] == '#'
}
