package report

import (
	"math"
	"strconv"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/meanfield"
)

// TestFiniteWidthPhasePlot: two heat maps whose axes read as their values,
// a colour bar labelled with the powers of two its log2 values stand for
// (chi_1 = 0.5, 1, 2, ...), a PNG and an SVG written; grids of the wrong
// shape are refused.
func TestFiniteWidthPhasePlot(t *testing.T) {
	tanh, _ := activation.Lookup("tanh")
	sws, sbs := []float64{1, 2, 3, 4}, []float64{0, 0.5, 1}
	grid, err := meanfield.PhaseGrid(tanh, sws, sbs, meanfield.Options{})
	if err != nil {
		t.Fatal(err)
	}
	chi := make([][]float64, len(sbs))
	for i, row := range grid {
		for _, p := range row {
			chi[i] = append(chi[i], p.Chi1)
		}
	}
	crit, err := meanfield.CriticalCurve(tanh, sbs, meanfield.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := FiniteWidthPhase{Title: "tanh", SigmaW: sws, SigmaB: sbs, Measured: chi, TheorySW: sws, TheorySB: sbs, Theory: chi, CriticalSB: sbs, CriticalSW: crit}
	panels, bar, err := finiteWidthPanels(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range panels {
		checkAxisLabels(t, pl.Title.Text+" x", pl.X)
		checkAxisLabels(t, pl.Title.Text+" y", pl.Y)
	}
	ticks := bar.Y.Tick.Marker.Ticks(bar.Y.Min, bar.Y.Max)
	if len(ticks) < 2 {
		t.Fatalf("colour bar ticks %v on [%v, %v]", ticks, bar.Y.Min, bar.Y.Max)
	}
	for _, tk := range ticks {
		if v, err := strconv.ParseFloat(tk.Label, 64); err != nil || v != math.Pow(2, tk.Value) {
			t.Errorf("colour bar tick at log2 chi_1 = %v labelled %q", tk.Value, tk.Label)
		}
	}
	checkWrites(t, func(path string) error { return FiniteWidthPhasePlot(path, p) })
	bad := p
	bad.Measured = chi[:2]
	if err := FiniteWidthPhasePlot(t.TempDir()+"/x.png", bad); err == nil {
		t.Error("a measured grid with a row missing was accepted")
	}
}
