// fakecublas.cpp is a fake libcublas.so.12 for the CUDA backend's tests
// without a GPU: the cuBLAS v2 entry points the backend binds, computed with
// plain loops on the fake driver's device memory (which is host memory).
// It validates its arguments as cuBLAS documents (an invalid value gives
// CUBLAS_STATUS_INVALID_VALUE), so swapped or mistyped arguments show up as
// errors or wrong results. It is linked against libcublasLt.so.12 (a stand-in
// without a search path), so loading it succeeds only if the backend loaded
// the libcublasLt of the same folder first, as it must.
//
// Build: g++ -O2 -std=c++17 -fPIC -shared fakecublas.cpp -o libcublas.so.12
//        -L<dir> -l:libcublasLt.so.12
#include <math.h>
#include <stdint.h>

extern "C" int netgeom_fake_cublaslt_marker(void);

namespace {

struct Handle {
    void* stream;
    int pointer_mode, math_mode, atomics;
};

const int kSuccess = 0, kNotInitialized = 1, kInvalidValue = 7;

inline int imax(int a, int b) { return a > b ? a : b; }

template <typename T>
T at(const T* a, int lda, int trans, long long i, long long j)
{
    return trans ? a[j + i * (long long)lda] : a[i + j * (long long)lda];
}

int check_handle(void* h)
{
    if (h == nullptr) return kNotInitialized;
    Handle* hh = (Handle*)h;
    if (hh->stream == nullptr || hh->pointer_mode != 0) return kInvalidValue;
    return kSuccess;
}

// gemm computes in T, as cublasDgemm and cublasSgemm do (a float32 sum
// rounds every step).
template <typename T>
int gemm(void* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* a, int lda, const T* b, int ldb,
         const T* beta, T* c, int ldc)
{
    int rows_a = ta ? k : m, rows_b = tb ? n : k;
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1) || m < 0 || n < 0 || k < 0 || lda < imax(1, rows_a) ||
        ldb < imax(1, rows_b) || ldc < imax(1, m) || alpha == nullptr || beta == nullptr)
        return kInvalidValue;
    for (long long j = 0; j < n; j++)
        for (long long i = 0; i < m; i++) {
            T s = 0;
            for (long long l = 0; l < k; l++) s += at(a, lda, ta, i, l) * at(b, ldb, tb, l, j);
            T* p = &c[i + j * (long long)ldc];
            *p = (*beta == 0) ? *alpha * s : *alpha * s + *beta * *p;
        }
    return kSuccess;
}

template <typename T>
int gemv(void* h, int t, int m, int n, const T* alpha, const T* a, int lda, const T* x, int incx, const T* beta, T* y,
         int incy)
{
    if (int st = check_handle(h)) return st;
    if ((t != 0 && t != 1) || m < 0 || n < 0 || lda < imax(1, m) || incx == 0 || incy == 0) return kInvalidValue;
    int xn = t ? m : n, yn = t ? n : m;
    for (long long i = 0; i < yn; i++) {
        T s = 0;
        for (long long l = 0; l < xn; l++) s += (t ? a[l + i * (long long)lda] : a[i + l * (long long)lda]) * x[l * incx];
        T* p = &y[i * incy];
        *p = (*beta == 0) ? *alpha * s : *alpha * s + *beta * *p;
    }
    return kSuccess;
}

template <typename T>
int gemm_batched(void* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* a, int lda, long long sa,
                 const T* b, int ldb, long long sb, const T* beta, T* c, int ldc, long long sc, int batch)
{
    if (int st = check_handle(h)) return st;
    if (batch < 0) return kInvalidValue;
    for (long long i = 0; i < batch; i++) {
        if (int st = gemm(h, ta, tb, m, n, k, alpha, a + i * sa, lda, b + i * sb, ldb, beta, c + i * sc, ldc))
            return st;
    }
    return kSuccess;
}

// check_math_mode: the S-routines refuse any math mode but the default
// (CUBLAS_DEFAULT_MATH = 0), under which real cuBLAS does not use TF32; the
// backend promises IEEE float32 products.
int check_math_mode(void* h)
{
    return ((Handle*)h)->math_mode == 0 ? kSuccess : kInvalidValue;
}

} // namespace

extern "C" {

int cublasCreate_v2(void** h)
{
    if (netgeom_fake_cublaslt_marker() != 1) return kNotInitialized;
    *h = new Handle{nullptr, -1, -1, -1};
    return kSuccess;
}

int cublasDestroy_v2(void* h)
{
    if (h == nullptr) return kNotInitialized;
    delete (Handle*)h;
    return kSuccess;
}

int cublasSetStream_v2(void* h, void* s)
{
    if (h == nullptr) return kNotInitialized;
    ((Handle*)h)->stream = s;
    return kSuccess;
}

int cublasSetPointerMode_v2(void* h, int mode)
{
    if (h == nullptr) return kNotInitialized;
    if (mode != 0 && mode != 1) return kInvalidValue;
    ((Handle*)h)->pointer_mode = mode;
    return kSuccess;
}

int cublasSetMathMode(void* h, int mode)
{
    if (h == nullptr) return kNotInitialized;
    ((Handle*)h)->math_mode = mode;
    return kSuccess;
}

int cublasSetAtomicsMode(void* h, int mode)
{
    if (h == nullptr) return kNotInitialized;
    if (mode != 0 && mode != 1) return kInvalidValue;
    ((Handle*)h)->atomics = mode;
    return kSuccess;
}

int cublasGetVersion_v2(void* h, int* v)
{
    if (h == nullptr) return kNotInitialized;
    *v = 120205;
    return kSuccess;
}

int cublasDgemm_v2(void* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* a, int lda,
                   const double* b, int ldb, const double* beta, double* c, int ldc)
{
    if (int st = check_handle(h)) return st;
    return gemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int cublasDgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* a,
                              int lda, long long sa, const double* b, int ldb, long long sb, const double* beta,
                              double* c, int ldc, long long sc, int batch)
{
    return gemm_batched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}

int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* a, int lda,
                   const float* b, int ldb, const float* beta, float* c, int ldc)
{
    if (int st = check_handle(h)) return st;
    if (int st = check_math_mode(h)) return st;
    return gemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int cublasSgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* a,
                              int lda, long long sa, const float* b, int ldb, long long sb, const float* beta, float* c,
                              int ldc, long long sc, int batch)
{
    if (h != nullptr && check_math_mode(h)) return kInvalidValue;
    return gemm_batched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}

int cublasSgemv_v2(void* h, int t, int m, int n, const float* alpha, const float* a, int lda, const float* x, int incx,
                   const float* beta, float* y, int incy)
{
    if (h != nullptr && check_math_mode(h)) return kInvalidValue;
    return gemv(h, t, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

int cublasDgemv_v2(void* h, int t, int m, int n, const double* alpha, const double* a, int lda, const double* x,
                   int incx, const double* beta, double* y, int incy)
{
    return gemv(h, t, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

int cublasDdot_v2(void* h, int n, const double* x, int incx, const double* y, int incy, double* result)
{
    if (int st = check_handle(h)) return st;
    if (result == nullptr) return kInvalidValue;
    double s = 0;
    for (long long i = 0; i < n; i++) s += x[i * incx] * y[i * incy];
    *result = s;
    return kSuccess;
}

int cublasDaxpy_v2(void* h, int n, const double* alpha, const double* x, int incx, double* y, int incy)
{
    if (int st = check_handle(h)) return st;
    for (long long i = 0; i < n; i++) y[i * incy] += *alpha * x[i * incx];
    return kSuccess;
}

int cublasDscal_v2(void* h, int n, const double* alpha, double* x, int incx)
{
    if (int st = check_handle(h)) return st;
    if (incx <= 0) return kSuccess; // cuBLAS: nothing to do for incx <= 0
    for (long long i = 0; i < n; i++) x[i * incx] *= *alpha;
    return kSuccess;
}

int cublasDnrm2_v2(void* h, int n, const double* x, int incx, double* result)
{
    if (int st = check_handle(h)) return st;
    if (result == nullptr) return kInvalidValue;
    double scale = 0;
    for (long long i = 0; i < n; i++) scale = fmax(scale, fabs(x[i * incx]));
    if (scale == 0 || isinf(scale)) {
        *result = scale;
        return kSuccess;
    }
    double s = 0;
    for (long long i = 0; i < n; i++) {
        double q = x[i * incx] / scale;
        s += q * q;
    }
    *result = scale * sqrt(s);
    return kSuccess;
}

} // extern "C"
