// Package options holds what the options of every netgeom experiment
// share: Error, the error for an option that is out of range or
// contradicts the input, and Progress, the callback that long runs report
// to.
//
// An experiment in netgeom is a function Name(ctx, backend, NameOptions)
// returning (*NameResult, error), whose options are a value struct with the
// zero value of each field meaning its documented default. An option it
// cannot use comes back as an *Error naming the field, so a command line
// can find it with errors.As and speak of its own flag instead.
package options

import "fmt"

// Error reports an option that an experiment cannot use: the experiment
// (Op, such as "manifold.Carve"), the options field, the value given (nil
// where the field was left unset or the problem is between fields), what
// would be right (Want, a phrase such as "want at least 2"), and the
// underlying error where there is one.
type Error struct {
	Op    string
	Field string
	Value any
	Want  string
	Err   error
}

// Error reads "Op: Field Value: Want[: Err]", with a string value quoted.
func (e *Error) Error() string {
	var s string
	switch v := e.Value.(type) {
	case nil:
		s = fmt.Sprintf("%s: %s: %s", e.Op, e.Field, e.Want)
	case string:
		s = fmt.Sprintf("%s: %s %q: %s", e.Op, e.Field, v, e.Want)
	default:
		s = fmt.Sprintf("%s: %s %v: %s", e.Op, e.Field, v, e.Want)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Progress reports that done of total units of work have finished.
// Experiments call it one call at a time (from worker goroutines where
// they have them), with done never decreasing.
type Progress func(done, total int)
