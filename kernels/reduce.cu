// netgeom kernels: deterministic reductions: per-column dot products, and
// the dot product and Euclidean norm of the CUDA backend's fallback BLAS.
//
// nvcc-flags: -fmad=false
//
// Every reduction has a fixed shape: the kernels are launched with exactly
// NG_RB threads per block, thread t sums the elements t, t + stride, ... in
// index order, and the block combines its NG_RB partial sums with a fixed
// binary tree in shared memory. Multi-block reductions use a number of blocks
// that depends only on the length (the Go side picks it), and a second kernel
// combines the per-block results the same way. So the same call gives the
// same bits every run, on every GPU. No atomics, no warp shuffles.
//
// The kernels that read the caller's buffers come in two precisions:
// netgeom_NAME on double and netgeom_NAME_f32 on float. Both sum in double
// (a float's products are exact there) and keep their partial results in
// double; only column dots store a float result, rounded once.

#define NG_RB 256

// ng_tree_sum reduces sh[0..NG_RB) into sh[0] with a fixed tree; every
// thread of the block must call it.
__device__ __forceinline__ void ng_tree_sum(double* sh)
{
    for (int w = NG_RB / 2; w > 0; w >>= 1) {
        if ((int)threadIdx.x < w) {
            sh[threadIdx.x] = sh[threadIdx.x] + sh[threadIdx.x + w];
        }
        __syncthreads();
    }
}

// ng_absmax is max(|a|, |b|) that propagates NaN.
__device__ __forceinline__ double ng_absmax(double a, double b)
{
    a = fabs(a);
    b = fabs(b);
    if (a != a || b != b) {
        return a + b;
    }
    return a > b ? a : b;
}

// ng_tree_absmax reduces sh[0..NG_RB) into sh[0] with ng_absmax.
__device__ __forceinline__ void ng_tree_absmax(double* sh)
{
    for (int w = NG_RB / 2; w > 0; w >>= 1) {
        if ((int)threadIdx.x < w) {
            sh[threadIdx.x] = ng_absmax(sh[threadIdx.x], sh[threadIdx.x + w]);
        }
        __syncthreads();
    }
}

// ng_column_dots: out[j] = sum_i A[i, j] B[i, j] for the m x n column-major
// matrices A (leading dimension lda) and B (ldb); one block per column,
// blocks striding over the columns.
template <typename T>
__device__ void ng_column_dots(long long m, long long n, const T* a, long long lda, const T* b, long long ldb, T* out)
{
    __shared__ double sh[NG_RB];
    for (long long j = blockIdx.x; j < n; j += gridDim.x) {
        const T* ca = a + j * lda;
        const T* cb = b + j * ldb;
        double s = 0.0;
        for (long long i = threadIdx.x; i < m; i += NG_RB) {
            s = s + (double)ca[i] * (double)cb[i];
        }
        sh[threadIdx.x] = s;
        __syncthreads();
        ng_tree_sum(sh);
        if (threadIdx.x == 0) {
            out[j] = (T)sh[0];
        }
        __syncthreads();
    }
}

// ng_dot_partial: partial[g] = sum over the elements i = g*NG_RB + t +
// k*gridDim.x*NG_RB of x[i*incx] y[i*incy], for block g.
template <typename T>
__device__ void ng_dot_partial(long long n, const T* x, long long incx, const T* y, long long incy, double* partial)
{
    __shared__ double sh[NG_RB];
    double s = 0.0;
    for (long long i = (long long)blockIdx.x * NG_RB + threadIdx.x; i < n; i += (long long)gridDim.x * NG_RB) {
        s = s + (double)x[i * incx] * (double)y[i * incy];
    }
    sh[threadIdx.x] = s;
    __syncthreads();
    ng_tree_sum(sh);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = sh[0];
    }
}

// netgeom_sum_final: out[0] = the sum of partial[0..count), one block.
extern "C" __global__ void netgeom_sum_final(int count, const double* partial, double* out)
{
    __shared__ double sh[NG_RB];
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += NG_RB) {
        s = s + partial[i];
    }
    sh[threadIdx.x] = s;
    __syncthreads();
    ng_tree_sum(sh);
    if (threadIdx.x == 0) {
        out[0] = sh[0];
    }
}

// ng_absmax_partial: partial[g] = max |x[i*incx]| over block g's elements
// (NaN if any is NaN).
template <typename T>
__device__ void ng_absmax_partial(long long n, const T* x, long long incx, double* partial)
{
    __shared__ double sh[NG_RB];
    double s = 0.0;
    for (long long i = (long long)blockIdx.x * NG_RB + threadIdx.x; i < n; i += (long long)gridDim.x * NG_RB) {
        s = ng_absmax(s, (double)x[i * incx]);
    }
    sh[threadIdx.x] = s;
    __syncthreads();
    ng_tree_absmax(sh);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = sh[0];
    }
}

// netgeom_absmax_final: out[0] = max of partial[0..count), one block.
extern "C" __global__ void netgeom_absmax_final(int count, const double* partial, double* out)
{
    __shared__ double sh[NG_RB];
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += NG_RB) {
        s = ng_absmax(s, partial[i]);
    }
    sh[threadIdx.x] = s;
    __syncthreads();
    ng_tree_absmax(sh);
    if (threadIdx.x == 0) {
        out[0] = sh[0];
    }
}

// ng_sumsq_partial: partial[g] = sum of (x[i*incx]/scale)^2 over block g's
// elements, scale = scale_ptr[0] = max |x| (so no term overflows and the
// largest is 1). When scale is 0, Inf or NaN the sum is not needed
// (netgeom_nrm2_final decides) and 0 is stored.
template <typename T>
__device__ void ng_sumsq_partial(long long n, const T* x, long long incx, const double* scale_ptr, double* partial)
{
    __shared__ double sh[NG_RB];
    double scale = scale_ptr[0];
    double s = 0.0;
    if (scale > 0.0 && scale <= 1.7976931348623157e308) {
        for (long long i = (long long)blockIdx.x * NG_RB + threadIdx.x; i < n; i += (long long)gridDim.x * NG_RB) {
            double q = (double)x[i * incx] / scale;
            s = s + q * q;
        }
    }
    sh[threadIdx.x] = s;
    __syncthreads();
    ng_tree_sum(sh);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = sh[0];
    }
}

// netgeom_nrm2_final: out[0] = scale * sqrt(sum of partial[0..count)), with
// scale = scale_ptr[0]: 0 when scale is 0, and scale itself when it is Inf
// or NaN.
extern "C" __global__ void netgeom_nrm2_final(int count, const double* partial, const double* scale_ptr, double* out)
{
    __shared__ double sh[NG_RB];
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += NG_RB) {
        s = s + partial[i];
    }
    sh[threadIdx.x] = s;
    __syncthreads();
    ng_tree_sum(sh);
    if (threadIdx.x == 0) {
        double scale = scale_ptr[0];
        if (scale > 0.0 && scale <= 1.7976931348623157e308) {
            out[0] = scale * sqrt(sh[0]);
        } else {
            out[0] = scale; // 0, +Inf or NaN
        }
    }
}

// The kernels on the caller's buffers, in double and in float.
extern "C" __global__ void netgeom_column_dots(long long m, long long n, const double* a, long long lda,
                                               const double* b, long long ldb, double* out)
{
    ng_column_dots(m, n, a, lda, b, ldb, out);
}
extern "C" __global__ void netgeom_column_dots_f32(long long m, long long n, const float* a, long long lda,
                                                   const float* b, long long ldb, float* out)
{
    ng_column_dots(m, n, a, lda, b, ldb, out);
}

extern "C" __global__ void netgeom_dot_partial(long long n, const double* x, long long incx, const double* y,
                                               long long incy, double* partial)
{
    ng_dot_partial(n, x, incx, y, incy, partial);
}
extern "C" __global__ void netgeom_dot_partial_f32(long long n, const float* x, long long incx, const float* y,
                                                   long long incy, double* partial)
{
    ng_dot_partial(n, x, incx, y, incy, partial);
}

extern "C" __global__ void netgeom_absmax_partial(long long n, const double* x, long long incx, double* partial)
{
    ng_absmax_partial(n, x, incx, partial);
}
extern "C" __global__ void netgeom_absmax_partial_f32(long long n, const float* x, long long incx, double* partial)
{
    ng_absmax_partial(n, x, incx, partial);
}

extern "C" __global__ void netgeom_sumsq_partial(long long n, const double* x, long long incx,
                                                 const double* scale_ptr, double* partial)
{
    ng_sumsq_partial(n, x, incx, scale_ptr, partial);
}
extern "C" __global__ void netgeom_sumsq_partial_f32(long long n, const float* x, long long incx,
                                                     const double* scale_ptr, double* partial)
{
    ng_sumsq_partial(n, x, incx, scale_ptr, partial);
}
