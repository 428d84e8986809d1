package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/reproduce"
)

func init() { register(newReproduceCmd) }

// errChecksFailed is returned (exit status 1) when a reproduction's check
// fails; the report still lists and writes every check.
var errChecksFailed = errors.New("checks failed")

func newReproduceCmd(g *globals) *cobra.Command {
	var quick, list bool
	var out, only string
	cmd := &cobra.Command{
		Use:   "reproduce NAME",
		Short: "Re-run a paper's figures at its settings, check every claim against theory, and write an HTML report",
		Long: `Re-run the figures of a paper with the paper's settings, check every
quantitative claim against its theory or published value with a stated
tolerance (standard errors and finite-size terms), and print the checks.
--out DIR also writes DIR/index.html, a self-contained report (figures as
SVG files beside it, no network access), and DIR/results.json. The command
exits with status 1 when any check fails.

--quick runs every figure at reduced size; --list shows the reproductions
with their estimated wall times on a 2-core machine.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, r := range reproduce.List() {
				names = append(names, r.Name)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				t := table{Header: []string{"name", "figures", "quick_seconds", "full_seconds", "title"}}
				for _, r := range reproduce.List() {
					t.Rows = append(t.Rows, []string{r.Name, strings.Join(r.Figures, ","), fmt.Sprint(r.Quick.Seconds()), fmt.Sprint(r.Full.Seconds()), r.Title})
				}
				return emit(cmd, g, t, reproduce.List())
			}
			rp, err := reproduce.Lookup(args[0])
			if err != nil {
				return err
			}
			var figs []string
			if only != "" {
				figs = strings.Split(only, ",")
			}
			if out != "" {
				if err := os.MkdirAll(out, 0o755); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
			}
			b, err := g.open()
			if err != nil {
				return err
			}
			defer b.Close()
			update, finish := progress(cmd, "reproduce "+rp.Name)
			rep, err := reproduce.Run(cmd.Context(), b, rp.Name, reproduce.Options{Quick: quick, Seed: g.Seed, Dir: out, Only: figs,
				Version: version, Commit: commit(), Progress: update})
			finish()
			if err != nil {
				return optionFlagError(err, map[string]string{"Only": "only", "Dir": "out"})
			}
			if out != "" {
				if err := reproduce.WriteHTML(out, rep); err != nil {
					return err
				}
			}
			t := table{Title: fmt.Sprintf("%s (%s), seed %d, %s: %d of %d checks pass", rep.Name, map[bool]string{true: "quick", false: "full"}[rep.Quick],
				rep.Seed, fmtSeconds(rep.Seconds), len(rep.Checks())-len(rep.Failed()), len(rep.Checks())),
				Header: []string{"figure", "check", "measured", "std_err", "relation", "expected", "tolerance", "verdict"}}
			for _, f := range rep.Figures {
				for _, c := range f.Checks {
					t.Rows = append(t.Rows, []string{f.ID, c.Name, fmtFloat(c.Measured), fmtFloat(c.StdErr), string(c.Relation), fmtFloat(c.Expected), fmtFloat(c.Tolerance), c.Verdict()})
				}
			}
			if err := emit(cmd, g, t, rep); err != nil {
				return err
			}
			if g.Format == "table" {
				w := cmd.OutOrStdout()
				for _, f := range rep.Figures {
					fmt.Fprintf(w, "%s: %s\n", f.ID, fmtSeconds(f.Seconds))
				}
				if out != "" {
					fmt.Fprintf(w, "report: %s\n", strings.TrimRight(out, "/")+"/index.html")
				}
			}
			if n := len(rep.Failed()); n > 0 {
				return fmt.Errorf("%w: %d of %d", errChecksFailed, n, len(rep.Checks()))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&quick, "quick", false, "run every figure at reduced size (widths, points, networks)")
	fl.BoolVar(&list, "list", false, "list the reproductions and their estimated wall times")
	outputDirFlag(cmd, &out, "out", "write DIR/index.html, the figures and DIR/results.json (DIR is created)")
	fl.StringVar(&only, "only", "", "run only these figures (comma list of their IDs, such as fig3,fig4)")
	return cmd
}

// fmtSeconds prints a wall time.
func fmtSeconds(s float64) string {
	if s < 60 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%d min %.0f s", int(s)/60, s-60*float64(int(s)/60))
}

// commitID is the source revision, set by `make build` through -ldflags
// (for builds without Go's VCS stamping, such as -buildvcs=false).
var commitID string

// commit is the source revision the binary was built from, with "+dirty"
// for uncommitted changes: Go's VCS stamp, else commitID; "" when neither
// recorded it (go test, go run, a build outside a git checkout).
func commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return commitID
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return commitID
	}
	return rev + dirty
}
