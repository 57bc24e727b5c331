package openapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestModelCompiles(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Names()) < 40 {
		t.Fatalf("only %d schemas: %v", len(v.Names()), v.Names())
	}
	for _, tc := range []struct {
		schema, doc string
		ok          bool
	}{
		{"Data", `"2001-05-17"`, true},
		{"Data", `"2001-05"`, true},
		{"Data", `"2001"`, true},
		{"Data", `"2001-13-01"`, false},
		{"Data", `"01-05-2001"`, false},
		{"Decimal", `"12254.90"`, true},
		{"Decimal", `"12254.9"`, false},
		{"Decimal", `"12254.900"`, false},
		{"Decimal", `12254.90`, false},
		{"Provenienza", `{"sistema":"INPS","cache":"MISS","dataOraAcquisizione":"2025-02-12T09:30:00Z"}`, true},
		{"Provenienza", `{"sistema":"INPS","cache":"MISS","dataOraAcquisizione":"yesterday"}`, false},
		{"Provenienza", `{"sistema":"INPS","cache":"MISS","dataOraAcquisizione":"2025-02-12T09:30:00Z","x":1}`, false},
		{"Nope", `{}`, false},
	} {
		err := v.Validate(tc.schema, []byte(tc.doc))
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: got %v, want ok=%v", tc.schema, tc.doc, err, tc.ok)
		}
	}
	if err := v.Validate("Data", []byte(`{`)); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("malformed instance: %v", err)
	}
}

func TestToJSONSchema(t *testing.T) {
	in := map[string]any{
		"type": "object", "nullable": false,
		"properties": map[string]any{
			"a": map[string]any{"type": "string", "nullable": true, "enum": []any{"X"}},
			"b": map[string]any{"type": "integer", "minimum": 1.0, "exclusiveMinimum": true, "maximum": 9.0, "exclusiveMaximum": false},
		},
	}
	want := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"a": map[string]any{"type": []any{"string", "null"}, "enum": []any{"X", nil}},
			"b": map[string]any{"type": "integer", "exclusiveMinimum": 1.0, "maximum": 9.0},
		},
	}
	got := toJSONSchema(in)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("got %s\nwant %s", g, w)
	}
}
