package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
)

func TestSaveGrid(t *testing.T) {
	p, err := SeriesPlot(LayerSeries{Name: "x", Layers: []float64{0, 1, 2}, Measured: []float64{1, 10, 100}, Theory: []float64{1, 10, 100}, Log: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for ext, magic := range map[string][]byte{".png": []byte("\x89PNG"), ".svg": []byte("<?xml")} {
		path := filepath.Join(dir, "f"+ext)
		if err := SaveGrid([][]*plot.Plot{{p, nil}}, 400, 200, path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(b, magic) {
			t.Errorf("%s: starts %q, want %q", ext, b[:min(len(b), 8)], magic)
		}
	}
	if err := SaveGrid([][]*plot.Plot{{p}}, 400, 200, filepath.Join(dir, "f.gif")); err == nil {
		t.Error(".gif: no error")
	}
}

func TestDecadeTicks(t *testing.T) {
	ticks := DecadeTicks{}.Ticks(0.005, 2000)
	want := []string{"0.01", "0.1", "1", "1e+01", "1e+02", "1e+03"}
	if len(ticks) != len(want) {
		t.Fatalf("%d ticks, want %d", len(ticks), len(want))
	}
	for i, tk := range ticks {
		if tk.Label != want[i] {
			t.Errorf("tick %d label %q, want %q", i, tk.Label, want[i])
		}
	}
}

// TestExponentTicks: integer exponents inside [lo, hi] labelled as the
// powers of ten DecadeTicks writes.
func TestExponentTicks(t *testing.T) {
	ticks := ExponentTicks{}.Ticks(-12.5, 0)
	if len(ticks) != 13 || ticks[0].Value != -12 || ticks[12].Value != 0 {
		t.Fatalf("ticks %v", ticks)
	}
	want := DecadeTicks{}.Ticks(1e-12, 1)
	for i, tk := range ticks {
		if tk.Label != want[i].Label {
			t.Errorf("tick %v labelled %q; DecadeTicks labels 10^%v %q", tk.Value, tk.Label, tk.Value, want[i].Label)
		}
	}
	if len(ExponentTicks{}.Ticks(1, 1)) != 0 {
		t.Error("ticks on an empty range")
	}
}
