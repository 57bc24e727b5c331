package config

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// envProblem is an override that names no key. It is reported after decoding, because a variable
// the configuration names as a secret's source is not an override.
type envProblem struct{ name, problem string }

// applyEnv writes each WGW_ override of env into the YAML tree rooted at root, whose decoded type
// is t, before decoding, so an override goes through exactly the checks the file's value would.
func (d *decoder) applyEnv(root *yaml.Node, t reflect.Type, env []string) []envProblem {
	env = append([]string(nil), env...)
	sort.Strings(env) // deterministic order of problems
	var problems []envProblem
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || slices.Contains(NotOverrides, name) {
			continue
		}
		if p := d.override(root, t, name, value); p != "" {
			problems = append(problems, envProblem{name, p})
		}
	}
	return problems
}

// override applies one variable; it returns a problem, or "" when applied.
func (d *decoder) override(root *yaml.Node, t reflect.Type, name, value string) string {
	segs := strings.Split(strings.ToLower(name[len(EnvPrefix):]), "__")
	node := root
	var path []string
	for _, seg := range segs {
		if seg == "" {
			return "empty key in the variable name (use __ between keys and _ only inside a key)"
		}
		t = deref(t)
		switch {
		case isLeaf(t):
			return fmt.Sprintf("%s is a single value: it has no key %q", strings.Join(path, "."), seg)
		case t.Kind() == reflect.Struct:
			fs := fieldsOf(t)
			index, ok := fs.byName[seg]
			if !ok {
				return fmt.Sprintf("no configuration key %s%s", joinKey(path, seg), keyHint(seg, fs.names))
			}
			t = t.FieldByIndex(index).Type
			node = child(node, seg, false)
		case t.Kind() == reflect.Map:
			t = t.Elem()
			node = child(node, seg, true)
		case t.Kind() == reflect.Slice:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 {
				return fmt.Sprintf("%s is a list: want an element index, got %q", strings.Join(path, "."), seg)
			}
			node = resolve(node)
			if node.Kind != yaml.SequenceNode || i >= len(node.Content) {
				return fmt.Sprintf("%s has no element %d (an override can change a list element, not add one; set the whole list with %s=[...])",
					strings.Join(path, "."), i, envName(path))
			}
			node = node.Content[i]
			t = t.Elem()
		default:
			return fmt.Sprintf("%s cannot be overridden from the environment", strings.Join(path, "."))
		}
		path = append(path, seg)
	}
	*node = valueNode(t, value)
	d.origins[node] = name
	return ""
}

// valueNode turns a variable's text into the YAML node it stands for.
func valueNode(t reflect.Type, value string) yaml.Node {
	if value == "" {
		return yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"} // the key's default
	}
	t = deref(t)
	if t.Kind() == reflect.String && !reflect.PointerTo(t).Implements(unmarshalerType) {
		return yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value} // verbatim
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil || len(doc.Content) == 0 {
		return yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	}
	return *doc.Content[0]
}

// child returns the value node under key in the mapping n, creating the key (and turning an empty
// n into a mapping) when absent. foldCase matches map keys case-insensitively, since environment
// names are upper case.
func child(n *yaml.Node, key string, foldCase bool) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		// An override must not change the anchored original that other places share.
		*n = *deepCopy(n.Alias)
	}
	if n.Kind != yaml.MappingNode {
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if k == key || (foldCase && strings.EqualFold(k, key)) {
			return n.Content[i+1]
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	n.Content = append(n.Content, k, v)
	return v
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = deepCopy(x)
	}
	return &c
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// isLeaf reports whether values of t are written as one YAML value rather than a mapping of keys
// that overrides can address one by one. A Secret counts as a mapping: WGW_..__PASSWORD__FILE works.
func isLeaf(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice:
		return false
	}
	return true
}

func joinKey(path []string, last string) string {
	return strings.Join(append(append([]string(nil), path...), last), ".")
}

// envName is the override variable of a key path.
func envName(path []string) string {
	return EnvPrefix + strings.ToUpper(strings.Join(path, "__"))
}
