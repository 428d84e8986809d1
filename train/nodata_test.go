package train

import (
	"errors"
	"fmt"
	"os"
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
// ErrNoData, and a set the network cannot take is refused with both shapes;
// a regression table loads when its target columns match the outputs and
// is refused, naming its columns, when they do not.
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
	// Regression tables of four features: three target columns fit the
	// three outputs, two do not.
	dir := t.TempDir()
	table := func(targets int) string {
		var csv strings.Builder
		csv.WriteString("a,b,c,d")
		for k := range targets {
			fmt.Fprintf(&csv, ",t%d", k+1)
		}
		csv.WriteString("\n")
		for i := range 10 {
			fmt.Fprintf(&csv, "%d,%d,%d,%d", i, i+1, i+2, i+3)
			for k := range targets {
				fmt.Fprintf(&csv, ",%g", 0.1*float64(i*(k+1)))
			}
			csv.WriteString("\n")
		}
		name := filepath.Join(dir, fmt.Sprintf("reg%d.csv", targets))
		if err := os.WriteFile(name, []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		q := "?target=t1"
		for k := 2; k <= targets; k++ {
			q += fmt.Sprintf("&target=t%d", k)
		}
		return "csv:" + name + q
	}
	rm, err := LoadModel(b, path, LoadOptions{Data: table(3)})
	if err != nil {
		t.Fatalf("three targets on three outputs: %v", err)
	}
	if rm.Train.N != 10 || rm.Train.C != 3 {
		t.Errorf("regression set: %d samples, %d targets", rm.Train.N, rm.Train.C)
	}
	rm.Close()
	if _, err := LoadModel(b, path, LoadOptions{Data: table(2)}); err == nil || !strings.Contains(err.Error(), "2 target columns") {
		t.Errorf("two targets on three outputs: %v", err)
	}
}
