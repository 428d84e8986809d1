package landscape

import (
	"math/rand/v2"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

func mlpSpec(t *testing.T, act string, widths ...int) models.NetworkSpec {
	t.Helper()
	f, err := activation.Lookup(act)
	if err != nil {
		t.Fatal(err)
	}
	return models.NetworkSpec{Widths: widths, Act: f, Loss: models.CrossEntropy}
}

func randomParams(r *rand.Rand, n int) []float64 {
	p := make([]float64, n)
	for i := range p {
		p[i] = r.NormFloat64()
	}
	return p
}

// randomData uploads n samples of d standard normal features with random
// labels of c classes.
func randomData(t *testing.T, b engine.Backend, r *rand.Rand, n, d, c int) *models.Data {
	t.Helper()
	x := randomParams(r, n*d)
	labels := make([]int, n)
	tg := make([]float64, n*c)
	for i := range labels {
		labels[i] = r.IntN(c)
		tg[i*c+labels[i]] = 1
	}
	data, err := models.NewData(b, x, d, tg, c, labels)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// logits evaluates the network spec at theta (host) on d.
func logits(t *testing.T, b engine.Backend, spec models.NetworkSpec, theta []float64, d *models.Data) []float64 {
	t.Helper()
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if err := net.SetParams(theta); err != nil {
		t.Fatal(err)
	}
	e, err := net.NewEvaluator(0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	z, err := e.Logits(net.Params(), d)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// randomAlignment draws a random signed permutation of every hidden layer
// (signs only when odd).
func randomAlignment(r *rand.Rand, widths []int, odd bool) Alignment {
	al := Identity(widths)
	for l := 1; l < len(widths)-1; l++ {
		al.Perm[l] = r.Perm(widths[l])
		for i := range al.Sign[l] {
			if odd && r.IntN(2) == 0 {
				al.Sign[l][i] = -1
			}
		}
	}
	return al
}
