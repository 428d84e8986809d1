package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gonum.org/v1/plot"

	"github.com/netgeom/netgeom/isometry"
)

// checkAxisLabels fails when a labelled tick of axis a (over its current
// range) does not read as its value: the value itself, or 10^value on an
// axis of ExponentTicks (log10 values on a linear axis).
func checkAxisLabels(t *testing.T, what string, a plot.Axis) {
	t.Helper()
	_, exponent := a.Tick.Marker.(ExponentTicks)
	ticks := a.Tick.Marker.Ticks(a.Min, a.Max)
	labelled := 0
	for _, tk := range ticks {
		if tk.Label == "" {
			continue
		}
		labelled++
		v, err := strconv.ParseFloat(tk.Label, 64)
		want := tk.Value
		if exponent {
			want = math.Pow(10, tk.Value)
		}
		if err != nil || !(math.Abs(v-want) <= 1e-12*math.Abs(want)) {
			t.Errorf("%s: tick at %v labelled %q", what, tk.Value, tk.Label)
		}
	}
	if labelled < 2 {
		t.Errorf("%s: %d labelled ticks on [%v, %v], want at least 2", what, labelled, a.Min, a.Max)
	}
}

// checkWrites renders with save to PNG and SVG and checks the files'
// magic.
func checkWrites(t *testing.T, save func(path string) error) {
	t.Helper()
	dir := t.TempDir()
	for ext, magic := range map[string]string{".png": "\x89PNG", ".svg": "<?xml"} {
		path := filepath.Join(dir, "f"+ext)
		if err := save(path); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf("%s not written: %v", ext, err)
		}
	}
	if err := save(filepath.Join(dir, "f.gif")); err == nil {
		t.Error(".gif accepted")
	}
}

// TestJacobianPlotLabels: a critical result whose orthogonal means lie in
// [1.005, 1.035] (where gonum's default ticks label 1.02 as "1") and a
// chaotic one whose means span two decades: every axis of every panel has
// labels that read as their values, the chaotic mean and variance go on
// log axes, the critical ones on linear axes.
func TestJacobianPlotLabels(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	critical := &isometry.JacobianResult{Rows: []isometry.JacobianRow{
		{Weights: "gaussian", Depth: 2, Mean: 0.98, MeanTheory: 1, Variance: 2.1, VarTheory: v(2.15)},
		{Weights: "gaussian", Depth: 4, Mean: 0.95, MeanTheory: 1, Variance: 3.9, VarTheory: v(4.3)},
		{Weights: "orthogonal", Depth: 2, Mean: 1.032, MeanTheory: 1.005, Variance: 0.14, VarTheory: v(0.146)},
		{Weights: "orthogonal", Depth: 4, Mean: 1.021, MeanTheory: 1.005, Variance: 0.28, VarTheory: v(0.293)},
	}}
	chaotic := &isometry.JacobianResult{Rows: []isometry.JacobianRow{
		{Weights: "gaussian", Depth: 2, Mean: 1.4, MeanTheory: 1.39, Variance: 3.8},
		{Weights: "gaussian", Depth: 16, Mean: 300, MeanTheory: 190, Variance: 3e6},
	}}
	for name, c := range map[string]struct {
		res *isometry.JacobianResult
		log bool
	}{"critical": {critical, false}, "chaotic": {chaotic, true}} {
		grid, err := jacobianPanels(c.res)
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range grid {
			for j, p := range row {
				checkAxisLabels(t, name+" "+p.Title.Text+" x", p.X)
				checkAxisLabels(t, name+" "+p.Title.Text+" y", p.Y)
				if _, log := p.Y.Scale.(plot.LogScale); log != c.log {
					t.Errorf("%s panel %d,%d: log y axis %v, want %v", name, i, j, log, c.log)
				}
			}
		}
		checkWrites(t, func(path string) error { return JacobianPlot(path, c.res) })
	}
}
