package bench

import (
	"fmt"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// benchNet runs a 4-layer tanh network of width n over 3*batch columns:
// as a plain forward pass (jet = false) or as a second-order jet of batch
// points (jet = true). Both regenerate each layer's weights from Philox and
// do the same gemm (n x 3 batch x n); they differ in the elementwise op:
// phi over 3 batch columns, or the fused jet over batch columns. Reports
// GFLOP/s counting the gemm's 2 n^2 3 batch flops per layer.
func benchNet(b *testing.B, n, batch int, jet bool) {
	be := open(b, "")
	tanh, _ := activation.Lookup("tanh")
	const depth = 4
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(n, depth), Act: tanh, SigmaW: 1.5, SigmaB: 0.3, Seed: 1, ActivateInput: true})
	if err != nil {
		b.Fatal(err)
	}
	in := filled(b, be, n*3*batch, 7)
	cols := 3 * batch
	if jet {
		cols = batch
	}
	defer startCPU(b).report()
	for i := 0; i < b.N; i++ {
		out, err := net.Run(be, in, cols, models.RunOptions{Jet: jet}, nil)
		if err != nil {
			b.Fatal(err)
		}
		be.Free(out)
	}
	flops := float64(depth) * 2 * float64(n) * float64(n) * float64(3*batch)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkForward and BenchmarkJet: compare their ns/op at equal sizes;
// the jet should cost at most 1.3 times the forward pass.
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{512, 1024, 2048, 4096} {
		b.Run(fmt.Sprintf("width=%d/batch=256", n), func(b *testing.B) { benchNet(b, n, 256, false) })
	}
}

func BenchmarkJet(b *testing.B) {
	for _, n := range []int{512, 1024, 2048, 4096} {
		b.Run(fmt.Sprintf("width=%d/batch=256", n), func(b *testing.B) { benchNet(b, n, 256, true) })
	}
}

var _ = engine.Float64
