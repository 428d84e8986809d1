// cuda_host.h lets the CUDA C of kernels/*.cu compile as host C++ for the
// fake driver (fakecuda.cpp), which runs the kernels on the CPU so that the
// CUDA backend's tests can run without a GPU. It defines the CUDA keywords,
// the built-in index variables and the intrinsics the kernels use, with the
// same IEEE double semantics (compile with -ffp-contract=off so that no
// product is fused, as nvcc -fmad=false does not).
#pragma once
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

struct ng_dim3 {
    unsigned int x, y, z;
};
extern ng_dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
// Blocks run one at a time, so a function-local static is shared by the
// threads of a block exactly like __shared__ memory.
#define __shared__ static

// __syncthreads switches to the next emulated thread of the block
// (fakecuda.cpp).
void __syncthreads(void);

static inline int __double2hiint(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return (int)(uint32_t)(u >> 32);
}
static inline int __double2loint(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return (int)(uint32_t)u;
}
static inline double __hiloint2double(int hi, int lo)
{
    uint64_t u = ((uint64_t)(uint32_t)hi << 32) | (uint64_t)(uint32_t)lo;
    double d;
    memcpy(&d, &u, 8);
    return d;
}
static inline double __longlong_as_double(long long v)
{
    double d;
    memcpy(&d, &v, 8);
    return d;
}
static inline long long __double_as_longlong(double x)
{
    long long v;
    memcpy(&v, &x, 8);
    return v;
}
// __double2int_rn rounds to the nearest integer, ties to even, clamping to
// the int range as PTX's cvt.rni.s32.f64 does.
static inline int __double2int_rn(double x)
{
    if (x != x) {
        return 0;
    }
    double r = nearbyint(x);
    if (r <= (double)INT_MIN) {
        return INT_MIN;
    }
    if (r >= (double)INT_MAX) {
        return INT_MAX;
    }
    return (int)r;
}
static inline unsigned int __umulhi(unsigned int a, unsigned int b)
{
    return (unsigned int)(((unsigned long long)a * (unsigned long long)b) >> 32);
}
