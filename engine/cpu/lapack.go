package cpu

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// inUse is the OpenBLAS a CPU backend of this process runs on (nil where
// every backend fell back to gonum or none was opened): SymEigen uses its
// LAPACK, so that a run forced onto gonum's BLAS stays on gonum throughout.
var inUse atomic.Pointer[openBLAS]

// SymEigen computes the eigenvalues of the symmetric n x n matrix a (both
// triangles filled, so its storage order does not matter) into w, in
// ascending order, and with vectors its orthonormal eigenvectors, which
// then overwrite a: column k (a[k*n : (k+1)*n]) belongs to w[k]. Without
// vectors a is destroyed. It runs LAPACK's divide-and-conquer dsyevd from
// the OpenBLAS that a CPU backend of this process runs on (blocked and
// multithreaded: at n = 500 to 1000 it took 1/9 to 1/6 of the time of
// gonum's pure-Go Dsyev with vectors, and 1/4 without, in one run on the
// 2-core test machine), and gonum's Dsyev where none does. The same
// library, thread count and input give the same bits.
func SymEigen(n int, a, w []float64, vectors bool) error {
	if n < 0 || len(a) < n*n || len(w) < n {
		return fmt.Errorf("symmetric eigenproblem: n = %d with %d matrix entries and %d eigenvalue slots", n, len(a), len(w))
	}
	if n == 0 {
		return nil
	}
	if o := inUse.Load(); o != nil && o.dsyevd != nil {
		return o.symEigen(n, a, w, vectors)
	}
	return gonumSymEigen(n, a, w, vectors)
}

func gonumSymEigen(n int, a, w []float64, vectors bool) error {
	job := lapack.EVNone
	if vectors {
		job = lapack.EVCompute
	}
	// Row-major upper triangle = column-major lower: the matrix is
	// symmetric, and the vectors come back as the rows of the row-major
	// result, which are the columns of the column-major one once
	// transposed below.
	sym := blas64.Symmetric{N: n, Stride: n, Data: a, Uplo: 'U'}
	work := make([]float64, 1)
	lapack64.Syev(job, sym, w, work, -1)
	work = make([]float64, int(work[0]))
	if !lapack64.Syev(job, sym, w, work, len(work)) {
		return fmt.Errorf("symmetric eigenproblem of order %d: gonum's Dsyev did not converge", n)
	}
	if vectors {
		// Row-major: eigenvector k is column k of the n x n result, so
		// transpose it into column-major storage.
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				a[i*n+j], a[j*n+i] = a[j*n+i], a[i*n+j]
			}
		}
	}
	return nil
}

func (o *openBLAS) symEigen(n int, a, w []float64, vectors bool) error {
	jobz, uplo := byte('N'), byte('L')
	if vectors {
		jobz = 'V'
	}
	nn, lda, info := int32(n), int32(n), int32(0)
	lwork, liwork := int32(-1), int32(-1)
	var wq [1]float64
	var iq [1]int32
	call := func(work []float64, iwork []int32) {
		o.dsyevd(unsafe.Pointer(&jobz), unsafe.Pointer(&uplo), unsafe.Pointer(&nn), unsafe.Pointer(&a[0]), unsafe.Pointer(&lda),
			unsafe.Pointer(&w[0]), unsafe.Pointer(&work[0]), unsafe.Pointer(&lwork), unsafe.Pointer(&iwork[0]), unsafe.Pointer(&liwork),
			unsafe.Pointer(&info), 1, 1)
	}
	call(wq[:], iq[:]) // workspace query
	if info != 0 {
		return fmt.Errorf("symmetric eigenproblem of order %d: dsyevd's workspace query failed (info %d)", n, info)
	}
	lwork, liwork = int32(wq[0]), max(iq[0], 1)
	call(make([]float64, max(lwork, 1)), make([]int32, liwork))
	if info != 0 {
		return fmt.Errorf("symmetric eigenproblem of order %d: OpenBLAS's dsyevd failed (info %d)", n, info)
	}
	return nil
}
