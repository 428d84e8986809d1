package main

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/spinglass"
)

func init() { register(newSpinglassCmd) }

func newSpinglassCmd(g *globals) *cobra.Command {
	var p, n, starts, dim, batch, maxIter int
	var saddleFrac, tol float64
	var layers, plotPath string
	var counts []string
	cmd := &cobra.Command{
		Use:   "spinglass",
		Short: "Spherical p-spin and layered spin glasses: critical points against the ABC complexity; exact complex counts",
		Long: `Three jobs.

The spherical p-spin glass H(s) = N^{-(p-1)/2} sum J s...s on |s|^2 = N
(default): critical points from --starts random starts (a fraction
--saddle-frac hunts saddles of every index by Newton steps on |grad|^2, the
rest descend to minima), polished to |grad|/sqrt(N) < --tol, deduplicated,
with their energies u = H/N and indices beside the Auffinger-Ben Arous-Cerny
values E_inf, E_k and the large-N index (N-1) IndexFraction(u). For odd p
each point is reported at u <= 0 and stands also for its mirror -s.

  netgeom spinglass --p 3 --n 100 --starts 1000 --plot pspin.png

The layered spin glass (one spherical weight vector per layer, a multilinear
loss with Gaussian couplings) at a fixed total dimension --dim, split as
evenly as possible over 1, 2, ... layers (--layers lo:hi or a list):

  netgeom spinglass --layers 1:6 --dim 60 --plot layers.png

The exact number of complex critical points (singular-vector tuples, by
Friedland and Ottaviani's generating function) of a tensor format:

  netgeom spinglass --count 3x3x3 --count 2,3,4 --count 4^3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			layered := cmd.Flags().Changed("layers")
			if len(counts) > 0 {
				if layered {
					return errors.New("--count and --layers are separate jobs: give one")
				}
				if cmd.Flags().Changed("backend") {
					fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: spinglass --count does not use the compute engine (exact counts); --backend %s has no effect\n", g.Backend)
				}
				return runCounts(cmd, g, counts)
			}
			if !(saddleFrac >= 0 && saddleFrac <= 1) {
				return fmt.Errorf("--saddle-frac %v: want a fraction in [0, 1]", saddleFrac)
			}
			if !(tol > 0) || math.IsInf(tol, 0) {
				return fmt.Errorf("--tol %v: want a positive number", tol)
			}
			if batch < 0 || maxIter < 0 {
				return fmt.Errorf("--batch %d, --max-iter %d: want >= 0 (0: default)", batch, maxIter)
			}
			if !cmd.Flags().Changed("starts") {
				starts = spinglass.DefaultPSpinStarts
				if layered {
					starts = spinglass.DefaultLayeredStarts
				}
			}
			if starts < 1 {
				return fmt.Errorf("--starts %d: want at least 1", starts)
			}
			saddle := int(math.Round(saddleFrac * float64(starts)))
			co := spinglass.StudyCensusOptions{MinimaStarts: starts - saddle, SaddleStarts: saddle, Tol: tol, Batch: batch, MaxIter: maxIter}
			if layered {
				ls, err := parseLayerList(layers)
				if err != nil {
					return err
				}
				if dim < 1 {
					return fmt.Errorf("--dim %d: want at least 1", dim)
				}
				return runLayers(cmd, g, spinglass.LayeredStudyOptions{Layers: ls, Dim: dim, Seed: g.Seed, Census: co}, plotPath)
			}
			if p < 2 || p > spinglass.MaxP || n < 2 {
				return fmt.Errorf("--p %d, --n %d: want 2 <= p <= %d and N >= 2", p, n, spinglass.MaxP)
			}
			return runPSpin(cmd, g, spinglass.PSpinStudyOptions{P: p, N: n, Seed: g.Seed, Census: co}, plotPath)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&p, "p", 3, "p of the p-spin (2 to 10)")
	fl.IntVar(&n, "n", 100, "number of spins N (N^p couplings: N <= 322 at p = 3, 76 at p = 4)")
	fl.IntVar(&starts, "starts", spinglass.DefaultPSpinStarts, fmt.Sprintf("random starts (default %d for the p-spin, %d per layer count)", spinglass.DefaultPSpinStarts, spinglass.DefaultLayeredStarts))
	fl.Float64Var(&saddleFrac, "saddle-frac", 0.5, "fraction of the starts that hunt saddles; the rest descend to minima")
	fl.Float64Var(&tol, "tol", 1e-9, "a point is critical when |grad_R|/sqrt(dim) is below this")
	fl.IntVar(&maxIter, "max-iter", 0, "Newton steps per start before it counts as failed (0: 500)")
	fl.IntVar(&batch, "batch", 0, "points per backend call (0: 64, less for large tensors)")
	fl.StringVar(&layers, "layers", "", "layered spin glass: numbers of layers, lo:hi or a list like 1,2,4")
	fl.IntVar(&dim, "dim", 60, "layered spin glass: total dimension, split evenly over the layers")
	fl.StringArrayVar(&counts, "count", nil, "print the exact number of complex singular-vector tuples of a tensor format: 3x3x3, 2,3,4 or 4^3 (repeatable)")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "write the figure here (.png or .svg)")
	npyFlag(cmd)
	return cmd
}

// parseLayerList reads "lo:hi" (every integer between), "k" or "a,b,c".
func parseLayerList(s string) ([]int, error) {
	bad := func(why string) error {
		return fmt.Errorf("--layers %q: %s; write lo:hi (every number of layers from lo to hi), k, or a list like 1,2,4", s, why)
	}
	num := func(x string) (int, error) {
		v, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil || v < 1 || v > 64 {
			return 0, bad(fmt.Sprintf("%q is not a number of layers between 1 and 64", x))
		}
		return v, nil
	}
	var out []int
	if lo, hi, ok := strings.Cut(s, ":"); ok {
		a, err := num(lo)
		if err != nil {
			return nil, err
		}
		b, err := num(hi)
		if err != nil {
			return nil, err
		}
		if b < a {
			return nil, bad("hi < lo")
		}
		for l := a; l <= b; l++ {
			out = append(out, l)
		}
		return out, nil
	}
	seen := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		v, err := num(f)
		if err != nil {
			return nil, err
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Ints(out)
	return out, nil
}

func runCounts(cmd *cobra.Command, g *globals, counts []string) error {
	var formats [][]int
	for _, c := range counts {
		dims, err := spinglass.ParseFormat(c)
		if err != nil {
			return fmt.Errorf("--count: %w", err)
		}
		formats = append(formats, dims)
	}
	rows, err := spinglass.FormatCounts(cmd.Context(), spinglass.FormatCountsOptions{Formats: formats})
	if err != nil {
		return err
	}
	t := table{Title: "complex singular-vector tuples of a generic tensor (Friedland-Ottaviani), exact", Header: []string{"format", "count"}}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{r.Format, r.Count})
	}
	return emit(cmd, g, t, rows)
}

func runPSpin(cmd *cobra.Command, g *globals, opts spinglass.PSpinStudyOptions, plotPath string) error {
	b, err := g.open()
	if err != nil {
		return err
	}
	defer b.Close()
	update, finish := progress(cmd, fmt.Sprintf("spinglass p=%d N=%d", opts.P, opts.N))
	opts.Progress = update
	res, err := spinglass.PSpinStudy(cmd.Context(), b, opts)
	finish()
	if err != nil {
		return err
	}
	mins, mirror := "none", ""
	if res.Minima.Count > 0 {
		mins = fmt.Sprintf("%d, u in [%.4f, %.4f]", res.Minima.Count, res.Minima.UMin, res.Minima.UMax)
	}
	if res.Mirrored {
		mirror = " (each at u <= 0, standing also for its mirror at -u)"
	}
	t := table{
		Title: fmt.Sprintf("spherical %d-spin, N %d, seed %d: %d minima + %d saddle starts, %d converged, %d failed (%s, %.1fs)\n"+
			"E_inf %.6f  E_0 %.6f  E_1 %.6f  E_2 %.6f; band [-E_0, -E_inf] = [%.4f, %.4f], finite-size scale E_inf N^-2/3 = %.4f\n"+
			"distinct critical points %d%s; minima %s",
			res.P, res.N, res.Seed, res.MinimaStarts, res.SaddleStarts, res.Converged, res.Failed, res.Backend, res.Seconds,
			res.EInf, res.Ek[0], res.Ek[1], res.Ek[2], -res.Ek[0], -res.EInf, res.FiniteSize, res.Distinct, mirror, mins),
		Header: []string{"index", "count", "u_min", "u_mean", "u_max", "index_theory"},
	}
	for _, r := range res.ByIndex {
		t.Rows = append(t.Rows, []string{strconv.Itoa(r.Index), strconv.Itoa(r.Count), fmtFloat(r.UMin), fmtFloat(r.UMean), fmtFloat(r.UMax), fmtFloat(r.IndexTheory)})
	}
	return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error { return report.PSpinPlot(path, res) })
}

func runLayers(cmd *cobra.Command, g *globals, opts spinglass.LayeredStudyOptions, plotPath string) error {
	b, err := g.open()
	if err != nil {
		return err
	}
	defer b.Close()
	update, finish := progress(cmd, fmt.Sprintf("spinglass layers %v, dimension %d", opts.Layers, opts.Dim))
	opts.Progress = update
	res, err := spinglass.LayeredStudy(cmd.Context(), b, opts)
	finish()
	if err != nil {
		return err
	}
	t := table{
		Title: fmt.Sprintf("layered spin glass, total dimension %d, seed %d: %d minima + %d saddle starts per layer count (%s, %.1fs)\n"+
			"each point at u <= 0 stands for the 2^L sign images of its weight vectors; complex = Friedland-Ottaviani count where computable",
			res.Dim, res.Seed, res.MinimaStarts, res.SaddleStarts, res.Backend, res.Seconds),
		Header: []string{"layers", "dims", "distinct", "minima", "saddles", "u_ground", "u_min_mean", "u_min_max", "mean_index", "failed", "complex"},
	}
	for _, r := range res.Rows {
		mm, mx, cc := "-", "-", r.ComplexCriticalPoints
		if r.Minima.Count > 0 {
			mm, mx = fmtFloat(r.Minima.UMean), fmtFloat(r.Minima.UMax)
		}
		if cc == "" {
			cc = "-"
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(r.Layers), spinglass.FormatName(r.Dims), strconv.Itoa(r.Distinct), strconv.Itoa(r.Minima.Count),
			strconv.Itoa(r.Saddles), fmtFloat(r.UGround), mm, mx, fmtFloat(r.MeanIndex), strconv.Itoa(r.Failed), cc})
	}
	return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error { return report.LayeredPlot(path, res) })
}
