# Writes the .npy fixtures of package npy's tests with numpy's own writer.
# Run with Debian's python3 and python3-numpy (numpy 1.24.2 made the
# committed files): python3 make_fixtures.py
import numpy as np

a = np.arange(6, dtype=np.float64).reshape(2, 3) / 7.0
np.save("f8_c.npy", a)
np.save("f4.npy", (a * 3).astype(np.float32))
np.save("f8_fortran.npy", np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4) + 0.5))
np.save("f8_big.npy", a.astype(">f8"))
np.save("i8.npy", np.array([[-3, 2**53], [7, 0]], dtype=np.int64))
np.save("i8_inexact.npy", np.array([2**53 + 1], dtype=np.int64))
np.save("i4.npy", np.array([-5, 4, 1 << 30], dtype=np.int32))
np.save("u1.npy", np.array([0, 255, 17], dtype=np.uint8))
np.save("bool.npy", np.array([True, False, True]))
np.save("scalar.npy", np.float64(2.5))
np.save("empty.npy", np.zeros((0, 3)))
with open("v2.npy", "wb") as f:
    np.lib.format.write_array(f, a, version=(2, 0))
np.save("object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
np.save("structured.npy", np.zeros(2, dtype=[("x", "<f8"), ("y", "<i4")]))
np.save("complex.npy", np.array([1 + 2j]))
