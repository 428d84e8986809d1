package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests run this test binary as the netgeom command in a
// fresh process (the OpenBLAS loader runs once per process, so a test that
// hides OpenBLAS needs its own).
func TestMain(m *testing.M) {
	if os.Getenv("NETGEOM_TEST_AS_MAIN") == "1" {
		if k, err := strconv.Atoi(os.Getenv("NETGEOM_TEST_KILL_AFTER_RECORD")); err == nil {
			// Die by SIGKILL, as a killed census would, once k records are in its file.
			censusRecordHook = func(done int) {
				if done == k {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		}
		if v := os.Getenv("NETGEOM_TEST_RLIMIT_AS"); v != "" {
			// An address-space limit, as `ulimit -v` sets: the memory checks
			// must refuse what does not fit under it.
			lim, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				panic(err)
			}
			if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
				panic(err)
			}
		}
		if v := os.Getenv("NETGEOM_TEST_LOG_EVERY"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				panic(err)
			}
			logEvery = d
		}
		if k, err := strconv.Atoi(os.Getenv("NETGEOM_TEST_KILL_SWEEP_AFTER")); err == nil {
			// Die by SIGKILL, as a killed sweep task would, once k points are in its file.
			sweepRecordHook = func(done int) {
				if done == k {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		}
		if k, err := strconv.Atoi(os.Getenv("NETGEOM_TEST_PAUSE_SWEEP_AFTER")); err == nil && os.Getenv("SLURM_ARRAY_TASK_ID") == os.Getenv("NETGEOM_TEST_PAUSE_TASK") {
			// Stop working, as a task on a hung node would, once k points
			// are in its file, so that the test can kill it mid-run.
			sweepRecordHook = func(done int) {
				if done == k {
					time.Sleep(time.Hour)
				}
			}
		}
		os.Args = append([]string{"netgeom"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	// A command run in this process that starts netgeom (os.Executable,
	// as sweep does) starts this test binary: it must run as netgeom too,
	// not as the test suite.
	os.Setenv("NETGEOM_TEST_AS_MAIN", "1")
	os.Exit(m.Run())
}

// runCLI runs netgeom with args and extra environment in a child process.
func runCLI(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "NETGEOM_TEST_AS_MAIN=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

type devicesJSON struct {
	Backends []struct {
		Name      string `json:"name"`
		Available bool   `json:"available"`
		Reason    string `json:"reason"`
		Info      *struct {
			BLAS    string `json:"blas"`
			Threads int    `json:"threads"`
		} `json:"info"`
	} `json:"backends"`
	Auto map[string]string `json:"auto"`
}

func devices(t *testing.T, env ...string) devicesJSON {
	t.Helper()
	out, errOut, code := runCLI(t, env, "devices", "--format", "json")
	if code != 0 {
		t.Fatalf("devices exited %d: %s", code, errOut)
	}
	var d devicesJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("devices --format json is not JSON: %v\n%s", err, out)
	}
	return d
}

func cpuBLAS(t *testing.T, d devicesJSON) string {
	t.Helper()
	for _, b := range d.Backends {
		if b.Name == "cpu" && b.Available && b.Info != nil {
			return b.Info.BLAS
		}
	}
	t.Fatalf("no available cpu backend in %+v", d)
	return ""
}

func openBLASInstalled() bool {
	out, err := exec.Command("/sbin/ldconfig", "-p").Output()
	return err == nil && strings.Contains(string(out), "libopenblas.so.0 ")
}

func TestDevicesReportsBLAS(t *testing.T) {
	installed := openBLASInstalled()
	if !installed && os.Getenv("NETGEOM_REQUIRE_OPENBLAS") == "1" {
		t.Fatal("NETGEOM_REQUIRE_OPENBLAS=1 but ldconfig does not list libopenblas.so.0")
	}
	want := "gonum"
	if installed {
		want = "openblas"
	}
	if got := cpuBLAS(t, devices(t)); got != want {
		t.Errorf("devices reports blas %q; ldconfig says OpenBLAS installed = %v, so want %q", got, installed, want)
	}
	// Where OpenBLAS cannot be found, the pure-Go BLAS serves.
	if got := cpuBLAS(t, devices(t, "NETGEOM_OPENBLAS=/nonexistent/libopenblas.so.0")); got != "gonum" {
		t.Errorf("with OpenBLAS hidden, devices reports blas %q; want gonum", got)
	}
	// Forcing OpenBLAS where it cannot load is an error, not a fallback.
	d := devices(t, "NETGEOM_BLAS=openblas", "NETGEOM_OPENBLAS=/nonexistent/libopenblas.so.0")
	for _, b := range d.Backends {
		if b.Name == "cpu" && (b.Available || !strings.Contains(b.Reason, "cannot load OpenBLAS")) {
			t.Errorf("forced openblas that cannot load: available %v, reason %q", b.Available, b.Reason)
		}
	}
	// CUDA: where it cannot open (no driver library, no GPU) the reason says
	// why; auto picks it when it opens and explains its pick either way.
	d = devices(t)
	wantAuto := "cpu"
	for _, b := range d.Backends {
		if b.Name != "cuda" {
			continue
		}
		if b.Available {
			wantAuto = "cuda"
		} else if !strings.HasPrefix(b.Reason, "cuda: backend unavailable: ") {
			t.Errorf("cuda unavailable with reason %q; want engine.ErrUnavailable's explanation", b.Reason)
		}
	}
	if d.Auto["backend"] != wantAuto || d.Auto["reason"] == "" {
		t.Errorf("auto = %v; want %s with a reason", d.Auto, wantAuto)
	}
}

func TestBadInputExitsNonZero(t *testing.T) {
	for _, args := range [][]string{
		{"devices", "--format", "xml"},
		{"no-such-command"},
		{"version", "extra-arg"},
	} {
		_, errOut, code := runCLI(t, nil, args...)
		if code == 0 || !strings.HasPrefix(errOut, "netgeom: ") {
			t.Errorf("%v: exit %d, stderr %q; want non-zero and a netgeom: message", args, code, errOut)
		}
	}
}

func TestVersionAndDatasets(t *testing.T) {
	out, _, code := runCLI(t, nil, "version", "--format", "json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] != version {
		t.Errorf("version --format json: exit %d, %q", code, out)
	}
	out, errOut, code := runCLI(t, nil, "datasets", "--format", "csv")
	if code != 0 {
		t.Fatalf("datasets: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"iris,150,4,3,", "wine,178,13,3,", "breast-cancer,569,30,2,", "digits,1797,64,10,"} {
		if !strings.Contains(out, want) {
			t.Errorf("datasets --format csv lacks a line starting %q:\n%s", want, out)
		}
	}
}

func TestParseRange(t *testing.T) {
	got, err := parseRange("1:5:81")
	if err != nil || len(got) != 81 || got[0] != 1 || got[80] != 5 || got[40] != 3 {
		t.Errorf("parseRange(1:5:81) = %v (%d values), %v", got[:3], len(got), err)
	}
	if got, err := parseRange("2.5"); err != nil || len(got) != 1 || got[0] != 2.5 {
		t.Errorf("parseRange(2.5) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "1:2", "1:2:0", "a:2:3", "1:2:x", "1:NaN:3", "1:2:1", "1:2:3:4"} {
		if _, err := parseRange(bad); err == nil {
			t.Errorf("parseRange(%q): no error", bad)
		}
	}
}

// TestThreadsClamped: a thread count above what this OpenBLAS was built
// for is clamped to its maximum with a warning, and OpenBLAS stays the
// BLAS (it used to switch to gonum's silently).
func TestThreadsClamped(t *testing.T) {
	if !openBLASInstalled() {
		t.Skip("OpenBLAS is not installed")
	}
	out, errOut, code := runCLI(t, []string{"NETGEOM_THREADS=100000"}, "devices", "--format", "json")
	var d devicesJSON
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "netgeom: warning: cpu backend: 100000 threads asked") {
		t.Errorf("no warning on stderr: %q", errOut)
	}
	for _, b := range d.Backends {
		if b.Name == "cpu" && (b.Info == nil || b.Info.BLAS != "openblas" || b.Info.Threads >= 100000 || b.Info.Threads < 1) {
			t.Errorf("cpu backend %+v; want openblas at its maximum thread count", b.Info)
		}
	}
}

// TestEnvironmentErrorComesFirst: a bad environment variable is the whole
// message, not the tail of an explanation of why CUDA did not open.
func TestEnvironmentErrorComesFirst(t *testing.T) {
	for _, env := range []string{"NETGEOM_THREADS=abc", "NETGEOM_BLAS=mkl"} {
		_, errOut, code := runCLI(t, []string{env}, "curvature", "--width", "20", "--depth", "1", "--points", "8")
		name := strings.SplitN(env, "=", 2)[0]
		if code == 0 || !strings.HasPrefix(errOut, "netgeom: cpu backend: "+name+"=") || strings.Contains(errOut, "CUDA") {
			t.Errorf("%s: exit %d, stderr %q; want the error about %s first and alone", env, code, errOut, name)
		}
	}
}
