package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/manifold"
)

// TestHessianDensityPlot: a run without a density, or with a density of 0
// everywhere, is an error that says so; a density with eigenvalue marks
// and a fitted law is drawn as PNG.
func TestHessianDensityPlot(t *testing.T) {
	dir := t.TempDir()
	res := &landscape.HessianSpectrumResult{Network: "4-5-3 tanh", Data: "iris", Samples: 120, Params: 43, Operator: "hessian"}
	if err := HessianDensityPlot(filepath.Join(dir, "a.png"), res); err == nil || !strings.Contains(err.Error(), "no density") {
		t.Errorf("no density: %v", err)
	}
	grid := make([]float64, 101)
	vals := make([]float64, 101)
	res.Density = &landscape.HessianDensity{Grid: grid, Values: vals, Sigma: 0.01, Vectors: 1, Steps: 10}
	for i := range grid {
		grid[i] = -1 + 0.03*float64(i)
	}
	if err := HessianDensityPlot(filepath.Join(dir, "b.png"), res); err == nil || !strings.Contains(err.Error(), "0 everywhere") {
		t.Errorf("zero density: %v", err)
	}
	law := make([]float64, len(grid))
	for i, x := range grid {
		vals[i] = math.Exp(-x*x/0.02) / math.Sqrt(0.02*math.Pi)
		law[i] = vals[i] * 2
	}
	res.Eigenvalues = []landscape.HessianEigen{{Value: 2}, {Value: 0.5}}
	res.Overlay = &landscape.HessianOverlay{Law: "semicircle", Scale: 0.5, Values: law}
	path := filepath.Join(dir, "c.png")
	if err := HessianDensityPlot(path, res); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() < 1000 {
		t.Errorf("figure: %v", err)
	}
}

// TestCurvaturePlot: a result whose theory stops at a layer (an attention
// layer) and that ran in chunks (no autocorrelation or projections) is
// drawn as one row of four panels.
func TestCurvaturePlot(t *testing.T) {
	q := 1.0
	res := &manifold.CurvatureResult{Depth: 2, Closed: true}
	for l := 0; l <= 2; l++ {
		row := manifold.CurvatureLayer{Layer: l, Q: 1, Length: float64(10 + l), KappaBar: 1, GrassmannLength: float64(6 + l)}
		if l == 0 {
			row.QTheory, row.LengthTheory, row.KappaBarTheory, row.GrassmannLengthTheory = &q, &q, &q, &q
		}
		res.Layers = append(res.Layers, row)
	}
	path := filepath.Join(t.TempDir(), "c.svg")
	if err := CurvaturePlot(path, res); err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(raw), "<?xml") {
		t.Errorf("figure: %v", err)
	}
}
