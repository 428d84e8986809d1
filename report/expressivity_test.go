package report

import (
	"image/color"
	"testing"

	"github.com/netgeom/netgeom/manifold"
)

// TestViridis: the ends and middle of the colour map are matplotlib's
// viridis (#440154, #21918c, #fde725).
func TestViridis(t *testing.T) {
	for tv, want := range map[float64]color.RGBA{0: {68, 1, 84, 255}, 0.5: {33, 145, 140, 255}, 1: {253, 231, 37, 255}} {
		if got := viridisAt(tv); got != want {
			t.Errorf("viridis(%v) = %v, want %v", tv, got, want)
		}
	}
	if s := viridisShades(1); len(s) != 1 || s[0] != viridisAt(0) {
		t.Errorf("one shade: %v", s)
	}
}

// TestExpressivityPlot: every deep network gets its own colour and a block
// of the colour bar labelled with its depth, every shallow one a legend
// entry; the frequency axis reads exactly and the error axis as powers of
// ten.
func TestExpressivityPlot(t *testing.T) {
	errs := []float64{1e-9, 2e-9, 1e-5, 3e-5, 0.1, 0.2}
	res := &manifold.ExpressivityResult{Frequencies: []int{1, 1, 2, 2, 3, 3}}
	for _, d := range []int{2, 4, 8} {
		res.Networks = append(res.Networks, manifold.ExpressivityNetwork{Kind: "deep", Depth: d, Width: 10, Errors: errs, FrequencyError: []float64{1e-9 * float64(d), 2e-5, 0.15}})
	}
	for _, w := range []int{20, 40} {
		res.Networks = append(res.Networks, manifold.ExpressivityNetwork{Kind: "shallow", Depth: 1, Width: w, Errors: errs, FrequencyError: []float64{1e-10, 1e-6, 0.5}})
	}
	p, bar, err := expressivityPanels(res)
	if err != nil {
		t.Fatal(err)
	}
	checkAxisLabels(t, "frequency axis", p.X)
	checkAxisLabels(t, "error axis", p.Y)
	ticks := bar.Y.Tick.Marker.Ticks(bar.Y.Min, bar.Y.Max)
	if len(ticks) != 3 || ticks[0].Label != "2" || ticks[1].Label != "4" || ticks[2].Label != "8" {
		t.Errorf("colour bar ticks %v, want 2, 4, 8", ticks)
	}
	shades := viridisShades(3)
	if shades[0] == shades[1] || shades[1] == shades[2] {
		t.Errorf("deep colours %v are not distinct", shades)
	}
	checkWrites(t, func(path string) error { return ExpressivityPlot(path, res) })
}
