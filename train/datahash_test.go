package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/npy"
)

// TestDataHashCatchesChangedData: a model's record carries the hash of
// the prepared sets; rebuilding from a data file that changed in one
// feature of one sample is refused, naming what happened, while the
// unchanged file rebuilds, and a record without a hash (files written
// before hashes were recorded) is not checked.
func TestDataHashCatchesChangedData(t *testing.T) {
	dir := t.TempDir()
	x, err := npy.ReadFile(filepath.Join("..", "pytorch", "testdata", "x.npy"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(a *npy.Array) {
		f, err := os.Create(filepath.Join(dir, "x.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if err := npy.Write(f, a); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	write(x)
	name := "npy:" + filepath.Join(dir, "x.npy") + "," + filepath.Join("..", "pytorch", "testdata", "y.npy")
	p, err := Prepare(DataSpec{Name: name, Seed: 2, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Info.SHA256) != 64 || p.Info.SHA256 != DataHash(p.Train, p.Test) {
		t.Fatalf("recorded hash %q", p.Info.SHA256)
	}
	if _, err := Rebuild(p.Info); err != nil {
		t.Fatalf("unchanged data: %v", err)
	}
	x.Data[17] += 1e-9
	write(x)
	if _, err := Rebuild(p.Info); err == nil || !strings.Contains(err.Error(), "not the ones the model was trained on") {
		t.Errorf("changed data: err = %v", err)
	}
	old := p.Info
	old.SHA256 = ""
	if _, err := Rebuild(old); err != nil {
		t.Errorf("a record without a hash: %v", err)
	}
	// The hash sees labels and the split too.
	q := *p.Test
	q.Y = append([]int(nil), q.Y...)
	q.Y[0] = (q.Y[0] + 1) % q.Classes
	if DataHash(p.Train, &q) == DataHash(p.Train, p.Test) || DataHash(p.Test, p.Train) == DataHash(p.Train, p.Test) {
		t.Error("the hash ignores a label or the order of the sets")
	}
}
