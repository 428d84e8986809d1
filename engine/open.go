package engine

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Opener opens one kind of backend computing in dt. It returns an error
// wrapping ErrUnavailable when the machine cannot run it, or ErrDType when
// the backend does not compute in dt, with the reason.
type Opener func(dt DType) (Backend, error)

var (
	regMu    sync.Mutex
	registry = map[string]Opener{}
)

// Register makes a backend available to Open under name. Backend packages
// call it from init; a program links a backend by importing its package
// for its side effect: github.com/netgeom/netgeom/engine/cpu and
// github.com/netgeom/netgeom/engine/cuda.
func Register(name string, open Opener) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("engine: backend registered twice: " + name) // programming error at init, not user input
	}
	registry[name] = open
}

// Registered lists the backend names linked into this program.
func Registered() []string {
	regMu.Lock()
	defer regMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookup(name string) (Opener, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	o, ok := registry[name]
	return o, ok
}

// Open returns the backend named "cpu" or "cuda", or with "auto" (or "") the
// CUDA backend when a GPU, its driver and the kernels load, else the CPU. The
// returned Info().Reason says which was picked and why.
func Open(name string) (Backend, error) { return OpenDType(name, Float64) }

// OpenDType is Open for a backend that computes in dt (see DTypeOf); "auto"
// takes the CPU where CUDA does not compute in dt.
func OpenDType(name string, dt DType) (Backend, error) {
	if dt != Float64 && dt != Float32 {
		return nil, fmt.Errorf("%w: %v: valid dtypes are float64, float32", ErrDType, dt)
	}
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "auto":
		return openAuto(dt)
	case "cpu":
		return openNamed("cpu", dt)
	case "cuda":
		return openNamed("cuda", dt)
	}
	return nil, fmt.Errorf("unknown backend %q: valid names are auto, cpu, cuda", name)
}

func openNamed(name string, dt DType) (Backend, error) {
	o, ok := lookup(name)
	if !ok {
		if name == "cuda" {
			return nil, fmt.Errorf("%w: cuda: this program was built without the CUDA backend (import github.com/netgeom/netgeom/engine/cuda)", ErrUnavailable)
		}
		return nil, fmt.Errorf("%w: %s: backend not linked into this program (import github.com/netgeom/netgeom/engine/%s)", ErrUnavailable, name, name)
	}
	return o(dt)
}

// withReason returns b with its Info().Reason replaced.
type withReason struct {
	Backend
	reason string
}

func (w withReason) Info() Info {
	in := w.Backend.Info()
	in.Reason = w.reason
	return in
}

// DType is the wrapped backend's.
func (w withReason) DType() DType { return DTypeOf(w.Backend) }

func openAuto(dt DType) (Backend, error) {
	var why string
	if o, ok := lookup("cuda"); ok {
		b, err := o(dt)
		if err == nil {
			return withReason{b, "auto: a CUDA device is available"}, nil
		}
		why = "auto: CUDA unavailable (" + err.Error() + "); using the CPU"
	} else {
		why = "auto: this program has no CUDA backend; using the CPU"
	}
	b, err := openNamed("cpu", dt)
	if err != nil {
		// The CPU's own error is what to fix; why CUDA did not open is
		// beside the point.
		return nil, err
	}
	return withReason{b, why}, nil
}

// warnings receives the backends' warnings (nil: they are dropped).
var (
	warnMu   sync.Mutex
	warnings io.Writer
)

// SetWarnings sends the backends' warnings (a setting that could not be
// honoured as asked, say) to w, one line each; nil drops them. A command
// line sends them to standard error.
func SetWarnings(w io.Writer) {
	warnMu.Lock()
	defer warnMu.Unlock()
	warnings = w
}

// Warnf writes one warning line (see SetWarnings).
func Warnf(format string, args ...any) {
	warnMu.Lock()
	defer warnMu.Unlock()
	if warnings != nil {
		fmt.Fprintf(warnings, "netgeom: warning: "+format+"\n", args...)
	}
}
