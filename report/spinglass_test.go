package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/spinglass"
)

// TestSpinglassPlotsRefuse: a result without points, rows or the theory
// curves that spinglass.PSpinStudy computes gets an error, not a panic or
// an empty figure.
func TestSpinglassPlotsRefuse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.png")
	pts := []spinglass.CriticalPoint{{Energy: -1.5}}
	for _, c := range []struct {
		name string
		err  error
		msg  string
	}{
		{"nil p-spin", PSpinPlot(path, nil), "no critical points"},
		{"no points", PSpinPlot(path, &spinglass.PSpinStudyResult{Ek: []float64{1.66, 1.65, 1.64}}), "no critical points"},
		{"no curves", PSpinPlot(path, &spinglass.PSpinStudyResult{P: 3, N: 10, EInf: 1.63, Ek: []float64{1.66, 1.65, 1.64}, Points: pts}), "theory curves"},
		{"nil layered", LayeredPlot(path, nil), "no rows"},
		{"no rows", LayeredPlot(path, &spinglass.LayeredStudyResult{Dim: 9}), "no rows"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.msg) {
			t.Errorf("%s: %v, want an error containing %q", c.name, c.err, c.msg)
		}
	}
}
