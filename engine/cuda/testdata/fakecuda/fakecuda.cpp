// fakecuda.cpp is a fake libcuda.so.1 for the CUDA backend's tests on
// machines without a GPU. It implements the driver entry points the backend
// binds, with device memory in host memory, and runs the real kernels of
// kernels/*.cu on the CPU: cuLaunchKernel unpacks the parameters by the
// kernel's C++ signature and runs every thread of every block, switching
// between the threads of a block at __syncthreads (cooperative fibers), so
// shared memory and the reduction trees behave as on a GPU. Blocks run one
// at a time.
//
// It checks what a real driver checks and more: copies and kernel writes
// must stay inside an allocation (red zones around every allocation are
// verified after each launch; a violation becomes CUDA_ERROR_ILLEGAL_ADDRESS
// at the next synchronisation), and the launch shape must be sane.
//
// Failures are injected with fakecuda_set(key, value); fakecuda_get(key)
// reads counters. Keys: init_result, driver_version, device_count, cc_major,
// mem_limit, jit_fail, sync_result (set); launches, live_allocs, modules,
// ctx_retains, streams, bad_access (get).
//
// Build: g++ -O2 -std=c++17 -ffp-contract=off -fPIC -shared -U_FORTIFY_SOURCE
//        -I<repo>/kernels fakecuda.cpp -o libcuda.so.1

#include "cuda_host.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "activation.cu"
#include "elementwise.cu"
#include "gemm.cu"
#include "philox.cu"
#include "reduce.cu"

ng_dim3 threadIdx, blockIdx, blockDim, gridDim;

// --- controls ----------------------------------------------------------------

static std::map<std::string, long long>& controls()
{
    static std::map<std::string, long long> m = {
        {"init_result", 0}, {"driver_version", 12020}, {"device_count", 1}, {"cc_major", 8},
        {"mem_limit", 1LL << 30}, {"jit_fail", 0}, {"sync_result", 0},
    };
    return m;
}
static long long ctl(const char* k) { return controls()[k]; }

static long long n_launches, n_modules, n_retains, n_streams, n_bad_access;
static int sticky; // a CUresult reported at the next synchronisation

// --- memory -----------------------------------------------------------------

static const size_t kRed = 256; // red zone bytes on each side
static const unsigned char kRedByte = 0xA5;

struct Alloc {
    unsigned char* base; // start of the lower red zone
    size_t bytes;
};
static std::map<uintptr_t, Alloc> allocs; // by user address
static size_t used;

static bool red_ok(const Alloc& a)
{
    for (size_t i = 0; i < kRed; i++) {
        if (a.base[i] != kRedByte || a.base[kRed + a.bytes + i] != kRedByte) {
            return false;
        }
    }
    return true;
}

static void check_red_zones()
{
    for (auto& kv : allocs) {
        if (!red_ok(kv.second)) {
            n_bad_access++;
            sticky = 700; // CUDA_ERROR_ILLEGAL_ADDRESS
            memset(kv.second.base, kRedByte, kRed);
            memset(kv.second.base + kRed + kv.second.bytes, kRedByte, kRed);
        }
    }
}

// inside reports whether [p, p+n) lies in one allocation.
static bool inside(unsigned long long p, size_t n)
{
    auto it = allocs.upper_bound((uintptr_t)p);
    if (it == allocs.begin()) {
        return false;
    }
    --it;
    return p >= it->first && p + n <= it->first + it->second.bytes;
}

// --- emulated threads -------------------------------------------------------

struct Fiber {
    ucontext_t uc;
    jmp_buf jb;
    char* stack;
    bool started, done;
};
static const size_t kStack = 128 * 1024;
static std::vector<Fiber> fibers;
static jmp_buf sched_jb;
static int cur_thread;
static bool fiber_mode;
static void (*cur_run)(void**);
static void** cur_params;

static void set_thread(int t)
{
    threadIdx.x = t % blockDim.x;
    threadIdx.y = (t / blockDim.x) % blockDim.y;
    threadIdx.z = t / (blockDim.x * blockDim.y);
}

static void fiber_entry()
{
    cur_run(cur_params);
    fibers[cur_thread].done = true;
    _longjmp(sched_jb, 1);
}

void __syncthreads(void)
{
    if (!fiber_mode) {
        fprintf(stderr, "fakecuda: __syncthreads in a kernel registered without barriers\n");
        abort();
    }
    if (!_setjmp(fibers[cur_thread].jb)) {
        _longjmp(sched_jb, 1);
    }
}

// run_block runs every thread of the current block: straight through when
// the kernel has no barrier, else as fibers switched at each barrier.
static void run_block(int nthreads, bool barriers)
{
    if (!barriers) {
        fiber_mode = false;
        for (int t = 0; t < nthreads; t++) {
            set_thread(t);
            cur_run(cur_params);
        }
        return;
    }
    fiber_mode = true;
    while ((int)fibers.size() < nthreads) {
        Fiber f;
        f.stack = (char*)malloc(kStack);
        fibers.push_back(f);
    }
    for (int t = 0; t < nthreads; t++) {
        fibers[t].started = fibers[t].done = false;
    }
    for (bool alive = true; alive;) {
        alive = false;
        for (int t = 0; t < nthreads; t++) {
            Fiber& f = fibers[t];
            if (f.done) {
                continue;
            }
            cur_thread = t;
            set_thread(t);
            if (!_setjmp(sched_jb)) {
                if (!f.started) {
                    f.started = true;
                    getcontext(&f.uc);
                    f.uc.uc_stack.ss_sp = f.stack;
                    f.uc.uc_stack.ss_size = kStack;
                    f.uc.uc_link = nullptr;
                    makecontext(&f.uc, fiber_entry, 0);
                    setcontext(&f.uc);
                } else {
                    _longjmp(f.jb, 1);
                }
            }
            if (!fibers[t].done) {
                alive = true;
            }
        }
    }
    fiber_mode = false;
}

// --- kernel table -------------------------------------------------------------

template <typename... A, size_t... I>
static void call_with(void (*f)(A...), void** p, std::index_sequence<I...>)
{
    f(*static_cast<A*>(p[I])...);
}
template <typename... A>
static void invoke(void (*f)(A...), void** p)
{
    call_with(f, p, std::index_sequence_for<A...>{});
}

struct KernelEntry {
    const char* name;
    void (*run)(void**);
    bool barriers;
};
#define K(fn, barriers) {#fn, [](void** p) { invoke(&fn, p); }, barriers}
static KernelEntry kernel_table[] = {
    K(netgeom_fill_normal, false),   K(netgeom_act, false),           K(netgeom_act_jet, false),
    K(netgeom_act_backward, false),  K(netgeom_fill, false),          K(netgeom_hadamard, false),
    K(netgeom_add_bias, false),      K(netgeom_scale_matrix, false),  K(netgeom_axpy, false),
    K(netgeom_scal, false),          K(netgeom_column_dots, true),    K(netgeom_dot_partial, true),
    K(netgeom_sum_final, true),      K(netgeom_absmax_partial, true), K(netgeom_absmax_final, true),
    K(netgeom_sumsq_partial, true),  K(netgeom_nrm2_final, true),     K(netgeom_gemm, true),
    K(netgeom_softmax, false),       K(netgeom_scale_columns, false),
    // float32
    K(netgeom_fill_normal_f32, false),   K(netgeom_act_f32, false),           K(netgeom_act_jet_f32, false),
    K(netgeom_act_backward_f32, false),  K(netgeom_fill_f32, false),          K(netgeom_hadamard_f32, false),
    K(netgeom_add_bias_f32, false),      K(netgeom_scale_matrix_f32, false),  K(netgeom_axpy_f32, false),
    K(netgeom_scal_f32, false),          K(netgeom_column_dots_f32, true),    K(netgeom_dot_partial_f32, true),
    K(netgeom_absmax_partial_f32, true), K(netgeom_sumsq_partial_f32, true),  K(netgeom_gemm_f32, true),
    K(netgeom_softmax_f32, false),       K(netgeom_scale_columns_f32, false),
};

// --- the driver API -------------------------------------------------------------

static int fake_ctx, fake_module;
static const char* kDeviceName = "netgeom fake GPU (CPU emulation)";

struct ErrName {
    int code;
    const char *name, *desc;
};
static const ErrName err_names[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {34, "CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the provided PTX was compiled with an unsupported toolchain."},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

static int take_sticky()
{
    int s = sticky;
    if (s == 0) {
        s = (int)ctl("sync_result");
    }
    return s;
}

extern "C" {

void fakecuda_set(const char* key, long long value) { controls()[key] = value; }

long long fakecuda_get(const char* key)
{
    std::string k = key;
    if (k == "launches") return n_launches;
    if (k == "live_allocs") return (long long)allocs.size();
    if (k == "modules") return n_modules;
    if (k == "ctx_retains") return n_retains;
    if (k == "streams") return n_streams;
    if (k == "bad_access") return n_bad_access;
    return ctl(key);
}

// fakecuda_reset clears the sticky error and the injected failures.
void fakecuda_reset(void)
{
    sticky = 0;
    controls()["init_result"] = 0;
    controls()["driver_version"] = 12020;
    controls()["device_count"] = 1;
    controls()["cc_major"] = 8;
    controls()["mem_limit"] = 1LL << 30;
    controls()["jit_fail"] = 0;
    controls()["sync_result"] = 0;
}

int cuInit(unsigned int flags) { return flags != 0 ? 1 : (int)ctl("init_result"); }

int cuDriverGetVersion(int* v)
{
    *v = (int)ctl("driver_version");
    return 0;
}

int cuDeviceGetCount(int* n)
{
    *n = (int)ctl("device_count");
    return 0;
}

int cuDeviceGet(int* dev, int ordinal)
{
    if (ordinal < 0 || ordinal >= ctl("device_count")) return 101;
    *dev = ordinal;
    return 0;
}

int cuDeviceGetName(char* name, int len, int dev)
{
    if (dev < 0 || dev >= ctl("device_count") || len <= 0) return 1;
    snprintf(name, (size_t)len, "%s", kDeviceName);
    return 0;
}

int cuDeviceGetAttribute(int* v, int attr, int dev)
{
    if (dev < 0 || dev >= ctl("device_count")) return 101;
    switch (attr) {
    case 6: case 7: *v = 65535; break;         // max grid y, z
    case 16: *v = 1; break;                     // multiprocessors
    case 33: *v = 0x3b; break;                  // PCI bus
    case 34: case 50: *v = 0; break;            // PCI device, domain
    case 75: *v = (int)ctl("cc_major"); break;  // compute capability
    case 76: *v = 0; break;
    default: return 1;
    }
    return 0;
}

int cuDeviceTotalMem_v2(size_t* bytes, int dev)
{
    if (dev < 0 || dev >= ctl("device_count")) return 101;
    *bytes = (size_t)ctl("mem_limit");
    return 0;
}

int cuDevicePrimaryCtxRetain(void** ctx, int dev)
{
    if (dev < 0 || dev >= ctl("device_count")) return 101;
    *ctx = &fake_ctx;
    n_retains++;
    return 0;
}

int cuDevicePrimaryCtxRelease_v2(int dev)
{
    if (n_retains == 0) return 201;
    n_retains--;
    return 0;
}

int cuCtxSetCurrent(void* ctx) { return ctx == &fake_ctx ? 0 : 201; }

int cuModuleLoadDataEx(void** mod, const void* image, unsigned int nopt, int* opts, void** vals)
{
    const char* ptx = (const char*)image;
    const char* log = nullptr;
    int fail = (int)ctl("jit_fail");
    if (strstr(ptx, ".version") == nullptr || strstr(ptx, ".entry") == nullptr) {
        log = "ptxas fatal   : not PTX (netgeom fake driver)";
        fail = 218;
    } else if (fail != 0) {
        log = "ptxas application ptx input, line 1; fatal   : fake JIT failure (netgeom fake driver)";
    }
    if (fail != 0) {
        char* buf = nullptr;
        size_t size = 0;
        int size_idx = -1;
        for (unsigned int i = 0; i < nopt; i++) {
            if (opts[i] == 5) buf = (char*)vals[i];
            if (opts[i] == 6) {
                size = (size_t)(uintptr_t)vals[i];
                size_idx = (int)i;
            }
        }
        if (buf != nullptr && size > 0) {
            snprintf(buf, size, "%s", log);
            if (size_idx >= 0) vals[size_idx] = (void*)(uintptr_t)(strlen(buf) + 1);
        }
        return fail;
    }
    *mod = &fake_module;
    n_modules++;
    return 0;
}

int cuModuleUnload(void* mod)
{
    if (mod != &fake_module || n_modules == 0) return 400;
    n_modules--;
    return 0;
}

int cuModuleGetFunction(void** fn, void* mod, const char* name)
{
    if (mod != &fake_module) return 400;
    for (auto& k : kernel_table) {
        if (strcmp(k.name, name) == 0) {
            *fn = &k;
            return 0;
        }
    }
    return 500;
}

int cuLaunchKernel(void* fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
                   unsigned int bz, unsigned int shared, void* stream, void** params, void** extra)
{
    if (fn == nullptr || params == nullptr || extra != nullptr || stream == nullptr) return 1;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return 1;
    if (gy > 65535 || gz > 65535 || (unsigned long long)bx * by * bz > 1024 || shared > 48 * 1024) return 1;
    if (sticky != 0) return sticky;
    KernelEntry* k = (KernelEntry*)fn;
    gridDim = {gx, gy, gz};
    blockDim = {bx, by, bz};
    cur_run = k->run;
    cur_params = params;
    int nthreads = (int)(bx * by * bz);
    for (unsigned int z = 0; z < gz; z++)
        for (unsigned int y = 0; y < gy; y++)
            for (unsigned int x = 0; x < gx; x++) {
                blockIdx = {x, y, z};
                run_block(nthreads, k->barriers);
            }
    n_launches++;
    check_red_zones();
    return 0;
}

int cuMemAlloc_v2(unsigned long long* p, size_t bytes)
{
    if (bytes == 0) return 1;
    if (used + bytes > (size_t)ctl("mem_limit")) return 2;
    unsigned char* base = (unsigned char*)malloc(bytes + 2 * kRed);
    if (base == nullptr) return 2;
    memset(base, kRedByte, kRed);
    memset(base + kRed, 0xCD, bytes); // not zero: the backend must zero-fill
    memset(base + kRed + bytes, kRedByte, kRed);
    uintptr_t user = (uintptr_t)(base + kRed);
    allocs[user] = Alloc{base, bytes};
    used += bytes;
    *p = (unsigned long long)user;
    return 0;
}

int cuMemFree_v2(unsigned long long p)
{
    auto it = allocs.find((uintptr_t)p);
    if (it == allocs.end()) return 1;
    if (!red_ok(it->second)) {
        n_bad_access++;
        sticky = 700;
    }
    used -= it->second.bytes;
    free(it->second.base);
    allocs.erase(it);
    return 0;
}

int cuMemGetInfo_v2(size_t* free_bytes, size_t* total)
{
    *total = (size_t)ctl("mem_limit");
    *free_bytes = *total - used;
    return 0;
}

int cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t n, void* stream)
{
    if (sticky != 0) return sticky;
    if (stream == nullptr || src == nullptr || !inside(dst, n)) return 1;
    memcpy((void*)(uintptr_t)dst, src, n);
    return 0;
}

int cuMemcpyDtoHAsync_v2(void* dst, unsigned long long src, size_t n, void* stream)
{
    if (sticky != 0) return sticky;
    if (stream == nullptr || dst == nullptr || !inside(src, n)) return 1;
    memcpy(dst, (const void*)(uintptr_t)src, n);
    return 0;
}

int cuMemcpyDtoDAsync_v2(unsigned long long dst, unsigned long long src, size_t n, void* stream)
{
    if (sticky != 0) return sticky;
    if (stream == nullptr || !inside(dst, n) || !inside(src, n)) return 1;
    memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, n);
    return 0;
}

int cuStreamCreate(void** s, unsigned int flags)
{
    *s = new int(0);
    n_streams++;
    return 0;
}

int cuStreamDestroy_v2(void* s)
{
    if (s == nullptr || n_streams == 0) return 400;
    delete (int*)s;
    n_streams--;
    return 0;
}

int cuStreamSynchronize(void* s)
{
    if (s == nullptr) return 400;
    return take_sticky();
}

int cuGetErrorName(int code, const char** s)
{
    for (auto& e : err_names) {
        if (e.code == code) {
            *s = e.name;
            return 0;
        }
    }
    return 1;
}

int cuGetErrorString(int code, const char** s)
{
    for (auto& e : err_names) {
        if (e.code == code) {
            *s = e.desc;
            return 0;
        }
    }
    return 1;
}

} // extern "C"
