package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/netgeom/netgeom/internal/jsonl"
	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/sweep"
)

func init() { register(newSweepCmd) }

// sweepRecordHook, when set, is called after each point's record is in
// the sweep's file, with the number of points done. Only the tests set it
// (in the child process they run as netgeom) to kill a sweep at an exact
// point.
var sweepRecordHook func(done int)

// sweepNoEngine is the sweep commands' noEngine annotation.
const sweepNoEngine = "it runs netgeom commands as tasks; give --backend to the command after --"

// notSweepable are the subcommands a sweep does not run.
var notSweepable = map[string]bool{"sweep": true, "completion": true, "help": true, "__complete": true, "__completeNoDesc": true}

// sweepSetup holds the flags that say what a sweep runs: the grid, the
// command, the tasks' threads.
type sweepSetup struct {
	grids    []string
	specFile string
	jobs     int
	threads  int
}

func (s *sweepSetup) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&s.grids, "grid", nil, "an axis of the grid, NAME=VALUES with VALUES lo:hi:n (n evenly spaced), lo:hi (integers) or a,b,c; repeat for more axes, the first outermost")
	fl.StringVar(&s.specFile, "spec", "", "read the grid, and the command unless one follows --, from this YAML or JSON file")
	fl.IntVar(&s.jobs, "jobs", 1, "points run at once on this machine (results do not depend on it)")
	fl.IntVar(&s.threads, "threads", 0, "threads of every task, its NETGEOM_THREADS and GOMAXPROCS (0: the cores divided by --jobs); recorded in the sweep, since the last bits of results depend on it")
}

// build reads the grid and the command (args, the steps after --) into a
// checked sweep, with the seed from --seed, and checks every step against
// netgeom's own commands (checkSteps), before anything runs.
func (s *sweepSetup) build(g *globals, args []string) (sweep.Spec, func(int, string) bool, error) {
	var (
		grid  sweep.Grid
		steps [][]string
		err   error
	)
	if s.specFile != "" {
		if grid, steps, err = sweep.ReadSpecFile(s.specFile); err != nil {
			return sweep.Spec{}, nil, fmt.Errorf("--spec: %w", err)
		}
	}
	if len(s.grids) > 0 {
		if len(grid) > 0 {
			return sweep.Spec{}, nil, fmt.Errorf("--grid and a grid in --spec %s: give one", s.specFile)
		}
		for _, a := range s.grids {
			ax, err := sweep.ParseAxis(a)
			if err != nil {
				return sweep.Spec{}, nil, fmt.Errorf("--grid: %w", err)
			}
			grid = append(grid, ax)
		}
	}
	if len(args) > 0 {
		if len(steps) > 0 {
			return sweep.Spec{}, nil, fmt.Errorf("a command after -- and one in --spec %s: give one", s.specFile)
		}
		if steps, err = splitSteps(args); err != nil {
			return sweep.Spec{}, nil, err
		}
	}
	if err := grid.Check(); err != nil {
		return sweep.Spec{}, nil, err
	}
	if s.jobs < 1 {
		return sweep.Spec{}, nil, fmt.Errorf("--jobs %d: want at least 1", s.jobs)
	}
	threads := s.threads
	if threads < 0 {
		return sweep.Spec{}, nil, fmt.Errorf("--threads %d: want at least 1 (0: the cores divided by --jobs)", threads)
	}
	if threads == 0 {
		threads = max(1, runtime.NumCPU()/s.jobs)
	}
	sp := sweep.Spec{Format: sweep.Format, Version: version, Steps: steps, Grid: grid, Seed: g.Seed, Threads: threads, Points: grid.Size()}
	if err := sp.Check(); err != nil {
		return sp, nil, err
	}
	takes, err := checkSteps(&sp)
	return sp, takes, err
}

// splitSteps cuts the arguments after the first -- into steps at every
// further --.
func splitSteps(args []string) ([][]string, error) {
	var steps [][]string
	cur := []string{}
	for _, a := range append(slices.Clone(args), "--") {
		if a != "--" {
			cur = append(cur, a)
			continue
		}
		if len(cur) == 0 {
			return nil, errors.New("an empty command between two --")
		}
		steps = append(steps, cur)
		cur = []string{}
	}
	return steps, nil
}

// checkSteps checks every step of sp as netgeom would parse it at the
// first point (a command that exists and runs, flags it takes, no
// arguments), that every axis is a flag of a step (and not also one of its
// fixed flags) whose values that flag accepts, and that no output file
// would be written by every point; it returns which step takes which
// axis.
func checkSteps(sp *sweep.Spec) (func(int, string) bool, error) {
	first := sp.Args(0, func(int, string) bool { return false })
	takes := make([]map[string]bool, len(sp.Steps))
	lookup := func(step []string) (*cobra.Command, []string, error) {
		root := newRootCmd()
		c, rest, err := root.Find(step)
		if err != nil || c == root || !c.Runnable() || notSweepable[c.Name()] || c.HasSubCommands() {
			return nil, nil, fmt.Errorf("%q is not a netgeom command that a sweep runs ('netgeom --help' lists the commands)", step[0])
		}
		return c, rest, nil
	}
	for k, st := range sp.Steps {
		c, rest, err := lookup(first[k])
		if err != nil {
			return nil, err
		}
		if err := c.ParseFlags(rest); err != nil {
			return nil, fmt.Errorf("%s: %w", st[0], err)
		}
		if extra := c.Flags().Args(); len(extra) > 0 {
			return nil, fmt.Errorf("%s takes flags only; %q is not one", st[0], extra[0])
		}
		takes[k] = map[string]bool{}
		for _, a := range sp.Grid {
			f := c.Flags().Lookup(a.Name)
			if a.Name == "seed" || f == nil {
				continue
			}
			if f.Changed {
				return nil, fmt.Errorf("%s: --%s is both one of its flags and an axis of the grid; give it once", st[0], a.Name)
			}
			takes[k][a.Name] = true
			// The values, set in turn on a fresh command's flag.
			fc, _, _ := lookup(first[k])
			fc.ParseFlags(nil) // merges the global flags
			for _, v := range a.Values {
				if err := fc.Flags().Set(a.Name, v); err != nil {
					return nil, fmt.Errorf("grid axis %s: %s --%s %s: %v", a.Name, st[0], a.Name, v, err)
				}
			}
		}
		var outErr error
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if _, ok := f.Annotations[outputAnnotation]; !ok || outErr != nil {
				return
			}
			raw := rawFlagValue(st[1:], f.Name)
			if raw == "" {
				raw = f.DefValue
			}
			if raw != "" && sp.Points > 1 && !perPoint(raw, sp.Grid) {
				outErr = fmt.Errorf("%s --%s %s: every point would write this file; name one per point, like --%s %s",
					st[0], f.Name, raw, f.Name, sweep.ShellQuote(strings.TrimSuffix(raw, filepath.Ext(raw))+"-{index}"+filepath.Ext(raw)))
			}
		})
		if outErr != nil {
			return nil, outErr
		}
	}
	for _, a := range sp.Grid {
		if a.Name == "seed" {
			continue
		}
		if !slices.ContainsFunc(takes, func(m map[string]bool) bool { return m[a.Name] }) {
			names := make([]string, len(sp.Steps))
			for k, st := range sp.Steps {
				names[k] = st[0]
			}
			return nil, fmt.Errorf("grid axis %s: %s has no flag --%s", a.Name, strings.Join(names, " nor "), a.Name)
		}
	}
	return func(k int, name string) bool { return takes[k][name] }, nil
}

// rawFlagValue is the value the arguments give --name (the last one), or
// "".
func rawFlagValue(args []string, name string) string {
	v := ""
	for k, a := range args {
		if a == "--"+name && k+1 < len(args) {
			v = args[k+1]
		} else if after, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			v = after
		}
	}
	return v
}

// perPoint reports whether a file name with placeholders differs from
// point to point: it holds {index} or {seed}, or every axis of more than
// one value.
func perPoint(name string, grid sweep.Grid) bool {
	if strings.Contains(name, "{index}") || strings.Contains(name, "{seed}") {
		return true
	}
	for _, a := range grid {
		if len(a.Values) > 1 && !strings.Contains(name, "{"+a.Name+"}") {
			return false
		}
	}
	return true
}

func newSweepCmd(g *globals) *cobra.Command {
	var (
		setup                sweepSetup
		out, shardSpec       string
		shards               int
		keepGoing, overwrite bool
	)
	cmd := &cobra.Command{
		Use:         "sweep [flags] -- COMMAND [FLAGS] [-- COMMAND [FLAGS]]",
		Annotations: map[string]string{noEngine: sweepNoEngine},
		Short:       "Run a netgeom command over a grid of settings, here or as a Slurm job array, resumably, and merge the results",
		Long: `Run a netgeom command at every point of a grid of its flags' values, each point
as its own process (this netgeom binary), and write one JSON line per point
(the command's JSON output with the point's coordinates, seed and wall time)
to --out, a sweep file:

  netgeom sweep --grid 'sigma-w=1:5:41' --grid 'sigma-b=0:2:21' --jobs 2 --out phase.jsonl \
      -- curvature --width 1000 --depth 20 --points 100
  netgeom sweep merge --out phase.jsonl --plot phase-measured.png

Grid axes (--grid NAME=VALUES, or a YAML/JSON --spec file) name a flag of
the command: lo:hi:n is n evenly spaced numbers from lo to hi, lo:hi the
integers lo..hi, a,b,c the values listed (a;b;c when values hold commas).
Points are numbered in row-major order: the first axis outermost, the last
varying fastest. Point i runs COMMAND FLAGS --NAME=VALUE... --seed=S
--format=jsonl. S is the value of a seed axis when the grid has one (seed=1
gives every point seed 1); otherwise it is derived from --seed and the
point's coordinates alone (the first 8 bytes of the SHA-256 of
"netgeom-sweep-seed\n" --seed "\n" and "NAME=VALUE\n" for each axis by
name), so that no result depends on how the grid is split. {index}, {seed}
and {NAME} in the command's flags are replaced by the point's; a file the
command writes (--plot, --out) must have one per point. More than one
command, separated by --, run in order at each point (a pipeline; each
gets the axes it has flags for; the result is the array of their outputs).

Every task runs with --threads threads (NETGEOM_THREADS and GOMAXPROCS):
OpenBLAS's sums, so the last bits of results, depend on the thread count,
and the sweep records it. --jobs runs that many points at once, each bound
(sched_setaffinity) to its own --threads of the CPUs the sweep may run on,
when there are enough of them; the progress and the count of points done
are the whole sweep's (or shard's).

--shard I/N runs the points whose index is I mod N into NAME.shard-I-of-N.jsonl;
--shard auto takes I and N from a Slurm job array (SLURM_ARRAY_TASK_ID,
_COUNT, _MIN) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with
--shards N). Run again, a sweep or shard resumes its file: points done are
skipped, failed ones retried, a half-written last line is dropped and redone,
and a file of other settings is refused (--overwrite starts it again). A
sweep run whole is complete in --out; shards are merged into it by
'netgeom sweep merge', which gives the same file, point for point and byte
for byte apart from the fields named seconds (wall times), whatever N.

A point whose command fails (a non-zero exit) is recorded with its last
line of stderr, and the sweep stops (--keep-going runs the other points
and still exits 1); a task killed by a signal is not recorded and runs
again on resume. 'netgeom sweep slurm' writes and submits the job array,
'netgeom sweep status' reports the shards.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && cmd.ArgsLenAtDash() != 0 {
				return fmt.Errorf("unknown command %q for netgeom sweep: put the command to sweep after --, like netgeom sweep --grid sigma-w=1:5:9 --out s.jsonl -- curvature", args[0])
			}
			sp, takes, err := setup.build(g, args)
			if err != nil {
				return err
			}
			if out == "" {
				return errors.New("--out: give the sweep's file (NAME.jsonl)")
			}
			var (
				sh  sweep.Shard
				src string
			)
			switch {
			case shardSpec == "" && cmd.Flags().Changed("shards"):
				return errors.New("--shards goes with --shard auto")
			case shardSpec == "auto":
				if sh, src, err = sweep.AutoShard(os.Getenv, shards); err != nil {
					return err
				}
			case shardSpec != "":
				if sh, err = sweep.ParseShard(shardSpec); err != nil {
					return fmt.Errorf("--shard: %w", err)
				}
				if cmd.Flags().Changed("shards") && shards != sh.Count {
					return fmt.Errorf("--shard %s and --shards %d disagree", shardSpec, shards)
				}
			}
			sp.Shard = sh
			path := sweep.ShardPath(out, sh)
			if path != out {
				if err := g.checkOutput(cmd, "out", path, "sweep"); err != nil {
					return err
				}
			}
			bin, err := os.Executable()
			if err != nil {
				return fmt.Errorf("sweep: cannot find the netgeom program to run the points: %w", err)
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			log := logWriter(cmd)
			if src != "" {
				fmt.Fprintf(log, "sweep: shard %s (%s) of %d points\n", sh, src, sp.Points)
			}
			cpus, perr := sweep.PinCPUs(setup.jobs, sp.Threads)
			if setup.jobs > 1 {
				if perr != nil {
					fmt.Fprintf(log, "sweep: %v\n", perr)
				} else {
					sets := make([]string, len(cpus))
					for w, c := range cpus {
						sets[w] = sweep.FormatIndices(c, len(c)+1)
					}
					fmt.Fprintf(log, "sweep: %d jobs, each bound to its own CPUs: %s\n", setup.jobs, strings.Join(sets, " | "))
				}
			}
			update, finish := progress(cmd, "sweep")
			opts := sweep.RunOptions{Spec: sp, Out: out, Task: (&sweep.Exec{Binary: bin, Takes: takes, CPUs: cpus}).Task(&sp), Jobs: setup.jobs,
				KeepGoing: keepGoing, Overwrite: overwrite, Progress: update, Log: log, Verbose: !isTerminal(cmd.ErrOrStderr())}
			if hook := sweepRecordHook; hook != nil {
				opts.Progress = func(done, total int) { update(done, total); hook(done) }
			}
			res, err := sweep.Run(ctx, opts)
			finish()
			if res == nil {
				return err
			}
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("interrupted: %d points of %d have a record in %s; run the same command again to resume", res.Skipped+res.Ran, res.Points, res.Path)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: %s: %d points run, %d found done, %d failed, in %.1fs\n", res.Path, res.Ran, res.Skipped, res.Failed, res.Seconds)
			t := table{
				Title:  fmt.Sprintf("sweep %s, shard %s: %d points, --jobs %d x --threads %d (%.1fs)", res.Path, shardLabel(sh), res.Points, setup.jobs, sp.Threads, res.Seconds),
				Header: []string{"points", "ran", "skipped", "failed", "complete"},
				Rows:   [][]string{{strconv.Itoa(res.Points), strconv.Itoa(res.Ran), strconv.Itoa(res.Skipped), strconv.Itoa(res.Failed), strconv.FormatBool(res.Complete)}},
			}
			if eerr := emit(cmd, g, t, res); eerr != nil {
				return eerr
			}
			return err
		},
	}
	setup.add(cmd)
	fl := cmd.Flags()
	outputFlag(cmd, &out, "out", "", "sweep", "the sweep's file, NAME.jsonl (a shard writes NAME.shard-I-of-N.jsonl)")
	fl.StringVar(&shardSpec, "shard", "", "run shard I/N (the points with index = I mod N), or auto: from a Slurm array or Kubernetes Indexed Job")
	fl.IntVar(&shards, "shards", 0, "with --shard auto: the number of shards (then a Slurm array's index is the shard's; a Kubernetes Indexed Job needs it)")
	fl.BoolVar(&keepGoing, "keep-going", false, "after a point fails, run the other points (the sweep still exits 1)")
	fl.BoolVar(&overwrite, "overwrite", false, "start the file afresh instead of resuming it")
	cmd.AddCommand(newSweepStatusCmd(g), newSweepMergeCmd(g), newSweepSlurmCmd(g))
	return cmd
}

func shardLabel(sh sweep.Shard) string {
	if sh.Count == 0 {
		return "all"
	}
	return sh.String()
}

func newSweepStatusCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:         "status",
		Annotations: map[string]string{noEngine: sweepNoEngine},
		Short:       "Report the points of a sweep done, failed and missing, by shard",
		Long: `Read the shard files of the sweep --out NAME.jsonl (NAME.shard-I-of-N.jsonl),
or NAME.jsonl itself when it has none (a sweep run whole, or merged), and
print per shard its points, how many have a result, how many failed and how
many have no record yet (a shard with no file has not started). The missing
points and the failures (with their errors) follow on stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: give the sweep's file (NAME.jsonl)")
			}
			st, err := sweep.ReadStatus(out)
			if err != nil {
				return err
			}
			state := "complete"
			if !st.Complete() {
				state = "incomplete"
			}
			t := table{
				Title: fmt.Sprintf("sweep %s (%s): %d points, %d done, %d failed, %d missing; %s",
					out, sweepCommand(st.Spec), st.Points, st.Done, st.Failed, st.Missing, state),
				Header: []string{"shard", "file", "started", "points", "done", "failed", "missing"},
			}
			for _, s := range st.Shards {
				t.Rows = append(t.Rows, []string{shardLabel(s.Shard), s.Path, strconv.FormatBool(s.Exists), strconv.Itoa(s.Points),
					strconv.Itoa(s.Done), strconv.Itoa(s.Failed), strconv.Itoa(s.Missing)})
			}
			w := cmd.ErrOrStderr()
			if st.Missing > 0 {
				fmt.Fprintf(w, "netgeom: points missing: %s\n", sweep.FormatIndices(st.MissingPoints, 20))
			}
			for k, r := range st.Failures {
				if k == 10 {
					fmt.Fprintf(w, "netgeom: ... and %d more failures (--format json lists them all)\n", len(st.Failures)-k)
					break
				}
				fmt.Fprintf(w, "netgeom: point %d (%s) failed: %s\n", r.Index, st.Spec.Label(r.Index), r.Error)
			}
			return emit(cmd, g, t, st)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the sweep's file, NAME.jsonl")
	return cmd
}

func newSweepMergeCmd(g *globals) *cobra.Command {
	var (
		out, csvPath, plotPath string
		opts                   sweep.MergeOptions
	)
	cmd := &cobra.Command{
		Use:         "merge",
		Annotations: map[string]string{noEngine: sweepNoEngine},
		Short:       "Check that every point of a sweep is done and merge its shards into one file, CSV and figure",
		Long: `Read the shard files of the sweep --out NAME.jsonl, check that every point
has a result (with --allow-failed, a result or a recorded failure), and
write NAME.jsonl: the sweep's header, then one line per point by index, the
same bytes as the sweep run whole, whatever the number of shards, apart
from the fields named seconds (wall times; --no-timing leaves them out, so
that two merges compare equal byte for byte). A sweep run whole is
rewritten as it is.

--csv writes the points as CSV, one row each: index, the coordinates,
seed, seconds, then every leaf of the command's JSON output as a column
named by its path (result.layers.3.kappa_bar). --plot draws the sweep's
figure where its command has one: a curvature sweep over sigma-w and
sigma-b (and seeds) is drawn as a finite-width phase diagram, chi_1
measured from the growth of the circle's length (averaged over seeds in
log) beside mean field's, with the order-to-chaos boundary from both. A
curvature sweep prints this summary per point (measured and mean-field
chi_1, kbar at saturation, the Grassmannian length's growth per layer);
others print the status of the shards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: give the sweep's file (NAME.jsonl)")
			}
			st, recs, err := sweep.Merge(out, opts)
			if err != nil {
				return err
			}
			g.wrote(cmd, out)
			if csvPath != "" {
				if err := outfile.Write(csvPath, func(w io.Writer) error { return sweep.WriteCSV(w, st.Spec, recs, opts.NoTiming) }); err != nil {
					return err
				}
				g.wrote(cmd, csvPath)
			}
			view, hasView := sweepViews[sweepCommand(st.Spec)]
			if plotPath != "" {
				if !hasView || view.plot == nil {
					return fmt.Errorf("--plot: sweeps of %s have no figure (curvature sweeps over sigma-w and sigma-b do)", sweepCommand(st.Spec))
				}
				if err := view.plot(plotPath, st.Spec, recs); err != nil {
					return err
				}
				g.wrote(cmd, plotPath)
			}
			if hasView && st.Failed == 0 {
				t, v, err := view.table(st.Spec, recs)
				if err != nil {
					return err
				}
				return emit(cmd, g, t, v)
			}
			t := table{
				Title:  fmt.Sprintf("sweep %s: %d points merged from %d files (%d failed)", out, st.Points, len(st.Shards), st.Failed),
				Header: []string{"points", "done", "failed", "files"},
				Rows:   [][]string{{strconv.Itoa(st.Points), strconv.Itoa(st.Done), strconv.Itoa(st.Failed), strconv.Itoa(len(st.Shards))}},
			}
			return emit(cmd, g, t, st)
		},
	}
	fl := cmd.Flags()
	outputFlag(cmd, &out, "out", "", "sweep", "the sweep's file, NAME.jsonl: its shards are read and it is written")
	outputFlag(cmd, &csvPath, "csv", "", "sweep-csv", "also write the points as CSV here")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "draw the sweep's figure here (.png or .svg), where its command has one")
	fl.BoolVar(&opts.AllowFailed, "allow-failed", false, "merge a sweep with failed points, their records holding the errors")
	fl.BoolVar(&opts.NoTiming, "no-timing", false, "leave out the wall times (every field named seconds)")
	return cmd
}

// sweepCommand names what a sweep runs: its command, or its steps'
// commands joined by +.
func sweepCommand(sp sweep.Spec) string {
	names := make([]string, len(sp.Steps))
	for k, st := range sp.Steps {
		names[k] = st[0]
	}
	return strings.Join(names, "+")
}

func newSweepSlurmCmd(g *globals) *cobra.Command {
	var (
		setup                   sweepSetup
		o                       sweep.SlurmOptions
		out, csvPath, plotPath  string
		keepGoing, submit       bool
		allowFailed             bool
		extra                   []string
		shards, parallel        int
		timeLimit, mem          string
		partition, account      string
		gpu                     bool
		scriptPath, mergeScript string
	)
	cmd := &cobra.Command{
		Use:         "slurm [flags] -- COMMAND [FLAGS]",
		Annotations: map[string]string{noEngine: sweepNoEngine},
		Short:       "Write (and with --submit, submit) a Slurm job array that runs a sweep, and its merge job",
		Long: `Write NAME.sbatch, a Slurm job array of --shards tasks (--array=0-(N-1)%K
with K = --parallel) in which task I runs 'netgeom sweep --shard auto
--shards N' with the grid and command given here (each task runs shard I,
the points with index = I mod N, and resumes its shard file if it exists),
and NAME.merge.sbatch, which runs 'netgeom sweep merge'. Each task gets
--time, --mem, --jobs x --threads CPUs and, with --gpu, --gres=gpu:1; its
output goes to NAME.logs/NAME-JOB_TASK.out. Paths are absolute, and the jobs
run in this folder; the netgeom binary must be where the nodes can run it.

With --submit it runs sbatch: the array, then the merge job with
--dependency=afterok on it, and prints their job IDs. Run again after
tasks died or failed, it submits only the shards that are not complete
(--array with their indices) and a new merge job. Without --submit it prints
the two sbatch commands. Do not resubmit while the first array still runs
(squeue): a shard run twice at once fails in the second task.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("threads") {
				// Not this machine's cores: the tasks run on the cluster's nodes.
				setup.threads = 1
			}
			sp, _, err := setup.build(g, args)
			if err != nil {
				return err
			}
			if out == "" {
				return errors.New("--out: give the sweep's file (NAME.jsonl)")
			}
			if !cmd.Flags().Changed("shards") {
				shards = min(sp.Points, 1000)
			}
			switch {
			case shards < 1 || shards > sp.Points:
				return fmt.Errorf("--shards %d: want 1 to the %d points of the grid", shards, sp.Points)
			case parallel < 0:
				return fmt.Errorf("--parallel %d: want 0 (no limit) or more", parallel)
			}
			for name, v := range map[string]string{"time": timeLimit, "mem": mem, "partition": partition, "account": account} {
				if strings.ContainsAny(v, " \t\r\n'\"") {
					return fmt.Errorf("--%s %q: no spaces or quotes", name, v)
				}
			}
			for _, e := range extra {
				if !strings.HasPrefix(e, "--") || strings.ContainsAny(e, "\r\n") {
					return fmt.Errorf("--sbatch %q: give one sbatch option, like --qos=long", e)
				}
			}
			abs := func(p string) string {
				if p == "" {
					return ""
				}
				a, err := filepath.Abs(p)
				if err != nil {
					return p
				}
				return a
			}
			absOut := abs(out)
			base := sweep.Base(absOut)
			scriptPath, mergeScript = base+".sbatch", base+".merge.sbatch"
			for _, p := range []string{scriptPath, mergeScript} {
				if err := g.checkOutput(cmd, "out", p, "slurm"); err != nil {
					return err
				}
			}
			bin, err := os.Executable()
			if err != nil {
				return fmt.Errorf("sweep slurm: cannot find the netgeom program: %w", err)
			}
			cwd, err := os.Getwd()
			if err != nil {
				return err
			}
			task := []string{bin, "sweep", "--out", absOut, "--shard", "auto", "--shards", strconv.Itoa(shards),
				"--jobs", strconv.Itoa(setup.jobs), "--threads", strconv.Itoa(sp.Threads), "--seed", strconv.FormatUint(sp.Seed, 10)}
			if keepGoing {
				task = append(task, "--keep-going")
			}
			for _, a := range sp.Grid {
				task = append(task, "--grid", a.Flag())
			}
			for _, st := range sp.Steps {
				task = append(append(task, "--"), st...)
			}
			merge := []string{bin, "sweep", "merge", "--out", absOut}
			if csvPath != "" {
				merge = append(merge, "--csv", abs(csvPath))
			}
			if plotPath != "" {
				merge = append(merge, "--plot", abs(plotPath))
			}
			if allowFailed {
				merge = append(merge, "--allow-failed")
			}
			name := filepath.Base(base)
			o = sweep.SlurmOptions{Name: name, Shards: shards, Parallel: parallel, Time: timeLimit, Mem: mem, Partition: partition, Account: account,
				CPUsPerTask: setup.jobs * sp.Threads, GPU: gpu, LogDir: base + ".logs", Extra: append([]string{"--chdir=" + cwd}, extra...), Task: task, Merge: merge,
				About: fmt.Sprintf("%s over %d points in %d shards (shard I runs the points with index = I mod %d); written by netgeom %s", sweepCommand(sp), sp.Points, shards, shards, version)}
			taskScript, mergeText := sweep.SlurmScripts(o)
			if err := os.MkdirAll(o.LogDir, 0o777); err != nil {
				return fmt.Errorf("sweep slurm: %w", err)
			}
			for p, text := range map[string]string{scriptPath: taskScript, mergeScript: mergeText} {
				if err := outfile.WriteFile(p, []byte(text)); err != nil {
					return err
				}
				g.wrote(cmd, p)
			}
			res := slurmJSON{Script: scriptPath, MergeScript: mergeScript, Logs: o.LogDir, Shards: shards, Points: sp.Points}
			all := make([]int, shards)
			for i := range all {
				all[i] = i
			}
			res.Array = sweep.ArraySpec(all, parallel)
			if submit {
				todo, err := shardsToRun(absOut, sp, shards)
				if err != nil {
					return err
				}
				if len(todo) == 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: every shard of %s is complete; nothing submitted (merge with: %s)\n", out, sweep.ShellJoin(merge))
				} else {
					res.Array = sweep.ArraySpec(todo, parallel)
					if res.Job, err = sweep.Sbatch(scriptPath, "--array="+res.Array); err != nil {
						return err
					}
					if res.MergeJob, err = sweep.Sbatch(mergeScript, "--dependency=afterok:"+res.Job); err != nil {
						return fmt.Errorf("%w (the array, job %s, was submitted)", err, res.Job)
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: submitted job %s (array %s) and the merge job %s after it\n", res.Job, res.Array, res.MergeJob)
				}
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: submit with: jobid=$(sbatch --parsable %s) && sbatch --dependency=afterok:$jobid %s\n",
					sweep.ShellQuote(scriptPath), sweep.ShellQuote(mergeScript))
			}
			t := table{Title: fmt.Sprintf("sweep %s on Slurm: %d points in %d shards", out, sp.Points, shards),
				Header: []string{"script", "merge_script", "array", "job", "merge_job"},
				Rows:   [][]string{{res.Script, res.MergeScript, res.Array, cmpOr(res.Job, "-"), cmpOr(res.MergeJob, "-")}}}
			return emit(cmd, g, t, res)
		},
	}
	setup.add(cmd)
	fl := cmd.Flags()
	fl.Lookup("threads").Usage = "threads of every task, its NETGEOM_THREADS and GOMAXPROCS (default 1, not this machine's cores; a task asks Slurm for --jobs x --threads CPUs); recorded in the sweep, since the last bits of results depend on it"
	outputFlag(cmd, &out, "out", "", "sweep", "the sweep's file, NAME.jsonl; the scripts are NAME.sbatch and NAME.merge.sbatch, the logs in NAME.logs/")
	fl.IntVar(&shards, "shards", 0, "array tasks, each a shard (default: the points, at most 1000)")
	fl.IntVar(&parallel, "parallel", 0, "most tasks running at once (--array=...%K; 0: no limit)")
	fl.StringVar(&timeLimit, "time", "", "time limit per task (sbatch --time, like 1:00:00)")
	fl.StringVar(&mem, "mem", "", "memory per task (sbatch --mem, like 4G)")
	fl.StringVar(&partition, "partition", "", "Slurm partition")
	fl.StringVar(&account, "account", "", "Slurm account")
	fl.BoolVar(&gpu, "gpu", false, "one GPU per task (--gres=gpu:1)")
	fl.StringArrayVar(&extra, "sbatch", nil, "another sbatch option for the array, like --qos=long (repeat for more)")
	fl.BoolVar(&keepGoing, "keep-going", false, "tasks run the other points after a point fails")
	fl.BoolVar(&submit, "submit", false, "submit the array and the merge job with sbatch")
	fl.StringVar(&csvPath, "csv", "", "the merge job also writes the points as CSV here")
	fl.StringVar(&plotPath, "plot", "", "the merge job also draws the sweep's figure here")
	fl.BoolVar(&allowFailed, "allow-failed", false, "the merge job merges failed points too")
	return cmd
}

// slurmJSON is what sweep slurm prints.
type slurmJSON struct {
	Script      string `json:"script"`
	MergeScript string `json:"merge_script"`
	Logs        string `json:"logs"`
	Shards      int    `json:"shards"`
	Points      int    `json:"points"`
	Array       string `json:"array"`
	Job         string `json:"job,omitempty"`
	MergeJob    string `json:"merge_job,omitempty"`
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// shardsToRun lists the shards of the sweep out (split in n) that are not
// complete; the shard files there must hold this sweep.
func shardsToRun(out string, sp sweep.Spec, n int) ([]int, error) {
	paths, shs, err := sweep.FindShards(out)
	if err != nil {
		return nil, err
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if len(paths) == 0 {
		return all, nil
	}
	if shs[0].Count != n {
		return nil, fmt.Errorf("%s is a shard of a split in %d; this one is in %d: remove the old shards, or give --shards %d", paths[0], shs[0].Count, n, shs[0].Count)
	}
	st, err := sweep.ReadStatus(out)
	if err != nil {
		return nil, err
	}
	if d := jsonl.Diff(st.Spec, sp.Unsharded()); len(d) > 0 {
		return nil, fmt.Errorf("the shards of %s hold another sweep (%s): remove them, or run that sweep", out, strings.Join(d, "; "))
	}
	var todo []int
	for _, s := range st.Incomplete() {
		todo = append(todo, s.Index)
	}
	return todo, nil
}
