package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/npy"
)

// TestLoadNpy: "npy:X.npy,Y.npy" reads the feature and label arrays numpy
// wrote for package pytorch's fixtures (60 samples, 4 features, 3 classes)
// with their values unchanged, and refuses arrays of the wrong shape or
// labels that are not class numbers.
func TestLoadNpy(t *testing.T) {
	xp := filepath.Join("..", "pytorch", "testdata", "x.npy")
	yp := filepath.Join("..", "pytorch", "testdata", "y.npy")
	d, test, err := Load(NpyPrefix+xp+","+yp, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := npy.ReadFile(xp)
	if test != nil || d.N != 60 || d.D != 4 || d.Classes != 3 || d.X[5] != x.Data[5] || d.X[239] != x.Data[239] {
		t.Fatalf("loaded %d x %d, %d classes, test %v", d.N, d.D, d.Classes, test)
	}
	dir := t.TempDir()
	write := func(name string, a *npy.Array) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := npy.Write(f, a); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	flat := write("flat.npy", &npy.Array{Shape: []int{6}, Data: make([]float64, 6)})
	halves := write("halves.npy", &npy.Array{Shape: []int{60}, Data: append([]float64{0.5}, make([]float64, 59)...)})
	zeros := write("zeros.npy", &npy.Array{Shape: []int{60}, Data: make([]float64, 60)})
	short := write("short.npy", &npy.Array{Shape: []int{59}, Data: make([]float64, 59)})
	for name, want := range map[string]string{
		NpyPrefix + flat + "," + yp:     "want a 2-D array",
		NpyPrefix + xp + "," + halves:   "label 0 is 0.5",
		NpyPrefix + xp + "," + zeros:    "at least two classes",
		NpyPrefix + xp + "," + short:    "the 60 samples",
		NpyPrefix + xp:                  "npy:FEATURES.npy,LABELS.npy",
		NpyPrefix + xp + ",missing.npy": "missing.npy",
	} {
		if _, _, err := Load(name, 1); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v; want %q", name, err, want)
		}
	}
}
