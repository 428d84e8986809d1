package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

// formats and backends are the values of the global --format and
// --backend flags.
var (
	formats  = []string{"table", "json", "jsonl", "csv"}
	backends = []string{"auto", "cpu", "cuda"}
)

// flagValues names, by flag, the values shell completion offers; a flag
// that takes a comma-separated list completes its last element.
var flagValues = map[string]struct {
	values func() []string
	list   bool
}{
	"format":  {func() []string { return formats }, false},
	"backend": {func() []string { return backends }, false},
	"dtype":   {func() []string { return []string{"float64", "float32"} }, false},
	"act":     {activation.Names, false},
	"data":    {datasets.Names, false},
	"loss":    {models.LossNames, false},
	"init":    {models.InitNames, false},
	"method":  {methodValues, false},
	"weights": {func() []string { return []string{"gaussian", "orthogonal"} }, true},
	"kinds":   {func() []string { return []string{"dense", "product", "attention"} }, true},
	"on":      {func() []string { return []string{"train", "test"} }, false},
	"overlay": {func() []string { return []string{"semicircle", "mp"} }, false},
	"path":    {func() []string { return []string{"circle", "line"} }, false},
}

// methodValues completes --method: the optimisers for train, the
// algorithms for jacobian.
func methodValues() []string { return append(train.MethodNames(), "dense", "lanczos") }

// fileFlags complete to files with these extensions.
var fileFlags = map[string][]string{
	"plot":        {"png", "svg"},
	"model":       {"ngm", "jsonl"},
	"safetensors": {"safetensors"},
	"out":         {"ngm", "jsonl"},
	"curve":       {"csv"},
}

// addCompletions registers value completion for every flag of c and its
// subcommands whose name appears in flagValues or fileFlags. Completion is
// driven by names, so a new subcommand's --act or --data completes without
// code of its own.
func addCompletions(c *cobra.Command) {
	for name, fv := range flagValues {
		if c.Flags().Lookup(name) == nil && c.PersistentFlags().Lookup(name) == nil {
			continue
		}
		fv := fv
		_ = c.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			prefix := ""
			if fv.list {
				if i := strings.LastIndex(toComplete, ","); i >= 0 {
					prefix = toComplete[:i+1]
				}
			}
			var out []cobra.Completion
			for _, v := range fv.values() {
				out = append(out, prefix+v)
			}
			dir := cobra.ShellCompDirectiveNoFileComp
			if fv.list {
				dir |= cobra.ShellCompDirectiveNoSpace
			}
			return out, dir
		})
	}
	for name, exts := range fileFlags {
		if c.Flags().Lookup(name) != nil {
			_ = c.MarkFlagFilename(name, exts...)
		}
	}
	for _, sub := range c.Commands() {
		addCompletions(sub)
	}
}
