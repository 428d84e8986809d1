//go:build unix

package outfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Lock is an exclusive advisory lock (flock) on a file that a process
// appends to, held on a lock file beside it, PATH.lock, which records the
// holder's process ID. The kernel releases the lock when its holder exits,
// however it exits; a lock file left behind by a killed process is stale
// and is taken over by the next one.
type Lock struct {
	f    *os.File
	path string // the lock file
}

// HeldError is Acquire's error when another process holds the lock.
type HeldError struct {
	Path     string // the file locked
	LockPath string // its lock file
	PID      int    // the holder's process ID; 0 when it has not recorded it yet
}

func (e *HeldError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = "process " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("%s is in use by %s (it holds the lock %s); wait for it to finish or stop it", e.Path, who, e.LockPath)
}

// LockPath is the lock file of path: PATH.lock, with path's symbolic link
// followed when it is one, so that every name of a file shares one lock.
func LockPath(path string) string { return resolve(path) + ".lock" }

// Acquire takes the exclusive lock of path at once, or fails with a
// *HeldError naming the holder's process ID. Release it when done.
func Acquire(path string) (*Lock, error) {
	lp := LockPath(path)
	for range 100 {
		f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			if errors.Is(err, syscall.EWOULDBLOCK) {
				pid := holderPID(f)
				f.Close()
				return nil, &HeldError{Path: path, LockPath: lp, PID: pid}
			}
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lp, err)
		}
		// The previous holder removes the lock file before it lets go:
		// a lock taken on a file no longer at lp locks nothing.
		if !sameFile(f, lp) {
			f.Close()
			continue
		}
		if err := f.Truncate(0); err == nil {
			_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lp, err)
		}
		return &Lock{f: f, path: lp}, nil
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps being replaced", lp)
}

// Release removes the lock file and lets go of the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	var err error
	if sameFile(l.f, l.path) {
		err = os.Remove(l.path)
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how)
			if !errors.Is(ferr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}

// sameFile reports whether the open file f is the file now at path.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// holderPID reads the process ID that the lock's holder wrote into the
// lock file. The holder writes it just after taking the lock, so an empty
// file is read again for a moment.
func holderPID(f *os.File) int {
	for range 20 {
		buf := make([]byte, 32)
		n, _ := f.ReadAt(buf, 0)
		if pid, err := strconv.Atoi(string(bytes.TrimSpace(buf[:n]))); err == nil && pid > 0 {
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}
