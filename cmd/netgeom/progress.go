package main

import (
	"fmt"
	"io"
	"os"
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
