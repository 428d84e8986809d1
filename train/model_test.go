package train

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

// TestLoadModelErrors: another data set or subset than the model's is a
// *DataMismatchError naming both; a file without a data record matches
// ErrNoData; NoTest leaves the test set out, and Set names what is wrong.
func TestLoadModelErrors(t *testing.T) {
	b := enginetest.Open(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "iris.ngm")
	res, err := Run(context.Background(), b, RunOptions{Steps: 5, Out: path})
	if err != nil {
		t.Fatal(err)
	}
	res.Model.Close()

	var dm *DataMismatchError
	if _, err := LoadModel(b, path, LoadOptions{Data: "wine"}); !errors.As(err, &dm) || dm.Given != "wine" || dm.Recorded != "iris" || dm.Subset {
		t.Errorf("Data wine: %v", err)
	}
	fifty := 50
	if _, err := LoadModel(b, path, LoadOptions{Subset: &fifty}); !errors.As(err, &dm) || !dm.Subset || dm.Given != "50" || dm.Recorded != "0" {
		t.Errorf("Subset 50: %v", err)
	}
	zero := 0
	m, err := LoadModel(b, path, LoadOptions{Data: "iris", Subset: &zero, NoTest: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Test != nil || m.Train.N != 120 || m.Path != path {
		t.Errorf("NoTest: test %v, %d training samples, path %q", m.Test, m.Train.N, m.Path)
	}
	if _, err := m.Set("test"); err == nil || !strings.Contains(err.Error(), "no test samples") {
		t.Errorf("Set(test) without a test set: %v", err)
	}
	if _, err := m.Set("valid"); err == nil || !strings.Contains(err.Error(), "want train or test") {
		t.Errorf("Set(valid): %v", err)
	}
	if d, err := m.Set("train"); err != nil || d != m.Train {
		t.Errorf("Set(train): %v", err)
	}
	bare := filepath.Join(dir, "bare.ngm")
	if err := models.SaveCheckpoint(bare, m.Net, models.CheckpointHeader{Init: "glorot"}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := LoadModel(b, bare, LoadOptions{}); !errors.Is(err, ErrNoData) {
		t.Errorf("a model without a data record: %v", err)
	}
	if _, err := LoadModel(b, filepath.Join(dir, "none.ngm"), LoadOptions{}); err == nil {
		t.Error("a missing file loaded")
	}
}
