package cuda

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// cublasVersions are the cuBLAS major versions netgeom loads, newest first.
var cublasVersions = []string{"13", "12", "11"}

// libCandidate is one cuBLAS library to try: a path (or a bare soname for
// the loader to find), and the libcublasLt of the same folder to load first
// ("" when the loader finds it itself).
type libCandidate struct {
	Path string
	Lt   string
	From string // where it was found, for messages: "loader path", "NETGEOM_CUBLAS", a folder
}

// fileSystem is what the search needs to know about files; tests use a
// temporary tree through the real one.
type fileSystem struct {
	getenv func(string) string
	exists func(path string) bool // a regular file or a link to one
	isDir  func(path string) bool
	glob   func(pattern string) []string
}

func osFileSystem() fileSystem {
	return fileSystem{
		getenv: os.Getenv,
		exists: func(p string) bool { st, err := os.Stat(p); return err == nil && st.Mode().IsRegular() },
		isDir:  func(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() },
		glob: func(pat string) []string {
			m, _ := filepath.Glob(pat) // the only error is a malformed pattern, and ours are not
			return m
		},
	}
}

// cublasSearchDirs lists the folders searched for cuBLAS after the loader
// path, in order: CUDA_HOME and CUDA_PATH, the usual toolkit folders (newest
// versioned toolkit first), Python wheels (nvidia/cu13/lib and
// nvidia/cublas/lib under every site-packages or dist-packages of a virtual
// environment, conda, the user and the system), and conda's lib folder.
func cublasSearchDirs(fs fileSystem) []string {
	var dirs []string
	add := func(d ...string) {
		for _, x := range d {
			if x != "" {
				dirs = append(dirs, filepath.Clean(x))
			}
		}
	}
	globDesc := func(pat string) []string {
		m := fs.glob(pat)
		sort.Sort(sort.Reverse(sort.StringSlice(m)))
		return m
	}
	arch := "x86_64-linux"
	if runtime.GOARCH == "arm64" {
		arch = "sbsa-linux"
	}
	for _, v := range []string{"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"} {
		if h := fs.getenv(v); h != "" {
			add(filepath.Join(h, "lib64"), filepath.Join(h, "lib"), filepath.Join(h, "targets", arch, "lib"))
		}
	}
	add("/usr/local/cuda/lib64", "/usr/local/cuda/targets/"+arch+"/lib")
	for _, v := range cublasVersions {
		for _, d := range globDesc("/usr/local/cuda-" + v + "*") {
			add(filepath.Join(d, "lib64"), filepath.Join(d, "targets", arch, "lib"))
		}
	}
	add("/opt/cuda/lib64", "/usr/lib/"+multiarch(), "/usr/lib64")

	var sites []string
	for _, v := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if p := fs.getenv(v); p != "" {
			sites = append(sites, globDesc(filepath.Join(p, "lib", "python3*", "site-packages"))...)
		}
	}
	if h := fs.getenv("HOME"); h != "" {
		sites = append(sites, globDesc(filepath.Join(h, ".local", "lib", "python3*", "site-packages"))...)
	}
	sites = append(sites, globDesc("/usr/local/lib/python3*/dist-packages")...)
	sites = append(sites, globDesc("/usr/local/lib/python3*/site-packages")...)
	sites = append(sites, "/usr/lib/python3/dist-packages")
	for _, s := range sites {
		add(filepath.Join(s, "nvidia", "cu13", "lib"), filepath.Join(s, "nvidia", "cublas", "lib"))
	}
	if p := fs.getenv("CONDA_PREFIX"); p != "" {
		add(filepath.Join(p, "lib"))
	}
	// Drop repeats, keeping the first.
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

func multiarch() string {
	if runtime.GOARCH == "arm64" {
		return "aarch64-linux-gnu"
	}
	return "x86_64-linux-gnu"
}

// cublasInDir returns the cuBLAS libraries of folder dir, newest first,
// each with its folder's libcublasLt of the same version when present.
func cublasInDir(fs fileSystem, dir, from string) []libCandidate {
	var out []libCandidate
	for _, v := range cublasVersions {
		p := filepath.Join(dir, "libcublas.so."+v)
		if !fs.exists(p) {
			continue
		}
		c := libCandidate{Path: p, From: from}
		if lt := filepath.Join(dir, "libcublasLt.so."+v); fs.exists(lt) {
			c.Lt = lt
		}
		out = append(out, c)
	}
	return out
}

// cublasCandidates lists the cuBLAS libraries to try, in order. With
// NETGEOM_CUBLAS set, only what it names: a file (its folder's libcublasLt
// is loaded first when one of the same version is there) or a folder
// searched for libcublas.so.13, .12 and .11; named reports that the user
// named it (so failing to load it is an error, not a fallback). Otherwise:
// the sonames libcublas.so.13, .12, .11 on the loader path, then every
// folder of cublasSearchDirs.
func cublasCandidates(fs fileSystem) (cands []libCandidate, named bool) {
	if p := fs.getenv("NETGEOM_CUBLAS"); p != "" {
		const from = "NETGEOM_CUBLAS"
		if fs.isDir(p) {
			return cublasInDir(fs, p, from), true
		}
		c := libCandidate{Path: p, From: from}
		base := filepath.Base(p)
		if v, ok := strings.CutPrefix(base, "libcublas.so."); ok {
			major, _, _ := strings.Cut(v, ".")
			if lt := filepath.Join(filepath.Dir(p), "libcublasLt.so."+major); fs.exists(lt) {
				c.Lt = lt
			}
		}
		return []libCandidate{c}, true
	}
	for _, v := range cublasVersions {
		cands = append(cands, libCandidate{Path: "libcublas.so." + v, From: "loader path"})
	}
	for _, d := range cublasSearchDirs(fs) {
		cands = append(cands, cublasInDir(fs, d, d)...)
	}
	return cands, false
}
