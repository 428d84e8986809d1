package engine

import "fmt"

// This file holds the argument checks that Checked runs for every backend,
// so that all of them refuse the same bad calls with the same messages.

// MatrixSpan is the number of elements a column-major rows x cols matrix with
// leading dimension ld occupies: 0 when it is empty.
func MatrixSpan(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return ld*(cols-1) + rows
}

// VectorSpan is the number of elements n strided elements occupy.
func VectorSpan(n, inc int) int {
	if n == 0 {
		return 0
	}
	return 1 + (n-1)*inc
}

// CheckMatrix checks that a rows x cols matrix with leading dimension ld fits
// in a buffer of length have.
func CheckMatrix(op, name string, rows, cols, ld, have int) error {
	if rows < 0 || cols < 0 {
		return fmt.Errorf("%s: %w: %s is %d x %d; sizes must be >= 0", op, ErrShape, name, rows, cols)
	}
	if ld < max(1, rows) {
		return fmt.Errorf("%s: %w: leading dimension of %s is %d; it must be >= max(1, rows) = %d", op, ErrShape, name, ld, max(1, rows))
	}
	if need := MatrixSpan(rows, cols, ld); need > have {
		return fmt.Errorf("%s: %w: %s (%d x %d, ld %d) needs %d elements; the buffer has %d", op, ErrShape, name, rows, cols, ld, need, have)
	}
	return nil
}

// CheckVector checks that n elements at stride inc fit in a buffer of length have.
func CheckVector(op, name string, n, inc, have int) error {
	if n < 0 {
		return fmt.Errorf("%s: %w: %s has n = %d; it must be >= 0", op, ErrShape, name, n)
	}
	if inc < 1 {
		return fmt.Errorf("%s: %w: increment of %s is %d; it must be >= 1", op, ErrShape, name, inc)
	}
	if need := VectorSpan(n, inc); need > have {
		return fmt.Errorf("%s: %w: %s (n %d, inc %d) needs %d elements; the buffer has %d", op, ErrShape, name, n, inc, need, have)
	}
	return nil
}

// StoredShape returns the stored rows and columns of op(A) = rows x cols.
func StoredShape(t Transpose, rows, cols int) (int, int) {
	if t == Trans {
		return cols, rows
	}
	return rows, cols
}

// CheckGemm checks Gemm's arguments against the buffers' lengths.
func CheckGemm(tA, tB Transpose, m, n, k, lda, lenA, ldb, lenB, ldc, lenC int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("gemm: %w: m, n, k = %d, %d, %d; they must be >= 0", ErrShape, m, n, k)
	}
	ar, ac := StoredShape(tA, m, k)
	br, bc := StoredShape(tB, k, n)
	if err := CheckMatrix("gemm", "A", ar, ac, lda, lenA); err != nil {
		return err
	}
	if err := CheckMatrix("gemm", "B", br, bc, ldb, lenB); err != nil {
		return err
	}
	return CheckMatrix("gemm", "C", m, n, ldc, lenC)
}

// CheckBatch checks a strided batch: batch matrices of span `span` at stride
// `stride` fit in a buffer of length have. A stride smaller than the span is
// allowed for inputs (overlapping reads) but the caller must refuse it for
// outputs.
func CheckBatch(op, name string, batch, stride, span, have int) error {
	if batch < 0 || stride < 0 {
		return fmt.Errorf("%s: %w: %s: batch %d, stride %d; they must be >= 0", op, ErrShape, name, batch, stride)
	}
	if batch == 0 || span == 0 {
		return nil
	}
	if need := (batch-1)*stride + span; need > have {
		return fmt.Errorf("%s: %w: %s: %d matrices of %d elements at stride %d need %d elements; the buffer has %d", op, ErrShape, name, batch, span, stride, need, have)
	}
	return nil
}

// CheckSameLen checks that every buffer length equals n.
func CheckSameLen(op string, n int, lens ...int) error {
	for i, l := range lens {
		if l != n {
			return fmt.Errorf("%s: %w: buffer %d has %d elements; expected %d like the first", op, ErrShape, i+2, l, n)
		}
	}
	return nil
}

// CheckOrder checks the derivative order of ActivateDerivative.
func CheckOrder(order int) error {
	if order < 0 || order > 3 {
		return fmt.Errorf("activate derivative: order %d; it must be 0, 1, 2 or 3", order)
	}
	return nil
}

// CheckGemmStridedBatched checks GemmStridedBatched's arguments against the
// buffers' lengths: every matrix of the batch fits, and the C matrices do
// not overlap (the A and B ones may: a stride of 0 shares one matrix). A
// batch of 0 passes (the call is a no-op).
func CheckGemmStridedBatched(tA, tB Transpose, m, n, k, lda, strideA, lenA, ldb, strideB, lenB, ldc, strideC, lenC, batch int) error {
	const op = "gemm strided batched"
	if batch < 0 {
		return fmt.Errorf("%s: %w: batch %d; want >= 0", op, ErrShape, batch)
	}
	if batch == 0 {
		return nil
	}
	if err := CheckGemm(tA, tB, m, n, k, lda, lenA, ldb, lenB, ldc, lenC); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	ar, ac := StoredShape(tA, m, k)
	br, bc := StoredShape(tB, k, n)
	spanA, spanB, spanC := MatrixSpan(ar, ac, lda), MatrixSpan(br, bc, ldb), MatrixSpan(m, n, ldc)
	if err := CheckBatch(op, "A", batch, strideA, spanA, lenA); err != nil {
		return err
	}
	if err := CheckBatch(op, "B", batch, strideB, spanB, lenB); err != nil {
		return err
	}
	if err := CheckBatch(op, "C", batch, strideC, spanC, lenC); err != nil {
		return err
	}
	if batch > 1 && spanC > 0 && strideC < spanC {
		return fmt.Errorf("%s: %w: stride of C (%d) is less than one C matrix (%d elements): outputs would overlap", op, ErrShape, strideC, spanC)
	}
	return nil
}
