package main

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// A result never passes with a number that is not finite. nonFinite finds
// the first float64 field of a result that is Inf or NaN (a float of a
// type with its own MarshalJSON, such as jsonFloat, says on purpose what an
// infinity means and is left alone); finiteJSON is the result as a JSON
// tree with each such number written as the string "overflow" (or "NaN"),
// so that JSON output stays valid and marks what overflowed. emit prints
// that and exits non-zero naming the first one.

var marshaler = reflect.TypeFor[json.Marshaler]()

// nonFinite returns the JSON path of the first non-finite float in v and
// its value, or "" when there is none.
func nonFinite(v any) (string, float64) {
	var path string
	var bad float64
	walkFloats(reflect.ValueOf(v), "", func(p string, x float64) bool {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			path, bad = p, x
			return false
		}
		return true
	})
	return path, bad
}

// walkFloats calls f on every plain float64 reachable from v, with its
// JSON path, until f returns false.
func walkFloats(v reflect.Value, path string, f func(string, float64) bool) bool {
	if !v.IsValid() {
		return true
	}
	if v.Type().Implements(marshaler) && v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface {
		return true
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return true
		}
		return walkFloats(v.Elem(), path, f)
	case reflect.Float64, reflect.Float32:
		return f(path, v.Float())
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() && !(sf.Anonymous && sf.Type.Kind() == reflect.Struct) {
				continue
			}
			name, skip := jsonName(sf)
			if skip {
				continue
			}
			p := path
			if !sf.Anonymous || sf.Tag.Get("json") != "" {
				p = joinPath(path, name)
			}
			if !walkFloats(v.Field(i), p, f) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if !walkFloats(v.Index(i), fmt.Sprintf("%s[%d]", path, i), f) {
				return false
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if !walkFloats(iter.Value(), joinPath(path, fmt.Sprint(iter.Key().Interface())), f) {
				return false
			}
		}
	}
	return true
}

func jsonName(sf reflect.StructField) (string, bool) {
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return "", true
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = sf.Name
	}
	return name, false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// sanitize returns a value that marshals like v but with non-finite plain
// floats as strings.
func sanitize(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type().Implements(marshaler) && v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface {
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return sanitize(v.Elem())
	case reflect.Float64, reflect.Float32:
		x := v.Float()
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 0):
			return "overflow"
		}
		if v.Kind() == reflect.Float32 {
			return float32(x)
		}
		return x
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Struct:
		out := map[string]any{}
		var order []string
		addFields(v, out, &order)
		return orderedMap{keys: order, m: out}
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		fallthrough
	case reflect.Array:
		s := make([]any, v.Len())
		for i := range s {
			s[i] = sanitize(v.Index(i))
		}
		return s
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = sanitize(iter.Value())
		}
		return out
	}
	return v.Interface()
}

// addFields adds v's JSON fields to out in declaration order (embedded
// structs without a tag inline, as encoding/json does).
func addFields(v reflect.Value, out map[string]any, order *[]string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() && !(sf.Anonymous && sf.Type.Kind() == reflect.Struct) {
			continue // encoding/json promotes the fields of unexported embedded structs
		}
		name, skip := jsonName(sf)
		if skip {
			continue
		}
		fv := v.Field(i)
		if sf.Anonymous && sf.Tag.Get("json") == "" {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				addFields(fv, out, order)
				continue
			}
		}
		if strings.Contains(sf.Tag.Get("json"), ",omitempty") && isEmpty(fv) {
			continue
		}
		if _, dup := out[name]; !dup {
			*order = append(*order, name)
		}
		out[name] = sanitize(fv)
	}
}

// orderedMap marshals as a JSON object with its keys in order.
type orderedMap struct {
	keys []string
	m    map[string]any
}

func (o orderedMap) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, err := json.Marshal(o.m[k])
		if err != nil {
			return nil, err
		}
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// isEmpty is encoding/json's notion of an empty value for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
