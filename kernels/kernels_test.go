package kernels

import (
	"io/fs"
	"strings"
	"testing"
)

// TestPTXMatchesSource fails when a .cu file changed and its PTX was not
// rebuilt (or was built with other flags than the source asks for).
func TestPTXMatchesSource(t *testing.T) {
	mods, err := Modules()
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) == 0 {
		t.Fatal("no kernels embedded")
	}
	for _, m := range mods {
		if err := m.Check(); err != nil {
			t.Error(err)
		}
	}
}

// TestEveryPTXHasASource: no PTX is left over from a deleted .cu file.
func TestEveryPTXHasASource(t *testing.T) {
	ptx, err := fs.Glob(files, "*.ptx")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ptx {
		if _, err := files.ReadFile(strings.TrimSuffix(p, ".ptx") + ".cu"); err != nil {
			t.Errorf("%s has no .cu source: delete it or restore the source", p)
		}
	}
}

func TestHeaders(t *testing.T) {
	mods, err := Modules()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		h, err := m.Header()
		if err != nil {
			t.Fatal(err)
		}
		if h.Target != "sm_80" {
			t.Errorf("%s: .target %s, want sm_80 (compute_80)", m.Name, h.Target)
		}
		if !strings.Contains(h.Flags, "-arch="+Arch) {
			t.Errorf("%s: built with %q, want -arch=%s", m.Name, h.Flags, Arch)
		}
		if _, _, err := m.ISAVersion(); err != nil {
			t.Error(err)
		}
		img := m.Image()
		if len(img) != len(m.PTX)+1 || img[len(img)-1] != 0 || strings.IndexByte(m.PTX, 0) >= 0 {
			t.Errorf("%s: Image is not the PTX plus one NUL", m.Name)
		}
	}
}

// TestBitExactModulesAvoidFMA: the modules whose results must equal the CPU
// backend's bit for bit are compiled without FMA contraction, and their PTX
// contains no fused multiply-add.
func TestBitExactModulesAvoidFMA(t *testing.T) {
	for _, name := range []string{"philox", "elementwise", "activation", "reduce"} {
		m, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		h, err := m.Header()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(h.Flags, "-fmad=false") {
			t.Errorf("%s.ptx built with %q: want -fmad=false", name, h.Flags)
		}
	}
	// philox.cu and elementwise.cu call no libdevice function, so any fma
	// instruction in their PTX would be a contraction of the transcription.
	for _, name := range []string{"philox", "elementwise"} {
		m, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(m.PTX, "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "fma.") {
				t.Errorf("%s.ptx line %d: %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}

func TestStaleSourceIsDetected(t *testing.T) {
	m, err := Lookup("philox")
	if err != nil {
		t.Fatal(err)
	}
	m.Source += "\n// an edit\n"
	if err := m.Check(); err == nil || !strings.Contains(err.Error(), "make kernels") {
		t.Errorf("edited source: Check() = %v; want a stale-PTX error naming make kernels", err)
	}
	// Flags changed in the source, hash updated by hand: still stale.
	m, _ = Lookup("philox")
	old := m.SourceSHA256()
	m.Source = strings.Replace(m.Source, "nvcc-flags: -fmad=false", "nvcc-flags: -fmad=true", 1)
	m.PTX = strings.Replace(m.PTX, old, m.SourceSHA256(), 1)
	if err := m.Check(); err == nil || !strings.Contains(err.Error(), "-fmad=true") {
		t.Errorf("changed flags: Check() = %v; want a flags mismatch", err)
	}
	m, _ = Lookup("philox")
	m.PTX = strings.Replace(m.PTX, "// source-sha256:", "// sha:", 1)
	if err := m.Check(); err == nil {
		t.Error("PTX without a source-sha256 header: Check() passed")
	}
}

func TestEntries(t *testing.T) {
	m, err := Lookup("philox")
	if err != nil {
		t.Fatal(err)
	}
	e, err := m.Entries()
	if err != nil {
		t.Fatal(err)
	}
	got := e["netgeom_fill_normal"]
	want := []ParamType{"u64", "u64", "u64", "u64", "u64", "f64"}
	if len(got) != len(want) {
		t.Fatalf("netgeom_fill_normal params %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("netgeom_fill_normal params %v, want %v", got, want)
		}
	}
	if _, err := Lookup("nope"); err == nil {
		t.Error("Lookup(nope) succeeded")
	}
}
