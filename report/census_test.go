package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/landscape"
)

// TestCensusDepthTicks: every integer of [lo, hi], ends included, and no
// other tick, each labelled with its value; over more than ten depths,
// integer ticks a 1-2-5 step apart.
func TestCensusDepthTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []float64
	}{{0.7, 2.3, []float64{1, 2}}, {1, 3, []float64{1, 2, 3}}, {3.7, 4.3, []float64{4}}, {0.7, 20.3, []float64{5, 10, 15, 20}}} {
		ticks := censusDepthTicks{}.Ticks(c.lo, c.hi)
		var got []float64
		for _, tk := range ticks {
			if tk.Label == "" {
				continue
			}
			if v, err := strconv.ParseFloat(tk.Label, 64); err != nil || v != tk.Value || v != float64(int(v)) {
				t.Errorf("[%v, %v]: tick %v labelled %q", c.lo, c.hi, tk.Value, tk.Label)
			}
			got = append(got, tk.Value)
		}
		if len(got) != len(c.want) {
			t.Errorf("[%v, %v]: ticks %v, want %v", c.lo, c.hi, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("[%v, %v]: ticks %v, want %v", c.lo, c.hi, got, c.want)
				break
			}
		}
	}
}

// TestCensusAndConnectPlots: a census of two depths (one of them with no
// converged pair; again with a Chao1 interval past the restarts, on a
// logarithmic axis, and zero counts), a comparison with missing intervals
// and a connectivity result with and without the Bezier curve draw as PNG
// and SVG; empty results are errors, not panics.
func TestCensusAndConnectPlots(t *testing.T) {
	d1 := landscape.DepthSummary{Depth: 1, Widths: []int{4, 12, 3}, Params: 99, Restarts: 3, Converged: 3, Minima: 3, DistinctMinima: 2, DistinctStationary: 2,
		PairDistances: []float64{1e-7, 2e-4, 3e-4}, ParamDistances: []float64{0.2},
		Points: []landscape.Point{{Restart: 0, TrainLoss: 0.06, LogVolume: 200, Representative: true}, {Restart: 1, TrainLoss: 0.06, LogVolume: 201},
			{Restart: 2, TrainLoss: 0.07, LogVolume: 190, Cluster: 1, Representative: true}}}
	d2 := landscape.DepthSummary{Depth: 2, Widths: []int{4, 7, 6, 3}, Params: 104, Restarts: 3, Converged: 1, Minima: 1, DistinctMinima: 1, DistinctStationary: 1,
		Points: []landscape.Point{{TrainLoss: 0.05, LogVolume: 230, Representative: true}}}
	census := &landscape.TakeCensusResult{Restarts: 3, Threshold: 1e-5, Depths: []landscape.DepthSummary{d1, d2}}
	// A census whose Chao1 interval runs past the restarts draws on a
	// logarithmic axis (and leaves out its zero counts).
	d1e := d1
	d1e.MinimaEstimate = &energy.Richness{Chao1: 4, Lower: 2.5, Upper: 12}
	d2e := d2
	d2e.Converged, d2e.Minima, d2e.DistinctMinima, d2e.DistinctStationary = 0, 0, 0, 0
	logCensus := &landscape.TakeCensusResult{Restarts: 3, Threshold: 1e-5, Depths: []landscape.DepthSummary{d1e, d2e}}
	compare := &landscape.CompareResult{Depths: []int{1, 2}, Runs: []landscape.CompareRun{
		{Data: "iris", WeightDecay: 0.01, Depths: []landscape.DepthMeasure{
			{Depth: 1, DistinctMinima: 2, Estimate: &energy.Richness{Chao1: 2, Lower: 2, Upper: 2.5}},
			{Depth: 2, DistinctMinima: 5, Estimate: &energy.Richness{Chao1: 7, Lower: 5.5, Upper: 15},
				Distance: &landscape.Interval{Value: 0.2, Lower: 0.15, Upper: 0.3}, SlopeLoss: &landscape.Interval{Value: -0.1, Lower: -0.3, Upper: 0.05},
				SlopeObjective: &landscape.Interval{Value: 0.1, Lower: 0.02, Upper: 0.2}}}},
		{Data: "wine", WeightDecay: 0.01, Depths: []landscape.DepthMeasure{{Depth: 1}, {Depth: 2}}}}}
	line := landscape.Path{Kind: "linear", Points: []landscape.PathPoint{{T: 0, TrainLoss: 0.06, TestLoss: 0.1}, {T: 0.5, TrainLoss: 0.2, TestLoss: 0.3}, {T: 1, TrainLoss: 0.07, TestLoss: 0.1}}}
	curve := line
	curve.Kind = "bezier"
	dir := t.TempDir()
	for ext, magic := range map[string][]byte{".png": []byte("\x89PNG"), ".svg": []byte("<?xml")} {
		for name, draw := range map[string]func(string) error{
			"census":    func(p string) error { return CensusPlot(p, census) },
			"logcensus": func(p string) error { return CensusPlot(p, logCensus) },
			"compare":   func(p string) error { return ComparePlot(p, compare) },
			"line": func(p string) error {
				return ConnectPlot(p, &landscape.ConnectResult{Linear: line, Loss: "cross-entropy"})
			},
			"curve": func(p string) error {
				return ConnectPlot(p, &landscape.ConnectResult{Linear: line, Bezier: &curve, Aligned: true})
			},
			"aligned": func(p string) error { return ConnectPlot(p, &landscape.ConnectResult{Linear: line, Aligned: true}) },
		} {
			path := filepath.Join(dir, name+ext)
			if err := draw(path); err != nil {
				t.Fatalf("%s%s: %v", name, ext, err)
			}
			if b, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(b, magic) {
				t.Errorf("%s%s: not a %s file", name, ext, ext)
			}
		}
	}
	if err := ComparePlot(filepath.Join(dir, "e.png"), &landscape.CompareResult{}); err == nil {
		t.Error("empty comparison: no error")
	}
	if err := CensusPlot(filepath.Join(dir, "e.png"), &landscape.TakeCensusResult{}); err == nil {
		t.Error("census without depths: no error")
	}
	if err := ConnectPlot(filepath.Join(dir, "e.png"), &landscape.ConnectResult{}); err == nil {
		t.Error("empty path: no error")
	}
}
