package energy

import (
	"math"
	"testing"
)

// TestNEBClimbsToSaddle: a climbing-image doubly-nudged band between the
// Müller-Brown minima MA and MC, relaxed to an RMS force of 1e-5 per
// coordinate, has its climbing image on the oracle's saddle S1 within
// 1e-6: the climbing image's force (the gradient with its tangential part
// reversed, as large as the gradient) is at most 1e-5 sqrt(24) = 5e-5,
// and the Hessian's eigenvalues at S1 are -751 and 490, so the image is
// within 5e-5/490 = 1e-7 of the saddle, to first order. The images spread
// along the path by the springs: the segments on either side of the
// climbing image are each of equal length within 2% (the springs
// equalise them; the climbing image, free of springs, splits the band in
// two).
func TestNEBClimbsToSaddle(t *testing.T) {
	oracle := mbOracle()
	obj := MullerBrown()
	ma, _ := Quench(obj, []float64{-0.558, 1.442}, QuenchOptions{})
	mc, _ := Quench(obj, []float64{-0.050, 0.467}, QuenchOptions{})
	band, err := NEB(obj, ma.X, mc.X, NEBOptions{Images: 12, ForceTol: 1e-5, Steps: 50000})
	if err != nil {
		t.Fatal(err)
	}
	ci := band.Images[band.Climbing]
	s1 := oracle[4]
	t.Logf("band: %d steps, RMS force %.3g, climbing image %d at %v (S1 %v)", band.Steps, band.RMSForce, band.Climbing, ci, s1.x)
	if !band.Converged || math.Hypot(ci[0]-s1.x[0], ci[1]-s1.x[1]) > 1e-6 {
		t.Errorf("converged %v; climbing image %v, saddle S1 %v", band.Converged, ci, s1.x)
	}
	for _, part := range [][2]int{{0, band.Climbing}, {band.Climbing, len(band.Images) - 1}} {
		lo, hi := math.Inf(1), 0.0
		for i := part[0]; i < part[1]; i++ {
			d := Euclidean(band.Images[i], band.Images[i+1])
			lo, hi = math.Min(lo, d), math.Max(hi, d)
		}
		if hi > 1.02*lo {
			t.Errorf("images %d to %d: segments from %.4f to %.4f", part[0], part[1], lo, hi)
		}
	}
}
