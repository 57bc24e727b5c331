package democonfig

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Fill adds overlay's keys to base, both YAML documents whose top is a mapping: a key absent from
// base is added (after base's own, with overlay's comments), and where both have a mapping under
// the same key the two are filled in the same way. A key both set to anything else is an error
// naming its path: Fill completes a configuration, it never silently changes what base says.
// base's comments are kept.
func Fill(base, overlay []byte) ([]byte, error) {
	return merge(base, overlay, func(path string, _, _ *yaml.Node) error {
		return fmt.Errorf("%s: already set, and the demo sets it at start (remove it)", path)
	})
}

// Override is Fill where overlay's value replaces base's on a conflict (tests adapt the demo's
// configuration with it: a shared store, other addresses).
func Override(base, overlay []byte) ([]byte, error) {
	return merge(base, overlay, func(_ string, dst, src *yaml.Node) error {
		*dst = *src
		return nil
	})
}

func merge(base, overlay []byte, conflict func(path string, dst, src *yaml.Node) error) ([]byte, error) {
	b, err := topMapping(base, "base")
	if err != nil {
		return nil, err
	}
	o, err := topMapping(overlay, "overlay")
	if err != nil {
		return nil, err
	}
	if err := mergeMapping("", b.Content[0], o.Content[0], conflict); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("democonfig: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("democonfig: %w", err)
	}
	return spaceSections(out.Bytes()), nil
}

// spaceSections puts back the blank line before each top-level section (and its comment) that
// the encoder drops, for the reader of the composed file.
func spaceSections(text []byte) []byte {
	lines := bytes.SplitAfter(text, []byte("\n"))
	var out bytes.Buffer
	for i, l := range lines {
		if i > 0 && len(l) > 0 && l[0] != ' ' && l[0] != '\n' && len(lines[i-1]) > 0 && lines[i-1][0] == ' ' {
			out.WriteByte('\n')
		}
		out.Write(l)
	}
	return out.Bytes()
}

// topMapping parses a YAML document whose top is a mapping; an empty document is an empty mapping.
func topMapping(text []byte, what string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, fmt.Errorf("democonfig: the %s configuration: %w", what, err)
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("democonfig: the %s configuration is not a mapping of sections", what)
	}
	return &doc, nil
}

// mergeMapping merges the mapping src into dst, at path (dotted, "" at the top).
func mergeMapping(path string, dst, src *yaml.Node, conflict func(string, *yaml.Node, *yaml.Node) error) error {
	var errs []error
	for i := 0; i+1 < len(src.Content); i += 2 {
		key, value := src.Content[i], src.Content[i+1]
		at := key.Value
		if path != "" {
			at = path + "." + key.Value
		}
		existing := lookup(dst, key.Value)
		switch {
		case existing == nil:
			dst.Content = append(dst.Content, key, value)
		case existing.Kind == yaml.ScalarNode && existing.Tag == "!!null":
			// `key:` with no value (a section kept for its comment) is unset: overlay sets it.
			head, line, foot := existing.HeadComment, existing.LineComment, existing.FootComment
			*existing = *value
			existing.HeadComment, existing.LineComment, existing.FootComment = head, line, foot
		case existing.Kind == yaml.MappingNode && value.Kind == yaml.MappingNode:
			if existing.Style == yaml.FlowStyle {
				existing.Style = 0 // a flow mapping gaining keys reads better in block style
			}
			errs = append(errs, mergeMapping(at, existing, value, conflict))
		default:
			errs = append(errs, conflict(at, existing, value))
		}
	}
	return errors.Join(errs...)
}

// lookup is the value of key in the mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Get is the value at path (dotted keys) in the YAML document text, "" when absent or not a scalar.
func Get(text []byte, path string) string {
	if n := find(text, path); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// Has reports whether the YAML document text sets path (dotted keys) to anything.
func Has(text []byte, path string) bool { return find(text, path) != nil }

func find(text []byte, path string) *yaml.Node {
	doc, err := topMapping(text, "")
	if err != nil {
		return nil
	}
	n := doc.Content[0]
	for _, k := range strings.Split(path, ".") {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		if n = lookup(n, k); n == nil {
			return nil
		}
	}
	return n
}
