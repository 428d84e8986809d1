package cuda

import (
	"fmt"
	"runtime"
)

// worker runs functions on one goroutine locked to its OS thread: the CUDA
// context is current on that thread only, and every GPU call of a backend
// goes through it.
type worker struct {
	calls chan func()
}

func startWorker() *worker {
	w := &worker{calls: make(chan func())}
	go func() {
		// Never unlocked: when the channel closes the goroutine exits and the
		// runtime ends the thread with it, context binding included.
		runtime.LockOSThread()
		for f := range w.calls {
			f()
		}
	}()
	return w
}

// workerPanic carries a panic from the worker to the caller.
type workerPanic struct {
	val   any
	stack []byte
}

// run calls f on the worker and returns its error. A panic in f is re-raised
// in the caller's goroutine, with the worker's stack in the message.
func (w *worker) run(f func() error) error {
	type result struct {
		err error
		p   *workerPanic
	}
	done := make(chan result, 1)
	w.calls <- func() {
		defer func() {
			if v := recover(); v != nil {
				buf := make([]byte, 64<<10)
				done <- result{p: &workerPanic{val: v, stack: buf[:runtime.Stack(buf, false)]}}
			}
		}()
		done <- result{err: f()}
	}
	r := <-done
	if r.p != nil {
		panic(fmt.Sprintf("cuda worker: %v\n%s", r.p.val, r.p.stack))
	}
	return r.err
}

func (w *worker) stop() { close(w.calls) }
