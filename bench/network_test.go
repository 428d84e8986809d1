package bench

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// benchNet runs a 4-layer tanh network of width n over 3*batch columns:
// as a plain forward pass (jet = false) or as a second-order jet of batch
// points (jet = true), with its weights drawn from Philox in every pass or
// stored on the backend once (models.RandomNetwork.Store). Both do the
// same gemm per layer (n x n times n x 3 batch); they differ in the
// elementwise op: phi over 3 batch columns, or the fused jet over batch
// columns. Reports GFLOP/s counting the gemm's 2 n^2 3 batch flops per
// layer, the engine's gemm rate at that shape and dtype (dgemm or sgemm)
// measured in the same run (gemm-GFLOP/s), and their ratio (of-gemm).
func benchNet(b *testing.B, n, batch int, jet, stored bool, dt engine.DType) {
	be := openDType(b, "", dt)
	tanh, _ := activation.Lookup("tanh")
	const depth = 4
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(n, depth), Act: tanh, SigmaW: 1.5, SigmaB: 0.3, Seed: 1, ActivateInput: true})
	if err != nil {
		b.Fatal(err)
	}
	if stored {
		if err := net.Store(be); err != nil {
			b.Fatal(err)
		}
		defer net.Close()
	}
	in := filled(b, be, n*3*batch, 7)
	cols := 3 * batch
	if jet {
		cols = batch
	}
	flops := float64(depth) * 2 * float64(n) * float64(n) * float64(3*batch)
	gemm := dgemmRate(b, be, n, 3*batch)
	b.ResetTimer()
	defer startCPU(b).report()
	for i := 0; i < b.N; i++ {
		out, err := net.Run(be, in, cols, models.RunOptions{Jet: jet}, nil)
		if err != nil {
			b.Fatal(err)
		}
		be.Free(out)
	}
	rate := flops * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(rate, "GFLOP/s")
	b.ReportMetric(gemm, "gemm-GFLOP/s")
	b.ReportMetric(rate/gemm, "of-gemm")
}

// dgemmRate times the engine's Gemm of an n x n matrix by an n x cols one
// (best of five after a warm-up) and returns its GFLOP/s.
func dgemmRate(b *testing.B, be engine.Backend, n, cols int) float64 {
	a, x, y := filled(b, be, n*n, 1), filled(b, be, n*cols, 2), filled(b, be, n*cols, 3)
	defer be.Free(a)
	defer be.Free(x)
	defer be.Free(y)
	best := math.Inf(1)
	for rep := 0; rep < 6; rep++ {
		t0 := time.Now()
		if err := be.Gemm(engine.NoTrans, engine.NoTrans, n, cols, n, 1, a, n, x, n, 0, y, n); err != nil {
			b.Fatal(err)
		}
		if rep > 0 {
			best = min(best, time.Since(t0).Seconds())
		}
	}
	return 2 * float64(n) * float64(n) * float64(cols) / best / 1e9
}

// BenchmarkForward and BenchmarkJet: the passes at widths 512 to 4096
// and 256 or 512 points, weights drawn per pass or stored, each beside
// the dgemm rate of its shape; the jet should cost at most 1.3 times the
// forward pass.
func BenchmarkForward(b *testing.B) { benchNets(b, false) }

func BenchmarkJet(b *testing.B) { benchNets(b, true) }

func benchNets(b *testing.B, jet bool) {
	for _, n := range []int{512, 1024, 2048, 4096} {
		for _, batch := range []int{256, 512} {
			for _, w := range []string{"drawn", "stored"} {
				for _, dt := range dtypes {
					b.Run(fmt.Sprintf("width=%d/batch=%d/weights=%s/dtype=%v", n, batch, w, dt), func(b *testing.B) { benchNet(b, n, batch, jet, w == "stored", dt) })
				}
			}
		}
	}
}

var _ = engine.Float64
