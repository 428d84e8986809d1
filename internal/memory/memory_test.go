package memory

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAvailableUnderAddressLimit: under `prlimit --as`, the room reported
// is below the limit and above zero, and Check refuses a request of the
// limit's size naming the bound; on Linux without a limit it reports the
// machine's available memory.
func TestAvailableUnderAddressLimit(t *testing.T) {
	if os.Getenv("NETGEOM_MEMORY_CHILD") == "1" {
		b, bound, ok := Available()
		if !ok || b <= 0 || b >= 3<<30 || !strings.Contains(bound, "address-space") {
			t.Fatalf("under a 3 GiB address limit: %d bytes, %q, ok %v", b, bound, ok)
		}
		if err := Check(3<<30, "the test's request"); err == nil || !strings.Contains(err.Error(), "the test's request needs about 3 GiB; the address-space limit (ulimit -v) leaves") {
			t.Fatalf("Check: %v", err)
		}
		if err := Check(1<<20, "a small request"); err != nil {
			t.Fatalf("Check of 1 MiB: %v", err)
		}
		return
	}
	if _, bound, ok := Available(); ok && bound == "" {
		t.Error("a bound without a name")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit")
	}
	cmd := exec.Command(prlimit, "--as=3221225472", os.Args[0], "-test.run=TestAvailableUnderAddressLimit", "-test.count=1")
	cmd.Env = append(os.Environ(), "NETGEOM_MEMORY_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child under prlimit: %v\n%s", err, out)
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{512: "512 B", 1536: "1.5 KiB", 3 << 30: "3 GiB", 5 << 40: "5 TiB"} {
		if got := Format(in); got != want {
			t.Errorf("Format(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestBytes: estimates within int64 are truncated, those beyond it (or
// infinite) are the largest int64.
func TestBytes(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want int64
	}{{3.5, 3}, {0, 0}, {1 << 40, 1 << 40}, {1e30, math.MaxInt64}, {math.Inf(1), math.MaxInt64}} {
		if got := Bytes(c.in); got != c.want {
			t.Errorf("Bytes(%v) = %d; want %d", c.in, got, c.want)
		}
	}
}
