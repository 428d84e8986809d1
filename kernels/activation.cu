// netgeom kernels: activation functions, their derivatives, the second-order
// jet and the backward pass, for every activation of package activation;
// and the column softmax and log-softmax.
//
// nvcc-flags: -fmad=false
//
// The switch values are activation.ID (activation/activation.go): Tanh 0,
// Erf 1, ReLU 2, Linear 3, Sigmoid 4, Softplus 5, HardTanh 6, Sin 7, GELU 8,
// Swish 9. IDs are stable there and only ever appended; add a case here when
// one is added there.
//
// Each formula is the one of activation.go, written with the same grouping
// (Go and C both evaluate left to right as parenthesised) and compiled with
// -fmad=false, so the only differences from the CPU backend come from CUDA's
// elementary functions erf, erfc, log1p, sin and cos (a few ulps; the
// conformance suite's tolerance for these ops is 8 ulps plus 1e-15
// absolute). exp and tanh are Go's own algorithms transcribed (ng_exp,
// ng_tanh): tanh's third derivative -2(1-t^2)(1-3t^2) magnifies a one-ulp
// difference in t beyond that tolerance, so t must be Go's to the bit, and
// with Go's exp the sigmoid, softplus, swish and the Gaussian densities of
// erf and gelu follow it exactly too. Go's amd64 math.Exp has two code
// paths, with and without FMA, chosen by the CPU; the Go side finds which
// one the host runs and passes it as `expfma`. ReLU, linear and hard-tanh
// are exact. The softmax uses the same exp and Go's math.Log transcribed
// (ng_golog), with the CPU backend's summation order, so it is exact too.

#define NG_BITS(b) __longlong_as_double((long long)(b##ULL))
#define NG_NAN NG_BITS(0x7FF8000000000001)
// float64(2 / math.SqrtPi)
#define NG_TWO_OVER_SQRTPI NG_BITS(0x3FF20DD750429B6D)
// float64(math.Sqrt2)
#define NG_SQRT2 NG_BITS(0x3FF6A09E667F3BCD)
// math.Sqrt(2 * math.Pi)
#define NG_SQRT_2PI NG_BITS(0x40040D931FF62705)

enum {
    NG_TANH = 0,
    NG_ERF = 1,
    NG_RELU = 2,
    NG_LINEAR = 3,
    NG_SIGMOID = 4,
    NG_SOFTPLUS = 5,
    NG_HARDTANH = 6,
    NG_SIN = 7,
    NG_GELU = 8,
    NG_SWISH = 9
};

// ng_exp is Go's math.Exp on amd64 (math/exp_amd64.s, after Shibata's
// SLEEF): k = round(x/ln2), r = (x - k ln2)/16, a degree-8 Taylor
// polynomial for e^r - 1, four squarings ((p+2)p each), then scaling by 2^k.
// expfma selects the path taken on CPUs with AVX and FMA, where the
// reduction and the polynomial use fused multiply-adds.
#define NG_EXP_LOG2E NG_BITS(0x3FF71547652B82FE)
#define NG_EXP_LN2U NG_BITS(0x3FE62E42FEFA3000)
#define NG_EXP_LN2L NG_BITS(0x3D53DE6AF278ECE6)
#define NG_EXP_OVERFLOW NG_BITS(0x40862E42FEFA39EF)
#define NG_EXP_C3 NG_BITS(0x3FC5555555555555)
#define NG_EXP_C4 NG_BITS(0x3FA5555555555555)
#define NG_EXP_C5 NG_BITS(0x3F81111111111111)
#define NG_EXP_C6 NG_BITS(0x3F56C16C16C16C17)
#define NG_EXP_C7 NG_BITS(0x3F2A01A01A01A01A)
#define NG_EXP_C8 NG_BITS(0x3EFA01A01A01A01A)
#define NG_POS_INF NG_BITS(0x7FF0000000000000)

__device__ double ng_exp(double x, int expfma)
{
    long long bits = __double_as_longlong(x);
    if ((bits & 0x7FFFFFFFFFFFFFFFLL) >= 0x7FF0000000000000LL) { // NaN or +-Inf
        return bits == (long long)0xFFF0000000000000ULL ? 0.0 : x;
    }
    if (x > NG_EXP_OVERFLOW) {
        return NG_POS_INF;
    }
    int k = __double2int_rn(NG_EXP_LOG2E * x); // CVTSD2SL: round to nearest even
    double fk = (double)k;
    double p;
    if (expfma) {
        x = fma(-NG_EXP_LN2U, fk, x);
        x = fma(-NG_EXP_LN2L, fk, x);
        x = x * 0.0625;
        p = fma(NG_EXP_C8, x, NG_EXP_C7);
        p = fma(p, x, NG_EXP_C6);
        p = fma(p, x, NG_EXP_C5);
        p = fma(p, x, NG_EXP_C4);
        p = fma(p, x, NG_EXP_C3);
        p = fma(p, x, 0.5);
        p = fma(p, x, 1.0);
        x = x * p;
        x = x * (x + 2.0);
        x = x * (x + 2.0);
        x = x * (x + 2.0);
        x = fma(x, x + 2.0, 1.0);
    } else {
        x = x - NG_EXP_LN2U * fk;
        x = x - NG_EXP_LN2L * fk;
        x = x * 0.0625;
        p = NG_EXP_C8 * x + NG_EXP_C7;
        p = p * x + NG_EXP_C6;
        p = p * x + NG_EXP_C5;
        p = p * x + NG_EXP_C4;
        p = p * x + NG_EXP_C3;
        p = p * x + 0.5;
        p = p * x + 1.0;
        x = x * p;
        x = x * (2.0 + x);
        x = x * (2.0 + x);
        x = x * (2.0 + x);
        x = x * (2.0 + x);
        x = x + 1.0;
    }
    // x * 2^k, through 2^(k+1022) * 2^-1022 when 2^k is subnormal.
    int e = k + 0x3FF;
    if (e <= 0) {
        if (e < -52) {
            return 0.0;
        }
        e += 0x3FE;
        x = x * __longlong_as_double((long long)e << 52);
        e = 1;
    } else if (e >= 0x7FF) {
        return NG_POS_INF;
    }
    return x * __longlong_as_double((long long)e << 52);
}

// ng_golog is Go's math.Log on amd64 (math/log_amd64.s; not engine/rng's
// Log): frexp by bit manipulation (no subnormal fix-up, as there), then
// fdlibm's polynomial. It serves log-softmax.
#define NG_LOG_HSQRT2 NG_BITS(0x3FE6A09E667F3BCD)
#define NG_LOG_LN2HI NG_BITS(0x3FE62E42FEE00000)
#define NG_LOG_LN2LO NG_BITS(0x3DEA39EF35793C76)
#define NG_LOG_L1 NG_BITS(0x3FE5555555555593)
#define NG_LOG_L2 NG_BITS(0x3FD999999997FA04)
#define NG_LOG_L3 NG_BITS(0x3FD2492494229359)
#define NG_LOG_L4 NG_BITS(0x3FCC71C51D8E78AF)
#define NG_LOG_L5 NG_BITS(0x3FC7466496CB03DE)
#define NG_LOG_L6 NG_BITS(0x3FC39A09D078C69F)
#define NG_LOG_L7 NG_BITS(0x3FC2F112DF3E5244)

__device__ double ng_golog(double x)
{
    long long bx = __double_as_longlong(x);
    if ((bx & 0x7FFFFFFFFFFFFFFFLL) == 0) {
        return NG_BITS(0xFFF0000000000000);
    }
    if (bx < 0) {
        return NG_NAN;
    }
    if (bx >= 0x7FF0000000000000LL) {
        return x;
    }
    double f1 = __longlong_as_double((bx & 0x000FFFFFFFFFFFFFLL) | 0x3FE0000000000000LL);
    double k = (double)((int)((bx >> 52) & 0x7FF) - 0x3FE);
    if (f1 <= NG_LOG_HSQRT2) { // CMPSD ..., 5 (not less than): f1 <= sqrt(2)/2
        k = k - 1.0;
        f1 = f1 * 2.0;
    }
    double f = f1 - 1.0;
    double s = f / (2.0 + f);
    double s2 = s * s;
    double s4 = s2 * s2;
    double t1 = s2 * (NG_LOG_L1 + s4 * (NG_LOG_L3 + s4 * (NG_LOG_L5 + s4 * NG_LOG_L7)));
    double t2 = s4 * (NG_LOG_L2 + s4 * (NG_LOG_L4 + s4 * NG_LOG_L6));
    double R = t1 + t2;
    double hfsq = 0.5 * f * f;
    return k * NG_LOG_LN2HI - ((hfsq - (s * (hfsq + R) + k * NG_LOG_LN2LO)) - f);
}

// Go's math.Tanh (math/tanh.go, from Cephes): its rational approximation
// for |x| < 0.625 and 1 - 2/(e^{2|x|}+1) above.
#define NG_TANH_P0 NG_BITS(0xBFEEDC5BAAFD6F4B)
#define NG_TANH_P1 NG_BITS(0xC058D26A0E26682D)
#define NG_TANH_P2 NG_BITS(0xC0993AC030580563)
#define NG_TANH_Q0 NG_BITS(0x405C33F28A581B86)
#define NG_TANH_Q1 NG_BITS(0x40A176FA0E5535FA)
#define NG_TANH_Q2 NG_BITS(0x40B2EC102442040C)
// 0.5 * MAXLOG = 0.5 * log(2^127)
#define NG_TANH_BIG NG_BITS(0x404601E678FC457B)

__device__ double ng_tanh(double x, int expfma)
{
    double z = fabs(x);
    if (z > NG_TANH_BIG) {
        return x < 0.0 ? -1.0 : 1.0;
    }
    if (z >= 0.625) {
        double s = ng_exp(2.0 * z, expfma);
        z = 1.0 - 2.0 / (s + 1.0);
        return x < 0.0 ? -z : z;
    }
    if (x == 0.0) {
        return x;
    }
    double s = x * x;
    return x + x * s * ((NG_TANH_P0 * s + NG_TANH_P1) * s + NG_TANH_P2) /
                   (((s + NG_TANH_Q0) * s + NG_TANH_Q1) * s + NG_TANH_Q2);
}

// ng_max is Go's math.Max: NaN if either is NaN, +0 over -0.
__device__ __forceinline__ double ng_max(double x, double y)
{
    if (x != x || y != y) {
        return NG_NAN;
    }
    if (x == 0.0 && y == 0.0) {
        return (__double_as_longlong(x) < 0) ? y : x;
    }
    return x > y ? x : y;
}

// ng_min is Go's math.Min: NaN if either is NaN, -0 over +0.
__device__ __forceinline__ double ng_min(double x, double y)
{
    if (x != x || y != y) {
        return NG_NAN;
    }
    if (x == 0.0 && y == 0.0) {
        return (__double_as_longlong(x) < 0) ? x : y;
    }
    return x < y ? x : y;
}

// sigmoid s(x) = 1/(1+e^-x), forming only e^{-|x|}.
__device__ __forceinline__ double ng_sigmoid(double x, int expfma)
{
    if (x >= 0.0) {
        return 1.0 / (1.0 + ng_exp(-x, expfma));
    }
    double e = ng_exp(x, expfma);
    return e / (1.0 + e);
}

__device__ __forceinline__ double ng_norm_cdf(double x) { return 0.5 * erfc(-x / NG_SQRT2); }
__device__ __forceinline__ double ng_norm_pdf(double x, int expfma)
{
    return ng_exp(-0.5 * x * x, expfma) / NG_SQRT_2PI;
}

// ng_act returns derivative `order` (0 = phi itself, up to 3) of activation
// `act` at x (expfma: see ng_exp), as activation.ByID(act) computes it; NaN for an unknown act or
// order (the Go side refuses those before launching).
__device__ double ng_act(int act, int order, int expfma, double x)
{
    switch (act) {
    case NG_TANH: {
        double t = ng_tanh(x, expfma);
        switch (order) {
        case 0:
            return t;
        case 1:
            return 1.0 - t * t;
        case 2:
            return -2.0 * t * (1.0 - t * t);
        case 3:
            return -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t);
        }
        break;
    }
    case NG_ERF:
        switch (order) {
        case 0:
            return erf(x);
        case 1:
            return NG_TWO_OVER_SQRTPI * ng_exp(-x * x, expfma);
        case 2:
            return -2.0 * x * NG_TWO_OVER_SQRTPI * ng_exp(-x * x, expfma);
        case 3:
            return (4.0 * x * x - 2.0) * NG_TWO_OVER_SQRTPI * ng_exp(-x * x, expfma);
        }
        break;
    case NG_RELU:
        switch (order) {
        case 0:
            return x > 0.0 ? x : 0.0;
        case 1:
            return x > 0.0 ? 1.0 : 0.0;
        case 2:
        case 3:
            return 0.0;
        }
        break;
    case NG_LINEAR:
        switch (order) {
        case 0:
            return x;
        case 1:
            return 1.0;
        case 2:
        case 3:
            return 0.0;
        }
        break;
    case NG_SIGMOID: {
        if (order == 0) {
            return ng_sigmoid(x, expfma);
        }
        double s = ng_sigmoid(x, expfma), c = ng_sigmoid(-x, expfma);
        switch (order) {
        case 1:
            return s * c;
        case 2:
            return s * c * (c - s);
        case 3:
            return s * c * (1.0 - 6.0 * s * c);
        }
        break;
    }
    case NG_SOFTPLUS: {
        if (order == 0) {
            return ng_max(x, 0.0) + log1p(ng_exp(-fabs(x), expfma));
        }
        if (order == 1) {
            return ng_sigmoid(x, expfma);
        }
        double s = ng_sigmoid(x, expfma), c = ng_sigmoid(-x, expfma);
        switch (order) {
        case 2:
            return s * c;
        case 3:
            return s * c * (c - s);
        }
        break;
    }
    case NG_HARDTANH:
        switch (order) {
        case 0:
            return ng_max(-1.0, ng_min(1.0, x));
        case 1:
            return (x > -1.0 && x < 1.0) ? 1.0 : 0.0;
        case 2:
        case 3:
            return 0.0;
        }
        break;
    case NG_SIN:
        switch (order) {
        case 0:
            return sin(x);
        case 1:
            return cos(x);
        case 2:
            return -sin(x);
        case 3:
            return -cos(x);
        }
        break;
    case NG_GELU:
        switch (order) {
        case 0:
            return x * ng_norm_cdf(x);
        case 1:
            return ng_norm_cdf(x) + x * ng_norm_pdf(x, expfma);
        case 2:
            return (2.0 - x * x) * ng_norm_pdf(x, expfma);
        case 3:
            return (x * x * x - 4.0 * x) * ng_norm_pdf(x, expfma);
        }
        break;
    case NG_SWISH: {
        if (order == 0) {
            return x * ng_sigmoid(x, expfma);
        }
        double s = ng_sigmoid(x, expfma), c = ng_sigmoid(-x, expfma);
        switch (order) {
        case 1:
            return s + x * s * c;
        case 2:
            return s * c * (2.0 + x * (c - s));
        case 3:
            return s * c * (3.0 * (c - s) + x * (1.0 - 6.0 * s * c));
        }
        break;
    }
    }
    return NG_NAN;
}

// ng_act_all: out[i] = phi^(order)(h[i]) for i in [0, n).
template <typename T>
__device__ void ng_act_all(int act, int order, int expfma, const T* h, T* out, long long n)
{
    long long step = (long long)blockDim.x * (long long)gridDim.x;
    for (long long i = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x; i < n; i += step) {
        out[i] = (T)ng_act(act, order, expfma, (double)h[i]);
    }
}

// ng_act_jet pushes a second-order jet through phi: x = phi(h), dx = d1*v,
// ddx = (d2*v)*v + d1*a, each product rounded before the sum (the order of
// engine/cpu's ActivateJet).
template <typename T>
__device__ void ng_act_jet(int act, int expfma, const T* h, const T* v, const T* a, T* x, T* dx, T* ddx, long long n)
{
    long long step = (long long)blockDim.x * (long long)gridDim.x;
    for (long long i = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x; i < n; i += step) {
        double hh = (double)h[i], vv = (double)v[i], aa = (double)a[i];
        double d1 = ng_act(act, 1, expfma, hh), d2 = ng_act(act, 2, expfma, hh);
        x[i] = (T)ng_act(act, 0, expfma, hh);
        dx[i] = (T)(d1 * vv);
        ddx[i] = (T)((d2 * vv) * vv + d1 * aa);
    }
}

// ng_act_backward: gh[i] = phi'(h[i]) * gx[i].
template <typename T>
__device__ void ng_act_backward(int act, int expfma, const T* h, const T* gx, T* gh, long long n)
{
    long long step = (long long)blockDim.x * (long long)gridDim.x;
    for (long long i = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x; i < n; i += step) {
        gh[i] = (T)(ng_act(act, 1, expfma, (double)h[i]) * (double)gx[i]);
    }
}

// ng_softmax applies the softmax (logmode 0) or the log-softmax (logmode 1)
// to each column of the m x n matrix x, writing out, as engine/cpu does: one
// thread per column; the column's maximum (the first element, replaced by
// any larger one), the sum of exp(x_i - max) in index order, then out_i =
// exp(x_i - max) / sum or (x_i - max) - log(sum). Each x_i is read before
// out_i is written, so out may be x (in place).
template <typename T>
__device__ void ng_softmax(int expfma, int logmode, long long m, long long n, const T* x, long long ldx, T* out,
                           long long ldo)
{
    long long step = (long long)blockDim.x * (long long)gridDim.x;
    for (long long j = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x; j < n; j += step) {
        const T* cx = x + j * ldx;
        T* co = out + j * ldo;
        double mx = (double)cx[0];
        for (long long i = 1; i < m; i++) {
            double v = (double)cx[i];
            if (v > mx) {
                mx = v;
            }
        }
        double s = 0.0;
        for (long long i = 0; i < m; i++) {
            s = s + ng_exp((double)cx[i] - mx, expfma);
        }
        if (logmode) {
            double ls = ng_golog(s);
            for (long long i = 0; i < m; i++) {
                co[i] = (T)(((double)cx[i] - mx) - ls);
            }
        } else {
            for (long long i = 0; i < m; i++) {
                co[i] = (T)(ng_exp((double)cx[i] - mx, expfma) / s);
            }
        }
    }
}

// The kernels, in double and in float. The float ones compute in double
// from their float inputs and round each result once, as engine/cpu's
// float32 backend does, so the two agree to the bit wherever the double
// kernels do.
extern "C" __global__ void netgeom_act(int act, int order, int expfma, const double* h, double* out, long long n)
{
    ng_act_all(act, order, expfma, h, out, n);
}
extern "C" __global__ void netgeom_act_f32(int act, int order, int expfma, const float* h, float* out, long long n)
{
    ng_act_all(act, order, expfma, h, out, n);
}

extern "C" __global__ void netgeom_act_jet(int act, int expfma, const double* h, const double* v, const double* a,
                                           double* x, double* dx, double* ddx, long long n)
{
    ng_act_jet(act, expfma, h, v, a, x, dx, ddx, n);
}
extern "C" __global__ void netgeom_act_jet_f32(int act, int expfma, const float* h, const float* v, const float* a,
                                               float* x, float* dx, float* ddx, long long n)
{
    ng_act_jet(act, expfma, h, v, a, x, dx, ddx, n);
}

extern "C" __global__ void netgeom_act_backward(int act, int expfma, const double* h, const double* gx, double* gh,
                                                long long n)
{
    ng_act_backward(act, expfma, h, gx, gh, n);
}
extern "C" __global__ void netgeom_act_backward_f32(int act, int expfma, const float* h, const float* gx, float* gh,
                                                    long long n)
{
    ng_act_backward(act, expfma, h, gx, gh, n);
}

extern "C" __global__ void netgeom_softmax(int expfma, int logmode, long long m, long long n, const double* x,
                                           long long ldx, double* out, long long ldo)
{
    ng_softmax(expfma, logmode, m, n, x, ldx, out, ldo);
}
extern "C" __global__ void netgeom_softmax_f32(int expfma, int logmode, long long m, long long n, const float* x,
                                               long long ldx, float* out, long long ldo)
{
    ng_softmax(expfma, logmode, m, n, x, ldx, out, ldo);
}
