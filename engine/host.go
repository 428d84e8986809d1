package engine

// FromHost allocates a buffer on b (of its dtype) holding a copy of v.
func FromHost(b Backend, v []float64) (Buffer, error) {
	x, err := b.Alloc(DTypeOf(b), len(v))
	if err != nil {
		return nil, err
	}
	if err := b.Upload(x, v); err != nil {
		b.Free(x)
		return nil, err
	}
	return x, nil
}

// ToHost returns a host copy of x.
func ToHost(b Backend, x Buffer) ([]float64, error) {
	v := make([]float64, x.Len())
	return v, b.Download(v, x)
}
