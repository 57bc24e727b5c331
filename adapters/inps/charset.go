package inps

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The ISEE schemas are ISO-8859-1 and INPS writes its inner payloads in that encoding; names carry
// accented capitals (NICOLÒ, D'ANNUNZIÒ: TypeNome admits À È É Ì Ò Ù). Go's XML decoder reads only
// UTF-8, so payloads declared in ISO-8859-1 are converted byte by byte (each Latin-1 byte is the
// code point of the same value). Other encodings are refused by name.

// isLatin1 reports whether an XML encoding label names ISO-8859-1 (IANA name and aliases).
func isLatin1(label string) bool {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "cp819", "ibm819", "csisolatin1", "iso-ir-100":
		return true
	}
	return false
}

func isUTF8Label(label string) bool {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// charsetReader is the CharsetReader of every XML document this package reads: UTF-8 passes
// through (the decoder checks it), ISO-8859-1 is converted, anything else is an error naming it.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch {
	case isUTF8Label(label):
		return in, nil
	case isLatin1(label):
		return &latin1Reader{r: in}, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q (expected UTF-8 or ISO-8859-1)", truncate(label, 40))
}

// latin1Reader converts ISO-8859-1 bytes to UTF-8 as they are read.
type latin1Reader struct {
	r       io.Reader
	pending []byte // encoded bytes not yet returned
	buf     [512]byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		n, err := l.r.Read(l.buf[:min(len(l.buf), max(len(p)/2, 1))])
		if n == 0 {
			return 0, err
		}
		l.pending = Latin1ToUTF8(l.pending[:0], l.buf[:n])
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}

// Latin1ToUTF8 appends the UTF-8 encoding of ISO-8859-1 text src to dst.
func Latin1ToUTF8(dst, src []byte) []byte {
	for _, b := range src {
		if b < utf8.RuneSelf {
			dst = append(dst, b)
		} else {
			dst = utf8.AppendRune(dst, rune(b))
		}
	}
	return dst
}

// UTF8ToLatin1XML converts UTF-8 XML text to ISO-8859-1. Characters outside Latin-1 become numeric
// character references (&#NNNN;), which is only correct in character data and attribute values:
// element and attribute names must be ASCII (they are, in every INPS schema). Invalid UTF-8 is an error.
func UTF8ToLatin1XML(src []byte) ([]byte, error) {
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			return nil, fmt.Errorf("inps: invalid UTF-8 at byte %d", i)
		}
		switch {
		case r < 0x100:
			out = append(out, byte(r))
		default:
			out = append(out, "&#"...)
			out = strconv.AppendInt(out, int64(r), 10)
			out = append(out, ';')
		}
		i += size
	}
	return out, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// xmlDeclEncoding returns the encoding label of an XML declaration at the start of b ("" when
// there is no declaration or no encoding pseudo-attribute).
func xmlDeclEncoding(b []byte) string {
	b = bytes.TrimPrefix(b, utf8BOM)
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := string(b[:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	if j := strings.IndexByte(rest[1:], q); j >= 0 {
		return rest[1 : 1+j]
	}
	return ""
}

// truncate bounds s to n runes for error messages and anomalies.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}
