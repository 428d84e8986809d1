package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/sweep"
)

// Every file netgeom writes is named by a flag made with outputFlag. Before
// a command runs, checkOutputs checks every such flag's file (outfile.Check:
// extension, folder, not a directory, not a file of another kind unless
// --force), so that a long run never ends by failing to save; the writers
// (models.SaveCheckpoint, report's figures, the census) write through
// outfile, whole or not at all.

// The kinds of file the commands write, by the name outputFlag records.
var outputKinds = map[string]outfile.Kind{
	"figure":        {Name: "PNG or SVG image", Exts: []string{".png", ".svg"}, Is: isFigure},
	"model":         {Name: "netgeom model", Exts: []string{".ngm"}, Is: isModel},
	"census":        {Name: "netgeom census", Exts: []string{".jsonl"}, Is: isCensus},
	"safetensors":   {Name: "safetensors file", Exts: []string{".safetensors"}, Is: isSafetensors},
	"sweep":         {Name: "netgeom sweep", Exts: []string{".jsonl"}, Is: isSweep},
	"sweep-csv":     {Name: "netgeom sweep CSV", Exts: []string{".csv"}, Is: isSweepCSV},
	"slurm":         {Name: "netgeom sweep's Slurm script", Exts: []string{".sbatch"}, Is: isSlurmScript},
	"slice-journal": {Name: "netgeom slice journal", Exts: []string{".jsonl"}, Is: isSliceJournal},
	"energy-db":     {Name: "netgeom energy-landscape database", Exts: []string{".jsonl"}, Is: isEnergyDB},
}

// outputAnnotation marks an output flag; its value is the kind's name.
const outputAnnotation = "netgeom-output"

func isFigure(ext string, head []byte) bool {
	if ext == ".png" {
		return bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n"))
	}
	return bytes.HasPrefix(bytes.TrimSpace(head), []byte("<?xml")) || bytes.Contains(head, []byte("<svg"))
}

func isModel(_ string, head []byte) bool {
	return bytes.HasPrefix(head, []byte(models.CheckpointMagic))
}

// isSafetensors recognises a safetensors file: an 8-byte header length,
// then the JSON header's opening brace.
func isSafetensors(_ string, head []byte) bool {
	return len(head) > 8 && head[8] == '{'
}

func isCensus(_ string, head []byte) bool {
	// The header line is the Config, whose first field is its format.
	return bytes.HasPrefix(head, []byte(`{"format":"`+landscape.CensusFormat+`"`))
}

// isSweep recognises a sweep file (a shard, or merged) by its header,
// the Spec, whose first field is its format.
func isSweep(_ string, head []byte) bool {
	return bytes.HasPrefix(head, []byte(`{"format":"`+sweep.Format+`"`))
}

// isSliceJournal recognises a slice journal by its header's first field.
func isSliceJournal(_ string, head []byte) bool {
	return bytes.HasPrefix(head, []byte(`{"format":"`+landscape.SliceJournalFormat+`"`))
}

// isEnergyDB recognises a database of minima and transition states by its
// header's first field.
func isEnergyDB(_ string, head []byte) bool {
	return bytes.HasPrefix(head, []byte(`{"format":"`+energy.DatabaseFormat+`"`))
}

// isSweepCSV recognises the CSV of a merged sweep by its first column.
func isSweepCSV(_ string, head []byte) bool { return bytes.HasPrefix(head, []byte("index,")) }

// isSlurmScript recognises the job scripts sweep slurm writes.
func isSlurmScript(_ string, head []byte) bool {
	return bytes.HasPrefix(head, []byte("#!/bin/bash\n# netgeom sweep: "))
}

// outputDirKind is the kind name of an output folder (a report's).
const outputDirKind = "folder"

// outputDirFlag adds the string flag --name to cmd for a folder the
// command writes files into (it creates the folder); the folder is checked
// with the output files, before any work.
func outputDirFlag(cmd *cobra.Command, p *string, name, usage string) {
	fl := cmd.Flags()
	fl.StringVar(p, name, "", usage)
	_ = fl.SetAnnotation(name, outputAnnotation, []string{outputDirKind})
}

// outputFlag adds the string flag --name to cmd for a file of the given
// kind (a key of outputKinds) that the command writes, and --force, once,
// for replacing a file of another kind.
func outputFlag(cmd *cobra.Command, p *string, name, value, kind, usage string) {
	if _, ok := outputKinds[kind]; !ok {
		panic("outputFlag: unknown kind " + kind)
	}
	fl := cmd.Flags()
	fl.StringVar(p, name, value, usage)
	_ = fl.SetAnnotation(name, outputAnnotation, []string{kind})
	if fl.Lookup("force") == nil {
		fl.Bool("force", false, "replace output files even when they are not of the kind written here")
	}
}

// checkOutputs checks the file of every output flag of cmd that names one
// (checkOutput), before the command does any work.
func (g *globals) checkOutputs(cmd *cobra.Command) error {
	var first error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		kind, ok := f.Annotations[outputAnnotation]
		if !ok || first != nil || f.Value.String() == "" {
			return
		}
		first = g.checkOutput(cmd, f.Name, f.Value.String(), kind[0])
	})
	return first
}

// checkOutput checks that path, named by --flag, can be written as a file
// of the kind, and remembers whether it replaces a file (see wrote). A
// command whose output file has a default that depends on other flags calls
// it itself.
func (g *globals) checkOutput(cmd *cobra.Command, flag, path, kind string) error {
	if kind == outputDirKind {
		if err := outfile.CheckDir(path); err != nil {
			return fmt.Errorf("--%s %s: %w", flag, path, err)
		}
		return nil
	}
	force, _ := cmd.Flags().GetBool("force")
	k := outputKinds[kind]
	exists, err := outfile.Check(path, k, force)
	if err != nil {
		var fe *outfile.ForeignError
		if errors.As(err, &fe) {
			return fmt.Errorf("--%s %s: %w; give --force to replace it", flag, path, err)
		}
		return fmt.Errorf("--%s %s: %w", flag, path, err)
	}
	if exists {
		if g.replacing == nil {
			g.replacing = map[string]string{}
		}
		g.replacing[path] = "the " + k.Name + " that was there"
		if force {
			g.replacing[path] = "the file that was there (--force)"
		}
	}
	return nil
}

// wrote says on stderr that the command wrote path, and what it replaced.
func (g *globals) wrote(cmd *cobra.Command, path string) {
	if what, ok := g.replacing[path]; ok {
		fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: wrote %s, replacing %s\n", path, what)
		return
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: wrote %s\n", path)
}

// outputFlagNames lists cmd's output flags (for tests).
func outputFlagNames(cmd *cobra.Command) []string {
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Annotations[outputAnnotation]; ok {
			names = append(names, f.Name)
		}
	})
	slices.Sort(names)
	return names
}
