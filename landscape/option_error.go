package landscape

import "fmt"

// OptionError reports an option of TakeCensus or Connect that is out of
// range or contradicts the models: the operation, the options field, the
// value given (nil when the field was left unset) and what would be right.
// A command line can find it with errors.As and name its own flag instead
// of Field.
type OptionError struct {
	Op    string // "census", "connect"
	Field string // the options field, e.g. "Points"
	Value any
	Want  string
}

func (e *OptionError) Error() string {
	switch v := e.Value.(type) {
	case nil:
		return fmt.Sprintf("%s: %s: %s", e.Op, e.Field, e.Want)
	case string:
		return fmt.Sprintf("%s: %s %q: %s", e.Op, e.Field, v, e.Want)
	}
	return fmt.Sprintf("%s: %s %v: %s", e.Op, e.Field, e.Value, e.Want)
}
