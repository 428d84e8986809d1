package cuda

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
)

// This file implements the engine ops (engine.Kernels) on device addresses.
// engine.Checked has checked every argument (see engine.Kernels for what it
// guarantees); each op queues its work on the stream. Only Download, Dot
// and Nrm2 wait. Errors name the op.

// syncErr adds a hint to the errors that mean an earlier kernel failed.
func syncErr(op string, err error) error {
	switch codeOf(err) {
	case cudaErrorIllegalAddress, cudaErrorLaunchFailed, cudaErrorLaunchOutOfResources, 714, 715, 716:
		return fmt.Errorf("%s: %w (a kernel failed; the CUDA context cannot be used any more: close this backend and report the bug)", op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Upload implements engine.Kernels; a float32 backend rounds each number
// once to the nearest float32 on the host.
func (b *device) Upload(dst devptr, src []float64) error {
	return b.do(func() error {
		host, bytes := unsafe.Pointer(&src[0]), uint64(len(src))*8
		var narrow []float32
		if b.dt == engine.Float32 {
			narrow = make([]float32, len(src))
			for i, v := range src {
				narrow[i] = float32(v)
			}
			host, bytes = unsafe.Pointer(&narrow[0]), uint64(len(narrow))*4
		}
		// From pageable memory the copy returns once the host memory has been
		// staged, so src (and narrow) may change as soon as it returns.
		r := b.drv.cuMemcpyHtoDAsync(uint64(dst), host, bytes, b.stream)
		runtime.KeepAlive(narrow)
		if err := b.drv.check("cuMemcpyHtoDAsync_v2", r); err != nil {
			return syncErr("upload", err)
		}
		return nil
	})
}

// download copies len(dst) float64 from device address p into dst and
// waits. It runs on the worker.
func (b *device) download(op string, dst []float64, p devptr) error {
	r := b.drv.cuMemcpyDtoHAsync(unsafe.Pointer(&dst[0]), uint64(p), uint64(len(dst))*8, b.stream)
	if err := b.drv.check("cuMemcpyDtoHAsync_v2", r); err != nil {
		return syncErr(op, err)
	}
	if err := b.drv.check("cuStreamSynchronize", b.drv.cuStreamSynchronize(b.stream)); err != nil {
		return syncErr(op, err)
	}
	return nil
}

// Download implements engine.Kernels; float32 numbers widen exactly.
func (b *device) Download(dst []float64, src devptr) error {
	return b.do(func() error {
		if b.dt == engine.Float64 {
			return b.download("download", dst, src)
		}
		wide := make([]float32, len(dst))
		r := b.drv.cuMemcpyDtoHAsync(unsafe.Pointer(&wide[0]), uint64(src), uint64(len(wide))*4, b.stream)
		if err := b.drv.check("cuMemcpyDtoHAsync_v2", r); err != nil {
			return syncErr("download", err)
		}
		if err := b.drv.check("cuStreamSynchronize", b.drv.cuStreamSynchronize(b.stream)); err != nil {
			return syncErr("download", err)
		}
		for i, v := range wide {
			dst[i] = float64(v)
		}
		return nil
	})
}

// Copy implements engine.Kernels. Overlapping ranges (views of one
// allocation) are copied as if through a temporary, like Go's copy.
func (b *device) Copy(to, from devptr, n int) error {
	return b.do(func() error {
		if to == from {
			return nil
		}
		bytes := uint64(n) * uint64(b.size)
		if uint64(to) < uint64(from)+bytes && uint64(from) < uint64(to)+bytes {
			var tmp uint64
			if err := b.allocDevice("copy", &tmp, bytes); err != nil {
				return err
			}
			err1 := b.drv.check("cuMemcpyDtoDAsync_v2", b.drv.cuMemcpyDtoDAsync(tmp, uint64(from), bytes, b.stream))
			err2 := b.drv.check("cuMemcpyDtoDAsync_v2", b.drv.cuMemcpyDtoDAsync(uint64(to), tmp, bytes, b.stream))
			err3 := b.drv.check("cuMemFree_v2", b.drv.cuMemFree(tmp))
			for _, e := range []error{err1, err2, err3} {
				if e != nil {
					return syncErr("copy", e)
				}
			}
			return nil
		}
		r := b.drv.cuMemcpyDtoDAsync(uint64(to), uint64(from), bytes, b.stream)
		if err := b.drv.check("cuMemcpyDtoDAsync_v2", r); err != nil {
			return syncErr("copy", err)
		}
		return nil
	})
}

// Fill implements engine.Kernels.
func (b *device) Fill(dst devptr, n int, v float64) error {
	return b.do(func() error { return b.launch1D(kFill, n, dst, int64(n), v) })
}

func cublasOp(t engine.Transpose) int32 {
	if t == engine.Trans {
		return cublasOpT
	}
	return cublasOpN
}

func kernelOp(t engine.Transpose) int32 {
	if t == engine.Trans {
		return 1
	}
	return 0
}

// gemm queues batch products C_i = alpha op(A_i) op(B_i) + beta C_i, with
// m, n and batch >= 1 (engine.Checked has returned before the kernels on
// empty products). k = 0 scales C by beta itself, with BLAS's convention
// that beta = 0 overwrites C, as the CPU backend does. It runs on the
// worker.
func (b *device) gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a devptr, lda, sa int, bb devptr, ldb, sb int, beta float64, c devptr, ldc, sc, batch int) error {
	if k == 0 {
		return b.launch1D(kScaleMatrix, m*n*batch, int64(m), int64(n), beta, c, int64(ldc), int64(sc), int64(batch))
	}
	if h := b.blas; h != nil && b.dt == engine.Float32 {
		return b.sgemm(tA, tB, m, n, k, alpha, a, lda, sa, bb, ldb, sb, beta, c, ldc, sc, batch)
	}
	if h := b.blas; h != nil {
		al, be := alpha, beta
		if batch == 1 {
			st := h.lib.dgemm(h.h, cublasOp(tA), cublasOp(tB), int32(m), int32(n), int32(k), &al, uint64(a), int32(lda), uint64(bb), int32(ldb), &be, uint64(c), int32(ldc))
			return cublasCheck("cublasDgemm_v2", st)
		}
		for z0 := 0; z0 < batch; z0 += math.MaxInt32 {
			nz := min(math.MaxInt32, batch-z0)
			st := h.lib.dgemmBatched(h.h, cublasOp(tA), cublasOp(tB), int32(m), int32(n), int32(k), &al,
				uint64(b.elem(a, z0*sa)), int32(lda), int64(sa), uint64(b.elem(bb, z0*sb)), int32(ldb), int64(sb),
				&be, uint64(b.elem(c, z0*sc)), int32(ldc), int64(sc), int32(nz))
			if err := cublasCheck("cublasDgemmStridedBatched", st); err != nil {
				return err
			}
		}
		return nil
	}
	// netgeom's kernel: grid (m/16, n/16, batch), split where y or z
	// exceed the grid limits. In float32 it takes alpha and beta rounded
	// to float32, as cuBLAS's sgemm and the CPU backend's do.
	if b.dt == engine.Float32 {
		alpha, beta = float64(float32(alpha)), float64(float32(beta))
	}
	const colsPerLaunch = maxGridYZ * gemmTile
	for z0 := 0; z0 < batch; z0 += maxGridYZ {
		nz := min(maxGridYZ, batch-z0)
		for j0 := 0; j0 < n; j0 += colsPerLaunch {
			nj := min(colsPerLaunch, n-j0)
			bOff := j0 * ldb // column j0 of op(B) = B
			if tB == engine.Trans {
				bOff = j0 // column j0 of op(B) = row j0 of B
			}
			grid := dim3{uint32((m + gemmTile - 1) / gemmTile), uint32((nj + gemmTile - 1) / gemmTile), uint32(nz)}
			err := b.launch(kGemm, grid, dim3{gemmTile, gemmTile, 1}, 0,
				kernelOp(tA), kernelOp(tB), int64(m), int64(nj), int64(k), alpha,
				b.elem(a, z0*sa), int64(lda), int64(sa),
				b.elem(bb, z0*sb+bOff), int64(ldb), int64(sb),
				beta, b.elem(c, z0*sc+j0*ldc), int64(ldc), int64(sc))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// sgemm is gemm's cuBLAS path for float buffers: cublasSgemm and
// cublasSgemmStridedBatched, with alpha and beta rounded to float32 (as
// every float32 BLAS takes them). It runs on the worker.
func (b *device) sgemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a devptr, lda, sa int, bb devptr, ldb, sb int, beta float64, c devptr, ldc, sc, batch int) error {
	h := b.blas
	al, be := float32(alpha), float32(beta)
	if batch == 1 {
		st := h.lib.sgemm(h.h, cublasOp(tA), cublasOp(tB), int32(m), int32(n), int32(k), &al, uint64(a), int32(lda), uint64(bb), int32(ldb), &be, uint64(c), int32(ldc))
		return cublasCheck("cublasSgemm_v2", st)
	}
	for z0 := 0; z0 < batch; z0 += math.MaxInt32 {
		nz := min(math.MaxInt32, batch-z0)
		st := h.lib.sgemmBatched(h.h, cublasOp(tA), cublasOp(tB), int32(m), int32(n), int32(k), &al,
			uint64(b.elem(a, z0*sa)), int32(lda), int64(sa), uint64(b.elem(bb, z0*sb)), int32(ldb), int64(sb),
			&be, uint64(b.elem(c, z0*sc)), int32(ldc), int64(sc), int32(nz))
		if err := cublasCheck("cublasSgemmStridedBatched", st); err != nil {
			return err
		}
	}
	return nil
}

// Gemm implements engine.Kernels.
func (b *device) Gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a devptr, lda int, bb devptr, ldb int, beta float64, c devptr, ldc int) error {
	return b.do(func() error {
		if err := b.gemm(tA, tB, m, n, k, alpha, a, lda, 0, bb, ldb, 0, beta, c, ldc, 0, 1); err != nil {
			return fmt.Errorf("gemm: %w", err)
		}
		return nil
	})
}

// GemmStridedBatched implements engine.Kernels.
func (b *device) GemmStridedBatched(tA, tB engine.Transpose, m, n, k int, alpha float64, a devptr, lda, strideA int, bb devptr, ldb, strideB int, beta float64, c devptr, ldc, strideC int, batch int) error {
	return b.do(func() error {
		if err := b.gemm(tA, tB, m, n, k, alpha, a, lda, strideA, bb, ldb, strideB, beta, c, ldc, strideC, batch); err != nil {
			return fmt.Errorf("gemm strided batched: %w", err)
		}
		return nil
	})
}

// Gemv implements engine.Kernels. Without cuBLAS it is a 1-row gemm:
// y^T = alpha x^T op(A)^T + beta y^T, with x^T a 1 x xn matrix of leading
// dimension incx and y^T a 1 x yn matrix of leading dimension incy.
func (b *device) Gemv(tA engine.Transpose, m, n int, alpha float64, a devptr, lda int, x devptr, incx int, beta float64, y devptr, incy int) error {
	return b.do(func() error {
		xn, yn := n, m
		if tA == engine.Trans {
			xn, yn = m, n
		}
		if xn == 0 {
			return b.launch1D(kScaleMatrix, yn, int64(1), int64(yn), beta, y, int64(incy), int64(0), int64(1))
		}
		if h := b.blas; h != nil && b.dt == engine.Float32 {
			al, be := float32(alpha), float32(beta)
			st := h.lib.sgemv(h.h, cublasOp(tA), int32(m), int32(n), &al, uint64(a), int32(lda),
				uint64(x), int32(incx), &be, uint64(y), int32(incy))
			if err := cublasCheck("cublasSgemv_v2", st); err != nil {
				return fmt.Errorf("gemv: %w", err)
			}
			return nil
		}
		if h := b.blas; h != nil {
			al, be := alpha, beta
			st := h.lib.dgemv(h.h, cublasOp(tA), int32(m), int32(n), &al, uint64(a), int32(lda),
				uint64(x), int32(incx), &be, uint64(y), int32(incy))
			if err := cublasCheck("cublasDgemv_v2", st); err != nil {
				return fmt.Errorf("gemv: %w", err)
			}
			return nil
		}
		tB := engine.Trans // op(A)^T = A^T when op(A) = A
		if tA == engine.Trans {
			tB = engine.NoTrans
		}
		if err := b.gemm(engine.NoTrans, tB, 1, yn, xn, alpha, x, incx, 0, a, lda, 0, beta, y, incy, 0, 1); err != nil {
			return fmt.Errorf("gemv: %w", err)
		}
		return nil
	})
}

// reduceResult downloads the scalar result of a kernel reduction.
func (b *device) reduceResult(op string) (float64, error) {
	var out [1]float64
	if err := b.download(op, out[:], devptr(b.scratch).at(scratchResult)); err != nil {
		return 0, err
	}
	return out[0], nil
}

// level1 is the cuBLAS handle for the level-1 ops (dot, axpy, scal, nrm2),
// or nil where netgeom's kernels serve them: without cuBLAS, and on float
// buffers, whose dot and nrm2 sum in double and whose axpy and scal
// compute in double and round once (as the CPU backend's float32 does),
// which cuBLAS's S-routines do not.
func (b *device) level1() *cublasHandle {
	if b.dt != engine.Float64 {
		return nil
	}
	return b.blas
}

// Dot implements engine.Kernels.
func (b *device) Dot(n int, x devptr, incx int, y devptr, incy int) (float64, error) {
	var res float64
	err := b.do(func() error {
		if h := b.level1(); h != nil {
			st := h.lib.ddot(h.h, int32(n), uint64(x), int32(incx), uint64(y), int32(incy), &res)
			if err := cublasCheck("cublasDdot_v2", st); err != nil {
				return syncErr("dot", err)
			}
			return nil
		}
		g := partials(n)
		s := devptr(b.scratch)
		if err := b.launch(kDotPartial, dim3{uint32(g), 1, 1}, dim3{blockSize, 1, 1}, 0,
			int64(n), x, int64(incx), y, int64(incy), s.at(scratchPartials)); err != nil {
			return fmt.Errorf("dot: %w", err)
		}
		if err := b.launch(kSumFinal, dim3{1, 1, 1}, dim3{blockSize, 1, 1}, 0, int32(g), s.at(scratchPartials), s.at(scratchResult)); err != nil {
			return fmt.Errorf("dot: %w", err)
		}
		var err error
		res, err = b.reduceResult("dot")
		return err
	})
	return res, err
}

// Axpy implements engine.Kernels.
func (b *device) Axpy(n int, alpha float64, x devptr, incx int, y devptr, incy int) error {
	return b.do(func() error {
		if h := b.level1(); h != nil {
			al := alpha
			st := h.lib.daxpy(h.h, int32(n), &al, uint64(x), int32(incx), uint64(y), int32(incy))
			if err := cublasCheck("cublasDaxpy_v2", st); err != nil {
				return fmt.Errorf("axpy: %w", err)
			}
			return nil
		}
		return b.launch1D(kAxpy, n, int64(n), alpha, x, int64(incx), y, int64(incy))
	})
}

// Scal implements engine.Kernels.
func (b *device) Scal(n int, alpha float64, x devptr, incx int) error {
	return b.do(func() error {
		if h := b.level1(); h != nil {
			al := alpha
			if err := cublasCheck("cublasDscal_v2", h.lib.dscal(h.h, int32(n), &al, uint64(x), int32(incx))); err != nil {
				return fmt.Errorf("scal: %w", err)
			}
			return nil
		}
		return b.launch1D(kScal, n, int64(n), alpha, x, int64(incx))
	})
}

// Nrm2 implements engine.Kernels. Without cuBLAS it is scale*sqrt(sum of
// (x/scale)^2) with scale = max |x|, so it neither overflows nor underflows
// where the norm is representable.
func (b *device) Nrm2(n int, x devptr, incx int) (float64, error) {
	var res float64
	err := b.do(func() error {
		if h := b.level1(); h != nil {
			if err := cublasCheck("cublasDnrm2_v2", h.lib.dnrm2(h.h, int32(n), uint64(x), int32(incx), &res)); err != nil {
				return syncErr("nrm2", err)
			}
			return nil
		}
		g := partials(n)
		s := devptr(b.scratch)
		grid, block := dim3{uint32(g), 1, 1}, dim3{blockSize, 1, 1}
		steps := []struct {
			k    *kernel
			grid dim3
			args []any
		}{
			{kAbsmaxPartial, grid, []any{int64(n), x, int64(incx), s.at(scratchPartials)}},
			{kAbsmaxFinal, dim3{1, 1, 1}, []any{int32(g), s.at(scratchPartials), s.at(scratchScale)}},
			{kSumsqPartial, grid, []any{int64(n), x, int64(incx), s.at(scratchScale), s.at(scratchPartials)}},
			{kNrm2Final, dim3{1, 1, 1}, []any{int32(g), s.at(scratchPartials), s.at(scratchScale), s.at(scratchResult)}},
		}
		for _, st := range steps {
			if err := b.launch(st.k, st.grid, block, 0, st.args...); err != nil {
				return fmt.Errorf("nrm2: %w", err)
			}
		}
		var err error
		res, err = b.reduceResult("nrm2")
		return err
	})
	return res, err
}

// FillNormal implements engine.Kernels: the Philox4x32-10 normals of
// package engine/rng, bit for bit (kernels/philox.cu).
func (b *device) FillNormal(dst devptr, n int, seed, stream, start uint64, std float64) error {
	return b.do(func() error {
		blocks := (int(start&1) + n + 1) / 2 // Philox blocks the range touches
		return b.launch(kFillNormal, b.grid1D(blocks), dim3{blockSize, 1, 1}, 0,
			dst, int64(n), seed, stream, start, std)
	})
}

// ActivateDerivative implements engine.Kernels.
func (b *device) ActivateDerivative(f activation.Func, order, n int, h, out devptr) error {
	return b.do(func() error {
		return b.launch1D(kAct, n, int32(f.ID), int32(order), b.expFMA, h, out, int64(n))
	})
}

// ActivateJet implements engine.Kernels, with the CPU backend's order of
// operations: dx = d1*v, ddx = (d2*v)*v + d1*a, each product rounded.
func (b *device) ActivateJet(f activation.Func, n int, h, v, a, x, dx, ddx devptr) error {
	return b.do(func() error {
		return b.launch1D(kActJet, n, int32(f.ID), b.expFMA, h, v, a, x, dx, ddx, int64(n))
	})
}

// ActivateBackward implements engine.Kernels.
func (b *device) ActivateBackward(f activation.Func, n int, h, gx, gh devptr) error {
	return b.do(func() error {
		return b.launch1D(kActBackward, n, int32(f.ID), b.expFMA, h, gx, gh, int64(n))
	})
}

// AddBias implements engine.Kernels.
func (b *device) AddBias(m, n int, bias, c devptr, ldc int) error {
	return b.do(func() error {
		return b.launch1D(kAddBias, m*n, int64(m), int64(n), bias, c, int64(ldc))
	})
}

// Hadamard implements engine.Kernels.
func (b *device) Hadamard(n int, x, y, z devptr) error {
	return b.do(func() error { return b.launch1D(kHadamard, n, x, y, z, int64(n)) })
}

// ColumnDots implements engine.Kernels: one block per column, a fixed
// reduction tree (kernels/reduce.cu).
func (b *device) ColumnDots(m, n int, a devptr, lda int, bb devptr, ldb int, out devptr) error {
	return b.do(func() error {
		grid := dim3{uint32(min(n, 1<<30)), 1, 1}
		return b.launch(kColumnDots, grid, dim3{blockSize, 1, 1}, 0,
			int64(m), int64(n), a, int64(lda), bb, int64(ldb), out)
	})
}

// Softmax implements engine.Kernels, as the CPU backend computes it: one
// thread per column, the sum in index order, and Go's exp and log
// transcribed (kernels/activation.cu), so the results are the CPU's to the
// bit on an amd64 host.
func (b *device) Softmax(m, n int, x devptr, ldx int, out devptr, ldo int, log bool) error {
	return b.do(func() error {
		logMode := int32(0)
		if log {
			logMode = 1
		}
		return b.launch1D(kSoftmax, n, b.expFMA, logMode, int64(m), int64(n), x, int64(ldx), out, int64(ldo))
	})
}

// ScaleColumns implements engine.Kernels.
func (b *device) ScaleColumns(m, n int, s, x devptr, ldx int) error {
	return b.do(func() error {
		return b.launch1D(kScaleColumns, m*n, int64(m), int64(n), s, x, int64(ldx))
	})
}

var _ engine.Kernels[devptr] = (*device)(nil)
