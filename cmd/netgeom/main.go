package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/engine"
	_ "github.com/netgeom/netgeom/engine/cpu"  // registers the CPU backend with engine.Open
	_ "github.com/netgeom/netgeom/engine/cuda" // registers the CUDA backend with engine.Open
)

// version is the release of this build; `go build -ldflags "-X main.version=..."` sets it.
var version = "0.1.0-dev"

// globals are the flags every subcommand shares.
type globals struct {
	Backend string
	DType   string
	Seed    uint64
	Format  string
	// replacing holds the output files that exist before the command
	// writes them, with what they are (checkOutput, wrote).
	replacing map[string]string
	// npy is the command's --npy output (npyFlag, writeNpy).
	npy npyState
}

var factories []func(g *globals) *cobra.Command

// register adds a subcommand; subcommand files call it from init.
func register(f func(g *globals) *cobra.Command) { factories = append(factories, f) }

// newRootCmd builds the command tree afresh (tests run it in-process).
func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "netgeom",
		Short:         "Geometry of deep networks: manifolds, order and chaos, loss surfaces",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(formats, g.Format) {
				return fmt.Errorf("--format %q: valid formats are %s", g.Format, strings.Join(formats, ", "))
			}
			if !slices.Contains(backends, g.Backend) {
				return fmt.Errorf("--backend %q: valid backends are %s", g.Backend, strings.Join(backends, ", "))
			}
			if err := checkDType(cmd, g.DType); err != nil {
				return err
			}
			if cmd.Flags().Changed("backend") && cmd.Annotations[noEngine] != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: %s does not use the compute engine (%s); --backend %s has no effect\n",
					cmd.Name(), cmd.Annotations[noEngine], g.Backend)
			}
			return g.checkOutputs(cmd)
		},
	}
	root.SetVersionTemplate(versionLine() + "\n")
	pf := root.PersistentFlags()
	pf.StringVar(&g.Backend, "backend", "auto", "compute backend: "+strings.Join(backends, ", "))
	pf.StringVar(&g.DType, "dtype", "float64", "precision of the computation: float64, or float32 (twice the gemm rate; for the commands that list it in their help)")
	pf.Uint64Var(&g.Seed, "seed", 1, "random seed (runs are reproducible from it)")
	pf.StringVar(&g.Format, "format", "table", "output format: table, json (indented), jsonl (one compact line) or csv (full precision)")
	for _, f := range factories {
		root.AddCommand(f(g))
	}
	addCompletions(root)
	return root
}

// float32Ready is the annotation of the subcommands whose float32 runs
// are tested against float64 (--dtype float32); the others refuse it.
const float32Ready = "float32"

// checkDType checks --dtype for cmd.
func checkDType(cmd *cobra.Command, dt string) error {
	switch dt {
	case "float64":
		return nil
	case "float32":
		if cmd.Annotations[float32Ready] == "" {
			return fmt.Errorf("--dtype float32: %s computes in float64 only for now; float32 runs are tested for: %s", cmd.Name(), strings.Join(float32Commands(cmd.Root()), ", "))
		}
		return nil
	}
	return fmt.Errorf("--dtype %q: valid dtypes are float64, float32", dt)
}

// dtypeNote is ", float32" for a float32 result, "" for the reference.
func dtypeNote(dt string) string {
	if dt == "" || dt == "float64" {
		return ""
	}
	return ", " + dt
}

// float32Commands lists the subcommands that take --dtype float32.
func float32Commands(root *cobra.Command) []string {
	var out []string
	for _, c := range root.Commands() {
		if c.Annotations[float32Ready] != "" {
			out = append(out, c.Name())
		}
	}
	return out
}

// open opens the --backend in the --dtype.
func (g *globals) open() (engine.Backend, error) {
	dt := engine.Float64
	if g.DType == "float32" {
		dt = engine.Float32
	}
	return engine.OpenDType(g.Backend, dt)
}

// noEngine is the annotation of subcommands that compute without the
// compute engine (pure scalar mathematics, listings); its value says
// what they compute with. --backend is reported as having no effect there
// rather than silently ignored.
const noEngine = "no-engine"

func main() {
	engine.SetWarnings(os.Stderr)
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "netgeom:", err)
		os.Exit(1)
	}
}
