package cpu

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/ebitengine/purego"
)

// laplacian is the n x n second-difference matrix (2 on the diagonal, -1
// beside it), whose eigenvalues are 2 - 2 cos(k pi / (n+1)), k = 1..n,
// with eigenvectors sin(j k pi / (n+1)).
func laplacian(n int) []float64 {
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		a[i*n+i] = 2
		if i+1 < n {
			a[i*n+i+1], a[(i+1)*n+i] = -1, -1
		}
	}
	return a
}

// symEigenPaths are the two implementations SymEigen chooses between:
// OpenBLAS's dsyevd (where the library is installed) and gonum's Dsyev.
func symEigenPaths(t *testing.T) map[string]func(n int, a, w []float64, vectors bool) error {
	paths := map[string]func(n int, a, w []float64, vectors bool) error{"gonum": gonumSymEigen}
	b, err := New(Options{BLAS: "openblas"})
	if err != nil {
		if os.Getenv("NETGEOM_REQUIRE_OPENBLAS") == "1" {
			t.Fatal(err)
		}
		t.Logf("SKIP the OpenBLAS path: %v", err)
		return paths
	}
	defer b.Close()
	o := inUse.Load()
	if o == nil || o.dsyevd == nil {
		t.Fatal("a backend on OpenBLAS, but SymEigen would not use its dsyevd")
	}
	paths["openblas"] = o.symEigen
	return paths
}

// TestSymEigenClosedForm: both implementations give the Laplacian's
// eigenvalues 2 - 2 cos(k pi/(n+1)) to 1e-14 (a few roundings of numbers
// of size 4; LAPACK's backward error is O(n eps ||A||)), in ascending
// order, with vectors and without; with vectors each column v_k has unit
// length, is orthogonal to the others, and A v_k = w_k v_k to 1e-13.
func TestSymEigenClosedForm(t *testing.T) {
	for name, eig := range symEigenPaths(t) {
		for _, n := range []int{1, 2, 7, 64, 301} {
			for _, vectors := range []bool{false, true} {
				a := laplacian(n)
				w := make([]float64, n)
				if err := eig(n, a, w, vectors); err != nil {
					t.Fatalf("%s n=%d: %v", name, n, err)
				}
				for k := 0; k < n; k++ {
					want := 2 - 2*math.Cos(float64(k+1)*math.Pi/float64(n+1))
					if !(math.Abs(w[k]-want) <= 1e-14*float64(max(n, 10))) {
						t.Errorf("%s n=%d vectors=%v: eigenvalue %d %.17g; closed form %.17g", name, n, vectors, k, w[k], want)
						break
					}
				}
				if !vectors {
					continue
				}
				A := laplacian(n)
				worst := 0.0
				for k := 0; k < n; k++ {
					v := a[k*n : (k+1)*n]
					for i := 0; i < n; i++ {
						av := 0.0
						for j := 0; j < n; j++ {
							av += A[i*n+j] * v[j]
						}
						worst = max(worst, math.Abs(av-w[k]*v[i]))
					}
					for l := k; l < min(n, k+3); l++ {
						dot := 0.0
						for i := 0; i < n; i++ {
							dot += v[i] * a[l*n+i]
						}
						if l == k {
							dot--
						}
						worst = max(worst, math.Abs(dot))
					}
				}
				if worst > 1e-13*float64(max(n, 10)) {
					t.Errorf("%s n=%d: eigenvector residual or orthogonality %.3g", name, n, worst)
				}
			}
		}
	}
}

// TestSymEigenPathsAgree: on a random symmetric 200 x 200 matrix the two
// implementations' eigenvalues agree to 1e-12 of the largest, and each
// repeats its own bits.
func TestSymEigenPathsAgree(t *testing.T) {
	const n = 200
	r := rand.New(rand.NewPCG(3, 4))
	base := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			base[i*n+j] = r.NormFloat64()
			base[j*n+i] = base[i*n+j]
		}
	}
	got := map[string][]float64{}
	for name, eig := range symEigenPaths(t) {
		for rep := 0; rep < 2; rep++ {
			a := append([]float64(nil), base...)
			w := make([]float64, n)
			if err := eig(n, a, w, false); err != nil {
				t.Fatal(err)
			}
			if prev, ok := got[name]; ok {
				for k := range w {
					if w[k] != prev[k] {
						t.Fatalf("%s: eigenvalue %d differs between two calls", name, k)
					}
				}
			}
			got[name] = w
		}
	}
	if o, ok := got["openblas"]; ok {
		g := got["gonum"]
		scale := math.Max(math.Abs(g[0]), math.Abs(g[n-1]))
		for k := range g {
			if !(math.Abs(g[k]-o[k]) <= 1e-12*scale) {
				t.Errorf("eigenvalue %d: gonum %.17g, OpenBLAS %.17g", k, g[k], o[k])
			}
		}
	}
}

// TestSymEigenErrors: short slices are an error, n = 0 is nothing to do.
func TestSymEigenErrors(t *testing.T) {
	if err := SymEigen(3, make([]float64, 8), make([]float64, 3), false); err == nil {
		t.Error("8 entries for a 3 x 3 matrix accepted")
	}
	if err := SymEigen(3, make([]float64, 9), make([]float64, 2), false); err == nil {
		t.Error("2 eigenvalue slots for order 3 accepted")
	}
	if err := SymEigen(0, nil, nil, true); err != nil {
		t.Error(err)
	}
}

// TestQuietThreads: loading OpenBLAS puts OPENBLAS_THREAD_TIMEOUT=4 into
// the C environment, where OpenBLAS reads it, unless the process was
// started with a value of its own (then it is left alone).
func TestQuietThreads(t *testing.T) {
	libc, err := purego.Dlopen("libc.so.6", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		t.Skipf("SKIP: no libc.so.6 to read the C environment: %v", err)
	}
	var getenv func(name string) string
	purego.RegisterLibFunc(&getenv, libc, "getenv")
	quietThreads()
	want := threadTimeout
	if v, set := os.LookupEnv("OPENBLAS_THREAD_TIMEOUT"); set {
		want = v
	}
	if got := getenv("OPENBLAS_THREAD_TIMEOUT"); got != want {
		t.Errorf("C environment OPENBLAS_THREAD_TIMEOUT=%q; want %q", got, want)
	}
}
