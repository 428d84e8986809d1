package datasets

import (
	"fmt"
	"math"
	"strings"
)

// Dataset is a labelled classification set, or a regression set. X holds N
// samples of D features, sample i at X[i*D:(i+1)*D] (this is row-major
// N x D, which is the same memory as a column-major D x N matrix with one
// sample per column, the compute engine's layout).
//
// A regression set (read from a table with target columns, see ReadTable)
// has Targets, N x Classes real values row-major (Classes is then the
// number of target columns), and no labels (Y nil).
type Dataset struct {
	Name       string
	X          []float64
	Y          []int // class labels in [0, Classes); nil for a regression set
	N, D       int
	Classes    int
	ClassNames []string  // may be nil; if not, len(ClassNames) == Classes
	Targets    []float64 // regression targets, N x Classes row-major; nil for a classification set
}

// Regression reports whether d is a regression set (it has Targets).
func (d *Dataset) Regression() bool { return d.Targets != nil }

// TargetMatrix returns the N x Classes row-major targets a network is
// fitted to: a copy of Targets for a regression set, else OneHot.
func (d *Dataset) TargetMatrix() []float64 {
	if d.Regression() {
		return append([]float64(nil), d.Targets...)
	}
	return d.OneHot()
}

// Sample returns sample i's features, a view into X (not a copy; its capacity
// is capped so that appending to it cannot overwrite sample i+1). It panics if
// i is out of range.
func (d *Dataset) Sample(i int) []float64 {
	if i < 0 || i >= d.N {
		panic(fmt.Sprintf("datasets: %s: Sample(%d) out of range [0, %d)", d.Name, i, d.N))
	}
	return d.X[i*d.D : (i+1)*d.D : (i+1)*d.D]
}

// Subset returns a new Dataset holding copies of the samples idx (in that
// order; repeats are allowed). It panics if an index is out of range, as a
// slice index would.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{
		Name:       d.Name,
		X:          make([]float64, len(idx)*d.D),
		Y:          make([]int, len(idx)),
		N:          len(idx),
		D:          d.D,
		Classes:    d.Classes,
		ClassNames: cloneStrings(d.ClassNames),
	}
	if d.Regression() {
		s.Y = nil
		s.Targets = make([]float64, len(idx)*d.Classes)
	}
	for j, i := range idx {
		if i < 0 || i >= d.N {
			panic(fmt.Sprintf("datasets: %s: Subset index %d (position %d) out of range [0, %d)", d.Name, i, j, d.N))
		}
		copy(s.X[j*d.D:(j+1)*d.D], d.X[i*d.D:(i+1)*d.D])
		if d.Regression() {
			k := d.Classes
			copy(s.Targets[j*k:(j+1)*k], d.Targets[i*k:(i+1)*k])
			continue
		}
		s.Y[j] = d.Y[i]
	}
	return s
}

// OneHot returns the labels as an N x Classes row-major matrix (row i has a 1
// in column Y[i] and 0 elsewhere), the same layout convention as X: it is
// also the column-major Classes x N matrix of targets, one per column.
func (d *Dataset) OneHot() []float64 {
	out := make([]float64, d.N*d.Classes)
	for i, y := range d.Y {
		out[i*d.Classes+y] = 1
	}
	return out
}

// ClassCounts returns the number of samples of each class.
func (d *Dataset) ClassCounts() []int {
	c := make([]int, d.Classes)
	for _, y := range d.Y {
		if y >= 0 && y < d.Classes {
			c[y]++
		}
	}
	return c
}

// Clone returns a deep copy of d.
func (d *Dataset) Clone() *Dataset {
	c := *d
	c.X = append([]float64(nil), d.X...)
	c.ClassNames = cloneStrings(d.ClassNames)
	if d.Targets != nil {
		c.Targets = append([]float64(nil), d.Targets...)
	} else {
		c.Y = append([]int(nil), d.Y...)
	}
	return &c
}

// Validate checks that d is internally consistent: N, D >= 0, Classes >= 1,
// len(X) == N*D, len(Y) == N, every label in [0, Classes), every feature
// finite, and ClassNames either nil or of length Classes; for a regression
// set, Y nil and N*Classes finite Targets instead of the labels.
func (d *Dataset) Validate() error {
	if d == nil {
		return fmt.Errorf("datasets: nil Dataset")
	}
	switch {
	case d.N < 0 || d.D < 0:
		return fmt.Errorf("datasets: %s: negative shape %d x %d", d.Name, d.N, d.D)
	case d.Classes < 1:
		return fmt.Errorf("datasets: %s: Classes is %d, want >= 1", d.Name, d.Classes)
	case d.D != 0 && d.N > math.MaxInt/d.D:
		return fmt.Errorf("datasets: %s: shape %d x %d overflows", d.Name, d.N, d.D)
	case len(d.X) != d.N*d.D:
		return fmt.Errorf("datasets: %s: len(X) = %d, want N*D = %d*%d = %d", d.Name, len(d.X), d.N, d.D, d.N*d.D)
	case d.Regression() && d.Y != nil:
		return fmt.Errorf("datasets: %s: a regression set (with Targets) has labels too", d.Name)
	case d.Regression() && len(d.Targets) != d.N*d.Classes:
		return fmt.Errorf("datasets: %s: len(Targets) = %d, want N*Classes = %d*%d", d.Name, len(d.Targets), d.N, d.Classes)
	case !d.Regression() && len(d.Y) != d.N:
		return fmt.Errorf("datasets: %s: len(Y) = %d, want N = %d", d.Name, len(d.Y), d.N)
	case d.ClassNames != nil && len(d.ClassNames) != d.Classes:
		return fmt.Errorf("datasets: %s: %d class names for %d classes", d.Name, len(d.ClassNames), d.Classes)
	}
	for i, y := range d.Y {
		if y < 0 || y >= d.Classes {
			return fmt.Errorf("datasets: %s: sample %d has label %d, want [0, %d)", d.Name, i, y, d.Classes)
		}
	}
	for k, v := range d.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("datasets: %s: sample %d feature %d is %v, want finite", d.Name, k/d.D, k%d.D, v)
		}
	}
	for k, v := range d.Targets {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("datasets: %s: sample %d target %d is %v, want finite", d.Name, k/d.Classes, k%d.Classes, v)
		}
	}
	return nil
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

// FormatError reports malformed input data. Its message names the file, the
// place and what was expected, for example
//
//	datasets: iris.csv: line 7, column 3: invalid feature "x1": expected a finite number
//	datasets: train-images-idx3-ubyte.gz: byte offset 8 (dimension 1): ...
type FormatError struct {
	File   string // the name given to the reader (usually the file's path)
	Line   int    // CSV: 1-based line number; 0 when not applicable
	Column int    // CSV: 1-based field (column) number; 0 when the whole line is at fault
	Offset int64  // IDX: byte offset in the uncompressed stream; -1 when not applicable
	Dim    int    // IDX: 0-based index of the dimension concerned; -1 when not applicable
	Msg    string // what was wrong and what was expected
	Err    error  // the underlying error (I/O, gzip, strconv), if any
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("datasets: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ", column %d", e.Column)
		}
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, ": byte offset %d", e.Offset)
		if e.Dim >= 0 {
			fmt.Fprintf(&b, " (dimension %d)", e.Dim)
		}
	} else if e.Dim >= 0 {
		fmt.Fprintf(&b, ": dimension %d", e.Dim)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

func displayName(name string) string {
	if name == "" {
		return "<input>"
	}
	return name
}

// csvError builds a CSV FormatError at line, column (column 0: whole line).
func csvError(name string, line, col int, err error, format string, args ...any) *FormatError {
	return &FormatError{File: displayName(name), Line: line, Column: col, Offset: -1, Dim: -1,
		Msg: fmt.Sprintf(format, args...), Err: err}
}

// idxError builds an IDX FormatError at byte offset off (-1: none) about
// dimension dim (-1: none).
func idxError(name string, off int64, dim int, err error, format string, args ...any) *FormatError {
	return &FormatError{File: displayName(name), Offset: off, Dim: dim,
		Msg: fmt.Sprintf(format, args...), Err: err}
}
