package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
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

// TestExactTicks: every label parses back to its tick's value, on a
// narrow range (the Jacobian figure's 1.02 that read "1"), a wide one, one
// straddling zero and one of tiny values.
func TestExactTicks(t *testing.T) {
	for _, r := range [][2]float64{{1.005, 1.035}, {0, 1}, {-3.2, 7.9}, {1e-7, 4e-7}, {0.98, 1.02}, {12, 980}} {
		ticks := ExactTicks{}.Ticks(r[0], r[1])
		if len(ticks) < 3 || len(ticks) > 11 {
			t.Errorf("%v: %d ticks, want 3 to 11", r, len(ticks))
		}
		for _, tk := range ticks {
			v, err := strconv.ParseFloat(tk.Label, 64)
			if err != nil || v != tk.Value || v < r[0] || v > r[1] {
				t.Errorf("%v: tick at %v labelled %q", r, tk.Value, tk.Label)
			}
		}
	}
	found := false
	for _, tk := range (ExactTicks{}).Ticks(1.005, 1.035) {
		found = found || (tk.Label == "1.02" && tk.Value == 1.02)
	}
	if !found {
		t.Errorf("[1.005, 1.035]: ticks %v, want one at 1.02 labelled 1.02", ExactTicks{}.Ticks(1.005, 1.035))
	}
	// A log axis within one decade still gets exact labels; across decades, powers of ten.
	if lt := (LogTicks{}).Ticks(1.01, 1.9); len(lt) < 3 || lt[0].Label != "1.2" {
		t.Errorf("LogTicks(1.01, 1.9) = %v, want exact labels from 1.2", lt)
	}
	// One decade in range: 10 is marked and so are 1-2-5 values below it.
	if lt := (LogTicks{}).Ticks(6.3, 65); len(lt) != 3 || lt[0].Label != "10" || lt[1].Label != "20" || lt[2].Label != "50" {
		t.Errorf("LogTicks(6.3, 65) = %v, want 10, 20, 50", lt)
	}
	// Four to seven ticks where the range allows (a step of range/6 rounded
	// up left two or three on [-0.09, 0.03]).
	for _, r := range [][2]float64{{-0.09, 0.03}, {0, 1}, {2.1, 2.35}, {-1.68, -1.57}} {
		if n := len((ExactTicks{}).Ticks(r[0], r[1])); n < 4 || n > 11 {
			t.Errorf("ExactTicks%v: %d ticks", r, n)
		}
	}
	if lt := (LogTicks{}).Ticks(0.5, 300); len(lt) != 3 || lt[0].Label != "1" || lt[2].Label != "1e+02" {
		t.Errorf("LogTicks(0.5, 300) = %v, want 1, 10, 1e+02", lt)
	}
}
