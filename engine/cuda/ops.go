package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
)

// This file implements the engine ops. Each op checks its arguments in the
// same order and with the same shared checks (engine/check.go) as the CPU
// backend, so both refuse the same bad calls with the same messages, and
// then queues its work on the stream. Only Download, Dot and Nrm2 wait.

// syncErr adds a hint to the errors that mean an earlier kernel failed.
func syncErr(op string, err error) error {
	switch codeOf(err) {
	case cudaErrorIllegalAddress, cudaErrorLaunchFailed, cudaErrorLaunchOutOfResources, 714, 715, 716:
		return fmt.Errorf("%s: %w (a kernel failed; the CUDA context cannot be used any more: close this backend and report the bug)", op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Upload implements engine.Backend.
func (b *Backend) Upload(dst engine.Buffer, src []float64) error {
	return b.do(func() error {
		d, err := b.get("upload", dst)
		if err != nil {
			return err
		}
		if len(src) != d.n {
			return fmt.Errorf("upload: %w: %d host elements into a buffer of %d", engine.ErrShape, len(src), d.n)
		}
		if d.n == 0 {
			return nil
		}
		// From pageable memory the copy returns once src has been staged, so
		// src may change as soon as Upload returns.
		r := b.drv.cuMemcpyHtoDAsync(uint64(d.ptr()), unsafe.Pointer(&src[0]), uint64(d.n)*8, b.stream)
		if err := b.drv.check("cuMemcpyHtoDAsync_v2", r); err != nil {
			return syncErr("upload", err)
		}
		return nil
	})
}

// download copies n float64 from device address p into dst and waits. It
// runs on the worker.
func (b *Backend) download(op string, dst []float64, p devptr) error {
	r := b.drv.cuMemcpyDtoHAsync(unsafe.Pointer(&dst[0]), uint64(p), uint64(len(dst))*8, b.stream)
	if err := b.drv.check("cuMemcpyDtoHAsync_v2", r); err != nil {
		return syncErr(op, err)
	}
	if err := b.drv.check("cuStreamSynchronize", b.drv.cuStreamSynchronize(b.stream)); err != nil {
		return syncErr(op, err)
	}
	return nil
}

// Download implements engine.Backend.
func (b *Backend) Download(dst []float64, src engine.Buffer) error {
	return b.do(func() error {
		s, err := b.get("download", src)
		if err != nil {
			return err
		}
		if len(dst) != s.n {
			return fmt.Errorf("download: %w: a buffer of %d elements into %d host elements", engine.ErrShape, s.n, len(dst))
		}
		if s.n == 0 {
			return nil
		}
		return b.download("download", dst, s.ptr())
	})
}

// Copy implements engine.Backend. Overlapping ranges are copied as if
// through a temporary, like Go's copy.
func (b *Backend) Copy(dst, src engine.Buffer) error {
	return b.do(func() error {
		d, err := b.bufs("copy", dst, src)
		if err != nil {
			return err
		}
		to, from := d[0], d[1]
		if to.n != from.n {
			return fmt.Errorf("copy: %w: source has %d elements, destination %d", engine.ErrShape, from.n, to.n)
		}
		if to.n == 0 || (to.alloc == from.alloc && to.off == from.off) {
			return nil
		}
		bytes := uint64(to.n) * 8
		if to.alloc == from.alloc && to.off < from.off+from.n && from.off < to.off+to.n {
			var tmp uint64
			if err := b.allocDevice("copy", &tmp, bytes); err != nil {
				return err
			}
			err1 := b.drv.check("cuMemcpyDtoDAsync_v2", b.drv.cuMemcpyDtoDAsync(tmp, uint64(from.ptr()), bytes, b.stream))
			err2 := b.drv.check("cuMemcpyDtoDAsync_v2", b.drv.cuMemcpyDtoDAsync(uint64(to.ptr()), tmp, bytes, b.stream))
			err3 := b.drv.check("cuMemFree_v2", b.drv.cuMemFree(tmp))
			for _, e := range []error{err1, err2, err3} {
				if e != nil {
					return syncErr("copy", e)
				}
			}
			return nil
		}
		r := b.drv.cuMemcpyDtoDAsync(uint64(to.ptr()), uint64(from.ptr()), bytes, b.stream)
		if err := b.drv.check("cuMemcpyDtoDAsync_v2", r); err != nil {
			return syncErr("copy", err)
		}
		return nil
	})
}

// Fill implements engine.Backend.
func (b *Backend) Fill(dst engine.Buffer, v float64) error {
	return b.do(func() error {
		d, err := b.get("fill", dst)
		if err != nil {
			return err
		}
		return b.launch1D(kFill, d.n, d.ptr(), int64(d.n), v)
	})
}

// fits32 checks that sizes fit cuBLAS's 32-bit integers (netgeom's own
// kernels take 64-bit sizes).
func (b *Backend) fits32(op string, vals ...int) error {
	if b.blas == nil {
		return nil
	}
	for _, v := range vals {
		if v > math.MaxInt32 {
			return fmt.Errorf("%s: %w: size %d exceeds cuBLAS's 32-bit integers", op, engine.ErrShape, v)
		}
	}
	return nil
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

// gemm queues batch products C_i = alpha op(A_i) op(B_i) + beta C_i (the
// checks are done). k = 0 scales C by beta itself, with BLAS's convention
// that beta = 0 overwrites C, as the CPU backend does. It runs on the worker.
func (b *Backend) gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a devptr, lda, sa int, bb devptr, ldb, sb int, beta float64, c devptr, ldc, sc, batch int) error {
	if m == 0 || n == 0 || batch == 0 {
		return nil
	}
	if k == 0 {
		return b.launch1D(kScaleMatrix, m*n*batch, int64(m), int64(n), beta, c, int64(ldc), int64(sc), int64(batch))
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
				uint64(a.at(z0*sa)), int32(lda), int64(sa), uint64(bb.at(z0*sb)), int32(ldb), int64(sb),
				&be, uint64(c.at(z0*sc)), int32(ldc), int64(sc), int32(nz))
			if err := cublasCheck("cublasDgemmStridedBatched", st); err != nil {
				return err
			}
		}
		return nil
	}
	// netgeom's kernel: grid (m/16, n/16, batch), split where y or z
	// exceed the grid limits.
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
				a.at(z0*sa), int64(lda), int64(sa),
				bb.at(z0*sb+bOff), int64(ldb), int64(sb),
				beta, c.at(z0*sc+j0*ldc), int64(ldc), int64(sc))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Gemm implements engine.Backend.
func (b *Backend) Gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a engine.Buffer, lda int, bb engine.Buffer, ldb int, beta float64, c engine.Buffer, ldc int) error {
	return b.do(func() error {
		d, err := b.bufs("gemm", a, bb, c)
		if err != nil {
			return err
		}
		if err := engine.CheckGemm(tA, tB, m, n, k, lda, d[0].n, ldb, d[1].n, ldc, d[2].n); err != nil {
			return err
		}
		if err := b.fits32("gemm", m, n, k, lda, ldb, ldc); err != nil {
			return err
		}
		if err := b.gemm(tA, tB, m, n, k, alpha, d[0].ptr(), lda, 0, d[1].ptr(), ldb, 0, beta, d[2].ptr(), ldc, 0, 1); err != nil {
			return fmt.Errorf("gemm: %w", err)
		}
		return nil
	})
}

// GemmStridedBatched implements engine.Backend.
func (b *Backend) GemmStridedBatched(tA, tB engine.Transpose, m, n, k int, alpha float64, a engine.Buffer, lda, strideA int, bb engine.Buffer, ldb, strideB int, beta float64, c engine.Buffer, ldc, strideC int, batch int) error {
	const op = "gemm strided batched"
	return b.do(func() error {
		d, err := b.bufs(op, a, bb, c)
		if err != nil {
			return err
		}
		if err := engine.CheckGemmStridedBatched(tA, tB, m, n, k, lda, strideA, d[0].n, ldb, strideB, d[1].n, ldc, strideC, d[2].n, batch); err != nil || batch == 0 {
			return err
		}
		if err := b.fits32(op, m, n, k, lda, ldb, ldc); err != nil {
			return err
		}
		if err := b.gemm(tA, tB, m, n, k, alpha, d[0].ptr(), lda, strideA, d[1].ptr(), ldb, strideB, beta, d[2].ptr(), ldc, strideC, batch); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	})
}

// Gemv implements engine.Backend. Without cuBLAS it is a 1-row gemm:
// y^T = alpha x^T op(A)^T + beta y^T, with x^T a 1 x xn matrix of leading
// dimension incx and y^T a 1 x yn matrix of leading dimension incy.
func (b *Backend) Gemv(tA engine.Transpose, m, n int, alpha float64, a engine.Buffer, lda int, x engine.Buffer, incx int, beta float64, y engine.Buffer, incy int) error {
	return b.do(func() error {
		d, err := b.bufs("gemv", a, x, y)
		if err != nil {
			return err
		}
		if err := engine.CheckMatrix("gemv", "A", m, n, lda, d[0].n); err != nil {
			return err
		}
		xn, yn := n, m
		if tA == engine.Trans {
			xn, yn = m, n
		}
		if err := engine.CheckVector("gemv", "x", xn, incx, d[1].n); err != nil {
			return err
		}
		if err := engine.CheckVector("gemv", "y", yn, incy, d[2].n); err != nil {
			return err
		}
		if err := b.fits32("gemv", m, n, lda, incx, incy); err != nil {
			return err
		}
		if yn == 0 {
			return nil
		}
		if xn == 0 {
			return b.launch1D(kScaleMatrix, yn, int64(1), int64(yn), beta, d[2].ptr(), int64(incy), int64(0), int64(1))
		}
		if h := b.blas; h != nil {
			al, be := alpha, beta
			st := h.lib.dgemv(h.h, cublasOp(tA), int32(m), int32(n), &al, uint64(d[0].ptr()), int32(lda),
				uint64(d[1].ptr()), int32(incx), &be, uint64(d[2].ptr()), int32(incy))
			if err := cublasCheck("cublasDgemv_v2", st); err != nil {
				return fmt.Errorf("gemv: %w", err)
			}
			return nil
		}
		tB := engine.Trans // op(A)^T = A^T when op(A) = A
		if tA == engine.Trans {
			tB = engine.NoTrans
		}
		if err := b.gemm(engine.NoTrans, tB, 1, yn, xn, alpha, d[1].ptr(), incx, 0, d[0].ptr(), lda, 0, beta, d[2].ptr(), incy, 0, 1); err != nil {
			return fmt.Errorf("gemv: %w", err)
		}
		return nil
	})
}

// reduceResult downloads the scalar result of a kernel reduction.
func (b *Backend) reduceResult(op string) (float64, error) {
	var out [1]float64
	if err := b.download(op, out[:], devptr(b.scratch).at(scratchResult)); err != nil {
		return 0, err
	}
	return out[0], nil
}

// Dot implements engine.Backend.
func (b *Backend) Dot(n int, x engine.Buffer, incx int, y engine.Buffer, incy int) (float64, error) {
	var res float64
	err := b.do(func() error {
		d, err := b.bufs("dot", x, y)
		if err != nil {
			return err
		}
		if err := engine.CheckVector("dot", "x", n, incx, d[0].n); err != nil {
			return err
		}
		if err := engine.CheckVector("dot", "y", n, incy, d[1].n); err != nil {
			return err
		}
		if err := b.fits32("dot", n, incx, incy); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if h := b.blas; h != nil {
			st := h.lib.ddot(h.h, int32(n), uint64(d[0].ptr()), int32(incx), uint64(d[1].ptr()), int32(incy), &res)
			if err := cublasCheck("cublasDdot_v2", st); err != nil {
				return syncErr("dot", err)
			}
			return nil
		}
		g := partials(n)
		s := devptr(b.scratch)
		if err := b.launch(kDotPartial, dim3{uint32(g), 1, 1}, dim3{blockSize, 1, 1}, 0,
			int64(n), d[0].ptr(), int64(incx), d[1].ptr(), int64(incy), s.at(scratchPartials)); err != nil {
			return fmt.Errorf("dot: %w", err)
		}
		if err := b.launch(kSumFinal, dim3{1, 1, 1}, dim3{blockSize, 1, 1}, 0, int32(g), s.at(scratchPartials), s.at(scratchResult)); err != nil {
			return fmt.Errorf("dot: %w", err)
		}
		res, err = b.reduceResult("dot")
		return err
	})
	return res, err
}

// Axpy implements engine.Backend.
func (b *Backend) Axpy(n int, alpha float64, x engine.Buffer, incx int, y engine.Buffer, incy int) error {
	return b.do(func() error {
		d, err := b.bufs("axpy", x, y)
		if err != nil {
			return err
		}
		if err := engine.CheckVector("axpy", "x", n, incx, d[0].n); err != nil {
			return err
		}
		if err := engine.CheckVector("axpy", "y", n, incy, d[1].n); err != nil {
			return err
		}
		if err := b.fits32("axpy", n, incx, incy); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if h := b.blas; h != nil {
			al := alpha
			st := h.lib.daxpy(h.h, int32(n), &al, uint64(d[0].ptr()), int32(incx), uint64(d[1].ptr()), int32(incy))
			if err := cublasCheck("cublasDaxpy_v2", st); err != nil {
				return fmt.Errorf("axpy: %w", err)
			}
			return nil
		}
		return b.launch1D(kAxpy, n, int64(n), alpha, d[0].ptr(), int64(incx), d[1].ptr(), int64(incy))
	})
}

// Scal implements engine.Backend.
func (b *Backend) Scal(n int, alpha float64, x engine.Buffer, incx int) error {
	return b.do(func() error {
		d, err := b.get("scal", x)
		if err != nil {
			return err
		}
		if err := engine.CheckVector("scal", "x", n, incx, d.n); err != nil {
			return err
		}
		if err := b.fits32("scal", n, incx); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if h := b.blas; h != nil {
			al := alpha
			if err := cublasCheck("cublasDscal_v2", h.lib.dscal(h.h, int32(n), &al, uint64(d.ptr()), int32(incx))); err != nil {
				return fmt.Errorf("scal: %w", err)
			}
			return nil
		}
		return b.launch1D(kScal, n, int64(n), alpha, d.ptr(), int64(incx))
	})
}

// Nrm2 implements engine.Backend. Without cuBLAS it is scale*sqrt(sum of
// (x/scale)^2) with scale = max |x|, so it neither overflows nor underflows
// where the norm is representable.
func (b *Backend) Nrm2(n int, x engine.Buffer, incx int) (float64, error) {
	var res float64
	err := b.do(func() error {
		d, err := b.get("nrm2", x)
		if err != nil {
			return err
		}
		if err := engine.CheckVector("nrm2", "x", n, incx, d.n); err != nil {
			return err
		}
		if err := b.fits32("nrm2", n, incx); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if h := b.blas; h != nil {
			if err := cublasCheck("cublasDnrm2_v2", h.lib.dnrm2(h.h, int32(n), uint64(d.ptr()), int32(incx), &res)); err != nil {
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
			{kAbsmaxPartial, grid, []any{int64(n), d.ptr(), int64(incx), s.at(scratchPartials)}},
			{kAbsmaxFinal, dim3{1, 1, 1}, []any{int32(g), s.at(scratchPartials), s.at(scratchScale)}},
			{kSumsqPartial, grid, []any{int64(n), d.ptr(), int64(incx), s.at(scratchScale), s.at(scratchPartials)}},
			{kNrm2Final, dim3{1, 1, 1}, []any{int32(g), s.at(scratchPartials), s.at(scratchScale), s.at(scratchResult)}},
		}
		for _, st := range steps {
			if err := b.launch(st.k, st.grid, block, 0, st.args...); err != nil {
				return fmt.Errorf("nrm2: %w", err)
			}
		}
		res, err = b.reduceResult("nrm2")
		return err
	})
	return res, err
}

// FillNormal implements engine.Backend: the Philox4x32-10 normals of
// package engine/rng, bit for bit (kernels/philox.cu).
func (b *Backend) FillNormal(dst engine.Buffer, seed, stream, start uint64, std float64) error {
	return b.do(func() error {
		d, err := b.get("fill normal", dst)
		if err != nil {
			return err
		}
		if math.IsNaN(std) || math.IsInf(std, 0) {
			return fmt.Errorf("fill normal: standard deviation %v; want a finite number", std)
		}
		if d.n == 0 {
			return nil
		}
		blocks := (int(start&1) + d.n + 1) / 2 // Philox blocks the range touches
		return b.launch(kFillNormal, b.grid1D(blocks), dim3{blockSize, 1, 1}, 0,
			d.ptr(), int64(d.n), seed, stream, start, std)
	})
}

func actFunc(op string, id activation.ID) error {
	if _, err := activation.ByID(id); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Activate implements engine.Backend.
func (b *Backend) Activate(act activation.ID, h, x engine.Buffer) error {
	return b.ActivateDerivative(act, 0, h, x)
}

// ActivateDerivative implements engine.Backend.
func (b *Backend) ActivateDerivative(act activation.ID, order int, h, out engine.Buffer) error {
	const op = "activate"
	return b.do(func() error {
		if err := actFunc(op, act); err != nil {
			return err
		}
		if err := engine.CheckOrder(order); err != nil {
			return err
		}
		d, err := b.bufs(op, h, out)
		if err != nil {
			return err
		}
		if err := engine.CheckSameLen(op, d[0].n, d[1].n); err != nil {
			return err
		}
		return b.launch1D(kAct, d[0].n, int32(act), int32(order), b.expFMA, d[0].ptr(), d[1].ptr(), int64(d[0].n))
	})
}

// ActivateJet implements engine.Backend, with the CPU backend's order of
// operations: dx = d1*v, ddx = (d2*v)*v + d1*a, each product rounded.
func (b *Backend) ActivateJet(act activation.ID, h, v, a, x, dx, ddx engine.Buffer) error {
	const op = "activate jet"
	return b.do(func() error {
		if err := actFunc(op, act); err != nil {
			return err
		}
		d, err := b.bufs(op, h, v, a, x, dx, ddx)
		if err != nil {
			return err
		}
		n := d[0].n
		if err := engine.CheckSameLen(op, n, d[1].n, d[2].n, d[3].n, d[4].n, d[5].n); err != nil {
			return err
		}
		return b.launch1D(kActJet, n, int32(act), b.expFMA, d[0].ptr(), d[1].ptr(), d[2].ptr(), d[3].ptr(), d[4].ptr(), d[5].ptr(), int64(n))
	})
}

// ActivateBackward implements engine.Backend.
func (b *Backend) ActivateBackward(act activation.ID, h, gx, gh engine.Buffer) error {
	const op = "activate backward"
	return b.do(func() error {
		if err := actFunc(op, act); err != nil {
			return err
		}
		d, err := b.bufs(op, h, gx, gh)
		if err != nil {
			return err
		}
		if err := engine.CheckSameLen(op, d[0].n, d[1].n, d[2].n); err != nil {
			return err
		}
		return b.launch1D(kActBackward, d[0].n, int32(act), b.expFMA, d[0].ptr(), d[1].ptr(), d[2].ptr(), int64(d[0].n))
	})
}

// AddBias implements engine.Backend.
func (b *Backend) AddBias(m, n int, bias engine.Buffer, c engine.Buffer, ldc int) error {
	const op = "add bias"
	return b.do(func() error {
		d, err := b.bufs(op, bias, c)
		if err != nil {
			return err
		}
		if err := engine.CheckVector(op, "bias", m, 1, d[0].n); err != nil {
			return err
		}
		if err := engine.CheckMatrix(op, "C", m, n, ldc, d[1].n); err != nil {
			return err
		}
		return b.launch1D(kAddBias, m*n, int64(m), int64(n), d[0].ptr(), d[1].ptr(), int64(ldc))
	})
}

// Hadamard implements engine.Backend.
func (b *Backend) Hadamard(x, y, z engine.Buffer) error {
	const op = "hadamard"
	return b.do(func() error {
		d, err := b.bufs(op, x, y, z)
		if err != nil {
			return err
		}
		if err := engine.CheckSameLen(op, d[0].n, d[1].n, d[2].n); err != nil {
			return err
		}
		return b.launch1D(kHadamard, d[0].n, d[0].ptr(), d[1].ptr(), d[2].ptr(), int64(d[0].n))
	})
}

// ColumnDots implements engine.Backend: one block per column, a fixed
// reduction tree (kernels/reduce.cu).
func (b *Backend) ColumnDots(m, n int, a engine.Buffer, lda int, bb engine.Buffer, ldb int, out engine.Buffer) error {
	const op = "column dots"
	return b.do(func() error {
		d, err := b.bufs(op, a, bb, out)
		if err != nil {
			return err
		}
		if err := engine.CheckMatrix(op, "A", m, n, lda, d[0].n); err != nil {
			return err
		}
		if err := engine.CheckMatrix(op, "B", m, n, ldb, d[1].n); err != nil {
			return err
		}
		if err := engine.CheckVector(op, "out", n, 1, d[2].n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		grid := dim3{uint32(min(n, 1<<30)), 1, 1}
		return b.launch(kColumnDots, grid, dim3{blockSize, 1, 1}, 0,
			int64(m), int64(n), d[0].ptr(), int64(lda), d[1].ptr(), int64(ldb), d[2].ptr())
	})
}

// Softmax implements engine.Backend, as the CPU backend computes it: one
// thread per column, the sum in index order, and Go's exp and log
// transcribed (kernels/activation.cu), so the results are the CPU's to the
// bit on an amd64 host.
func (b *Backend) Softmax(m, n int, x engine.Buffer, ldx int, out engine.Buffer, ldo int, log bool) error {
	const op = "softmax"
	return b.do(func() error {
		d, err := b.bufs(op, x, out)
		if err != nil {
			return err
		}
		if err := engine.CheckMatrix(op, "X", m, n, ldx, d[0].n); err != nil {
			return err
		}
		if err := engine.CheckMatrix(op, "Out", m, n, ldo, d[1].n); err != nil {
			return err
		}
		if m == 0 || n == 0 {
			return nil
		}
		logMode := int32(0)
		if log {
			logMode = 1
		}
		return b.launch1D(kSoftmax, n, b.expFMA, logMode, int64(m), int64(n), d[0].ptr(), int64(ldx), d[1].ptr(), int64(ldo))
	})
}

// ScaleColumns implements engine.Backend.
func (b *Backend) ScaleColumns(m, n int, s engine.Buffer, x engine.Buffer, ldx int) error {
	const op = "scale columns"
	return b.do(func() error {
		d, err := b.bufs(op, s, x)
		if err != nil {
			return err
		}
		if err := engine.CheckVector(op, "s", n, 1, d[0].n); err != nil {
			return err
		}
		if err := engine.CheckMatrix(op, "X", m, n, ldx, d[1].n); err != nil {
			return err
		}
		return b.launch1D(kScaleColumns, m*n, int64(m), int64(n), d[0].ptr(), d[1].ptr(), int64(ldx))
	})
}

var _ engine.Backend = (*Backend)(nil)
