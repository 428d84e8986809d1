// netgeom kernels: the fallback dgemm and sgemm of the CUDA backend, used when cuBLAS
// cannot be loaded (and for gemv, as a 1-row gemm).
//
// nvcc-flags: -fmad=true
//
// C = alpha op(A) op(B) + beta C for column-major matrices with leading
// dimensions, op = identity or transpose, and `batch` products at strides
// sa, sb, sc (blockIdx.z is the product). Correctness first: one 16 x 16
// tile of C per block, one element per thread, 16 x 16 tiles of op(A) and
// op(B) staged through shared memory. The sum over k runs in index order in
// each thread, so the result is the same every run; FMA is allowed (the
// conformance suite bounds gemm by the usual (k+2)u error, which a fused
// multiply-add meets). beta = 0 overwrites C without reading it (BLAS's
// convention; NaN in C does not propagate). k = 0 is handled by the caller.
//
// netgeom_gemm works on double, netgeom_gemm_f32 on float: the fallback
// sgemm, which stages and sums op(A) op(B) in float like a float32 BLAS
// (float32's point is speed) and applies alpha and beta in double, rounding
// the result once.

#define NG_TS 16

template <typename T>
__device__ void ng_gemm(int ta, int tb, long long m, long long n, long long k, double alpha, const T* a, long long lda,
                        long long sa, const T* b, long long ldb, long long sb, double beta, T* c, long long ldc,
                        long long sc)
{
    __shared__ T as[NG_TS][NG_TS + 1];
    __shared__ T bs[NG_TS][NG_TS + 1];
    a += (long long)blockIdx.z * sa;
    b += (long long)blockIdx.z * sb;
    c += (long long)blockIdx.z * sc;
    int tx = threadIdx.x, ty = threadIdx.y;
    long long row = (long long)blockIdx.x * NG_TS + tx; // row of C and of op(A)
    long long col = (long long)blockIdx.y * NG_TS + ty; // column of C and of op(B)
    T acc = 0.0;
    for (long long k0 = 0; k0 < k; k0 += NG_TS) {
        // op(A)[row, k0+ty] and op(B)[k0+tx, col].
        long long ak = k0 + ty, bk = k0 + tx;
        T av = 0.0, bv = 0.0;
        if (row < m && ak < k) {
            av = ta ? a[ak + row * lda] : a[row + ak * lda];
        }
        if (bk < k && col < n) {
            bv = tb ? b[col + bk * ldb] : b[bk + col * ldb];
        }
        as[tx][ty] = av;
        bs[tx][ty] = bv;
        __syncthreads();
        long long left = k - k0;
        int steps = left < NG_TS ? (int)left : NG_TS;
        for (int l = 0; l < steps; l++) {
            acc += as[tx][l] * bs[l][ty];
        }
        __syncthreads();
    }
    if (row < m && col < n) {
        T* p = c + row + col * ldc;
        if (beta == 0.0) {
            *p = (T)(alpha * (double)acc);
        } else {
            *p = (T)(alpha * (double)acc + beta * (double)*p);
        }
    }
}

extern "C" __global__ void netgeom_gemm(int ta, int tb, long long m, long long n, long long k, double alpha,
                                        const double* a, long long lda, long long sa, const double* b, long long ldb,
                                        long long sb, double beta, double* c, long long ldc, long long sc)
{
    ng_gemm(ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc);
}

extern "C" __global__ void netgeom_gemm_f32(int ta, int tb, long long m, long long n, long long k, double alpha,
                                            const float* a, long long lda, long long sa, const float* b, long long ldb,
                                            long long sb, double beta, float* c, long long ldc, long long sc)
{
    ng_gemm(ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc);
}
