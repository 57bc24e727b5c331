package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment override. The rest of the variable's name is the key's path,
// segments upper-cased and joined by a double underscore:
//
//	listeners.admin.address    WGW_LISTENERS__ADMIN__ADDRESS
//	log.level                  WGW_LOG__LEVEL
//	store.redis.url            WGW_STORE__REDIS__URL
//	upstreams.inps.timeout     WGW_UPSTREAMS__INPS__TIMEOUT   (a map key, matched case-insensitively)
//	purposes[0].id             WGW_PURPOSES__0__ID            (an existing list element)
//
// A single underscore stays inside a key (shutdown_grace -> SHUTDOWN_GRACE). The value is read as
// YAML ("30s", "true", "[a, b]", "{file: /run/secrets/x}"), except for string keys, which take it
// verbatim. An empty value means the key's default. A WGW_ variable that names no key is an error,
// unless it is one of [NotOverrides] or the configuration names it as a secret's source
// ({env: WGW_REDIS_PASSWORD}).
const EnvPrefix = "WGW_"

// NotOverrides lists WGW_ variables that belong to the tooling, not to the configuration.
var NotOverrides = []string{
	"WGW_SAMPLES_DIR", // where conformance tests find the shared samples (set by .ci/run)
}

// maxConfigBytes bounds the configuration file: a real one is a few kilobytes.
const maxConfigBytes = 1 << 20

// maxNodes bounds the YAML nodes decoded, aliases included, so a "billion laughs" file of nested
// aliases fails fast instead of expanding without bound.
const maxNodes = 100_000

// maxDepth bounds nesting (including alias chains).
const maxDepth = 32

// maxQuoted bounds how much of an offending value or key a message quotes.
const maxQuoted = 64

// Load reads the YAML file at path, applies the environment overrides found in env (in
// os.Environ's "NAME=value" form) and decodes the result strictly into dst, which must be a
// pointer to a struct. Every problem is recorded in ck, each naming its field path and where the
// value came from (file and line, or environment variable): unknown keys (with the closest valid
// key), values of the wrong type, overrides for unknown keys. Load does not run dst's Check.
func Load(ck Checker, path string, env []string, dst any) {
	data, err := readConfigFile(path)
	if err != nil {
		ck.Errorf(path, "%v", err)
		return
	}
	Decode(ck, path, data, env, dst)
}

func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("configuration file not found")
		}
		return nil, fmt.Errorf("cannot open configuration file: %w", errors.Unwrap(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read configuration file: %w", err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("configuration file larger than %d bytes", maxConfigBytes)
	}
	return data, nil
}

// Decode is Load for YAML already in memory; source names it in messages.
func Decode(ck Checker, source string, data []byte, env []string, dst any) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("config: Decode needs a pointer to a struct") // a programming error, not a config one
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		ck.Errorf(source, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} // an empty file is an empty mapping
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	d := &decoder{source: source, origins: map[*yaml.Node]string{}}
	if root.Kind != yaml.MappingNode && !isNull(root) {
		ck.Errorf(source, "the top level must be a mapping of keys, got %s", describe(root))
		return
	}
	if isNull(root) {
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	unknown := d.applyEnv(root, v.Elem().Type(), env)
	d.decode(ck, root, v.Elem(), "", 0)
	secrets := secretEnvs(v.Elem())
	for _, u := range unknown {
		if !slices.Contains(secrets, u.name) {
			ck.Errorf(u.name, "%s", u.problem)
		}
	}
}

type decoder struct {
	source  string
	origins map[*yaml.Node]string // value nodes set by an environment variable -> its name
	nodes   int
	tooBig  bool
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	secretType      = reflect.TypeFor[Secret]()
)

// where says where a node came from, for messages: " at demo.yaml:12" or " in WGW_LOG__LEVEL".
func (d *decoder) where(n *yaml.Node, origin string) string {
	switch {
	case origin != "":
		return " in " + origin
	case n.Line > 0:
		return fmt.Sprintf(" at %s:%d", d.source, n.Line)
	}
	return ""
}

func (d *decoder) decode(ck Checker, n *yaml.Node, v reflect.Value, origin string, depth int) {
	if o, ok := d.origins[n]; ok {
		origin = o
	}
	d.nodes++
	if d.nodes > maxNodes || depth > maxDepth {
		if !d.tooBig {
			d.tooBig = true
			ck.Errorf("", "configuration too large or too deeply nested (aliases included)%s", d.where(n, origin))
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		d.decode(ck, n.Alias, v, origin, depth+1)
		return
	}
	if isNull(n) {
		return // the zero value: the documented default
	}
	t := v.Type()
	switch {
	case t == secretType && n.Kind == yaml.ScalarNode:
		// Never quote the value: it is probably the secret itself.
		ck.Errorf("", "a secret is never written inline: give {file: PATH} or {env: VARIABLE}%s", d.where(n, origin))
		return
	case reflect.PointerTo(t).Implements(unmarshalerType):
		d.leaf(ck, n, v, origin)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		d.structure(ck, n, v, origin, depth)
	case reflect.Map:
		d.mapping(ck, n, v, origin, depth)
	case reflect.Slice:
		d.list(ck, n, v, origin, depth)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(ck, n, v.Elem(), origin, depth+1)
	default:
		d.leaf(ck, n, v, origin)
	}
}

func (d *decoder) structure(ck Checker, n *yaml.Node, v reflect.Value, origin string, depth int) {
	if n.Kind != yaml.MappingNode {
		ck.Errorf("", "want a mapping of keys, got %s%s", describe(n), d.where(n, origin))
		return
	}
	fields := fieldsOf(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" { // "<<: *defaults" merges another mapping's keys
			d.merge(ck, val, v, origin, depth)
			continue
		}
		f, ok := fields.byName[k.Value]
		if !ok {
			key := quoteLimit(k.Value)
			ck.Errorf(key, "unknown key%s%s", keyHint(k.Value, fields.names), d.where(k, origin))
			continue
		}
		d.decode(ck.At(k.Value), val, v.FieldByIndex(f), origin, depth+1)
	}
}

func (d *decoder) merge(ck Checker, n *yaml.Node, v reflect.Value, origin string, depth int) {
	if n.Kind == yaml.SequenceNode {
		for _, item := range n.Content {
			d.decode(ck, item, v, origin, depth+1)
		}
		return
	}
	d.decode(ck, n, v, origin, depth+1)
}

func (d *decoder) mapping(ck Checker, n *yaml.Node, v reflect.Value, origin string, depth int) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.leaf(ck, n, v, origin)
		return
	}
	if n.Kind != yaml.MappingNode {
		ck.Errorf("", "want a mapping of names to values, got %s%s", describe(n), d.where(n, origin))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := reflect.ValueOf(k.Value).Convert(t.Key())
		elem := reflect.New(t.Elem()).Elem()
		if old := v.MapIndex(key); old.IsValid() {
			elem.Set(old)
		}
		d.decode(ck.At(quoteLimit(k.Value)), val, elem, origin, depth+1)
		v.SetMapIndex(key, elem)
	}
}

func (d *decoder) list(ck Checker, n *yaml.Node, v reflect.Value, origin string, depth int) {
	if n.Kind != yaml.SequenceNode {
		ck.Errorf("", "want a list, got %s%s", describe(n), d.where(n, origin))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(ck.Index(i), item, s.Index(i), origin, depth+1)
	}
	v.Set(s)
}

// lineRE matches the "line N: " that yaml.v3 and our Unmarshalers put first; messages give the
// location at the end instead, in the same form for every problem.
var lineRE = regexp.MustCompile(`^(yaml: )?(unmarshal errors:\s*)?line \d+: `)

func (d *decoder) leaf(ck Checker, n *yaml.Node, v reflect.Value, origin string) {
	err := n.Decode(v.Addr().Interface())
	if err == nil {
		return
	}
	var msg string
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		msg = lineRE.ReplaceAllString(err.Error(), "")
	} else {
		msg = fmt.Sprintf("want %s, got %s", expected(v.Type()), describe(n))
	}
	ck.Errorf("", "%s%s", msg, d.where(n, origin))
}

func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number >= 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return "a " + t.String()
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return strconv.Quote(limit(n.Value))
}

// quoteLimit escapes a key for a one-line message (a key may hold any character, even a newline).
func quoteLimit(s string) string {
	q := strconv.Quote(limit(s))
	return q[1 : len(q)-1]
}

func limit(s string) string {
	if len(s) > maxQuoted {
		return s[:maxQuoted] + "…"
	}
	return s
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// fields maps a struct's YAML keys to field index paths (inline structs flattened).
type fields struct {
	byName map[string][]int
	names  []string
}

func fieldsOf(t reflect.Type) fields {
	fs := fields{byName: map[string][]int{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || (!f.IsExported() && !strings.Contains(opts, "inline")) {
				continue
			}
			index := append(slices.Clone(prefix), i)
			if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
				walk(f.Type, index)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name) // yaml.v3's own default
			}
			fs.byName[name] = index
			fs.names = append(fs.names, name)
		}
	}
	walk(t, nil)
	sort.Strings(fs.names)
	return fs
}

// secretEnvs lists the variables that Secret values of v read, so they are not mistaken for
// overrides.
func secretEnvs(v reflect.Value) []string {
	var out []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			if v.Type() == secretType {
				if env := v.FieldByName("Env").String(); env != "" {
					out = append(out, env)
				}
				return
			}
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Value())
			}
		}
	}
	walk(v)
	return out
}
