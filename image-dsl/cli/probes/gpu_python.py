"""The gpu-python probe: the RAPIDS Python stack of a GPU image is complete, on a host without a GPU.

It imports cudf, cuml and cupy, loads every CUDA library they load by name through
cuda-pathfinder (as they do on a GPU node, where the container runtime mounts only the driver),
and checks that cupy, asked for devices, reports the missing driver rather than a missing library.
Prints `PROBE-OK <facts>` or `PROBE-FAIL <why>`.
"""

import importlib.metadata as metadata
import os
import sys

# cudf checks for a usable GPU when imported unless told not to; the import itself is the check.
os.environ.setdefault("RAPIDS_NO_INITIALIZE", "1")

facts = [f"{d} {metadata.version(d)}" for d in ("cudf-cu12", "cuml-cu12", "cupy-cuda12x")]
try:
    import cudf  # noqa: F401
    import cuml  # noqa: F401
    import cupy
    from cuda.pathfinder import load_nvidia_dynamic_lib
except Exception as err:  # the message is the finding
    print(f"PROBE-FAIL import: {type(err).__name__}: {err}")
    sys.exit(1)

libraries = ["cudart", "nvrtc", "nvJitLink", "cublas", "cufft", "curand", "cusolver", "cusparse"]
for name in libraries:
    try:
        load_nvidia_dynamic_lib(name)
    except Exception as err:
        print(f"PROBE-FAIL lib{name} is not in the image: {type(err).__name__}: {err}")
        sys.exit(1)
facts.append(f"{len(libraries)} CUDA libraries load")

try:
    count = cupy.cuda.runtime.getDeviceCount()
    print(f"PROBE-FAIL cupy found {count} GPU(s) on a host without one")
    sys.exit(1)
except cupy.cuda.runtime.CUDARuntimeError as err:
    reason = str(err).split(":")[0]
    if reason not in ("cudaErrorInsufficientDriver", "cudaErrorNoDevice"):
        print(f"PROBE-FAIL cupy without a GPU: {err}")
        sys.exit(1)
    facts.append(f"no GPU here: {reason}")

print("PROBE-OK " + ", ".join(facts))
