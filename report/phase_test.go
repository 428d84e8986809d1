package report

import (
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/meanfield"
)

// TestPhasePlotLabels: on a narrow grid (sigma_w in [1.4, 1.45], sigma_b
// in [0.3, 0.31], chi_1 in about [0.998, 1.03]) every heat map axis and
// colour bar reads exactly; xi_c's bar reads as powers of ten.
func TestPhasePlotLabels(t *testing.T) {
	act, err := activation.Lookup("tanh")
	if err != nil {
		t.Fatal(err)
	}
	grid, err := meanfield.PhaseGrid(act, []float64{1.4, 1.4125, 1.425, 1.4375, 1.45}, []float64{0.3, 0.305, 0.31}, meanfield.Options{})
	if err != nil {
		t.Fatal(err)
	}
	panels, err := phasePanels(grid)
	if err != nil {
		t.Fatal(err)
	}
	if len(panels) != 4 {
		t.Fatalf("%d panels", len(panels))
	}
	for _, pn := range panels {
		checkAxisLabels(t, pn.heat.Title.Text+" x", pn.heat.X)
		checkAxisLabels(t, pn.heat.Title.Text+" y", pn.heat.Y)
		checkAxisLabels(t, pn.heat.Title.Text+" colour bar", pn.bar.Y)
	}
	if _, ok := panels[3].bar.Y.Tick.Marker.(ExponentTicks); !ok {
		t.Error("xi_c's colour bar is not labelled in powers of ten")
	}
	checkWrites(t, func(path string) error { return PhasePlot(path, "tanh", grid) })
	if _, err := phasePanels(nil); err == nil {
		t.Error("an empty grid was accepted")
	}
}
