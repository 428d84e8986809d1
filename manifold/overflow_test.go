package manifold

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

// TestOverflowIsNamed: a ReLU network at sigma_w = 50 multiplies q by
// sigma_w^2 / 2 = 1250 per layer, so |h|^2 = N q (N = 20, q^0 = 1) passes
// float64's 1.8e308 after log(1.8e308 / 20) / log(1250) = 99.6 layers (the
// circle's metric |dh/dtheta|^2 = N q grows the same way): the run stops
// there with an OverflowError naming the layer and the quantity, not with a
// "zero tangent" or an eigensolver failure further on.
func TestOverflowIsNamed(t *testing.T) {
	relu, _ := activation.Lookup("relu")
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(20, 200), Act: relu, SigmaW: 50, Seed: 1, ActivateInput: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Circle(20, 10, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Simulate(context.Background(), enginetest.Open(t), net, c, SimOptions{Gram: true})
	var oe *OverflowError
	if !errors.As(err, &oe) || (oe.Quantity != "|h|^2 (q)" && oe.Quantity != "|dh/dtheta|^2 (the metric)") {
		t.Fatalf("err = %v; want an OverflowError for q or the metric", err)
	}
	want := math.Log(math.MaxFloat64/20) / math.Log(1250)
	if !(math.Abs(float64(oe.Layer)-want) <= 3) {
		t.Errorf("overflow at layer %d; q reaches float64's limit near layer %.1f", oe.Layer, want)
	}
}
