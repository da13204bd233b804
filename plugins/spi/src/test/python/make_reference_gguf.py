"""Writes src/test/resources/gguf/reference.gguf with llama.cpp's own Python package `gguf`
(gguf-py), an implementation of the format independent of Rill's, so that Rill's reader and
block decoders are checked against it rather than against themselves.

Contents:
- metadata of every GGUF value type (scalars and arrays), and general.alignment = 64;
- for each of F32, F16, BF16, Q8_0, Q4_0: `src.T` (the float32 source), `q.T` (quantized by
  gguf-py) and `ref.T` (gguf-py's dequantization of q.T, as F32);
- for Q4_K, Q5_K, Q6_K (gguf-py has no quantizer for them): `q.T` made of random bytes with sane
  fp16 scales, and `ref.T` its dequantization by gguf-py.

Run from the repository root (needs `pip install gguf numpy`; the output is committed):
    python3 src/test/python/make_reference_gguf.py
"""
import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.quants import quantize, dequantize

OUT = "src/test/resources/gguf/reference.gguf"
ROWS, COLS = 3, 512
rng = np.random.default_rng(20261128)

w = gguf.GGUFWriter(OUT, "llama")  # general.architecture = llama
w.add_custom_alignment(64)
w.add_uint8("test.u8", 200)
w.add_int8("test.i8", -100)
w.add_uint16("test.u16", 60000)
w.add_int16("test.i16", -30000)
w.add_uint32("test.u32", 4000000000)
w.add_int32("test.i32", -2000000000)
w.add_float32("test.f32", 0.15625)
w.add_uint64("test.u64", 2**40 + 7)
w.add_int64("test.i64", -(2**40) - 7)
w.add_float64("test.f64", 1e-300)
w.add_bool("test.bool", True)
w.add_string("test.string", "héllo ▁wörld 🦙")
w.add_array("test.strings", ["a", "", "ü", "<0x0A>"])
w.add_array("test.ints", [1, -2, 3])
w.add_array("test.floats", [0.5, -1.25])

for qt in (Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0):
    src = rng.standard_normal((ROWS, COLS)).astype(np.float32) * 0.7
    src[1, :32] = 0.0            # an all-zero block
    src[2, 5] = 9.0              # an outlier that sets its block's scale
    w.add_tensor(f"src.{qt.name}", src)
    if qt in (Q.F32, Q.F16):
        q = src.astype(np.float32 if qt == Q.F32 else np.float16)
        w.add_tensor(f"q.{qt.name}", q)
    else:
        q = quantize(src, qt)
        w.add_tensor(f"q.{qt.name}", q, raw_shape=q.shape, raw_dtype=qt)
    w.add_tensor(f"ref.{qt.name}", dequantize(q, qt).astype(np.float32).reshape(ROWS, COLS))

for qt, size, halves in ((Q.Q4_K, 144, (0, 2)), (Q.Q5_K, 176, (0, 2)), (Q.Q6_K, 210, (208,))):
    nb = ROWS * COLS // 256
    blocks = rng.integers(0, 256, size=(nb, size), dtype=np.uint8)
    for b in range(nb):
        for off in halves:
            blocks[b, off:off + 2] = np.frombuffer(np.float16(rng.uniform(0.001, 0.05)).tobytes(), dtype=np.uint8)
    q = blocks.reshape(ROWS, COLS // 256 * size)
    w.add_tensor(f"q.{qt.name}", q, raw_shape=q.shape, raw_dtype=qt)
    w.add_tensor(f"ref.{qt.name}", dequantize(q, qt).astype(np.float32).reshape(ROWS, COLS))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print("wrote", OUT)
