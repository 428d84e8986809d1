package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
)

// progress returns a callback that shows "label: done/total" on stderr when
// stderr is a terminal (and nothing otherwise), at most ten times a second,
// and a function that clears the line when the work ends.
func progress(cmd *cobra.Command, label string) (update func(done, total int), finish func()) {
	w := cmd.ErrOrStderr()
	if !isTerminal(w) {
		return func(int, int) {}, func() {}
	}
	var last time.Time
	start := time.Now()
	shown := false
	update = func(done, total int) {
		if now := time.Now(); now.Sub(last) >= 100*time.Millisecond || done == total {
			last = now
			shown = true
			fmt.Fprintf(w, "\r%s: %d/%d (%.0f%%, %.1fs)   ", label, done, total, 100*float64(done)/float64(max(total, 1)), now.Sub(start).Seconds())
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
