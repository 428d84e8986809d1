package cuda

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGoExpTranscription: on amd64, one of the two transcribed paths of
// Go's exp equals this process's math.Exp on every value, edge cases
// included, and hostExpFMA reports that path. The kernels' ng_exp is the
// same transcription in CUDA C (and runs under the fake driver's tests).
func TestGoExpTranscription(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("SKIP: math.Exp is the transcribed algorithm only on amd64")
	}
	mode, why := hostExpFMA()
	fma := mode == 1
	r := rand.New(rand.NewPCG(3, 4))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 1e-300, -1e-300, 0.5, 709.78, 709.79, -708.39, -745.1, -745.2,
		-740, -1e10, 1e10, math.Inf(1), math.Inf(-1), math.NaN(), 0x1p-1074, 88.72, -87.33}
	for i := 0; i < 1<<17; i++ {
		xs = append(xs, (r.Float64()-0.5)*1500, r.NormFloat64(), r.NormFloat64()*1e-8)
	}
	for _, x := range xs {
		got, want := goExp(x, fma), math.Exp(x)
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("goExp(%v, fma=%v) = %v (%016x), math.Exp = %v (%016x); hostExpFMA says %q",
				x, fma, got, math.Float64bits(got), want, math.Float64bits(want), why)
		}
	}
}

func TestGoExpPathsDiffer(t *testing.T) {
	// The probe in hostExpFMA can tell the paths apart only if they differ
	// somewhere in its range.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 4096; i++ {
		x := (r.Float64() - 0.5) * 80
		if goExp(x, true) != goExp(x, false) {
			return
		}
	}
	t.Fatal("the FMA and SSE2 paths of goExp agree on all probe values")
}

// TestGoLogTranscription: on amd64, goLog equals math.Log everywhere,
// including at sqrt(2)/2 (where the assembly's comparison decides).
func TestGoLogTranscription(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("SKIP: math.Log is the transcribed algorithm only on amd64")
	}
	r := rand.New(rand.NewPCG(5, 6))
	xs := []float64{0, math.Copysign(0, -1), -1, 1, 2, math.Inf(1), math.Inf(-1), math.NaN(), 0x1p-1074, 0x1p-1022,
		math.Sqrt2 / 2, math.Nextafter(math.Sqrt2/2, 0), math.Nextafter(math.Sqrt2/2, 1), math.Sqrt2, 1e308, 1 + 0x1p-52}
	for i := 0; i < 1<<17; i++ {
		xs = append(xs, r.Float64()*4, math.Exp(r.NormFloat64()*50), 1+r.Float64()*1e-6)
	}
	for _, x := range xs {
		got, want := goLog(x), math.Log(x)
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("goLog(%v) = %v (%016x), math.Log = %v (%016x)", x, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
}
