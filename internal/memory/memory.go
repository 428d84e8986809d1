// Package memory tells how much memory a netgeom process can still take,
// so that a request too large for the machine is refused with its size
// before anything is allocated, instead of ending in the Go runtime's
// "fatal error: out of memory" trace, which no program can recover from.
//
// The limit is the smallest of: the kernel's estimate of available memory
// (MemAvailable in /proc/meminfo), the room left under an address-space
// limit (RLIMIT_AS, as `ulimit -v` or `prlimit --as` set, less the address
// space the process already holds), and the room left in a cgroup v2 memory
// limit. Where none can be read (not Linux), nothing is refused.
package memory

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Available returns the bytes the process can still allocate and what
// bounds it; ok is false where no bound could be read.
func Available() (bytes int64, bound string, ok bool) {
	bytes = math.MaxInt64
	take := func(v int64, what string) {
		if v < bytes {
			bytes, bound, ok = max(v, 0), what, true
		}
	}
	if v, err := meminfo("MemAvailable"); err == nil {
		take(v, "the machine's available memory")
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err == nil && rl.Cur != math.MaxUint64 && rl.Cur < math.MaxInt64 {
		if size, err := vmSize(); err == nil {
			take(int64(rl.Cur)-size, "the address-space limit (ulimit -v)")
		}
	}
	if lim, err := readInt("/sys/fs/cgroup/memory.max"); err == nil {
		if cur, err := readInt("/sys/fs/cgroup/memory.current"); err == nil {
			take(lim-cur, "the cgroup's memory limit")
		}
	}
	return bytes, bound, ok
}

// Check refuses a request of need bytes for what (a phrase such as "the
// Gram matrix of 10^6 points") that would not fit in what is available,
// keeping a tenth of it for everything else; what is in the error.
func Check(need int64, what string) error {
	avail, bound, ok := Available()
	if !ok || need <= avail-avail/10 {
		return nil
	}
	return fmt.Errorf("%s needs about %s; %s leaves %s", what, Format(need), bound, Format(avail))
}

// Bytes converts an estimate in bytes, computed in float64 so that no
// product of flags can overflow, to an int64 for Check: the largest int64
// for estimates beyond it.
func Bytes(b float64) int64 {
	if b >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(b)
}

// Format writes a byte count in binary units (KiB, MiB, GiB, TiB).
func Format(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	v, i := float64(b), 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.3g %s", v, []string{"B", "KiB", "MiB", "GiB", "TiB"}[i])
}

func meminfo(key string) (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != key {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			break
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no %s in /proc/meminfo", key)
}

// vmSize is the address space the process holds (the first field of
// /proc/self/statm, in pages).
func vmSize() (int64, error) {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 0, fmt.Errorf("empty /proc/self/statm")
	}
	pages, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return 0, err
	}
	return pages * int64(os.Getpagesize()), nil
}

func readInt(path string) (int64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(raw))
	if s == "max" {
		return 0, fmt.Errorf("no limit")
	}
	return strconv.ParseInt(s, 10, 64)
}
