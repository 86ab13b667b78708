"""Side-by-side speed and memory measurements: chainrule against micrograd, PyTorch and plain floats.

Run ``python -m benchmarks`` (``--quick`` for a ~30 s pass, ``--help`` for the rest). Every workload
runs each engine in the same process, in interleaved rounds, with the garbage collector enabled;
the table reports medians, their spread, and paired ratios. Peers that are not installed
(``pip install -e '.[bench,torch]'``) are reported as skipped. See ``harness.py`` for the method.
"""
