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
	pf.Uint64Var(&g.Seed, "seed", 1, "random seed (runs are reproducible from it)")
	pf.StringVar(&g.Format, "format", "table", "output format: table, json (indented), jsonl (one compact line) or csv (full precision)")
	for _, f := range factories {
		root.AddCommand(f(g))
	}
	addCompletions(root)
	return root
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
