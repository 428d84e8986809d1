package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/manifold"
)

// TestCarveLogFloor: the floor is a quarter of the smallest positive value
// when a value is 0 (exact: a division by 4), none without zeros, 1/4 with
// nothing positive; NaN (no measurement) neither sets nor needs it.
func TestCarveLogFloor(t *testing.T) {
	for _, c := range []struct {
		vals [][]float64
		want float64
	}{
		{[][]float64{{3, 0, 8}, {2, 0.5}}, 0.125},
		{[][]float64{{3, 8}, {2, 0.5}}, 0},
		{[][]float64{{0, 0}}, 0.25},
		{[][]float64{{math.NaN(), 2}}, 0},
	} {
		if got := carveLogFloor(c.vals); got != c.want {
			t.Errorf("carveLogFloor(%v) = %v, want %v", c.vals, got, c.want)
		}
	}
}

// TestCarvePanelZeros: on a log panel a 0 is drawn at the floor (never
// dropped), which finish makes the axis minimum; a linear panel draws 0 at
// 0 and needs no floor.
func TestCarvePanelZeros(t *testing.T) {
	xs, ys := []float64{1, 2, 3}, []float64{2, 0, 8}
	p := newCarvePanel("t", "x", "y", true, [][]float64{ys})
	at, zeros := p.points(xs, ys)
	if len(at) != 2 || len(zeros) != 1 || zeros[0].X != 2 || zeros[0].Y != 0.5 {
		t.Fatalf("log panel: drawn %v, at the floor %v; want x = 2 at 0.5", at, zeros)
	}
	if err := p.scatter(xs, ys, Palette[0], "s"); err != nil {
		t.Fatal(err)
	}
	if err := p.finish(); err != nil {
		t.Fatal(err)
	}
	if !p.hasZero || p.Y.Min != 0.5 {
		t.Errorf("after finish: hasZero %v, axis minimum %v; want true, 0.5", p.hasZero, p.Y.Min)
	}
	lin := newCarvePanel("t", "x", "y", false, nil)
	if at, zeros := lin.points(xs, ys); len(at) != 3 || len(zeros) != 0 {
		t.Errorf("linear panel: drawn %v, at the floor %v; want all three at their values", at, zeros)
	}
}

// TestCarvePlotZeroLegend: a figure with a count of 0 on a log panel says
// how it is drawn; one without zeros does not.
func TestCarvePlotZeroLegend(t *testing.T) {
	res := &manifold.CarveResult{Chi1: 3, Networks: []manifold.CarveNetwork{{Name: "dense", SigmaW: 2}},
		Circle: manifold.CarveCircle{Rows: []manifold.CarveCircleRow{
			{Network: "dense", Layer: 0, KappaBar: 1, KappaBarTheory: 1, GrassmannLength: 6.28, GrassmannLengthTheory: 6.28},
			{Network: "dense", Layer: 1, KappaBar: 0.8, KappaBarTheory: 0.7, GrassmannLength: 12, GrassmannLengthTheory: 11}}},
		Count: manifold.CarveCount{Path: "circle", Rows: []manifold.CarveCountRow{
			{Depth: 1, Width: 8, ReLUPieces: 10, ReLUSignChanges: 2, ProductSignChanges: 2, ProductBound: 4},
			{Depth: 2, Width: 8, ReLUPieces: 20, ReLUSignChanges: 0, ProductSignChanges: 4, ProductBound: 8}}},
		Boundary: manifold.CarveBoundary{Rows: []manifold.CarveBoundaryRow{
			{Network: "relu", Layer: 0}, {Network: "relu", Layer: 1}}}}
	svg := func() string {
		path := filepath.Join(t.TempDir(), "carve.svg")
		if err := CarvePlot(path, res); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if !strings.Contains(svg(), CarveZeroLabel) {
		t.Errorf("a zero count: the figure lacks %q", CarveZeroLabel)
	}
	res.Count.Rows[1].ReLUSignChanges = 1
	if strings.Contains(svg(), CarveZeroLabel) {
		t.Errorf("no zero: the figure has %q", CarveZeroLabel)
	}
}
