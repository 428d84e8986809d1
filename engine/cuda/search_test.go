package cuda

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tree makes empty files (and their folders) under a temporary root and
// returns the root.
func tree(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// testFS is the real file system with a fake environment.
func testFS(env map[string]string) fileSystem {
	fs := osFileSystem()
	fs.getenv = func(k string) string { return env[k] }
	return fs
}

func paths(cs []libCandidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Path+"|"+c.Lt)
	}
	return out
}

func TestCublasCandidatesOrder(t *testing.T) {
	root := tree(t,
		"cuda/lib64/libcublas.so.12", "cuda/lib64/libcublasLt.so.12",
		"cuda/lib64/libcublas.so.11", // no Lt of version 11 there
		"venv/lib/python3.11/site-packages/nvidia/cu13/lib/libcublas.so.13",
		"venv/lib/python3.11/site-packages/nvidia/cu13/lib/libcublasLt.so.13",
		"venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12",
		"venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublasLt.so.12",
		"home/.local/lib/python3.10/site-packages/nvidia/cublas/lib/libcublas.so.12",
		"conda/lib/libcublas.so.12",
	)
	fs := testFS(map[string]string{
		"CUDA_HOME":    filepath.Join(root, "cuda"),
		"VIRTUAL_ENV":  filepath.Join(root, "venv"),
		"HOME":         filepath.Join(root, "home"),
		"CONDA_PREFIX": filepath.Join(root, "conda"),
	})
	cands, named := cublasCandidates(fs)
	if named {
		t.Error("named without NETGEOM_CUBLAS")
	}
	got := paths(cands)
	// The loader path first, newest soname first.
	for i, want := range []string{"libcublas.so.13|", "libcublas.so.12|", "libcublas.so.11|"} {
		if got[i] != want {
			t.Fatalf("candidate %d = %q, want %q (all: %v)", i, got[i], want, got)
		}
	}
	// Then the folders found in the tree, in search order (system folders
	// of this machine may add entries between them; keep only the tree's).
	var mine []string
	for _, g := range got[3:] {
		if strings.HasPrefix(g, root) {
			mine = append(mine, strings.ReplaceAll(g, root+"/", ""))
		}
	}
	want := []string{
		"cuda/lib64/libcublas.so.12|cuda/lib64/libcublasLt.so.12",
		"cuda/lib64/libcublas.so.11|",
		// python3.12 sorts before python3.11 (newest first)
		"venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12|venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublasLt.so.12",
		"venv/lib/python3.11/site-packages/nvidia/cu13/lib/libcublas.so.13|venv/lib/python3.11/site-packages/nvidia/cu13/lib/libcublasLt.so.13",
		"home/.local/lib/python3.10/site-packages/nvidia/cublas/lib/libcublas.so.12|",
		"conda/lib/libcublas.so.12|",
	}
	if !reflect.DeepEqual(mine, want) {
		t.Errorf("candidates in the tree:\n got %q\nwant %q", mine, want)
	}
}

func TestCublasCandidatesNamed(t *testing.T) {
	root := tree(t, "a/libcublas.so.12", "a/libcublasLt.so.12", "b/libcublas.so.13", "b/libcublas.so.11", "b/libcublasLt.so.11")
	// A file: only it, with its folder's libcublasLt of the same version.
	cands, named := cublasCandidates(testFS(map[string]string{"NETGEOM_CUBLAS": filepath.Join(root, "a/libcublas.so.12")}))
	if !named || !reflect.DeepEqual(paths(cands), []string{root + "/a/libcublas.so.12|" + root + "/a/libcublasLt.so.12"}) {
		t.Errorf("file: %v, named %v", paths(cands), named)
	}
	// A folder: its versions, newest first.
	cands, named = cublasCandidates(testFS(map[string]string{"NETGEOM_CUBLAS": filepath.Join(root, "b")}))
	want := []string{root + "/b/libcublas.so.13|", root + "/b/libcublas.so.11|" + root + "/b/libcublasLt.so.11"}
	if !named || !reflect.DeepEqual(paths(cands), want) {
		t.Errorf("folder: %v, named %v", paths(cands), named)
	}
	// A folder without cuBLAS: nothing, but still named (an error, not a
	// fallback, for New).
	cands, named = cublasCandidates(testFS(map[string]string{"NETGEOM_CUBLAS": t.TempDir()}))
	if !named || len(cands) != 0 {
		t.Errorf("empty folder: %v, named %v", paths(cands), named)
	}
	// A path that does not exist is tried as given (and fails to load).
	cands, _ = cublasCandidates(testFS(map[string]string{"NETGEOM_CUBLAS": "/nonexistent/libcublas.so.12"}))
	if len(cands) != 1 || cands[0].Path != "/nonexistent/libcublas.so.12" || cands[0].From != "NETGEOM_CUBLAS" {
		t.Errorf("missing file: %+v", cands)
	}
}

func TestCublasSearchDirs(t *testing.T) {
	root := tree(t, "cuda-12.4/lib64/x", "cuda-12.6/lib64/x")
	fs := testFS(map[string]string{"CUDA_PATH": "/opt/x"})
	realGlob := fs.glob
	fs.glob = func(p string) []string {
		// Redirect the versioned toolkit folders to the tree.
		if strings.HasPrefix(p, "/usr/local/cuda-12") {
			return realGlob(filepath.Join(root, "cuda-12*"))
		}
		return nil
	}
	dirs := cublasSearchDirs(fs)
	idx := func(d string) int {
		for i, x := range dirs {
			if x == d {
				return i
			}
		}
		return -1
	}
	order := []string{"/opt/x/lib64", "/usr/local/cuda/lib64", root + "/cuda-12.6/lib64", root + "/cuda-12.4/lib64", "/usr/lib/python3/dist-packages/nvidia/cu13/lib", "/usr/lib/python3/dist-packages/nvidia/cublas/lib"}
	last := -1
	for _, d := range order {
		i := idx(d)
		if i < 0 || i < last {
			t.Fatalf("%s at %d (after %d) in %v", d, i, last, dirs)
		}
		last = i
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[d] {
			t.Errorf("%s listed twice", d)
		}
		seen[d] = true
	}
}
