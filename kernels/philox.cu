// netgeom kernels: the Philox4x32-10 normal fill of package engine/rng.
//
// nvcc-flags: -fmad=false
//
// This file is a line-for-line transcription of engine/rng (philox.go,
// normal.go and the parts of elem.go that the normal transform uses: Log,
// sinKernel, cosKernel). It must produce the same float64 bits as the Go
// code, so:
//   - it is compiled with -fmad=false: every * below is one rounded product,
//     never fused with the + or - that follows (Go writes float64(a*b));
//   - every operator is one IEEE-754 double operation rounded to nearest
//     even, evaluated as parenthesised, otherwise left to right;
//   - sqrt is the correctly rounded square root (CUDA's double sqrt is);
//   - constants are given by their exact bit patterns.
// Do not "simplify" an expression here without changing engine/rng the same
// way; engine/rng's golden tests and the CUDA conformance suite compare the
// two bit for bit.

#define NG_BITS(b) __longlong_as_double((long long)(b##ULL))

// fdlibm e_log.c constants (engine/rng/elem.go).
#define NG_LN2_HI NG_BITS(0x3FE62E42FEE00000)
#define NG_LN2_LO NG_BITS(0x3DEA39EF35793C76)
#define NG_TWO54 NG_BITS(0x4350000000000000)
#define NG_LG1 NG_BITS(0x3FE5555555555593)
#define NG_LG2 NG_BITS(0x3FD999999997FA04)
#define NG_LG3 NG_BITS(0x3FD2492494229359)
#define NG_LG4 NG_BITS(0x3FCC71C51D8E78AF)
#define NG_LG5 NG_BITS(0x3FC7466496CB03DE)
#define NG_LG6 NG_BITS(0x3FC39A09D078C69F)
#define NG_LG7 NG_BITS(0x3FC2F112DF3E5244)
#define NG_THIRD NG_BITS(0x3FD5555555555555)

// FreeBSD msun k_sin.c and k_cos.c coefficients.
#define NG_S1 NG_BITS(0xBFC5555555555549)
#define NG_S2 NG_BITS(0x3F8111111110F8A6)
#define NG_S3 NG_BITS(0xBF2A01A019C161D5)
#define NG_S4 NG_BITS(0x3EC71DE357B1FE7D)
#define NG_S5 NG_BITS(0xBE5AE5E68A2B9CEB)
#define NG_S6 NG_BITS(0x3DE5D93A5ACFD57C)
#define NG_C1 NG_BITS(0x3FA555555555554C)
#define NG_C2 NG_BITS(0xBF56C16C16C15177)
#define NG_C3 NG_BITS(0x3EFA01A019CB1590)
#define NG_C4 NG_BITS(0xBE927E4F809C52AD)
#define NG_C5 NG_BITS(0x3E21EE9EBDB4B1C4)
#define NG_C6 NG_BITS(0xBDA8FAE9BE8838D4)

// pi/2 rounded to double, 0x3FF921FB54442D18.
#define NG_PIO2 NG_BITS(0x3FF921FB54442D18)
#define NG_NEG_INF NG_BITS(0xFFF0000000000000)
// math.NaN() of Go.
#define NG_NAN NG_BITS(0x7FF8000000000001)

// Philox4x32-10 constants (engine/rng/philox.go).
#define NG_PHILOX_M0 0xD2511F53u
#define NG_PHILOX_M1 0xCD9E8D57u
#define NG_PHILOX_W0 0x9E3779B9u
#define NG_PHILOX_W1 0xBB67AE85u

// ng_philox4x32 is rng.Philox4x32: ten rounds, the key bumped between rounds.
__device__ __forceinline__ void ng_philox4x32(unsigned int c[4], unsigned int k0, unsigned int k1)
{
    unsigned int c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
    for (int r = 0;; r++) {
        unsigned int hi0 = __umulhi(NG_PHILOX_M0, c0), lo0 = NG_PHILOX_M0 * c0;
        unsigned int hi1 = __umulhi(NG_PHILOX_M1, c2), lo1 = NG_PHILOX_M1 * c2;
        unsigned int n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
        if (r == 9) {
            break;
        }
        k0 += NG_PHILOX_W0;
        k1 += NG_PHILOX_W1;
    }
    c[0] = c0;
    c[1] = c1;
    c[2] = c2;
    c[3] = c3;
}

// ng_uniform53 is rng.Uniform53: (float64(x>>12) + 0.5) * 0x1p-52, all exact.
__device__ __forceinline__ double ng_uniform53(unsigned long long x)
{
    return ((double)(x >> 12) + 0.5) * NG_BITS(0x3CB0000000000000);
}

// ng_log is rng.Log (fdlibm e_log.c).
__device__ double ng_log(double x)
{
    int hx = __double2hiint(x);
    int k = 0;
    if (hx < 0x00100000) {
        if ((__double_as_longlong(x) & 0x7FFFFFFFFFFFFFFFLL) == 0) {
            return NG_NEG_INF;
        }
        if (hx < 0) {
            return NG_NAN;
        }
        k -= 54;
        x = x * NG_TWO54;
        hx = __double2hiint(x);
    }
    if (hx >= 0x7ff00000) {
        return x + x;
    }
    k += (hx >> 20) - 1023;
    hx &= 0x000fffff;
    int i = (hx + 0x95f64) & 0x100000;
    x = __hiloint2double(hx | (i ^ 0x3ff00000), __double2loint(x));
    k += i >> 20;
    double f = x - 1.0;
    if ((0x000fffff & (2 + hx)) < 3) {
        if (f == 0.0) {
            if (k == 0) {
                return 0.0;
            }
            double dk = (double)k;
            return dk * NG_LN2_HI + dk * NG_LN2_LO;
        }
        double R = (f * f) * (0.5 - NG_THIRD * f);
        if (k == 0) {
            return f - R;
        }
        double dk = (double)k;
        return dk * NG_LN2_HI - ((R - dk * NG_LN2_LO) - f);
    }
    double s = f / (2.0 + f);
    double dk = (double)k;
    double z = s * s;
    i = hx - 0x6147a;
    double w = z * z;
    int j = 0x6b851 - hx;
    double t1 = w * (NG_LG2 + w * (NG_LG4 + w * NG_LG6));
    double t2 = z * (NG_LG1 + w * (NG_LG3 + w * (NG_LG5 + w * NG_LG7)));
    i |= j;
    double R = t2 + t1;
    if (i > 0) {
        double hfsq = (0.5 * f) * f;
        if (k == 0) {
            return f - (hfsq - s * (hfsq + R));
        }
        return dk * NG_LN2_HI - ((hfsq - (s * (hfsq + R) + dk * NG_LN2_LO)) - f);
    }
    if (k == 0) {
        return f - s * (f - R);
    }
    return dk * NG_LN2_HI - ((s * (f - R) - dk * NG_LN2_LO) - f);
}

// ng_sin_kernel is rng.sinKernel (__kernel_sin of FreeBSD msun).
__device__ double ng_sin_kernel(double x, double y, int iy)
{
    double z = x * x;
    double w = z * z;
    double r = (NG_S2 + z * (NG_S3 + z * NG_S4)) + (z * w) * (NG_S5 + z * NG_S6);
    double v = z * x;
    if (iy == 0) {
        return x + v * (NG_S1 + z * r);
    }
    return x - ((z * ((0.5 * y) - v * r) - y) - v * NG_S1);
}

// ng_cos_kernel is rng.cosKernel (__kernel_cos of FreeBSD msun).
__device__ double ng_cos_kernel(double x, double y)
{
    double z = x * x;
    double w = z * z;
    double r = z * (NG_C1 + z * (NG_C2 + z * NG_C3)) + (w * w) * (NG_C4 + z * (NG_C5 + z * NG_C6));
    double hz = 0.5 * z;
    w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + (z * r - x * y));
}

// ng_normal_block is rng.block followed by rng.boxMuller: the two normals
// (r cos theta, r sin theta) of block b of stream (s0, s1) under key (k0, k1).
__device__ void ng_normal_block(unsigned int k0, unsigned int k1, unsigned int s0, unsigned int s1,
                                unsigned long long b, double* out_cos, double* out_sin)
{
    unsigned int w[4] = {(unsigned int)b, (unsigned int)(b >> 32), s0, s1};
    ng_philox4x32(w, k0, k1);
    double u1 = ng_uniform53(((unsigned long long)w[1] << 32) | (unsigned long long)w[0]);
    double u2 = ng_uniform53(((unsigned long long)w[3] << 32) | (unsigned long long)w[2]);
    double r = sqrt(-2.0 * ng_log(u1));
    double v = 4.0 * u2;
    int n = (int)(v + 0.5);
    double d = v - (double)n;
    double y = d * NG_PIO2;
    double s = ng_sin_kernel(y, 0.0, 0);
    double c = ng_cos_kernel(y, 0.0);
    double cosT, sinT;
    switch (n & 3) {
    case 0:
        cosT = c;
        sinT = s;
        break;
    case 1:
        cosT = -s;
        sinT = c;
        break;
    case 2:
        cosT = -c;
        sinT = -s;
        break;
    default:
        cosT = s;
        sinT = -c;
        break;
    }
    *out_cos = r * cosT;
    *out_sin = r * sinT;
}

// ng_fill_normal sets out[j] = std * Normal(seed, stream, start+j) for j in
// [0, n) (the product only when std != 1, as engine/cpu does), exactly like
// rng.FillNormal: thread t of the grid-stride loop computes block
// (start>>1) + t (mod 2^63) and writes the one or two outputs of that block
// that fall in [0, n). Indices wrap modulo 2^64 like start+j.
template <typename T>
__device__ void ng_fill_normal(T* out, long long n, unsigned long long seed, unsigned long long stream,
                               unsigned long long start, double std)
{
    unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
    unsigned int s0 = (unsigned int)stream, s1 = (unsigned int)(stream >> 32);
    unsigned long long b0 = start >> 1;
    long long odd = (long long)(start & 1ULL);
    long long blocks = (odd + n + 1) >> 1;
    long long step = (long long)blockDim.x * (long long)gridDim.x;
    for (long long t = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x; t < blocks; t += step) {
        unsigned long long b = (b0 + (unsigned long long)t) & 0x7FFFFFFFFFFFFFFFULL;
        double c, s;
        ng_normal_block(k0, k1, s0, s1, b, &c, &s);
        if (std != 1.0) {
            c = c * std;
            s = s * std;
        }
        long long j = 2 * t - odd; // output index of this block's cos normal
        if (j >= 0) {
            out[j] = (T)c;
        }
        if (j + 1 < n) {
            out[j + 1] = (T)s;
        }
    }
}

// netgeom_fill_normal fills double buffers; netgeom_fill_normal_f32 fills
// float buffers with the same double normals (times std) rounded once, as
// engine/cpu's float32 backend does: a float32 network is the float64
// network rounded, on either backend.
extern "C" __global__ void netgeom_fill_normal(double* out, long long n, unsigned long long seed,
                                               unsigned long long stream, unsigned long long start, double std)
{
    ng_fill_normal(out, n, seed, stream, start, std);
}
extern "C" __global__ void netgeom_fill_normal_f32(float* out, long long n, unsigned long long seed,
                                                   unsigned long long stream, unsigned long long start, double std)
{
    ng_fill_normal(out, n, seed, stream, start, std);
}
