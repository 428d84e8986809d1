package train

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepareRecordsAbsoluteNpyPaths: a set given as npy: files with
// relative paths is recorded with absolute ones, so a model trained on it
// rebuilds its data from any working folder; Rebuild from the record gives
// the same training matrix.
func TestPrepareRecordsAbsoluteNpyPaths(t *testing.T) {
	rel := "npy:" + filepath.Join("..", "pytorch", "testdata", "x.npy") + "," + filepath.Join("..", "pytorch", "testdata", "y.npy")
	p, err := Prepare(DataSpec{Name: rel, Seed: 3, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range strings.Split(strings.TrimPrefix(p.Info.Name, "npy:"), ",") {
		if !filepath.IsAbs(path) {
			t.Fatalf("recorded name %q has a relative path", p.Info.Name)
		}
	}
	again, err := Rebuild(p.Info)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Train.X {
		if p.Train.X[i] != again.Train.X[i] {
			t.Fatalf("rebuilt training feature %d differs: %v, %v", i, again.Train.X[i], p.Train.X[i])
		}
	}
	if p.Train.N+p.Test.N != 60 {
		t.Errorf("%d + %d samples, want 60", p.Train.N, p.Test.N)
	}
}
