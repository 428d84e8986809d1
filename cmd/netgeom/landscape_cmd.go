package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newLandscapeCmd) }

func newLandscapeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "landscape",
		Short: "Map energy landscapes: basin-hopping, transition states, disconnectivity graphs, and Becker et al.'s claims across depth",
		Long: `Energy-landscape tools of Wales' school (GMIN, OPTIM, PATHSAMPLE) on networks'
training objectives, and a test of Becker, Zhang and Lee's (PRL 2020) claims
across depth at a fixed parameter budget.

  netgeom landscape compare --data iris,wine --budget 500 --depths 1:4 --dir compare
  netgeom landscape explore --data iris --arch 4-5-5-3 --weight-decay 0.001 --steps 150 --connect 15 --db iris.db.jsonl
  netgeom landscape graph --db iris.db.jsonl --color log-det --plot iris-graph.png`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newLandscapeCompareCmd(g), newLandscapeExploreCmd(g), newLandscapeGraphCmd(g))
	return cmd
}

func newLandscapeCompareCmd(g *globals) *cobra.Command {
	var (
		opts                    landscape.CompareOptions
		data, depthSpec, wdSpec string
		view, plotPath          string
		overwrite               bool
	)
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Test Becker, Zhang and Lee's three claims across depth at a fixed parameter budget, with intervals",
		Long: `For every data set (--data, comma-separated) and weight decay (--weight-decay,
comma-separated: a sweep of the regularisation), run a census across depth at
the parameter budget (as netgeom census; one file per data set and decay in
--dir, DATA-wdDECAY.jsonl, resumable with --resume) and test, between the
shallowest and the deepest depth, Becker, Zhang and Lee's claims (PRL 2020,
abstract: at a fixed parameter count, more depth means fewer minima, more
clustered minima and a milder trade-off between the depth and the width of
minima) under netgeom's definitions:

  fewer-minima      the Chao1 estimate of the distinct minima that descent
                    from the initialisation reaches (seen and unseen), with
                    its 95% interval; the difference's interval runs between
                    the two intervals' far ends.
  more-clustered    the median, over pairs of distinct minima, of the
                    parameter distance after aligning hidden units by
                    permutations and sign flips, relative to the parameters'
                    norm (the median overlap <a, b>/(|a||b|) is reported
                    beside it).
  milder-tradeoff-loss, milder-tradeoff-objective
                    the least-squares slope, over distinct minima, of the
                    training data loss (and of the regularised objective,
                    labelled separately) on the log-volume per parameter
                    (-1/2 sum log lambda / P): positive when lower minima
                    are narrower; milder means a smaller slope.

Intervals other than Chao1's are 95% percentile-bootstrap intervals
(--bootstrap replicates, resampling each depth's distinct minima, the two
depths independently for a difference; drawn from --seed). A claim is
supported when the difference's interval lies wholly on its side of zero,
contradicted when wholly on the other, undecided when it covers zero, and
not measurable when a depth has too few distinct minima.

This tests the claims of the paper's abstract under these definitions; it
is not a replication of the paper's figures (its full text was not
available to the project).

--view picks the table: depths (each depth's statistics), claims (the
verdicts) or all (both, table format only); JSON holds everything. --plot
draws the four statistics against depth with their intervals.

  netgeom landscape compare --data iris,wine --budget 500 --depths 1:4 --restarts 200 --dir compare
  netgeom landscape compare --data iris --weight-decay 0.001,0.01,0.1 --dir compare-wd`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			for _, d := range strings.Split(data, ",") {
				opts.Datasets = append(opts.Datasets, strings.TrimSpace(d))
			}
			if opts.Depths, err = parseDepths(depthSpec); err != nil {
				return fmt.Errorf("--depths: %w", err)
			}
			if opts.WeightDecays, err = parseList("weight-decay", wdSpec); err != nil {
				return err
			}
			opts.Overwrite = overwrite
			switch {
			case len(opts.Depths) < 2:
				return fmt.Errorf("--depths %s: give at least two depths to compare", depthSpec)
			case opts.Restarts < 2:
				return fmt.Errorf("--restarts %d: want at least 2", opts.Restarts)
			case opts.Workers < 1:
				return fmt.Errorf("--workers %d: want at least 1", opts.Workers)
			case opts.Bootstrap < 100:
				return fmt.Errorf("--bootstrap %d: want at least 100 replicates", opts.Bootstrap)
			case !(opts.Threshold > 0):
				return fmt.Errorf("--threshold %v: want a positive distance", opts.Threshold)
			case opts.Resume && opts.Overwrite:
				return errors.New("--resume and --overwrite: give one")
			case opts.Dir == "":
				return errors.New("--dir: give the folder for the census files")
			}
			for _, wd := range opts.WeightDecays {
				if !(wd >= 0) {
					return fmt.Errorf("--weight-decay %v: want values >= 0", wd)
				}
			}
			switch view {
			case "all", "depths", "claims":
			default:
				return fmt.Errorf("--view %q: want all, depths or claims", view)
			}
			if view == "all" && g.Format == "csv" {
				return errors.New("--format csv holds one table: give --view depths or --view claims")
			}
			if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
				return fmt.Errorf("--dir: %w", err)
			}
			opts.Config.Seed = g.Seed
			res, err := runLong(cmd, g, "compare", func(ctx context.Context, b engine.Backend, update func(int, int), log io.Writer) (*landscape.CompareResult, error) {
				opts.Progress, opts.Log = update, log
				return landscape.Compare(ctx, b, opts)
			})
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return fmt.Errorf("%w; run the same command with --resume to finish", err)
				}
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: landscape compare: %d censuses in %s, %.1fs\n", len(res.Runs), opts.Dir, res.Seconds)
			draw := func(path string) error { return report.ComparePlot(path, res) }
			if g.structured() || view != "all" {
				t := compareClaimsTable(res)
				if view == "depths" {
					t = compareDepthsTable(res)
				}
				return emitAndPlot(cmd, g, t, res, plotPath, draw)
			}
			if err := emit(cmd, g, compareDepthsTable(res), res); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return emitAndPlot(cmd, g, compareClaimsTable(res), res, plotPath, draw)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", "iris,wine", "data sets, comma-separated (netgeom datasets lists them)")
	censusFlags(cmd, &opts.Config, &depthSpec, &opts.Restarts)
	fl.StringVar(&wdSpec, "weight-decay", strconv.FormatFloat(landscape.DefaultWeightDecay, 'g', -1, 64), "L2 penalties (wd/2)|theta|^2, comma-separated: one census per data set and value")
	fl.IntVar(&opts.Bootstrap, "bootstrap", landscape.DefaultBootstrap, "bootstrap replicates per interval")
	fl.Float64Var(&opts.Threshold, "threshold", landscape.DefaultThreshold, "function-space distance below which end points are one stationary point")
	fl.IntVar(&opts.Workers, "workers", runtime.NumCPU(), "restarts run at once (results do not depend on it)")
	outputDirFlag(cmd, &opts.Dir, "dir", "folder for the census files, one per data set and weight decay (created)")
	fl.BoolVar(&opts.Resume, "resume", false, "continue the census files in --dir")
	fl.BoolVar(&overwrite, "overwrite", false, "start the census files in --dir afresh")
	fl.StringVar(&view, "view", "all", "table printed: all, depths or claims")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "draw each depth's statistics with their intervals here (.png or .svg)")
	npyFlag(cmd)
	return cmd
}

// interval formats an interval as "value [lower, upper]", or "-".
func interval(iv *landscape.Interval) string {
	if iv == nil {
		return "-"
	}
	return fmt.Sprintf("%s [%s, %s]", fmtShort(iv.Value), fmtShort(iv.Lower), fmtShort(iv.Upper))
}

func compareDepthsTable(res *landscape.CompareResult) table {
	t := table{
		Title: fmt.Sprintf("landscape compare: budget %d, %d restarts per depth; 95%% intervals (Chao1: Chao 1987; others: bootstrap, %d replicates over distinct minima) (%s, %.1fs)",
			res.Budget, res.Restarts, res.Bootstrap, res.Backend, res.Seconds),
		Header: []string{"data", "weight_decay", "depth", "arch", "P", "converged", "minima", "distinct_minima",
			"chao1", "chao1_lower", "chao1_upper", "coverage", "distance", "overlap", "slope_loss", "slope_objective"},
	}
	for _, r := range res.Runs {
		for _, d := range r.Depths {
			row := []string{r.Data, fmtFloat(r.WeightDecay), strconv.Itoa(d.Depth), models.FormatArch(d.Widths), strconv.Itoa(d.Params),
				fmt.Sprintf("%d/%d", d.Converged, d.Restarts), strconv.Itoa(d.Minima), strconv.Itoa(d.DistinctMinima), "-", "-", "-", "-",
				interval(d.Distance), interval(d.Overlap), interval(d.SlopeLoss), interval(d.SlopeObjective)}
			if e := d.Estimate; e != nil {
				copy(row[8:12], []string{fmtFloat(e.Chao1), fmtFloat(e.Lower), fmtFloat(e.Upper), fmtFloat(e.Coverage)})
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

func compareClaimsTable(res *landscape.CompareResult) table {
	t := table{
		Title:  fmt.Sprintf("Becker, Zhang and Lee's claims, deepest less shallowest depth, budget %d (95%% intervals; supported: the interval lies on the claim's side of 0)", res.Budget),
		Header: []string{"data", "weight_decay", "claim", "depths", "difference", "lower", "upper", "verdict"},
	}
	for _, r := range res.Runs {
		for _, c := range r.Claims {
			row := []string{r.Data, fmtFloat(r.WeightDecay), c.Name, fmt.Sprintf("%d->%d", c.Shallow, c.Deep), "-", "-", "-", c.Verdict}
			if d := c.Difference; d != nil {
				copy(row[4:7], []string{fmtFloat(d.Value), fmtFloat(d.Lower), fmtFloat(d.Upper)})
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

func newLandscapeExploreCmd(g *globals) *cobra.Command {
	var (
		opts landscape.ExploreOptions
		arch string
		tf   tableFlags
	)
	cmd := &cobra.Command{
		Use:   "explore",
		Short: "Basin-hopping over one network's training objective, and transition states between its lowest minima",
		Long: `Map the landscape of one architecture's training objective (mean loss +
(wd/2)|theta|^2 on the standardised training set) by basin-hopping (Wales
and Doye 1997): from a seeded Glorot initialisation, each step perturbs
every weight uniformly by up to --step-size, minimises with L-BFGS to a
gradient norm of --grad-tol, checks the Hessian (a saddle is rejected) and
accepts the new minimum with Metropolis' rule at --temperature (in units of
the objective). Minima are one when their objectives differ by at most
--energy-tol and their distance after aligning hidden units (permutations
and, for odd activations, sign flips) is at most --distance-tol.

--connect K then joins each of the K lowest minima to the global one: a
doubly-nudged elastic band between them, its highest image refined by hybrid
eigenvector-following to a saddle of index 1 (verified on the Hessian), and
the minima it joins found by descent from either side of it; every new
minimum and transition state goes into the database.

The database (--db, JSON lines) is appended and fsynced as points are found,
so an interrupted run loses at most the step in progress; --resume continues
it from its lowest minimum with new perturbations. netgeom landscape graph
draws it.

The summary counts the minima and transition states, the connected
components, each minimum's barrier to the global minimum, and Chao1 from how
often the quenches ended in each minimum (correlated draws of a Markov
chain: an indication, not an interval with its nominal coverage).

  netgeom landscape explore --data iris --arch 4-5-5-3 --weight-decay 0.001 --steps 150 --connect 15 --db iris.db.jsonl
  netgeom landscape explore --data iris --arch 4-5-5-3 --weight-decay 0.001 --steps 150 --db iris.db.jsonl --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.Config.Data, err = tf.apply(opts.Config.Data); err != nil {
				return err
			}
			if arch == "" {
				return errors.New("--arch: give the architecture, inputs to outputs, like 4-5-5-3 for iris")
			}
			if opts.Widths, err = models.ParseArch(arch); err != nil {
				return fmt.Errorf("--arch: %w", err)
			}
			switch {
			case opts.Steps < 1:
				return fmt.Errorf("--steps %d: want at least 1", opts.Steps)
			case opts.Patience < 0:
				return fmt.Errorf("--patience %d: want >= 0 (0: none)", opts.Patience)
			case !(opts.StepSize > 0):
				return fmt.Errorf("--step-size %v: want > 0", opts.StepSize)
			case !(opts.Temperature > 0):
				return fmt.Errorf("--temperature %v: want > 0", opts.Temperature)
			case opts.Connect < 0:
				return fmt.Errorf("--connect %d: want >= 0", opts.Connect)
			case !(opts.EnergyTol > 0) || !(opts.DistanceTol > 0):
				return fmt.Errorf("--energy-tol %v, --distance-tol %v: want > 0", opts.EnergyTol, opts.DistanceTol)
			case opts.Resume && opts.Overwrite:
				return errors.New("--resume and --overwrite: give one")
			case opts.DB == "":
				return errors.New("--db: give the database file (JSON lines)")
			}
			opts.Config.Seed = g.Seed
			res, err := runLong(cmd, g, "explore", func(ctx context.Context, b engine.Backend, update func(int, int), log io.Writer) (*landscape.ExploreResult, error) {
				opts.Progress, opts.Log = update, log
				return landscape.Explore(ctx, b, opts)
			})
			if err != nil {
				if errors.Is(err, context.Canceled) && res != nil {
					return fmt.Errorf("interrupted: %d minima and %d transition states are in %s; run the same command with --resume to go on",
						res.Summary.Minima, res.Summary.TransitionStates, opts.DB)
				}
				return err
			}
			for _, e := range res.Errors {
				fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: no transition state: %s\n", e)
			}
			return emit(cmd, g, exploreTable(res), res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Config.Data, "data", "iris", "data set: "+strings.Join(datasets.Names(), ", ")+", npy:X.npy,Y.npy or csv:TABLE.csv")
	tf.add(cmd)
	fl.StringVar(&arch, "arch", "", "architecture, inputs to outputs (those of the data), like 4-5-5-3 for iris (required)")
	fl.IntVar(&opts.Config.Subset, "subset", 0, "use this many training samples, drawn from --seed (0: all)")
	fl.Float64Var(&opts.Config.TestFraction, "test-fraction", 0.2, "held out for testing from sets with no test set of their own")
	fl.StringVar(&opts.Config.Activation, "act", landscape.DefaultActivation, "activation of the hidden layers: "+strings.Join(activation.Names(), ", "))
	fl.StringVar(&opts.Config.Loss, "loss", landscape.DefaultLoss, "loss: "+strings.Join(models.LossNames(), ", "))
	fl.StringVar(&opts.Config.Init, "init", landscape.DefaultInit, "initialisation of the first point: "+strings.Join(models.InitNames(), ", "))
	fl.Float64Var(&opts.Config.WeightDecay, "weight-decay", landscape.DefaultWeightDecay, "L2 penalty (wd/2)|theta|^2 of the objective")
	fl.Float64Var(&opts.Config.GradTol, "grad-tol", landscape.DefaultGradTol, "every minimisation stops at this gradient norm")
	fl.IntVar(&opts.Steps, "steps", landscape.DefaultExploreSteps, "basin-hopping steps")
	fl.IntVar(&opts.Patience, "patience", 0, "stop when no new minimum has appeared for this many steps (0: never)")
	fl.Float64Var(&opts.StepSize, "step-size", landscape.DefaultExploreStepSize, "largest perturbation of each weight")
	fl.Float64Var(&opts.Temperature, "temperature", landscape.DefaultExploreTemperature, "Metropolis temperature, in units of the objective")
	fl.IntVar(&opts.Connect, "connect", 0, "join the K lowest minima to the global one by transition states")
	fl.Float64Var(&opts.EnergyTol, "energy-tol", landscape.DefaultExploreEnergyTol, "minima whose objectives differ by more are distinct")
	fl.Float64Var(&opts.DistanceTol, "distance-tol", landscape.DefaultExploreDistanceTol, "minima farther apart than this after alignment are distinct")
	outputFlag(cmd, &opts.DB, "db", "landscape.db.jsonl", "energy-db", "database of minima and transition states (JSON lines), appended as they are found")
	fl.BoolVar(&opts.Resume, "resume", false, "continue the database in --db")
	fl.BoolVar(&opts.Overwrite, "overwrite", false, "start --db afresh when it exists")
	npyFlag(cmd)
	return cmd
}

func exploreTable(res *landscape.ExploreResult) table {
	s := res.Summary
	t := table{
		Title: fmt.Sprintf("landscape explore %s: %s %s, %d parameters; %d steps (%d accepted, %d new minima, %d failed quenches, stopped: %s); %d connections, %d joined, %d failed (%.1fs)",
			res.DB, res.Settings.Config.Data, models.FormatArch(res.Settings.Widths), res.Params, res.Hop.Steps, res.Hop.Accepted, res.Hop.NewMinima,
			res.Hop.Failed, res.Hop.Stopped, res.Connections, res.Joined, res.Failed, res.Seconds),
		Header: []string{"minima", "transition_states", "global_energy", "components", "largest", "global_component", "hits_once", "hits_twice", "chao1", "chao1_lower", "chao1_upper"},
	}
	row := []string{strconv.Itoa(s.Minima), strconv.Itoa(s.TransitionStates), fmtFloat(s.GlobalEnergy), strconv.Itoa(s.Components),
		strconv.Itoa(s.Largest), strconv.Itoa(s.WithGlobal), "-", "-", "-", "-", "-"}
	if e := s.Estimate; e != nil {
		copy(row[6:], []string{strconv.Itoa(e.Singletons), strconv.Itoa(e.Doubletons), fmtFloat(e.Chao1), fmtFloat(e.Lower), fmtFloat(e.Upper)})
	}
	t.Rows = append(t.Rows, row)
	return t
}

// graphResult is what landscape graph prints as JSON.
type graphResult struct {
	DB      string                 `json:"db"`
	Summary landscape.GraphSummary `json:"summary"`
	Levels  []float64              `json:"levels"`
	// Barrier and Reachable: whether every minimum reaches the global
	// one over barriers of at most Barrier, and those that do not.
	Barrier     *float64          `json:"barrier,omitempty"`
	Reachable   *bool             `json:"reachable,omitempty"`
	Unreachable []int             `json:"unreachable,omitempty"`
	Minima      []graphMinimum    `json:"minima"`
	Transitions []graphTransition `json:"transition_states"`
}

type graphMinimum struct {
	ID        int      `json:"id"`
	Energy    float64  `json:"energy"`
	Hits      int      `json:"hits"`
	Zero      int      `json:"zero_modes"`
	LogAbsDet float64  `json:"log_abs_det"`
	Barrier   *float64 `json:"barrier"`
	Component int      `json:"component"`
	*landscape.MinimumMeasure
}

type graphTransition struct {
	ID     int     `json:"id"`
	Energy float64 `json:"energy"`
	Plus   int     `json:"plus"`
	Minus  int     `json:"minus"`
}

// graphColors are landscape graph's --color values.
var graphColors = []string{"test-accuracy", "test-loss", "train-loss", "energy", "hits", "log-det", "none"}

func newLandscapeGraphCmd(g *globals) *cobra.Command {
	var (
		db, colorBy, plotPath string
		levels                int
		top, barrier          float64
	)
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Disconnectivity graph, barriers and connected components of a database of minima and transition states",
		Long: `Read a database of minima and transition states (netgeom landscape explore's
--db) and print each minimum's energy, how often basin-hopping reached it,
its Hessian's zero modes and log-determinant, its barrier to the global
minimum (the highest transition state on the lowest path, less its own
energy; - when none joins them) and its connected component.

--plot draws the disconnectivity graph (Becker and Karplus 1997; Wales,
Miller and Walsh 1998): at --levels evenly spaced energies from --top (the
highest transition state by default) down, the minima below each level fall
into superbasins joined by transition states below it; each branch ends at
its minimum, coloured by --color (the data loss and accuracy are evaluated
on the network's training and test sets, rebuilt from the database).

--barrier B says whether the global minimum is reachable from every minimum
over barriers of at most B, and lists those from which it is not.

  netgeom landscape graph --db iris.db.jsonl --color test-accuracy --plot iris-graph.png`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(graphColors, colorBy) {
				return fmt.Errorf("--color %q: want one of %s", colorBy, strings.Join(graphColors, ", "))
			}
			if levels < 1 || levels > 1000 {
				return fmt.Errorf("--levels %d: want 1 to 1000", levels)
			}
			if cmd.Flags().Changed("barrier") && !(barrier >= 0) {
				return fmt.Errorf("--barrier %v: want a barrier >= 0", barrier)
			}
			if db == "" {
				return errors.New("--db: give the database (netgeom landscape explore --db)")
			}
			if head, err := outfile.ReadHead(db); err == nil && !isEnergyDB("", head) {
				return fmt.Errorf("%s is not a netgeom energy-landscape database (netgeom landscape explore --db writes one)", db)
			}
			d, err := energy.ReadDatabase(db, nil)
			if err != nil {
				return err
			}
			sum, err := landscape.SummarizeGraph(d)
			if err != nil {
				return err
			}
			if sum.Minima == 0 {
				return fmt.Errorf("%s holds no minimum yet", db)
			}
			res := graphResult{DB: db, Summary: sum, Minima: []graphMinimum{}, Transitions: []graphTransition{}}
			// The data loss and accuracy of every minimum, on the network
			// the header records (a database of another program has none).
			var measures []landscape.MinimumMeasure
			if len(d.Header().Settings) > 0 {
				b, err := g.open()
				if err != nil {
					return err
				}
				defer b.Close()
				if measures, err = landscape.MeasureMinima(b, d); err != nil {
					return fmt.Errorf("%s: %w", db, err)
				}
			} else if colorBy != "energy" && colorBy != "hits" && colorBy != "log-det" && colorBy != "none" {
				return fmt.Errorf("--color %s: %s records no network to evaluate; use energy, hits, log-det or none", colorBy, db)
			}
			e, edges := d.Energies()
			comps, err := energy.Components(len(e), edges)
			if err != nil {
				return err
			}
			compOf := make([]int, len(e))
			for k, c := range comps {
				for _, m := range c {
					compOf[m] = k
				}
			}
			hits := d.Hits()
			colors := make([]float64, len(e))
			for i, m := range d.Minima() {
				gm := graphMinimum{ID: m.ID, Energy: m.Energy, Hits: hits[i], Zero: m.Zero, LogAbsDet: m.LogAbsDet, Barrier: sum.Barriers[i], Component: compOf[i]}
				if measures != nil {
					gm.MinimumMeasure = &measures[i]
				}
				res.Minima = append(res.Minima, gm)
				switch colorBy {
				case "test-accuracy":
					colors[i] = measures[i].TestAccuracy
				case "test-loss":
					colors[i] = measures[i].TestLoss
				case "train-loss":
					colors[i] = measures[i].TrainLoss
				case "energy":
					colors[i] = m.Energy
				case "hits":
					colors[i] = float64(hits[i])
				case "log-det":
					colors[i] = m.LogAbsDet
				}
			}
			for _, ts := range d.TransitionStates() {
				res.Transitions = append(res.Transitions, graphTransition{ID: ts.ID, Energy: ts.Energy, Plus: ts.Plus, Minus: ts.Minus})
			}
			if !cmd.Flags().Changed("top") {
				// Just above the highest point, so that the first level
				// joins every connected set.
				hi := slices.Max(e)
				for _, ed := range edges {
					hi = max(hi, ed.Energy)
				}
				top = hi + 0.02*(hi-sum.GlobalEnergy)
			}
			res.Levels = energy.EvenLevels(e, top, levels)
			if cmd.Flags().Changed("barrier") {
				ok, bad, err := energy.Reachable(e, edges, barrier)
				if err != nil {
					return err
				}
				res.Barrier, res.Reachable, res.Unreachable = &barrier, &ok, bad
			}
			t := table{
				Title: fmt.Sprintf("%s: %d minima, %d transition states, %d components (largest %d; the global minimum %d, energy %s, in one of %d)",
					db, sum.Minima, sum.TransitionStates, sum.Components, sum.Largest, sum.Global, fmtFloat(sum.GlobalEnergy), sum.WithGlobal),
				Header: []string{"minimum", "energy", "hits", "zero_modes", "log_abs_det", "barrier", "component", "train_loss", "test_accuracy"},
			}
			for _, m := range res.Minima {
				row := []string{strconv.Itoa(m.ID), fmtFloat(m.Energy), strconv.Itoa(m.Hits), strconv.Itoa(m.Zero), fmtFloat(m.LogAbsDet),
					optFloat(m.Barrier), strconv.Itoa(m.Component), "-", "-"}
				if m.MinimumMeasure != nil {
					row[7], row[8] = fmtFloat(m.TrainLoss), fmtFloat(m.TestAccuracy)
				}
				t.Rows = append(t.Rows, row)
			}
			if res.Reachable != nil && !g.structured() {
				defer fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: global minimum reachable from every minimum over barriers <= %g: %v (not from %v)\n", barrier, *res.Reachable, res.Unreachable)
			}
			return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error {
				graph, err := d.Graph(res.Levels)
				if err != nil {
					return err
				}
				style := report.DisconnectivityStyle{Title: fmt.Sprintf("%s: %d minima, %d transition states", d.Header().Objective, sum.Minima, sum.TransitionStates),
					EnergyLabel: "objective"}
				if colorBy != "none" {
					style.Color, style.ColorLabel = colors, map[string]string{"test-accuracy": "test accuracy", "test-loss": "test loss",
						"train-loss": "training data loss", "energy": "objective", "hits": "quenches ending here", "log-det": "log |det H| (larger: narrower)"}[colorBy]
				}
				return report.DisconnectivityPlot(path, graph, style)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&db, "db", "", "database of minima and transition states (netgeom landscape explore --db)")
	fl.IntVar(&levels, "levels", 20, "energy levels of the graph")
	fl.Float64Var(&top, "top", 0, "highest level (default: just above the highest transition state or minimum)")
	fl.Float64Var(&barrier, "barrier", 0, "say whether the global minimum is reachable from every minimum over barriers of at most this")
	fl.StringVar(&colorBy, "color", "test-accuracy", "colour of the leaves: "+strings.Join(graphColors, ", "))
	outputFlag(cmd, &plotPath, "plot", "", "figure", "draw the disconnectivity graph here (.png or .svg)")
	npyFlag(cmd)
	return cmd
}
