package kernels

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:embed *.cu *.ptx
var files embed.FS

// Arch is the virtual architecture the PTX is compiled for.
const Arch = "compute_80"

// Module is one .cu file and its PTX.
type Module struct {
	Name   string // file name without extension: "philox", "gemm", ...
	Source string // the CUDA C source
	PTX    string // the PTX, header included
}

// Modules returns every module, sorted by name. It fails only if the
// embedded files are inconsistent (a .cu file without its .ptx), which the
// tests rule out.
func Modules() ([]Module, error) {
	srcs, err := files.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("kernels: %w", err)
	}
	var mods []Module
	for _, e := range srcs {
		name, ok := strings.CutSuffix(e.Name(), ".cu")
		if !ok {
			continue
		}
		m, err := Lookup(name)
		if err != nil {
			return nil, err
		}
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Name < mods[j].Name })
	return mods, nil
}

// Lookup returns the module built from name.cu.
func Lookup(name string) (Module, error) {
	src, err := files.ReadFile(name + ".cu")
	if err != nil {
		return Module{}, fmt.Errorf("kernels: no module %q: %w", name, err)
	}
	ptx, err := files.ReadFile(name + ".ptx")
	if err != nil {
		return Module{}, fmt.Errorf("kernels: %s.cu has no PTX (run `make kernels`): %w", name, err)
	}
	return Module{Name: name, Source: string(src), PTX: string(ptx)}, nil
}

// Image returns the PTX as the driver's cuModuleLoadDataEx wants it: a
// NUL-terminated copy.
func (m Module) Image() []byte {
	b := make([]byte, len(m.PTX)+1)
	copy(b, m.PTX)
	return b
}

// SourceSHA256 is the hex SHA-256 of the module's .cu source.
func (m Module) SourceSHA256() string {
	h := sha256.Sum256([]byte(m.Source))
	return hex.EncodeToString(h[:])
}

// Header is what the PTX header records about its build.
type Header struct {
	SourceSHA256 string // of the .cu file the PTX was built from
	NVCC         string // "release 11.8, V11.8.89"
	Flags        string // "-ptx -arch=compute_80 -fmad=false"
	PTXVersion   string // the ISA version of the .version directive: "7.8"
	Target       string // the .target directive: "sm_80"
}

var (
	reHeaderSHA   = regexp.MustCompile(`(?m)^// source-sha256: ([0-9a-f]{64})$`)
	reHeaderNVCC  = regexp.MustCompile(`(?m)^// nvcc: (.+)$`)
	reHeaderFlags = regexp.MustCompile(`(?m)^// nvcc-flags: (.*)$`)
	reVersion     = regexp.MustCompile(`(?m)^\.version ([0-9]+\.[0-9]+)\s*$`)
	reTarget      = regexp.MustCompile(`(?m)^\.target (\S+)\s*$`)
	reSourceFlags = regexp.MustCompile(`(?m)^// nvcc-flags:[ \t]*(.*)$`)
)

// Header parses the PTX header and the .version and .target directives.
func (m Module) Header() (Header, error) {
	var h Header
	for _, f := range []struct {
		re   *regexp.Regexp
		dst  *string
		what string
	}{
		{reHeaderSHA, &h.SourceSHA256, "a source-sha256 line"},
		{reHeaderNVCC, &h.NVCC, "an nvcc line"},
		{reHeaderFlags, &h.Flags, "an nvcc-flags line"},
		{reVersion, &h.PTXVersion, "a .version directive"},
		{reTarget, &h.Target, "a .target directive"},
	} {
		s := f.re.FindStringSubmatch(m.PTX)
		if s == nil {
			return Header{}, fmt.Errorf("kernels: %s.ptx has no %s (rebuild it with `make kernels`)", m.Name, f.what)
		}
		*f.dst = strings.TrimSpace(s[1])
	}
	return h, nil
}

// SourceFlags returns the flags the .cu file asks for on its
// "// nvcc-flags:" line.
func (m Module) SourceFlags() (string, error) {
	s := reSourceFlags.FindStringSubmatch(m.Source)
	if s == nil {
		return "", fmt.Errorf("kernels: %s.cu has no \"// nvcc-flags:\" line", m.Name)
	}
	return strings.TrimSpace(s[1]), nil
}

// Check verifies that the PTX was built from the current source with the
// flags the source asks for, for Arch.
func (m Module) Check() error {
	h, err := m.Header()
	if err != nil {
		return err
	}
	if sum := m.SourceSHA256(); h.SourceSHA256 != sum {
		return fmt.Errorf("kernels: %s.cu changed (sha256 %s) but %s.ptx was built from sha256 %s: run `make kernels` (needs nvcc, see kernels/README.md)", m.Name, sum[:12], m.Name, h.SourceSHA256[:12])
	}
	want, err := m.SourceFlags()
	if err != nil {
		return err
	}
	if full := strings.TrimSpace("-ptx -arch=" + Arch + " " + want); h.Flags != full {
		return fmt.Errorf("kernels: %s.ptx was built with %q; %s.cu asks for %q: run `make kernels`", m.Name, h.Flags, m.Name, full)
	}
	return nil
}

// ParamType is the PTX type of a kernel parameter: "u64", "u32", "f64", ...
type ParamType string

// Entries lists the kernels (.entry directives) of the PTX with the types of
// their parameters, in order.
func (m Module) Entries() (map[string][]ParamType, error) {
	out := map[string][]ParamType{}
	rest := m.PTX
	for {
		i := strings.Index(rest, ".entry ")
		if i < 0 {
			break
		}
		rest = rest[i+len(".entry "):]
		open := strings.IndexByte(rest, '(')
		closeP := strings.IndexByte(rest, ')')
		if open < 0 || closeP < open {
			return nil, fmt.Errorf("kernels: %s.ptx: malformed .entry", m.Name)
		}
		name := strings.TrimSpace(rest[:open])
		var params []ParamType
		for _, p := range strings.Split(rest[open+1:closeP], ",") {
			f := strings.Fields(p)
			if len(f) == 0 {
				continue
			}
			if len(f) != 3 || f[0] != ".param" || !strings.HasPrefix(f[1], ".") {
				return nil, fmt.Errorf("kernels: %s.ptx: entry %s: cannot parse parameter %q", m.Name, name, strings.TrimSpace(p))
			}
			params = append(params, ParamType(f[1][1:]))
		}
		out[name] = params
		rest = rest[closeP:]
	}
	return out, nil
}

// ISAVersion returns the PTX ISA version of the .version directive as
// (major, minor).
func (m Module) ISAVersion() (int, int, error) {
	h, err := m.Header()
	if err != nil {
		return 0, 0, err
	}
	maj, mi, _ := strings.Cut(h.PTXVersion, ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(mi)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("kernels: %s.ptx: bad .version %q", m.Name, h.PTXVersion)
	}
	return a, b, nil
}
