package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// TimingKey is the name of the fields that hold wall times: a record's
// own and those of the commands' results. They are the only fields in
// which two runs of one sweep differ.
const TimingKey = "seconds"

// StripTiming returns the JSON text b without the members named seconds of
// any of its objects, at any depth; every other byte is kept.
func StripTiming(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		return nil, errors.New("StripTiming: not valid JSON")
	}
	var out bytes.Buffer
	s := scanner{b: b}
	s.value(&out, true)
	return out.Bytes(), nil
}

// scanner walks valid JSON text.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// str returns the raw string token at the cursor (quotes included).
func (s *scanner) str() []byte {
	start := s.i
	s.i++
	for s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
	return s.b[start:s.i]
}

// value copies the value at the cursor to out (when keep), leaving out
// the timing members of its objects.
func (s *scanner) value(out *bytes.Buffer, keep bool) {
	s.space()
	start := s.i
	switch c := s.b[s.i]; c {
	case '{':
		s.i++
		if keep {
			out.WriteByte('{')
		}
		first := true
		for {
			s.space()
			if s.b[s.i] == '}' {
				s.i++
				break
			}
			if s.b[s.i] == ',' {
				s.i++
				s.space()
			}
			key := s.str()
			s.space()
			s.i++ // ':'
			var name string
			json.Unmarshal(key, &name)
			drop := name == TimingKey
			if keep && !drop {
				if !first {
					out.WriteByte(',')
				}
				out.Write(key)
				out.WriteByte(':')
				first = false
			}
			s.value(out, keep && !drop)
		}
		if keep {
			out.WriteByte('}')
		}
		return
	case '[':
		s.i++
		if keep {
			out.WriteByte('[')
		}
		for {
			s.space()
			if s.b[s.i] == ']' {
				s.i++
				break
			}
			if s.b[s.i] == ',' {
				s.i++
				if keep {
					out.WriteByte(',')
				}
			}
			s.value(out, keep)
		}
		if keep {
			out.WriteByte(']')
		}
		return
	case '"':
		s.str()
	default: // number, true, false, null
		for s.i < len(s.b) && !bytes.ContainsRune([]byte(",]} \t\n\r"), rune(s.b[s.i])) {
			s.i++
		}
	}
	if keep {
		out.Write(s.b[start:s.i])
	}
}

// WriteCSV writes the records as CSV, one row per point: index, the
// point's coordinates (one column per axis), seed (unless an axis), seconds, error (only
// when a record has one), then every leaf of the result as a column named
// by its path, "result.layers.3.kappa_bar" (objects' keys and arrays'
// positions joined by dots), in the order the leaves first appear. Cells
// hold numbers as the JSON has them, strings as they are, null and absent
// leaves empty.
func WriteCSV(w io.Writer, spec Spec, recs []Record, noTiming bool) error {
	header := []string{"index"}
	for _, a := range spec.Grid {
		header = append(header, a.Name)
	}
	_, seedAxis := spec.Grid.Axis("seed")
	if !seedAxis {
		header = append(header, "seed")
	}
	if !noTiming {
		header = append(header, TimingKey)
	}
	withErr := false
	for _, r := range recs {
		withErr = withErr || r.Failed()
	}
	if withErr {
		header = append(header, "error")
	}
	fixed := len(header)
	col := map[string]int{}
	rows := make([]map[int]string, len(recs))
	for k, r := range recs {
		row := map[int]string{}
		if r.Result != nil {
			var leaves []leaf
			if err := walk(r.Result, "result", &leaves, noTiming); err != nil {
				return fmt.Errorf("point %d: %w", r.Index, err)
			}
			for _, l := range leaves {
				c, ok := col[l.path]
				if !ok {
					c = len(header)
					col[l.path] = c
					header = append(header, l.path)
				}
				row[c] = l.value
			}
		}
		rows[k] = row
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for k, r := range recs {
		cells := make([]string, len(header))
		vals := spec.Grid.Values(r.Index)
		cells[0] = strconv.Itoa(r.Index)
		copy(cells[1:], vals)
		c := 1 + len(vals)
		if !seedAxis {
			cells[c] = strconv.FormatUint(r.Seed, 10)
			c++
		}
		if !noTiming {
			cells[c] = strconv.FormatFloat(r.Seconds, 'g', -1, 64)
			c++
		}
		if withErr {
			cells[c] = r.Error
		}
		for j := fixed; j < len(header); j++ {
			cells[j] = rows[k][j]
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type leaf struct{ path, value string }

// walk visits the leaves of the JSON value b in textual order.
func walk(b []byte, path string, out *[]leaf, noTiming bool) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '{':
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.Token() // {
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			key := t.(string)
			if noTiming && key == TimingKey {
				continue
			}
			if err := walk(raw, path+"."+key, out, noTiming); err != nil {
				return err
			}
		}
		return nil
	case len(b) > 0 && b[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		for k, it := range items {
			if err := walk(it, path+"."+strconv.Itoa(k), out, noTiming); err != nil {
				return err
			}
		}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*out = append(*out, leaf{path, s})
	case bytes.Equal(b, []byte("null")):
		*out = append(*out, leaf{path, ""})
	default:
		*out = append(*out, leaf{path, string(b)})
	}
	return nil
}
