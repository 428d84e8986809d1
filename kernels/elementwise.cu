// netgeom kernels: fills, the Hadamard product, bias add, and the level-1
// BLAS helpers of the CUDA backend (its fallback when cuBLAS is absent, and
// the BLAS conventions that it applies itself).
//
// nvcc-flags: -fmad=false
//
// Every output element is one or two IEEE operations on its inputs, computed
// by one thread, so the results equal engine/cpu's bit for bit (no FMA:
// -fmad=false). All loops are grid-stride loops with 64-bit indices.

#define NG_GRID_STRIDE_LOOP(i, n)                                                                   \
    for (long long i = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x; i < (n); \
         i += (long long)blockDim.x * (long long)gridDim.x)

// netgeom_fill: x[i] = v.
extern "C" __global__ void netgeom_fill(double* x, long long n, double v)
{
    NG_GRID_STRIDE_LOOP(i, n) { x[i] = v; }
}

// netgeom_hadamard: z[i] = x[i] * y[i]; z may alias x or y (each element is
// read and written by the same thread).
extern "C" __global__ void netgeom_hadamard(const double* x, const double* y, double* z, long long n)
{
    NG_GRID_STRIDE_LOOP(i, n) { z[i] = x[i] * y[i]; }
}

// netgeom_add_bias adds bias[i] to C[i, j] for the m x n column-major matrix
// C with leading dimension ldc.
extern "C" __global__ void netgeom_add_bias(long long m, long long n, const double* bias, double* c, long long ldc)
{
    NG_GRID_STRIDE_LOOP(e, m * n)
    {
        long long i = e % m, j = e / m;
        c[j * ldc + i] = c[j * ldc + i] + bias[i];
    }
}

// netgeom_scale_matrix sets C = beta C for `batch` m x n matrices at stride
// `stride`, with BLAS's convention that beta = 0 overwrites C with zeros
// (NaN included). It serves gemm with k = 0 and gemv with an empty x.
extern "C" __global__ void netgeom_scale_matrix(long long m, long long n, double beta, double* c, long long ldc,
                                                long long stride, long long batch)
{
    long long per = m * n;
    NG_GRID_STRIDE_LOOP(e, per * batch)
    {
        long long q = e / per, r = e % per;
        long long i = r % m, j = r / m;
        double* p = c + q * stride + j * ldc + i;
        *p = (beta == 0.0) ? 0.0 : beta * *p;
    }
}

// netgeom_axpy: y[i*incy] = y[i*incy] + alpha * x[i*incx], the product
// rounded before the sum (as gonum and reference BLAS compute it).
extern "C" __global__ void netgeom_axpy(long long n, double alpha, const double* x, long long incx, double* y,
                                        long long incy)
{
    NG_GRID_STRIDE_LOOP(i, n) { y[i * incy] = y[i * incy] + alpha * x[i * incx]; }
}

// netgeom_scal: x[i*incx] = alpha * x[i*incx].
extern "C" __global__ void netgeom_scal(long long n, double alpha, double* x, long long incx)
{
    NG_GRID_STRIDE_LOOP(i, n) { x[i * incx] = alpha * x[i * incx]; }
}

// netgeom_scale_columns: C[i, j] = C[i, j] * s[j] for the m x n matrix C
// with leading dimension ldc.
extern "C" __global__ void netgeom_scale_columns(long long m, long long n, const double* s, double* c, long long ldc)
{
    NG_GRID_STRIDE_LOOP(e, m * n)
    {
        long long i = e % m, j = e / m;
        c[j * ldc + i] = c[j * ldc + i] * s[j];
    }
}
