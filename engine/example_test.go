package engine_test

import (
	"fmt"

	"github.com/netgeom/netgeom/engine"
	_ "github.com/netgeom/netgeom/engine/cpu" // links the CPU backend into engine.Open
)

// Open a backend by name ("auto" picks CUDA when a GPU, its driver and the
// kernels load, else the CPU), multiply two matrices on it and read the
// result back. Matrices are column-major: A = [1 3; 2 4] is stored 1, 2, 3, 4.
func ExampleOpen() {
	b, err := engine.Open("cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	a, _ := b.Alloc(engine.Float64, 4)
	x, _ := b.Alloc(engine.Float64, 4)
	c, _ := b.Alloc(engine.Float64, 4)
	if err := b.Upload(a, []float64{1, 2, 3, 4}); err != nil {
		fmt.Println(err)
		return
	}
	if err := b.Upload(x, []float64{1, 0, 0, 1}); err != nil { // the identity
		fmt.Println(err)
		return
	}
	// C = 2 A I + 0 C
	if err := b.Gemm(engine.NoTrans, engine.NoTrans, 2, 2, 2, 2, a, 2, x, 2, 0, c, 2); err != nil {
		fmt.Println(err)
		return
	}
	out, err := engine.ToHost(b, c)
	fmt.Println(out, err)
	// Output: [2 4 6 8] <nil>
}

// Philox normals name random weights by (seed, stream, index): the same
// triple gives the same bits on every backend and every run.
func ExampleBackend_fillNormal() {
	b, err := engine.Open("cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	w, _ := b.Alloc(engine.Float64, 3)
	if err := b.FillNormal(w, 1, 0, 0, 1); err != nil {
		fmt.Println(err)
		return
	}
	first, _ := engine.ToHost(b, w)
	if err := b.FillNormal(w, 1, 0, 0, 1); err != nil {
		fmt.Println(err)
		return
	}
	again, _ := engine.ToHost(b, w)
	fmt.Printf("%.17g\n%v\n", first, first[0] == again[0] && first[1] == again[1] && first[2] == again[2])
	// Output:
	// [-0.11368019704496897 -0.45786963520401452 -0.28859563518898035]
	// true
}

// A backend opened for float32 stores every buffer in float32: host
// numbers are rounded once on the way in (0.1 becomes 0.100000001490116)
// and widened exactly on the way out, and it refuses float64 buffers. Dot
// products are summed in float64.
func ExampleOpenDType() {
	b, err := engine.OpenDType("cpu", engine.Float32)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	x, err := engine.FromHost(b, []float64{0.1, 0.2, 0.3})
	if err != nil {
		fmt.Println(err)
		return
	}
	back, _ := engine.ToHost(b, x)
	dot, _ := b.Dot(3, x, 1, x, 1)
	_, refused := b.Alloc(engine.Float64, 3)
	fmt.Println(engine.DTypeOf(b), back[0], dot)
	fmt.Println(refused != nil)
	// Output:
	// float32 0.10000000149011612 0.14000000864267365
	// true
}
