package manifold

import "fmt"

// OptionError is an invalid option of one of this package's experiments
// (Expressivity, DecisionBoundary, Propagate): the field, its value and
// what is allowed.
type OptionError struct {
	Field string
	Value any
	Want  string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("manifold: %s = %v: %s", e.Field, e.Value, e.Want)
}
