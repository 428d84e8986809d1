package landscape

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/train"
)

// float32Pair opens a float64 and a float32 CPU backend and writes an iris
// model (4-8-3, trained in float64) for them to load.
func float32Pair(t *testing.T) (b64, b32 engine.Backend, path string) {
	b64, b32 = enginetest.Open(t), enginetest.OpenDType(t, engine.Float32)
	path = filepath.Join(t.TempDir(), "iris.ngm")
	res, err := train.Run(context.Background(), b64, train.RunOptions{Arch: []int{4, 8, 3}, Steps: 300, Seed: 1, Out: path})
	if err != nil {
		t.Fatal(err)
	}
	res.Model.Close()
	return b64, b32, path
}

// TestHessianSpectrumFloat32: a model loaded on a float32 backend, its
// Hessian-vector products in float32 and Lanczos, the trace and the
// density in float64 (the spectrum's backend), gives the float64 model's
// top eigenvalues, converged to the default tolerance for float32
// (Float32Tol). Its products differ from float64's by about 5e-7 of ||H||
// (models.TestFloat32Products), which bounds what a converged Ritz value
// can be off by; measured 2e-8 of the largest eigenvalue, asserted within
// 1e-6. A tolerance float32 cannot meet, or a float32 spectrum backend, is
// refused.
func TestHessianSpectrumFloat32(t *testing.T) {
	b64, b32, path := float32Pair(t)
	load := func(b engine.Backend) *train.Model {
		m, err := train.LoadModel(b, path, train.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	m64, m32 := load(b64), load(b32)
	o := HessianSpectrumOptions{Top: 4, Seed: 3}
	o.Model = m64
	want, err := HessianSpectrum(context.Background(), b64, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Model = m32
	got, err := HessianSpectrum(context.Background(), b64, o)
	if err != nil {
		t.Fatal(err)
	}
	if !*got.Converged {
		t.Error("float32 Lanczos did not converge to its tolerance")
	}
	top := math.Abs(want.Eigenvalues[0].Value)
	worst := 0.0
	for i, e := range got.Eigenvalues {
		worst = math.Max(worst, math.Abs(e.Value-want.Eigenvalues[i].Value)/top)
	}
	t.Logf("top %d eigenvalues: largest difference %.3g of the largest (%.6g); products %d (float64: %d)", o.Top, worst, top, got.HVPs, want.HVPs)
	if !(worst <= 1e-6) || worst < 1e-12 {
		t.Errorf("float32 eigenvalues differ by %.3g of the largest; want between 1e-12 and 1e-6", worst)
	}
	o.Tol = 1e-8
	if _, err := HessianSpectrum(context.Background(), b64, o); err == nil || !strings.Contains(err.Error(), "cannot meet a tolerance below") {
		t.Errorf("Tol 1e-8 on a float32 model: %v", err)
	}
	o.Tol = 0
	if _, err := HessianSpectrum(context.Background(), b32, o); err == nil || !strings.Contains(err.Error(), "give a float64 backend") {
		t.Errorf("a float32 spectrum backend: %v", err)
	}
}

// TestSliceFloat32: a loss slice of a float32 model (random and Hessian
// directions; the Hessian's eigenvectors up to their arbitrary signs, which
// mirror the slice) gives the float64 model's losses to float32's
// accuracy: measured at most 3.0e-7 relative; asserted within 1e-5, and
// above 1e-12.
func TestSliceFloat32(t *testing.T) {
	b64, b32, path := float32Pair(t)
	for _, dir := range []string{SliceRandom, SliceHessian} {
		var out [2]*SliceResult
		for i, b := range []engine.Backend{b64, b32} {
			m, err := train.LoadModel(b, path, train.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out[i], err = Slice(context.Background(), b, SliceOptions{Model: m, Directions: dir, Points: 7, Seed: 4})
			m.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		// An eigenvector's sign is arbitrary: a flipped direction mirrors
		// the slice along its axis.
		flip := [2]bool{}
		for d := range out[0].Vectors {
			dot := 0.0
			for i, v := range out[0].Vectors[d] {
				dot += v * out[1].Vectors[d][i]
			}
			flip[d] = dot < 0
		}
		n, worst := len(out[0].Alphas), 0.0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				i2, j2 := i, j
				if flip[0] {
					i2 = n - 1 - i
				}
				if flip[1] {
					j2 = n - 1 - j
				}
				w, g := out[0].TrainLoss[i*n+j], out[1].TrainLoss[i2*n+j2]
				worst = math.Max(worst, math.Abs(g-w)/w)
			}
		}
		t.Logf("%s directions: largest relative difference of the losses %.3g", dir, worst)
		if !(worst <= 1e-5) || worst < 1e-12 || out[1].DType != "float32" {
			t.Errorf("%s directions: float32 losses differ by %.3g relative (dtype %q); want between 1e-12 and 1e-5", dir, worst, out[1].DType)
		}
	}
}
