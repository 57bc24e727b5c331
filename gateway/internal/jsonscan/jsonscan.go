// Package jsonscan reads one JSON object or array a member at a time, without reflection, for the
// token decoders on the request path (gateway/jose's header and claims, gateway/modi's
// signed_headers). An Iter validates the whole input in the same pass, with the rules of
// encoding/json (RFC 8259 and encoding/json's nesting limit), so it accepts exactly the texts that
// json.Unmarshal accepts.
//
// Invalid UTF-8 inside strings is accepted and, when a string is unquoted, each invalid byte becomes
// U+FFFD, as encoding/json does: refusing it would make the gateway stricter than the JSON decoder
// every other party uses, on bytes that cannot match anything it compares them with anyway.
package jsonscan

import (
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects accepted, the top-level value counting as
// one: encoding/json's limit, so that both accept the same inputs.
const MaxDepth = 10000

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of JSON values. The zero Kind is no value.
const (
	Null Kind = iota + 1
	Bool
	Number
	String
	Array
	Object
)

// String names the kind as encoding/json's UnmarshalTypeError.Value does ("bool", "number", ...),
// so that messages built on either read the same.
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "bool"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "nothing"
}

// SyntaxError is an input that is not the JSON text expected.
type SyntaxError struct {
	// Offset is the byte offset where the input stopped making sense.
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "jsonscan: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Iter walks the members of one JSON object (Members) or the elements of one JSON array (Elements):
//
//	it := jsonscan.Members(data)
//	for it.Next() {
//		use(it.Name(), it.Value(), it.Kind())
//	}
//	if err := it.Err(); err != nil {
//		// data is not a valid JSON object: discard what was read
//	}
//
// Next validates each value it steps over, nested ones included, and the last call checks that only
// whitespace follows the closing bracket. What Next returned before is therefore trustworthy only
// once Err is nil: an error can come after members that looked fine.
type Iter struct {
	data  []byte
	pos   int
	close byte // '}' or ']'
	n     int  // members or elements read
	name  []byte
	value []byte
	kind  Kind
	err   error
	done  bool
}

// Members returns an Iter over the members of the JSON object in data.
func Members(data []byte) Iter { return open(data, '{') }

// Elements returns an Iter over the elements of the JSON array in data.
func Elements(data []byte) Iter { return open(data, '[') }

func open(data []byte, c byte) Iter {
	it := Iter{data: data, close: c + 2} // '{'+2 is '}', '['+2 is ']'
	i := skipWS(data, 0)
	if i == len(data) || data[i] != c {
		what := "an object"
		if c == '[' {
			what = "an array"
		}
		it.fail(i, "the input is not "+what)
		return it
	}
	it.pos = i + 1
	return it
}

// Next steps to the next member or element and reports whether there is one. It returns false at
// the end of the object or array and at the first syntax error (see Err).
func (it *Iter) Next() bool {
	if it.done {
		return false
	}
	d, i := it.data, skipWS(it.data, it.pos)
	if i == len(d) {
		return it.fail(i, "unexpected end of input")
	}
	switch {
	case d[i] == it.close:
		return it.end(i + 1)
	case it.n == 0:
	case d[i] != ',':
		return it.fail(i, "expected ',' or '"+string(it.close)+"'")
	default:
		i = skipWS(d, i+1)
	}
	if it.close == '}' {
		end, value, err := memberName(d, i)
		if err != nil {
			return it.setErr(err)
		}
		it.name = d[i+1 : end-1 : end-1]
		if needsUnquote(it.name) {
			it.name = appendUnquoted(nil, it.name)
		}
		i = value
	}
	if i == len(d) {
		return it.fail(i, "unexpected end of input")
	}
	end, kind, err := scanValue(d, i, 1)
	if err != nil {
		return it.setErr(err)
	}
	it.value, it.kind, it.pos = d[i:end:end], kind, end
	it.n++
	return true
}

// Name is the current member's name, unquoted. It stays valid as long as the input does: it is a
// slice of the input, or a copy when the name had escapes or bytes beyond ASCII. Empty for an
// array element.
func (it *Iter) Name() []byte { return it.name }

// Value is the current member's or element's value, exactly as it is in the input (a slice of it,
// whose capacity ends with the value).
func (it *Iter) Value() []byte { return it.value }

// Kind is the type of Value.
func (it *Iter) Kind() Kind { return it.kind }

// Err is the syntax error that stopped the Iter, nil if it reached the end of a valid input.
func (it *Iter) Err() error { return it.err }

// end is the closing bracket at data[i-1]: only whitespace may follow.
func (it *Iter) end(i int) bool {
	it.done = true
	if j := skipWS(it.data, i); j != len(it.data) {
		return it.fail(j, "data after the end of the value")
	}
	return false
}

func (it *Iter) fail(i int, msg string) bool { return it.setErr(&SyntaxError{Offset: i, Msg: msg}) }

func (it *Iter) setErr(err error) bool {
	it.err, it.done, it.name, it.value, it.kind = err, true, nil, nil, 0
	return false
}

// memberName checks the member name at d[i] and the ':' after it, returning the offset after the
// name's closing quote and the offset of the value (whitespace skipped).
func memberName(d []byte, i int) (nameEnd, value int, err error) {
	if i == len(d) || d[i] != '"' {
		return 0, 0, &SyntaxError{Offset: i, Msg: "expected a member name"}
	}
	end, err := scanString(d, i)
	if err != nil {
		return 0, 0, err
	}
	j := skipWS(d, end)
	if j == len(d) || d[j] != ':' {
		return 0, 0, &SyntaxError{Offset: j, Msg: "expected ':' after a member name"}
	}
	return end, skipWS(d, j+1), nil
}

// skipWS returns the offset of the first non-whitespace byte at or after i (len(d) if none).
func skipWS(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanValue checks the value at d[i] (not whitespace, i < len(d)) and returns the offset after it and
// its kind. depth is the nesting of the container that holds the value.
func scanValue(d []byte, i, depth int) (int, Kind, error) {
	switch c := d[i]; {
	case c == '{':
		end, err := skipContainer(d, i, depth)
		return end, Object, err
	case c == '[':
		end, err := skipContainer(d, i, depth)
		return end, Array, err
	case c == '"':
		end, err := scanString(d, i)
		return end, String, err
	case c == '-' || (c >= '0' && c <= '9'):
		end, err := scanNumber(d, i)
		return end, Number, err
	case c == 't':
		return literal(d, i, "true", Bool)
	case c == 'f':
		return literal(d, i, "false", Bool)
	case c == 'n':
		return literal(d, i, "null", Null)
	}
	return 0, 0, &SyntaxError{Offset: i, Msg: "invalid character " + strconv.QuoteRune(rune(d[i])) + " looking for a value"}
}

func literal(d []byte, i int, lit string, k Kind) (int, Kind, error) {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return 0, 0, &SyntaxError{Offset: i, Msg: "invalid literal, expected " + lit}
	}
	return i + len(lit), k, nil
}

// skipContainer checks the array or object opening at d[i], inside a container at depth, and returns
// the offset after its closing bracket. It walks the nesting with an explicit stack (one bool per
// open container) instead of recursion, so a deeply nested hostile input costs at most MaxDepth
// bytes of heap, never a deep goroutine stack.
func skipContainer(d []byte, i, depth int) (int, error) {
	var inline [32]bool
	objects := inline[:0] // for each open container, whether it is an object
	for {
		// A value starts at d[i], i < len(d).
		switch c := d[i]; c {
		case '{', '[':
			if depth+len(objects)+1 > MaxDepth {
				return 0, &SyntaxError{Offset: i, Msg: "nesting deeper than " + strconv.Itoa(MaxDepth) + " levels"}
			}
			objects = append(objects, c == '{')
			i = skipWS(d, i+1)
			if i < len(d) && d[i] == c+2 {
				objects = objects[:len(objects)-1]
				i++
				break // an empty container is a complete value
			}
			if c == '{' {
				var err error
				if _, i, err = memberName(d, i); err != nil {
					return 0, err
				}
			}
			if i == len(d) {
				return 0, &SyntaxError{Offset: i, Msg: "unexpected end of input"}
			}
			continue
		default:
			var err error
			if i, _, err = scanValue(d, i, depth+len(objects)); err != nil {
				return 0, err
			}
		}
		// A value ended at d[i-1]: close what it completes, or move to the next value.
		for {
			if len(objects) == 0 {
				return i, nil
			}
			i = skipWS(d, i)
			if i == len(d) {
				return 0, &SyntaxError{Offset: i, Msg: "unexpected end of input"}
			}
			obj := objects[len(objects)-1]
			if d[i] == ',' {
				i = skipWS(d, i+1)
				if obj {
					var err error
					if _, i, err = memberName(d, i); err != nil {
						return 0, err
					}
				}
				if i == len(d) {
					return 0, &SyntaxError{Offset: i, Msg: "unexpected end of input"}
				}
				break
			}
			closing := byte(']')
			if obj {
				closing = '}'
			}
			if d[i] != closing {
				return 0, &SyntaxError{Offset: i, Msg: "expected ',' or '" + string(closing) + "'"}
			}
			objects = objects[:len(objects)-1]
			i++
		}
	}
}

// plain marks the bytes a string can hold as they are: not a control character, quote, backslash
// or the start of a multi-byte sequence.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString checks the string literal at d[i] ('"') and returns the offset after its closing quote.
func scanString(d []byte, i int) (int, error) {
	j := i + 1
	for j < len(d) {
		c := d[j]
		if plain[c] {
			j++
			continue
		}
		switch {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			if j+1 == len(d) {
				return 0, &SyntaxError{Offset: j, Msg: "unterminated string"}
			}
			switch d[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if len(d)-j < 6 || hex4(d[j+2:j+6]) < 0 {
					return 0, &SyntaxError{Offset: j, Msg: `invalid \u escape in string`}
				}
				j += 6
			default:
				return 0, &SyntaxError{Offset: j, Msg: "invalid escape " + strconv.Quote(string(d[j:j+2])) + " in string"}
			}
		case c < 0x20:
			return 0, &SyntaxError{Offset: j, Msg: "control character in string"}
		default: // a byte of a multi-byte sequence, valid or not: see the package comment
			j++
		}
	}
	return 0, &SyntaxError{Offset: i, Msg: "unterminated string"}
}

// scanNumber checks the number at d[i] against RFC 8259's grammar,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and returns the offset after it. Its magnitude is
// not checked (1e400 is a valid JSON number): that is for whoever converts it.
func scanNumber(d []byte, i int) (int, error) {
	j := i
	if d[j] == '-' {
		j++
	}
	switch {
	case j < len(d) && d[j] == '0':
		j++
	case j < len(d) && d[j] >= '1' && d[j] <= '9':
		j = digits(d, j+1)
	default:
		return 0, &SyntaxError{Offset: j, Msg: "invalid number"}
	}
	if j < len(d) && d[j] == '.' {
		if j++; j == len(d) || d[j] < '0' || d[j] > '9' {
			return 0, &SyntaxError{Offset: j, Msg: "invalid number: no digit after the decimal point"}
		}
		j = digits(d, j)
	}
	if j < len(d) && (d[j] == 'e' || d[j] == 'E') {
		j++
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		if j == len(d) || d[j] < '0' || d[j] > '9' {
			return 0, &SyntaxError{Offset: j, Msg: "invalid number: no digit in the exponent"}
		}
		j = digits(d, j)
	}
	return j, nil
}

func digits(d []byte, j int) int {
	for j < len(d) && d[j] >= '0' && d[j] <= '9' {
		j++
	}
	return j
}

// hex4 is the value of four hex digits, -1 if b is not four hex digits.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Unquote returns the content of the string literal lit, a Value of Kind String. Without escapes
// or bytes beyond ASCII (almost every string in a token) it is one copy; otherwise escapes are
// decoded and invalid UTF-8 becomes U+FFFD, exactly as encoding/json does.
func Unquote(lit []byte) string {
	if len(lit) < 2 {
		return ""
	}
	s := lit[1 : len(lit)-1]
	if !needsUnquote(s) {
		return string(s)
	}
	return string(appendUnquoted(make([]byte, 0, len(s)+utf8.UTFMax), s))
}

// needsUnquote reports whether the content of a string has an escape or a non-ASCII byte.
func needsUnquote(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// appendUnquoted appends the decoded content s of a valid string literal to dst. It follows
// encoding/json's unquoteBytes case by case: a \u escape of half a surrogate pair that is not
// followed by the other half is U+FFFD (and the next escape is decoded on its own), and every byte
// of invalid UTF-8 is U+FFFD.
func appendUnquoted(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\' && r+1 < len(s):
			switch s[r+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				if r+6 > len(s) { // not a valid literal: kept as it is rather than read past its end
					return append(dst, s[r:]...)
				}
				rr := hex4(s[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:])); dec != unicode.ReplacementChar {
							dst = utf8.AppendRune(dst, dec)
							r += 6
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				if rr < 0 { // not four hex digits: not a valid literal, whose content is kept as is
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			dst = utf8.AppendRune(dst, rr) // RuneError for an invalid byte, as encoding/json
			r += size
		}
	}
	return dst
}

// Names finds repeated member names in one object. RFC 7515 §4 (JOSE header) and RFC 7519 §4 (JWT
// claims) let a parser either refuse duplicate names or keep the last one; the gateway refuses them,
// so that no two parsers can read one token differently. The zero Names is empty; it keeps the
// names it is given (Iter's names stay valid with the input).
type Names struct {
	small [16][]byte
	n     int
	more  map[string]struct{} // once there are more names than small holds, so a hostile object costs linear time
}

// Seen records name and reports whether it had been recorded already.
func (s *Names) Seen(name []byte) bool {
	if s.more != nil {
		if _, ok := s.more[string(name)]; ok {
			return true
		}
		s.more[string(name)] = struct{}{}
		return false
	}
	for _, p := range s.small[:s.n] {
		if string(p) == string(name) {
			return true
		}
	}
	if s.n < len(s.small) {
		s.small[s.n] = name
		s.n++
		return false
	}
	s.more = make(map[string]struct{}, 2*len(s.small))
	for _, p := range s.small {
		s.more[string(p)] = struct{}{}
	}
	s.more[string(name)] = struct{}{}
	return false
}
