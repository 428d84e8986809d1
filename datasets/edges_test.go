package datasets

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// panicMessage runs f and returns what it panicked with ("" if it did not).
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// TestDatasetEdges pins the edges of Dataset's helpers that other tests do
// not reach: the first index out of range is refused by the helpers' own
// check (not by a slice bound further on), labels outside [0, Classes) are
// not counted, a clone owns its labels, Validate's messages name the
// sample and feature at fault, and FormatError prints line, column, byte
// offset and dimension exactly when they apply (1-based lines and columns,
// so 0 is "none"; 0-based offsets and dimensions, so 0 is one).
func TestDatasetEdges(t *testing.T) {
	d := &Dataset{Name: "d", X: []float64{1, 2, 3, 4, 5, 6}, Y: []int{0, 1, 0}, N: 3, D: 2, Classes: 2}
	if got := panicMessage(func() { d.Sample(3) }); !strings.Contains(got, "Sample(3) out of range [0, 3)") {
		t.Errorf("Sample(N): panic %q, want the helper's message", got)
	}
	if got := panicMessage(func() { d.Sample(0) }); got != "" {
		t.Errorf("Sample(0): panic %q", got)
	}
	if got := panicMessage(func() { d.Subset([]int{0, 3}) }); !strings.Contains(got, "Subset index 3 (position 1) out of range [0, 3)") {
		t.Errorf("Subset with index N: panic %q, want the helper's message", got)
	}
	odd := &Dataset{Name: "odd", X: []float64{1, 2, 3}, Y: []int{0, 2, 1}, N: 3, D: 1, Classes: 2}
	if got := odd.ClassCounts(); len(got) != 2 || got[0] != 1 || got[1] != 1 {
		t.Errorf("ClassCounts with a label equal to Classes: %v, want [1 1]", got)
	}
	c := d.Clone()
	c.Y[0] = 1
	if d.Y[0] != 0 {
		t.Error("changing a clone's label changed the original's")
	}
	bad := &Dataset{Name: "b", X: []float64{1, 2, 3, 4, 5, math.NaN()}, Y: []int{0, 1, 0}, N: 3, D: 2, Classes: 2}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "sample 2 feature 1 is NaN") {
		t.Errorf("Validate with X[5] NaN: %v, want sample 2 feature 1", err)
	}
	short := &Dataset{Name: "s", X: []float64{1, 2, 3}, Y: []int{0, 1, 0}, N: 3, D: 2, Classes: 2}
	if err := short.Validate(); err == nil || !strings.Contains(err.Error(), "len(X) = 3, want N*D = 3*2 = 6") {
		t.Errorf("Validate with a short X: %v", err)
	}
	for _, c := range []struct {
		e    FormatError
		want string
	}{
		{FormatError{File: "f", Line: 0, Column: 3, Offset: -1, Dim: -1, Msg: "m"}, "datasets: f: m"},
		{FormatError{File: "f", Line: 1, Column: 0, Offset: -1, Dim: -1, Msg: "m"}, "datasets: f: line 1: m"},
		{FormatError{File: "f", Line: 1, Column: 1, Offset: -1, Dim: -1, Msg: "m"}, "datasets: f: line 1, column 1: m"},
		{FormatError{File: "f", Offset: 0, Dim: -1, Msg: "m"}, "datasets: f: byte offset 0: m"},
		{FormatError{File: "f", Offset: 0, Dim: 0, Msg: "m"}, "datasets: f: byte offset 0 (dimension 0): m"},
		{FormatError{File: "f", Offset: -1, Dim: 0, Msg: "m"}, "datasets: f: dimension 0: m"},
		{FormatError{File: "f", Offset: -1, Dim: -1, Msg: "m"}, "datasets: f: m"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}

// TestIDXPairShapeErrors: images that are not at least 2-D, and labels that
// are not 1-D, are refused at the byte offset of the header's dimension
// count (3), with no dimension named.
func TestIDXPairShapeErrors(t *testing.T) {
	for _, c := range []struct {
		idims, ldims []int
		want         string
	}{
		{[]int{4}, []int{4}, "datasets: imgs: byte offset 3: images have 1 dimension(s) "},
		{[]int{4, 2}, []int{4, 1}, "datasets: labs: byte offset 3: labels have 2 dimensions "},
	} {
		_, err := idxDataset("x", "imgs", "labs", c.idims, make([]byte, 8), c.ldims, make([]byte, 4))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("images %v, labels %v: %v; want a message starting %q", c.idims, c.ldims, err, c.want)
		}
	}
}
