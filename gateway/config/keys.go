package config

import (
	"reflect"
	"strings"
)

// Key is one configurable value, as the configuration reference documents it.
type Key struct {
	// Path is the dotted key ("listeners.admin.address"); map keys read "<name>", list elements "[i]".
	Path string
	// Env is the override variable ("WGW_LISTENERS__ADMIN__ADDRESS").
	Env string
	// Type is the value's kind in operator terms: string, integer, boolean, duration, size, secret,
	// list of string, ...
	Type string
}

// Keys lists every key of the configuration type of root (a struct or a pointer to one), depth
// first in field order. A README test compares it with the configuration reference, so a new
// field cannot ship undocumented.
func Keys(root any) []Key {
	var out []Key
	var walk func(t reflect.Type, path []string)
	walk = func(t reflect.Type, path []string) {
		t = deref(t)
		if t == secretType || isLeaf(t) || (t.Kind() == reflect.Slice && isLeaf(deref(t.Elem()))) ||
			(t.Kind() == reflect.Map && isLeaf(deref(t.Elem()))) {
			out = append(out, Key{Path: strings.Join(path, "."), Env: envName(path), Type: typeName(t)})
			return
		}
		switch t.Kind() {
		case reflect.Struct:
			fs := fieldsOf(t)
			for _, name := range orderedNames(t) {
				walk(t.FieldByIndex(fs.byName[name]).Type, append(path, name))
			}
		case reflect.Map:
			walk(t.Elem(), append(path, "<name>"))
		case reflect.Slice:
			p := append([]string(nil), path...)
			p[len(p)-1] += "[i]"
			walk(t.Elem(), p)
		}
	}
	walk(reflect.TypeOf(root), nil)
	for i := range out {
		// In the names of map and list elements, <NAME> and <I> are placeholders.
		out[i].Env = strings.ReplaceAll(out[i].Env, "[I]", "__<I>")
	}
	return out
}

// orderedNames lists t's YAML keys in declaration order (inline structs flattened).
func orderedNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || (!f.IsExported() && !(f.Anonymous && strings.Contains(opts, "inline"))):
		case strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct:
			names = append(names, orderedNames(f.Type)...)
		case name == "":
			names = append(names, strings.ToLower(f.Name))
		default:
			names = append(names, name)
		}
	}
	return names
}

func typeName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "duration"
	case reflect.TypeFor[Size]():
		return "size"
	case secretType:
		return "secret"
	}
	switch t.Kind() {
	case reflect.Slice:
		return "list of " + typeName(deref(t.Elem()))
	case reflect.Map:
		return "map of " + typeName(deref(t.Elem()))
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return "string"
}
