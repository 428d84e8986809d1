package sweep

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// cpuMaskWords is the size of the CPU masks read and written, in 64-bit
// words: 1024 CPUs, glibc's CPU_SETSIZE.
const cpuMaskWords = 16

// allowedCPUs lists the CPUs this process may run on (its affinity mask,
// as a scheduler such as Slurm may have set it), ascending.
func allowedCPUs() ([]int, error) {
	var mask [cpuMaskWords]uint64
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, uintptr(len(mask)*8), uintptr(unsafe.Pointer(&mask[0]))); e != 0 {
		return nil, fmt.Errorf("sched_getaffinity: %w", e)
	}
	var cpus []int
	for w, bits := range mask {
		for b := range 64 {
			if bits&(1<<b) != 0 {
				cpus = append(cpus, 64*w+b)
			}
		}
	}
	return cpus, nil
}

// startPinned starts cmd bound to cpus. The child inherits the CPU mask of
// the OS thread it is forked from: startPinned locks its goroutine to a
// thread, narrows that thread's mask, starts cmd and restores the mask
// before unlocking (were the restore to fail, the thread stays locked and
// ends with the goroutine), so that no other goroutine runs with it.
func startPinned(cmd interface{ Start() error }, cpus []int) error {
	var mask, old [cpuMaskWords]uint64
	for _, c := range cpus {
		if c < 0 || c >= 64*cpuMaskWords {
			return fmt.Errorf("CPU %d is beyond the %d a mask holds", c, 64*cpuMaskWords)
		}
		mask[c/64] |= 1 << (c % 64)
	}
	set := func(m *[cpuMaskWords]uint64) syscall.Errno {
		_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, uintptr(len(m)*8), uintptr(unsafe.Pointer(&m[0])))
		return e
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, uintptr(len(old)*8), uintptr(unsafe.Pointer(&old[0]))); e != 0 {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("sched_getaffinity: %w", e)
			return
		}
		if e := set(&mask); e != 0 {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("sched_setaffinity %v: %w", cpus, e)
			return
		}
		err := cmd.Start()
		if set(&old) == 0 {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}
