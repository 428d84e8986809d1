package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/netgeom/netgeom/engine"
	"github.com/spf13/cobra"
)

// logEvery is how often a run whose stderr is not a terminal (a batch job's
// log) says how far it is.
var logEvery = 30 * time.Second

// progress returns a callback that shows "label: done/total" on stderr, and
// a function to call when the work ends. On a terminal the line is
// rewritten in place at most ten times a second and cleared at the end;
// elsewhere (a file, a pipe, a batch log) a "netgeom: label: done/total"
// line is written every logEvery, so a log shows that a long run is alive
// without filling up.
func progress(cmd *cobra.Command, label string) (update func(done, total int), finish func()) {
	w := cmd.ErrOrStderr()
	start := time.Now()
	line := func(done, total int, now time.Time) string {
		return fmt.Sprintf("%s: %d/%d (%.0f%%, %.1fs)", label, done, total, 100*float64(done)/float64(max(total, 1)), now.Sub(start).Seconds())
	}
	if !isTerminal(w) {
		var mu sync.Mutex
		last := start
		return func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			if now := time.Now(); now.Sub(last) >= logEvery && done < total {
				last = now
				fmt.Fprintf(w, "netgeom: %s\n", line(done, total, now))
			}
		}, func() {}
	}
	var last time.Time
	shown := false
	update = func(done, total int) {
		if now := time.Now(); now.Sub(last) >= 100*time.Millisecond || done == total {
			last = now
			shown = true
			fmt.Fprintf(w, "\r%s   ", line(done, total, now))
		}
	}
	finish = func() {
		if shown {
			fmt.Fprint(w, "\r\033[K")
		}
	}
	return update, finish
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// logWriter is where a library's log messages go: the command's stderr,
// each line starting "netgeom: " like the command's own messages.
func logWriter(cmd *cobra.Command) io.Writer {
	return &prefixWriter{w: cmd.ErrOrStderr(), prefix: []byte("netgeom: "), lineStart: true}
}

// prefixWriter writes prefix at the start of every line.
type prefixWriter struct {
	mu        sync.Mutex
	w         io.Writer
	prefix    []byte
	lineStart bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, c := range b {
		if p.lineStart {
			out = append(out, p.prefix...)
		}
		out = append(out, c)
		p.lineStart = c == '\n'
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// interruptible returns ctx cancelled at the first interrupt (Ctrl-C or
// SIGTERM), so that a long run ends after the work in progress and keeps
// what it finished; a second interrupt kills the process at once (the
// default signal handling is restored). stop releases the signals.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// runLong runs a long library call the way census, landscape compare and
// landscape explore do: on the --backend, interruptible (see
// interruptible), with progress under label and the library's log lines
// on stderr. run gets the backend, the context, and the progress and log
// callbacks to set in its options.
func runLong[R any](cmd *cobra.Command, g *globals, label string, run func(ctx context.Context, b engine.Backend, update func(done, total int), log io.Writer) (R, error)) (R, error) {
	b, err := g.open()
	if err != nil {
		var zero R
		return zero, err
	}
	defer b.Close()
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	update, finish := progress(cmd, label)
	defer finish()
	return run(ctx, b, update, logWriter(cmd))
}
