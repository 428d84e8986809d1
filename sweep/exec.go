package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exec runs points as processes of a netgeom binary, one per step, each
// with the spec's thread count (NETGEOM_THREADS and GOMAXPROCS), and
// takes the JSON each prints on stdout as the step's result.
type Exec struct {
	// Binary is the netgeom program (os.Executable in netgeom itself).
	Binary string
	// Env is added to the environment the tasks inherit.
	Env []string
	// Takes reports whether step k takes the flag --name (nil: every
	// step takes every axis); see Spec.Args.
	Takes func(step int, name string) bool
	// Grace is how long a task has to exit after SIGTERM when the run is
	// cancelled, before it is killed (0: 10 s).
	Grace time.Duration
	// CPUs, when not nil, binds the processes a worker of Run starts to
	// CPUs[slot] (TaskSlot), one set per worker (PinCPUs).
	CPUs [][]int
}

// PinCPUs shares the CPUs this process may run on (its affinity mask,
// which a scheduler such as Slurm may have narrowed) among jobs workers of
// threads CPUs each, in order: worker w gets the (w+1)-th run of threads
// CPUs. It returns an error saying why not when there is nothing to share
// (one worker, which keeps the mask it inherits) or the workers need more
// CPUs than there are (they would share some, so none is bound).
func PinCPUs(jobs, threads int) ([][]int, error) {
	if jobs < 2 {
		return nil, errors.New("one job keeps the CPUs it inherits")
	}
	cpus, err := allowedCPUs()
	if err != nil {
		return nil, err
	}
	return shareCPUs(cpus, jobs, threads)
}

// shareCPUs gives each of jobs workers its own threads CPUs of cpus, in
// order.
func shareCPUs(cpus []int, jobs, threads int) ([][]int, error) {
	if threads < 1 || jobs*threads > len(cpus) {
		return nil, fmt.Errorf("--jobs %d x --threads %d need %d CPUs and this process may run on %d, so the tasks are not bound to CPUs", jobs, threads, jobs*threads, len(cpus))
	}
	out := make([][]int, jobs)
	for w := range out {
		out[w] = cpus[w*threads : (w+1)*threads : (w+1)*threads]
	}
	return out, nil
}

// Task returns the Task that runs the points of spec: its steps in order,
// stopping at the first that fails. A step that exits with a non-zero
// status, or prints no JSON, is the point's failure (*PointError, with the
// exit status and the last line of its stderr); a step killed by a signal
// (out of memory, a time limit, a cancelled run) is not: the point runs
// again on resume. A single step's result is its JSON output; a pipeline's
// is the array of its steps' outputs.
func (e *Exec) Task(spec *Spec) Task {
	threads := strconv.Itoa(spec.Threads)
	env := append(os.Environ(), "NETGEOM_THREADS="+threads, "GOMAXPROCS="+threads)
	env = append(env, e.Env...)
	grace := e.Grace
	if grace == 0 {
		grace = 10 * time.Second
	}
	// start starts a step's process, bound to its worker's CPUs.
	start := func(ctx context.Context, cmd *exec.Cmd) error {
		if slot, ok := TaskSlot(ctx); ok && slot < len(e.CPUs) {
			return startPinned(cmd, e.CPUs[slot])
		}
		return cmd.Start()
	}
	return func(ctx context.Context, i int) (json.RawMessage, error) {
		steps := spec.Args(i, e.Takes)
		outs := make([]json.RawMessage, 0, len(steps))
		for _, args := range steps {
			cmd := exec.CommandContext(ctx, e.Binary, args...)
			cmd.Env = env
			cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
			cmd.WaitDelay = grace
			var stdout bytes.Buffer
			stderr := &tailBuffer{max: 64 << 10}
			cmd.Stdout, cmd.Stderr = &stdout, stderr
			err := start(ctx, cmd)
			if err == nil {
				err = cmd.Wait()
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					return nil, fmt.Errorf("%s: %w", args[0], err)
				}
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return nil, fmt.Errorf("%s was killed by signal %d (%v; out of memory or a time limit?): %s", args[0], ws.Signal(), ws.Signal(), stderr.lastLine())
				}
				return nil, &PointError{Msg: fmt.Sprintf("%s: exit status %d: %s", args[0], ee.ExitCode(), stderr.lastLine())}
			}
			var out bytes.Buffer
			if err := json.Compact(&out, bytes.TrimSpace(stdout.Bytes())); err != nil || out.Len() == 0 || bytes.ContainsRune(out.Bytes(), '\n') {
				return nil, &PointError{Msg: fmt.Sprintf("%s: printed no JSON result (%q)", args[0], preview(stdout.Bytes()))}
			}
			outs = append(outs, out.Bytes())
		}
		if len(outs) == 1 {
			return outs[0], nil
		}
		return marshalLine(outs)
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

// lastLine is the last non-empty line written, or a note that there was
// none.
func (t *tailBuffer) lastLine() string {
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return "(nothing on stderr)"
}

func preview(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
