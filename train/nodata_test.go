package train

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/npy"
)

// TestLoadModelWithoutData: a model file that records no data (as `netgeom
// import` writes) loads with the data set the caller names, every sample
// as a training sample and nothing standardised; without a name it is
// ErrNoData, and a set the network cannot take is refused with both shapes.
func TestLoadModelWithoutData(t *testing.T) {
	b := enginetest.Open(t)
	net, err := models.NewNetwork(b, models.NetworkSpec{Widths: []int{4, 5, 3}, Act: lookup(t, "tanh"), Loss: models.CrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Initialize(models.Init{Scheme: models.InitGlorot}, 2); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "imported.ngm")
	if err := models.SaveCheckpoint(path, net, models.CheckpointHeader{}); err != nil {
		t.Fatal(err)
	}
	data := "npy:" + filepath.Join("..", "pytorch", "testdata", "x.npy") + "," + filepath.Join("..", "pytorch", "testdata", "y.npy")
	m, err := LoadModel(b, path, LoadOptions{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Train.N != 60 || m.Test != nil || m.Header.Data == nil || !filepath.IsAbs(strings.Split(strings.TrimPrefix(m.Header.Data.Name, "npy:"), ",")[0]) {
		t.Fatalf("training set of %d samples, test %v, record %+v", m.Train.N, m.Test, m.Header.Data)
	}
	// The features are the file's, unstandardised: sample 0 of x.npy.
	host := make([]float64, m.Train.X.Len())
	if err := b.Download(host, m.Train.X); err != nil {
		t.Fatal(err)
	}
	x, err := npy.ReadFile(filepath.Join("..", "pytorch", "testdata", "x.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range x.Data {
		if host[i] != x.Data[i] {
			t.Fatalf("feature %d is %v on the backend, %v in the file", i, host[i], x.Data[i])
		}
	}
	if _, err := LoadModel(b, path, LoadOptions{}); !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "name the data") {
		t.Errorf("no data named: %v", err)
	}
	if _, err := LoadModel(b, path, LoadOptions{Data: "wine"}); err == nil || !strings.Contains(err.Error(), "13 features") {
		t.Errorf("wine on a 4-input network: %v", err)
	}
}
