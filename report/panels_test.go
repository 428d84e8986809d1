package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// TestPanelsPlot: the panels' titles and legends reach the SVG; NaN points
// and, on a log axis, non-positive ones are skipped rather than failing;
// mismatched lengths and an empty figure are errors.
func TestPanelsPlot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.svg")
	panels := []Panel{
		{Title: "first panel", XLabel: "layer", YLabel: "q", Curves: []Curve{
			{Label: "mean field", X: []float64{0, 1, 2}, Y: []float64{1, 2, 3}, Color: 0},
			{X: []float64{0, 1, 2}, Y: []float64{1.1, math.NaN(), 2.9}, Err: []float64{0.1, 0.1, 0.2}, Points: true, Color: 0},
			{X: []float64{0, 2}, Y: []float64{0, 2}, Dashed: true, Color: -1},
		}},
		{Title: "log panel", LogY: true, Curves: []Curve{{Label: "grows", X: []float64{0, 1, 2}, Y: []float64{-1, 10, 100}, Err: []float64{1, 20, 5}, Points: true, Color: 1}}},
		{Title: "third panel"},
	}
	if err := PanelsPlot(path, 2, 8*vg.Centimeter, 6*vg.Centimeter, panels); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"first panel", "log panel", "third panel", "mean field", "grows"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("the SVG lacks %q", s)
		}
	}
	bad := []Panel{{Curves: []Curve{{X: []float64{0, 1}, Y: []float64{1}}}}}
	if err := PanelsPlot(path, 1, vg.Centimeter, vg.Centimeter, bad); err == nil {
		t.Error("mismatched x and y: no error")
	}
	if err := PanelsPlot(path, 1, vg.Centimeter, vg.Centimeter, nil); err == nil {
		t.Error("no panels: no error")
	}
}
