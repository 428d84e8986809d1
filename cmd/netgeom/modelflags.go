package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/train"
)

// modelFlags name a trained model and the data it is analysed on, for the
// commands that read a model file (hessian, sensitivity, pullback).
type modelFlags struct {
	path  string // --model
	data  string // --data: must be the model's own
	chunk int    // --chunk
	table tableFlags
}

func (f *modelFlags) add(cmd *cobra.Command, chunkHelp string) {
	fl := cmd.Flags()
	fl.StringVar(&f.path, "model", "", "model file written by 'netgeom train' (required)")
	fl.StringVar(&f.data, "data", "", "the model's data set (default: the one it records; another name is an error)")
	fl.IntVar(&f.chunk, "chunk", 0, chunkHelp)
	f.table.add(cmd)
}

// open opens the backend and loads the model with its rebuilt data (see
// train.LoadModel), with errors in terms of the flags; the caller frees the
// model and closes the backend.
func (f *modelFlags) open(g *globals, opts train.LoadOptions) (engine.Backend, *train.Model, error) {
	if f.path == "" {
		return nil, nil, errors.New("--model: give the model file written by 'netgeom train --out FILE'")
	}
	data, err := f.table.apply(f.data)
	if err != nil {
		return nil, nil, err
	}
	b, err := g.open()
	if err != nil {
		return nil, nil, err
	}
	opts.Data = data
	m, err := train.LoadModel(b, f.path, opts)
	if err != nil {
		b.Close()
		var dm *train.DataMismatchError
		if errors.As(err, &dm) {
			if dm.Subset {
				return nil, nil, fmt.Errorf("--subset %s: %w; omit --subset", dm.Given, err)
			}
			return nil, nil, fmt.Errorf("--data %s: %w (omit --data or give --data %s)", dm.Given, err, dm.Recorded)
		}
		return nil, nil, err
	}
	return b, m, nil
}
