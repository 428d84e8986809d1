package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/npy"
)

// The --npy DIR output of the analysis commands: every array of the
// command's result (what --format json prints) as a .npy file of float64,
// little-endian, C order, which numpy.load reads, and DIR/index.json naming
// them. An array is a list of numbers in the JSON result, or one field
// gathered over a list of objects (the column of a table: "layers.q" is
// the q of every element of "layers", in order), stacked into more
// dimensions when every element holds an array of one shape (the
// eigenvalues of every layer, a grid's rows); where the elements' shapes
// differ, each element's array is its own file ("layers.0.spectrum").
// Numbers alone (the result's scalars) stay in the JSON. A number missing
// from some elements of a list (a null in the JSON) is NaN in its column. DIR is checked before the command runs (as
// every output is, see outputDirFlag); each file is written atomically.

// npyIndexFormat names the index file's format.
const npyIndexFormat = "netgeom-npy-index"

// npyArray is one array of a --npy folder.
type npyArray struct {
	Name        string `json:"name"` // file name without .npy
	File        string `json:"file"`
	Shape       []int  `json:"shape"`
	Dtype       string `json:"dtype"` // always "float64" ('<f8')
	JSON        string `json:"json"`  // where the values are in the JSON result ("layers[].q"); "" for arrays not in it
	Description string `json:"description"`
	data        []float64
}

// npyIndex is DIR/index.json.
type npyIndex struct {
	Format  string     `json:"format"`
	Command string     `json:"command"`
	Arrays  []npyArray `json:"arrays"`
}

// npyState is what a command tells its --npy output besides the result:
// arrays the JSON does not hold and better descriptions of some (by name).
type npyState struct {
	done     bool
	extra    []npyArray
	describe map[string]string
}

// npyFlag registers --npy DIR on cmd, an output folder checked before the
// run; emit then writes the arrays of the result it prints (writeNpy).
func npyFlag(cmd *cobra.Command) {
	outputDirFlag(cmd, new(string), "npy", "write the result's arrays to DIR as .npy files (float64) and DIR/index.json naming them (DIR is created)")
}

// writeNpy writes the arrays of v, the command's result, and g.npy.extra
// to the folder of --npy, once per run, when the command has the flag and
// it was given, and says so on stderr.
func (g *globals) writeNpy(cmd *cobra.Command, v any) error {
	f := cmd.Flags().Lookup("npy")
	if f == nil || f.Value.String() == "" || v == nil || g.npy.done {
		return nil
	}
	g.npy.done = true
	dir := f.Value.String()
	arrays, err := npyArrays(v)
	if err != nil {
		return fmt.Errorf("--npy %s: %w", dir, err)
	}
	for i := range arrays {
		if d, ok := g.npy.describe[arrays[i].Name]; ok {
			arrays[i].Description = d
		}
	}
	arrays = append(append([]npyArray{}, arrays...), g.npy.extra...)
	// The command's path below the root: "hessian", "landscape compare".
	name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	if err := writeNpyDir(dir, name, arrays); err != nil {
		return fmt.Errorf("--npy %s: %w", dir, err)
	}
	g.wrote(cmd, filepath.Join(dir, "index.json"))
	return nil
}

// writeNpyDir creates dir and writes the arrays and index.json into it.
func writeNpyDir(dir, command string, arrays []npyArray) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range arrays {
		a := &arrays[i]
		if seen[a.Name] {
			return fmt.Errorf("two arrays named %s", a.Name)
		}
		seen[a.Name] = true
		a.File, a.Dtype = a.Name+".npy", "float64"
		if err := outfile.Write(filepath.Join(dir, a.File), func(w io.Writer) error {
			return npy.Write(w, &npy.Array{Shape: a.Shape, Data: a.data})
		}); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(npyIndex{Format: npyIndexFormat, Command: command, Arrays: arrays}, "", "  ")
	if err != nil {
		return err
	}
	return outfile.WriteFile(filepath.Join(dir, "index.json"), append(js, '\n'))
}

// npyArrays finds the arrays of v, walking the JSON that --format json
// prints for it (so that an array is exactly what the JSON holds: fields
// in their order, omitted ones left out, +Inf and -Inf written as strings
// read back as numbers).
func npyArrays(v any) ([]npyArray, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	root, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	out := []npyArray{}
	for _, l := range leaves(root) {
		if len(l.shape) == 0 {
			continue // a scalar: in the JSON
		}
		desc := fmt.Sprintf("%s in the --format json result", l.json)
		var axes []string
		for i, rest := 0, l.json; ; i++ {
			j := strings.Index(rest, "[]")
			if j < 0 {
				break
			}
			axes = append(axes, fmt.Sprintf("axis %d: the elements of %s", i, l.json[:len(l.json)-len(rest)+j]))
			rest = rest[j+2:]
		}
		if len(axes) > 0 {
			desc += "; " + strings.Join(axes, ", ")
		}
		out = append(out, npyArray{Name: l.name, Shape: l.shape, JSON: l.json, Description: desc, data: l.data})
	}
	return out, nil
}

// object is a JSON object with its keys in order.
type object struct {
	keys []string
	vals []any
}

// decodeOrdered decodes one JSON value: objects as *object, arrays as
// []any, numbers as json.Number, and strings, bools and null as
// encoding/json does.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o.keys, o.vals = append(o.keys, k.(string)), append(o.vals, v)
		}
		_, err = dec.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err = dec.Token()
		return a, err
	}
	return tok, nil
}

// leaf is an array found in a value: its name (dot-separated path, with
// element numbers where elements' shapes differ), its JSON path ("[]" for
// a stacked list), shape and values.
type leaf struct {
	name, json string
	shape      []int
	data       []float64
}

// leaves returns the numbers of a decoded JSON value as arrays.
func leaves(v any) []leaf {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil
		}
		return []leaf{{data: []float64{f}}}
	case string:
		switch x {
		case "+Inf", "-Inf", "NaN": // how netgeom's JSON writes them
			f, _ := strconv.ParseFloat(x, 64)
			return []leaf{{data: []float64{f}}}
		}
	case *object:
		var out []leaf
		for i, k := range x.keys {
			for _, l := range leaves(x.vals[i]) {
				out = append(out, leaf{name: join(k, l.name), json: join(k, l.json), shape: l.shape, data: l.data})
			}
		}
		return out
	case []any:
		return stack(x)
	}
	return nil // other strings, bools, null: not numbers
}

// stack gathers the leaves of a list's elements: a leaf every element has
// with one shape is stacked (a new first dimension), a number missing
// from some elements too (NaN there); others are kept per element,
// numbered.
func stack(elems []any) []leaf {
	n := len(elems)
	if n == 0 {
		return []leaf{{json: "[]", shape: []int{0}, data: []float64{}}}
	}
	rows := make([][]leaf, n)
	var order []string
	count := map[string]int{}
	shapes := map[string][]int{}
	jsons := map[string]string{}
	same := map[string]bool{}
	for i, e := range elems {
		rows[i] = leaves(e)
		for _, l := range rows[i] {
			if _, ok := count[l.name]; !ok {
				order = append(order, l.name)
				shapes[l.name], jsons[l.name], same[l.name] = l.shape, l.json, true
			}
			count[l.name]++
			same[l.name] = same[l.name] && slices.Equal(shapes[l.name], l.shape)
		}
	}
	var out []leaf
	for _, name := range order {
		if same[name] && (count[name] == n || len(shapes[name]) == 0) {
			s := leaf{name: name, json: join("[]", jsons[name]), shape: append([]int{n}, shapes[name]...)}
			for _, r := range rows {
				found := false
				for _, l := range r {
					if l.name == name {
						s.data, found = append(s.data, l.data...), true
					}
				}
				if !found {
					s.data = append(s.data, math.NaN())
				}
			}
			out = append(out, s)
			continue
		}
		for i, r := range rows {
			for _, l := range r {
				if l.name == name {
					out = append(out, leaf{name: join(strconv.Itoa(i), l.name), json: join("["+strconv.Itoa(i)+"]", l.json), shape: l.shape, data: l.data})
				}
			}
		}
	}
	return out
}

// join joins path parts with dots; a part that starts with "[" (a list's
// index) joins without one.
func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case strings.HasPrefix(b, "["):
		return a + b
	}
	return a + "." + b
}
