package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Axis is one dimension of a grid: the flag its values are given to (its
// name without the dashes, "sigma-w") and the values, as they are written
// on the command line.
type Axis struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// MaxPoints bounds the size of a grid.
const MaxPoints = 100_000_000

var axisName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ParseAxis reads an axis written NAME=VALUES, where VALUES is
//
//	lo:hi:n   n evenly spaced numbers from lo to hi, both included
//	lo:hi     the integers lo, lo+1, ..., hi
//	a,b,c     the values listed, as written (numbers or names: act=tanh,relu)
//	a;b;c     the same, for values that hold commas (kinds=dense,product;dense)
//	x         the single value x (also x:y:z when x is not a number)
//
// A separator at the end makes a list of one value: "1:2," is the value
// 1:2, "dense,product;" the value dense,product. No value may hold a ';'.
//
// The numbers of lo:hi:n, lo + (hi-lo) k/(n-1), are rounded to 15
// significant digits (0.3:0.9:3 gives 0.3, 0.6, 0.9, as typed, where
// float64 sums give 0.6000000000000001) and written in the shortest form
// that reads back exactly, integers without a point (width=100:400:4 gives
// 100, 200, 300, 400).
func ParseAxis(s string) (Axis, error) {
	name, vals, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok {
		return Axis{}, fmt.Errorf("grid axis %q: write NAME=VALUES, like sigma-w=1:5:41 or act=tanh,relu", s)
	}
	values, err := parseValues(strings.TrimSpace(vals))
	if err != nil {
		return Axis{}, fmt.Errorf("grid axis %q: %w", s, err)
	}
	a := Axis{Name: name, Values: values}
	if err := a.check(); err != nil {
		return Axis{}, err
	}
	return a, nil
}

// parseValues reads the VALUES of an axis (see ParseAxis).
func parseValues(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("no values")
	}
	sep := ","
	if strings.Contains(s, ";") {
		sep = ";"
	}
	if strings.Contains(s, sep) {
		// A separator at the end lists one value: "a,b;" is the value a,b.
		var out []string
		for _, v := range strings.Split(strings.TrimSuffix(s, sep), sep) {
			out = append(out, strings.TrimSpace(v))
		}
		return out, nil
	}
	fields := strings.Split(s, ":")
	if len(fields) < 2 || len(fields) > 3 {
		return []string{s}, nil
	}
	if _, err := strconv.ParseFloat(strings.TrimSpace(fields[0]), 64); err != nil {
		return []string{s}, nil // not a range: one value with colons in it
	}
	nums := make([]float64, len(fields))
	for i, f := range fields {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil && i == 2 {
			return nil, fmt.Errorf("lo:hi:n: the count %q is not an integer from 1 to %d", f, MaxPoints)
		}
		if err != nil {
			return nil, fmt.Errorf("lo:hi: %q is not a number (a value that starts with a number and holds colons is written with a comma after it, like 1:x,)", f)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%q is not a finite number", f)
		}
		nums[i] = x
	}
	lo, hi := nums[0], nums[1]
	if len(fields) == 2 {
		if lo != math.Trunc(lo) || hi != math.Trunc(hi) || math.Abs(lo) > 1<<53 || math.Abs(hi) > 1<<53 {
			return nil, fmt.Errorf("lo:hi takes integers (it gives lo, lo+1, ..., hi); write lo:hi:n for n evenly spaced numbers")
		}
		if hi < lo {
			return nil, fmt.Errorf("lo:hi with hi < lo")
		}
		if hi-lo+1 > MaxPoints {
			return nil, fmt.Errorf("%v values: more than %d", hi-lo+1, MaxPoints)
		}
		var out []string
		for x := int64(lo); x <= int64(hi); x++ {
			out = append(out, strconv.FormatInt(x, 10))
		}
		return out, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(fields[2]))
	if err != nil || n < 1 || n > MaxPoints {
		return nil, fmt.Errorf("lo:hi:n: the count %q is not an integer from 1 to %d", fields[2], MaxPoints)
	}
	if n == 1 {
		if lo != hi {
			return nil, fmt.Errorf("lo:hi:1 needs lo = hi")
		}
		return []string{formatNumber(lo)}, nil
	}
	out := make([]string, n)
	for i := range out {
		x := lo + (hi-lo)*float64(i)/float64(n-1)
		if i == n-1 {
			x = hi
		}
		// Rounded to 15 significant digits, so that 0.3:0.9:3 gives 0.6
		// (as typed), not 0.6000000000000001 (0.3 + 0.3 in float64).
		x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 15, 64), 64)
		out[i] = formatNumber(x)
	}
	return out, nil
}

// formatNumber writes x in the shortest form that reads back exactly,
// integers (up to 2^53) without a point or an exponent, so that integer
// flags take them.
func formatNumber(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
		if x == 0 {
			return "0" // not "-0"
		}
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// check validates the axis: a flag-like name, at least one value, no
// empty, repeated or unwritable values.
func (a Axis) check() error {
	if !axisName.MatchString(a.Name) {
		return fmt.Errorf("grid axis %q: the name must be a flag's name without its dashes (lower case letters, digits and -), like sigma-w", a.Name)
	}
	if len(a.Values) == 0 {
		return fmt.Errorf("grid axis %s: no values", a.Name)
	}
	seen := make(map[string]bool, len(a.Values))
	for _, v := range a.Values {
		switch {
		case v == "":
			return fmt.Errorf("grid axis %s: an empty value", a.Name)
		case seen[v]:
			return fmt.Errorf("grid axis %s: the value %q appears twice (its points would be run twice)", a.Name, v)
		case strings.Contains(v, ";"):
			return fmt.Errorf("grid axis %s: the value %q holds a ';', which a grid cannot list", a.Name, v)
		case strings.ContainsAny(v, "\n\r\x00"):
			return fmt.Errorf("grid axis %s: the value %q holds a line break or NUL", a.Name, v)
		}
		seen[v] = true
	}
	return nil
}

// Flag writes the axis back in ParseAxis's list syntax (NAME=a,b,c, or
// with ';' when a value holds a comma): ParseAxis reads it as the same
// axis.
func (a Axis) Flag() string {
	sep := ","
	for _, v := range a.Values {
		if strings.Contains(v, ",") {
			sep = ";"
		}
	}
	s := a.Name + "=" + strings.Join(a.Values, sep)
	if len(a.Values) == 1 && strings.ContainsAny(a.Values[0], ",:") {
		s += sep // one value that ParseAxis would read as a list or a range
	}
	return s
}

// Grid is the Cartesian product of its axes, in a fixed order: point
// index i runs over the axes like nested loops with the first axis
// outermost and the last one varying fastest (row-major order). With axes
// of sizes n_1, ..., n_k, point i has coordinate j_m on axis m where
// i = ((j_1 n_2 + j_2) n_3 + j_3) ... n_k + j_k.
type Grid []Axis

// Check validates the axes and their names (distinct) and the size.
func (g Grid) Check() error {
	if len(g) == 0 {
		return fmt.Errorf("no grid: give at least one axis (--grid NAME=VALUES)")
	}
	size := 1
	seen := map[string]bool{}
	for _, a := range g {
		if err := a.check(); err != nil {
			return err
		}
		if seen[a.Name] {
			return fmt.Errorf("grid axis %s is given twice", a.Name)
		}
		seen[a.Name] = true
		if size > MaxPoints/len(a.Values) {
			return fmt.Errorf("the grid has more than %d points", MaxPoints)
		}
		size *= len(a.Values)
	}
	return nil
}

// Size is the number of points.
func (g Grid) Size() int {
	n := 1
	for _, a := range g {
		n *= len(a.Values)
	}
	return n
}

// Axis returns the axis named name, if any.
func (g Grid) Axis(name string) (Axis, bool) {
	i := slices.IndexFunc(g, func(a Axis) bool { return a.Name == name })
	if i < 0 {
		return Axis{}, false
	}
	return g[i], true
}

// Values returns the coordinates of point i, one value per axis.
func (g Grid) Values(i int) []string {
	out := make([]string, len(g))
	for m := len(g) - 1; m >= 0; m-- {
		n := len(g[m].Values)
		out[m] = g[m].Values[i%n]
		i /= n
	}
	return out
}

// PointJSON renders point i's coordinates as one JSON object whose keys
// are the axes' names in the grid's order; a value that is a JSON number
// is written as a number, any other as a string.
func (g Grid) PointJSON(i int) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for m, v := range g.Values(i) {
		if m > 0 {
			b.WriteByte(',')
		}
		writeString(&b, g[m].Name)
		b.WriteByte(':')
		if isJSONNumber(v) {
			b.WriteString(v)
		} else {
			writeString(&b, v)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// writeString writes s as a JSON string, without HTML escaping.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func isJSONNumber(s string) bool { return jsonNumber.MatchString(s) }
