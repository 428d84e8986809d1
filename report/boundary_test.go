package report

import (
	"fmt"
	"testing"

	"github.com/netgeom/netgeom/manifold"
)

// TestBoundaryPlotNamesEveryLayer: with 11 layers (the figure
// named 3 of them) the colour bar labels every one, 0 to 10, and both axes
// read exactly, also on a narrow range.
func TestBoundaryPlotNamesEveryLayer(t *testing.T) {
	res := &manifold.DecisionBoundaryResult{}
	for l := 0; l <= 10; l++ {
		res.Layers = append(res.Layers, manifold.DecisionBoundaryLayer{Layer: l, MeanSpectrum: []float64{-80 / float64(l+1), -1.01, 0, 0.02, 5 / float64(l+1)}})
	}
	p, bar, err := boundaryPanels(res)
	if err != nil {
		t.Fatal(err)
	}
	checkAxisLabels(t, "index axis", p.X)
	checkAxisLabels(t, "curvature axis", p.Y)
	ticks := bar.Y.Tick.Marker.Ticks(bar.Y.Min, bar.Y.Max)
	if len(ticks) != 11 {
		t.Fatalf("%d colour bar labels, want 11", len(ticks))
	}
	for l, tk := range ticks {
		if tk.Label != fmt.Sprint(l) {
			t.Errorf("colour bar block %d labelled %q", l, tk.Label)
		}
	}
	checkWrites(t, func(path string) error { return BoundaryPlot(path, res) })
	// A narrow range of curvatures, where gonum's default ticks print 1.02
	// as "1", still reads exactly.
	for i := range res.Layers {
		res.Layers[i].MeanSpectrum = []float64{1.005, 1.01 + 0.002*float64(i), 1.035}
	}
	if p, _, err = boundaryPanels(res); err != nil {
		t.Fatal(err)
	}
	checkAxisLabels(t, "narrow curvature axis", p.Y)
}
