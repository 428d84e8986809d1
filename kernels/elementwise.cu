// netgeom kernels: fills, the Hadamard product, bias add, and the level-1
// BLAS helpers of the CUDA backend (its fallback when cuBLAS is absent, and
// the BLAS conventions that it applies itself).
//
// nvcc-flags: -fmad=false
//
// Every output element is one or two IEEE operations on its inputs, computed
// by one thread, so the results equal engine/cpu's bit for bit (no FMA:
// -fmad=false). All loops are grid-stride loops with 64-bit indices.
//
// Each kernel comes in two precisions: netgeom_NAME on double buffers and
// netgeom_NAME_f32 on float buffers, both instances of one template. The
// float instance computes in double from its float inputs (scalars stay
// double) and rounds each result to float once, as engine/cpu's float32
// backend does: the same bits, since the product or sum of two floats
// rounded through double is the float operation's correctly rounded result.

#define NG_GRID_STRIDE_LOOP(i, n)                                                                   \
    for (long long i = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x; i < (n); \
         i += (long long)blockDim.x * (long long)gridDim.x)

// ng_fill: x[i] = v.
template <typename T>
__device__ void ng_fill(T* x, long long n, double v)
{
    NG_GRID_STRIDE_LOOP(i, n) { x[i] = (T)v; }
}

// ng_hadamard: z[i] = x[i] * y[i]; z may alias x or y (each element is read
// and written by the same thread).
template <typename T>
__device__ void ng_hadamard(const T* x, const T* y, T* z, long long n)
{
    NG_GRID_STRIDE_LOOP(i, n) { z[i] = (T)((double)x[i] * (double)y[i]); }
}

// ng_add_bias adds bias[i] to C[i, j] for the m x n column-major matrix C
// with leading dimension ldc.
template <typename T>
__device__ void ng_add_bias(long long m, long long n, const T* bias, T* c, long long ldc)
{
    NG_GRID_STRIDE_LOOP(e, m * n)
    {
        long long i = e % m, j = e / m;
        c[j * ldc + i] = (T)((double)c[j * ldc + i] + (double)bias[i]);
    }
}

// ng_scale_matrix sets C = beta C for `batch` m x n matrices at stride
// `stride`, with BLAS's convention that beta = 0 overwrites C with zeros
// (NaN included). It serves gemm with k = 0 and gemv with an empty x.
template <typename T>
__device__ void ng_scale_matrix(long long m, long long n, double beta, T* c, long long ldc, long long stride,
                                long long batch)
{
    long long per = m * n;
    NG_GRID_STRIDE_LOOP(e, per * batch)
    {
        long long q = e / per, r = e % per;
        long long i = r % m, j = r / m;
        T* p = c + q * stride + j * ldc + i;
        *p = (beta == 0.0) ? (T)0.0 : (T)(beta * (double)*p);
    }
}

// ng_axpy: y[i*incy] = y[i*incy] + alpha * x[i*incx], the product rounded
// before the sum (as gonum and reference BLAS compute it).
template <typename T>
__device__ void ng_axpy(long long n, double alpha, const T* x, long long incx, T* y, long long incy)
{
    NG_GRID_STRIDE_LOOP(i, n) { y[i * incy] = (T)((double)y[i * incy] + alpha * (double)x[i * incx]); }
}

// ng_scal: x[i*incx] = alpha * x[i*incx].
template <typename T>
__device__ void ng_scal(long long n, double alpha, T* x, long long incx)
{
    NG_GRID_STRIDE_LOOP(i, n) { x[i * incx] = (T)(alpha * (double)x[i * incx]); }
}

// ng_scale_columns: C[i, j] = C[i, j] * s[j] for the m x n matrix C with
// leading dimension ldc.
template <typename T>
__device__ void ng_scale_columns(long long m, long long n, const T* s, T* c, long long ldc)
{
    NG_GRID_STRIDE_LOOP(e, m * n)
    {
        long long i = e % m, j = e / m;
        c[j * ldc + i] = (T)((double)c[j * ldc + i] * (double)s[j]);
    }
}

// The kernels, in double and in float.
extern "C" __global__ void netgeom_fill(double* x, long long n, double v) { ng_fill(x, n, v); }
extern "C" __global__ void netgeom_fill_f32(float* x, long long n, double v) { ng_fill(x, n, v); }

extern "C" __global__ void netgeom_hadamard(const double* x, const double* y, double* z, long long n)
{
    ng_hadamard(x, y, z, n);
}
extern "C" __global__ void netgeom_hadamard_f32(const float* x, const float* y, float* z, long long n)
{
    ng_hadamard(x, y, z, n);
}

extern "C" __global__ void netgeom_add_bias(long long m, long long n, const double* bias, double* c, long long ldc)
{
    ng_add_bias(m, n, bias, c, ldc);
}
extern "C" __global__ void netgeom_add_bias_f32(long long m, long long n, const float* bias, float* c, long long ldc)
{
    ng_add_bias(m, n, bias, c, ldc);
}

extern "C" __global__ void netgeom_scale_matrix(long long m, long long n, double beta, double* c, long long ldc,
                                                long long stride, long long batch)
{
    ng_scale_matrix(m, n, beta, c, ldc, stride, batch);
}
extern "C" __global__ void netgeom_scale_matrix_f32(long long m, long long n, double beta, float* c, long long ldc,
                                                    long long stride, long long batch)
{
    ng_scale_matrix(m, n, beta, c, ldc, stride, batch);
}

extern "C" __global__ void netgeom_axpy(long long n, double alpha, const double* x, long long incx, double* y,
                                        long long incy)
{
    ng_axpy(n, alpha, x, incx, y, incy);
}
extern "C" __global__ void netgeom_axpy_f32(long long n, double alpha, const float* x, long long incx, float* y,
                                            long long incy)
{
    ng_axpy(n, alpha, x, incx, y, incy);
}

extern "C" __global__ void netgeom_scal(long long n, double alpha, double* x, long long incx)
{
    ng_scal(n, alpha, x, incx);
}
extern "C" __global__ void netgeom_scal_f32(long long n, double alpha, float* x, long long incx)
{
    ng_scal(n, alpha, x, incx);
}

extern "C" __global__ void netgeom_scale_columns(long long m, long long n, const double* s, double* c, long long ldc)
{
    ng_scale_columns(m, n, s, c, ldc);
}
extern "C" __global__ void netgeom_scale_columns_f32(long long m, long long n, const float* s, float* c, long long ldc)
{
    ng_scale_columns(m, n, s, c, ldc);
}
