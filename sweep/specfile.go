package sweep

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseSpecFile reads a sweep's grid and command from YAML (or JSON, which
// is YAML too):
//
//	grid:                       # the axes, in this order
//	  sigma-w: 1:5:41           # VALUES as --grid takes them
//	  sigma-b: "0:2:21"
//	  act: [tanh, relu]         # or a list, each value as written
//	  seed: 3                   # or one value
//	command: curvature --width 2000 --depth 30   # split at spaces; or a list of arguments
//
// A pipeline gives steps instead of command, a list of commands (each a
// string or a list of arguments), run in order at every point:
//
//	steps:
//	  - train --data iris --out m-{index}.ngm
//	  - [hessian, --model, "m-{index}.ngm", --top, "5"]
//
// Both grid and a command are optional here (the command line may give
// them); other keys are an error. name names the file in messages.
func ParseSpecFile(data []byte, name string) (Grid, [][]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if root.Kind == 0 { // empty document
		return nil, nil, fmt.Errorf("%s: empty", name)
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: want a mapping with grid and command (or steps)", name)
	}
	var (
		grid  Grid
		steps [][]string
		seen  = map[string]bool{}
	)
	for k := 0; k+1 < len(doc.Content); k += 2 {
		key, val := doc.Content[k], doc.Content[k+1]
		if seen[key.Value] {
			return nil, nil, fmt.Errorf("%s: line %d: %s is given twice", name, key.Line, key.Value)
		}
		seen[key.Value] = true
		switch key.Value {
		case "grid":
			if val.Kind != yaml.MappingNode {
				return nil, nil, fmt.Errorf("%s: line %d: grid: want a mapping NAME: VALUES, in the grid's order", name, val.Line)
			}
			for j := 0; j+1 < len(val.Content); j += 2 {
				an, av := val.Content[j], val.Content[j+1]
				a, err := specAxis(an, av)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: line %d: %w", name, an.Line, err)
				}
				grid = append(grid, a)
			}
		case "command":
			st, err := specCommand(val)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: line %d: command: %w", name, val.Line, err)
			}
			steps = append(steps, st)
		case "steps":
			if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
				return nil, nil, fmt.Errorf("%s: line %d: steps: want a list of commands", name, val.Line)
			}
			for _, c := range val.Content {
				st, err := specCommand(c)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: line %d: steps: %w", name, c.Line, err)
				}
				steps = append(steps, st)
			}
		default:
			return nil, nil, fmt.Errorf("%s: line %d: unknown key %q (a spec has grid, and command or steps)", name, key.Line, key.Value)
		}
	}
	if seen["command"] && seen["steps"] {
		return nil, nil, fmt.Errorf("%s: give command or steps, not both", name)
	}
	return grid, steps, nil
}

// ReadSpecFile reads a spec file (ParseSpecFile).
func ReadSpecFile(path string) (Grid, [][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseSpecFile(data, path)
}

// specAxis reads NAME: VALUES, VALUES a scalar in ParseAxis's syntax or a
// list of scalars, each one value.
func specAxis(name, val *yaml.Node) (Axis, error) {
	if name.Kind != yaml.ScalarNode {
		return Axis{}, fmt.Errorf("grid: an axis's name must be a flag's name")
	}
	var a Axis
	switch val.Kind {
	case yaml.ScalarNode:
		values, err := parseValues(strings.TrimSpace(val.Value))
		if err != nil {
			return Axis{}, fmt.Errorf("grid axis %s: %w", name.Value, err)
		}
		a = Axis{Name: name.Value, Values: values}
	case yaml.SequenceNode:
		a = Axis{Name: name.Value}
		for _, v := range val.Content {
			if v.Kind != yaml.ScalarNode {
				return Axis{}, fmt.Errorf("grid axis %s: list numbers or names, not nested lists or mappings", name.Value)
			}
			a.Values = append(a.Values, strings.TrimSpace(v.Value))
		}
	default:
		return Axis{}, fmt.Errorf("grid axis %s: want VALUES (like 1:5:41 or tanh,relu) or a list of values", name.Value)
	}
	return a, a.check()
}

// specCommand reads a command: a string, split at white space, or a list
// of scalar arguments.
func specCommand(n *yaml.Node) ([]string, error) {
	var out []string
	switch n.Kind {
	case yaml.ScalarNode:
		out = strings.Fields(n.Value)
	case yaml.SequenceNode:
		for _, v := range n.Content {
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("list the arguments as strings")
			}
			out = append(out, v.Value)
		}
	default:
		return nil, fmt.Errorf("want a command line or a list of arguments")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty")
	}
	return out, nil
}
