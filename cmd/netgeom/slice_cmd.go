package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/train"
)

func init() { register(sliceCmd) }

func sliceCmd(g *globals) *cobra.Command {
	var (
		mf         modelFlags
		directions string
		to         string
		dims       int
		rangeFlag  float64
		points     int
		plotPath   string
		journal    string
		resume     bool
		overwrite  bool
	)
	cmd := &cobra.Command{
		Use:   "slice",
		Short: "Loss and accuracy of a trained model on a line or a plane through its weights (Li et al. 2018)",
		Long: `Load a model written by 'netgeom train' (or imported), rebuild its data, and
evaluate the mean training and test loss and accuracy at theta + a d1 (a
line, --dims 1) or theta + a d1 + b d2 (a plane, --dims 2) on a grid of
--points values per axis:

  --directions random   Gaussian directions, filter-normalised as Li et al.
                        (2018) do: each weight row (one unit's incoming
                        weights) scaled to the norm of the model's row,
                        biases zero; a from -range to range (default 1)
  --directions hessian  the unit eigenvectors of the Hessian's largest
                        eigenvalues (Lanczos), which are printed
  --directions model    the line to the model --to: a = 0 is --model,
                        a = 1 the other; a from -range to 1 + range
                        (default 0.5)

--plot draws the line, or the plane as a heat map with contours; the point
of least training loss is marked and printed.

--journal FILE.jsonl writes every finished point to FILE (at most a second
after it finishes); after an interruption, the same command with --resume
reads the points there and computes only the rest, with the same result.

--dtype float32 evaluates the losses in float32 (within about 3e-7 of
float64's, relative); Hessian directions come from Lanczos in float64.

  netgeom slice --model iris.ngm --plot slice.png
  netgeom slice --model iris.ngm --directions hessian --dims 1 --range 0.5
  netgeom slice --model a.ngm --directions model --to b.ngm --plot line.png
  netgeom slice --model big.ngm --journal big-slice.jsonl --resume --plot big.png`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{float32Ready: "landscape.TestSliceFloat32"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("points") && points < 2 {
				return fmt.Errorf("--points %d: want at least 2 per axis", points)
			}
			if !(rangeFlag > 0) {
				return fmt.Errorf("--range %v: want a positive number", rangeFlag)
			}
			if (to != "") != (directions == landscape.SliceModel) {
				return fmt.Errorf("--to %q with --directions %s: give --to exactly with --directions model", to, directions)
			}
			switch {
			case resume && overwrite:
				return errors.New("--resume and --overwrite: give one")
			case (resume || overwrite) && journal == "":
				return errors.New("--resume and --overwrite continue or restart a --journal: give --journal FILE.jsonl")
			}
			b, m, err := mf.open(g, train.LoadOptions{})
			if err != nil {
				return err
			}
			defer b.Close()
			defer m.Close()
			opts := landscape.SliceOptions{Model: m, Directions: directions, Dims: dims, Range: rangeFlag, Points: points, Chunk: mf.chunk, Seed: g.Seed,
				Journal: journal, Resume: resume, Overwrite: overwrite, Log: logWriter(cmd)}
			if !cmd.Flags().Changed("range") {
				opts.Range = 0 // the default of the directions chosen
			}
			if to != "" {
				other, err := train.LoadModel(b, to, train.LoadOptions{})
				if err != nil {
					return fmt.Errorf("--to: %w", err)
				}
				defer other.Close()
				opts.To = other
			}
			update, finish := progress(cmd, "slice")
			opts.Progress = update
			ctx := cmd.Context()
			if journal != "" {
				// An interrupt or a termination ends the slice after the
				// point in progress, with every finished point written.
				var stop context.CancelFunc
				ctx, stop = interruptible(ctx)
				defer stop()
			}
			res, err := landscape.Slice(ctx, b, opts)
			finish()
			if err != nil && journal != "" && errors.Is(err, context.Canceled) {
				return fmt.Errorf("%w; run the same command with --resume to finish", err)
			}
			if err != nil {
				return optionFlagError(err, map[string]string{"Directions": "directions", "Dims": "dims", "Range": "range", "Points": "points", "Chunk": "chunk", "To": "to",
					"Journal": "journal", "Overwrite": "overwrite"})
			}
			return emitAndPlot(cmd, g, sliceTable(res), res, plotPath, func(path string) error { return report.SlicePlot(path, res) })
		},
	}
	mf.add(cmd, "samples per batched pass (0: 4096)")
	fl := cmd.Flags()
	fl.StringVar(&directions, "directions", "random", "random (filter-normalised), hessian (top eigenvectors) or model (the line to --to)")
	fl.StringVar(&to, "to", "", "with --directions model: the other model file")
	fl.IntVar(&dims, "dims", 0, "1 (a line) or 2 (a plane) (default: 2, or 1 for --directions model)")
	fl.Float64Var(&rangeFlag, "range", 1, "coefficients from -range to range (to 1 + range for --directions model, default 0.5 there)")
	fl.IntVar(&points, "points", 0, "grid points per axis (default: 51 on a plane, 101 on a line)")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "draw the slice here (.png or .svg)")
	outputFlag(cmd, &journal, "journal", "", "slice-journal", "write each finished point to this file (JSON lines), to --resume after an interruption")
	fl.BoolVar(&resume, "resume", false, "continue the slice in --journal")
	fl.BoolVar(&overwrite, "overwrite", false, "start --journal afresh when it exists")
	npyFlag(cmd)
	return cmd
}

// sliceTable is one row per grid point.
func sliceTable(res *landscape.SliceResult) table {
	t := table{Title: fmt.Sprintf("%s: %s directions, %d-D, %d points%s; least train loss %s at alpha %s",
		res.Model, res.Directions, res.Dims, len(res.TrainLoss), dtypeNote(res.DType), fmtShort(res.Min.TrainLoss), fmtShort(res.Min.Alpha))}
	if res.Min.Beta != nil {
		t.Title += ", beta " + fmtShort(*res.Min.Beta)
	}
	for i, e := range res.Eigenvalues {
		t.Title += fmt.Sprintf("; direction %d: eigenvalue %s", i+1, fmtShort(e.Value))
	}
	t.Header = []string{"alpha"}
	if res.Dims == 2 {
		t.Header = append(t.Header, "beta")
	}
	t.Header = append(t.Header, "train_loss", "train_accuracy")
	if len(res.TestLoss) > 0 {
		t.Header = append(t.Header, "test_loss", "test_accuracy")
	}
	betas := res.Betas
	if res.Dims == 1 {
		betas = []float64{0}
	}
	k := 0
	for _, a := range res.Alphas {
		for _, bt := range betas {
			row := []string{fmtFloat(a)}
			if res.Dims == 2 {
				row = append(row, fmtFloat(bt))
			}
			row = append(row, fmtFloat(res.TrainLoss[k]), fmtFloat(res.TrainAccuracy[k]))
			if len(res.TestLoss) > 0 {
				row = append(row, fmtFloat(res.TestLoss[k]), fmtFloat(res.TestAccuracy[k]))
			}
			t.Rows = append(t.Rows, row)
			k++
		}
	}
	return t
}
