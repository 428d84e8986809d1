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
