package cuda

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ebitengine/purego"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/kernels"
)

// checkTable: names unique, every entry a pointer to a nil func variable
// that purego can bind (RegisterFunc panics on a type it cannot call).
func checkTable(t *testing.T, what string, syms []symbol) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range syms {
		if seen[s.name] {
			t.Errorf("%s: %s listed twice", what, s.name)
		}
		seen[s.name] = true
		v := reflect.ValueOf(s.fn)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Func || !v.Elem().IsNil() {
			t.Errorf("%s: %s: fn is %T, want a pointer to an unset func", what, s.name, s.fn)
		}
	}
	// A fake library where every symbol is at a dummy address: binding
	// succeeds (nothing is called) and sets every variable.
	if err := bindSymbols(what, syms, func(string) (uintptr, error) { return 0x1000, nil }); err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if reflect.ValueOf(s.fn).Elem().IsNil() {
			t.Errorf("%s: %s not bound", what, s.name)
		}
	}
}

func TestDriverSymbolTable(t *testing.T) {
	d := &driver{}
	syms := d.symbols()
	checkTable(t, "driver", syms)
	names := map[string]bool{}
	for _, s := range syms {
		names[s.name] = true
	}
	// The versioned entry points, never the legacy names.
	for _, n := range []string{"cuMemAlloc_v2", "cuMemFree_v2", "cuMemGetInfo_v2", "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2",
		"cuMemcpyDtoDAsync_v2", "cuDeviceTotalMem_v2", "cuDevicePrimaryCtxRelease_v2", "cuStreamDestroy_v2",
		"cuDevicePrimaryCtxRetain", "cuCtxSetCurrent", "cuModuleLoadDataEx", "cuLaunchKernel"} {
		if !names[n] {
			t.Errorf("driver table lacks %s", n)
		}
	}
	for _, legacy := range []string{"cuMemAlloc", "cuMemFree", "cuCtxCreate", "cuCtxCreate_v2", "cuMemcpyHtoD", "cuDeviceTotalMem"} {
		if names[legacy] {
			t.Errorf("driver table uses the legacy %s", legacy)
		}
	}
}

func TestCublasSymbolTable(t *testing.T) {
	c := &cublasLib{}
	checkTable(t, "cublas", c.symbols())
}

func TestBindSymbolsMissing(t *testing.T) {
	d := &driver{}
	err := bindSymbols("libcuda.so.1", d.symbols(), func(name string) (uintptr, error) {
		if name == "cuMemAlloc_v2" || name == "cuLaunchKernel" {
			return 0, errors.New("undefined symbol")
		}
		return 0x1000, nil
	})
	if err == nil || !strings.Contains(err.Error(), "libcuda.so.1 lacks cuLaunchKernel, cuMemAlloc_v2") {
		t.Fatalf("err = %v", err)
	}
	if d.cuInit != nil {
		t.Error("a symbol was bound although the table was incomplete")
	}
}

// TestSymbolsInInstalledLibraries resolves every symbol of the tables in
// the NVIDIA libraries installed here, if any (the driver library needs no
// GPU to be loaded). On a machine without them it is skipped.
func TestSymbolsInInstalledLibraries(t *testing.T) {
	found := 0
	for _, lib := range []struct {
		names []string
		syms  []symbol
	}{
		{[]string{"libcuda.so.1"}, (&driver{}).symbols()},
		{[]string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}, (&cublasLib{}).symbols()},
	} {
		for _, name := range lib.names {
			h, err := purego.Dlopen(name, purego.RTLD_LAZY|purego.RTLD_LOCAL)
			if err != nil {
				continue
			}
			found++
			for _, s := range lib.syms {
				if _, err := purego.Dlsym(h, s.name); err != nil {
					t.Errorf("%s lacks %s: %v", name, s.name, err)
				}
			}
			break
		}
	}
	if found == 0 {
		t.Skip("SKIP: neither libcuda.so.1 nor libcublas is installed here")
	}
}

// TestKernelSignatures: every kernel the backend launches exists in its
// module's PTX with the parameter types of its signature, in both
// precisions where it has two, and the PTX has no kernel the backend does
// not know.
func TestKernelSignatures(t *testing.T) {
	ptxType := map[byte][]kernels.ParamType{'p': {"u64"}, 'l': {"u64", "s64"}, 'u': {"u64"}, 'i': {"u32", "s32"}, 'd': {"f64"}}
	known := map[string]bool{}
	for _, k := range allKernels {
		m, err := kernels.Lookup(k.module)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := m.Entries()
		if err != nil {
			t.Fatal(err)
		}
		for _, dt := range []engine.DType{engine.Float64, engine.Float32} {
			name := k.symbol(dt)
			if known[name] {
				continue
			}
			known[name] = true
			params, ok := entries[name]
			if !ok {
				t.Errorf("%s is not in %s.ptx", name, k.module)
				continue
			}
			if len(params) != len(k.sig) {
				t.Errorf("%s: %d parameters in the PTX, signature %q", name, len(params), k.sig)
				continue
			}
			for i := range params {
				if !containsType(ptxType[k.sig[i]], params[i]) {
					t.Errorf("%s parameter %d: PTX .%s, signature %q", name, i, params[i], k.sig[i])
				}
			}
		}
	}
	mods, err := kernels.Modules()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		entries, err := m.Entries()
		if err != nil {
			t.Fatal(err)
		}
		for name := range entries {
			if !known[name] {
				t.Errorf("%s.ptx has kernel %s, which the backend never loads", m.Name, name)
			}
		}
	}
}

func containsType(ts []kernels.ParamType, x kernels.ParamType) bool {
	for _, t := range ts {
		if t == x {
			return true
		}
	}
	return false
}

func TestKernelArgsPacking(t *testing.T) {
	var ka kernelArgs
	k := &kernel{"m", "k", "pliud", false}
	if err := ka.pack(k, []any{devptr(8), int64(-2), int32(-3), uint64(4), 1.5}); err != nil {
		t.Fatal(err)
	}
	if ka.vals[1] != uint64(0xFFFFFFFFFFFFFFFE) || ka.vals[2] != 0xFFFFFFFD || ka.vals[4] != 0x3FF8000000000000 {
		t.Errorf("packed %x", ka.vals[:5])
	}
	if err := ka.pack(k, []any{devptr(8), int32(1), int32(-3), uint64(4), 1.5}); err == nil {
		t.Error("int32 for a long long accepted")
	}
	if err := ka.pack(k, []any{devptr(8)}); err == nil {
		t.Error("too few arguments accepted")
	}
}

func TestPartials(t *testing.T) {
	for n, want := range map[int]int{1: 1, 256: 1, 257: 2, 65536: 256, 1 << 30: 256} {
		if got := partials(n); got != want {
			t.Errorf("partials(%d) = %d, want %d", n, got, want)
		}
	}
}
