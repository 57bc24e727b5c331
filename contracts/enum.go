package contracts

import "slices"

// Enumerations of the model are string types whose JSON value is the constant itself, in
// UPPER_SNAKE_CASE (the style of INPS's own outcome codes, e.g. DATI_NON_TROVATI). Each type lists
// its values once, in a slice used by Valid; a test checks that slice against the declared constants
// and against the enum of the schema of the same name in openapi/model.yaml.

func isOneOf[T ~string](v T, values []T) bool { return slices.Contains(values, v) }
