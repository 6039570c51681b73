"""Many files in one command: discovery, the per-file task, the runners and the summary.

The per-file task (:class:`~bgoptimizer.batch.task.BatchTask`) is what ``bgoptimizer fit``
does for one file, plus the check that skips outputs already complete and up to date; the
runners hand it to this process, to a pool of processes (``--jobs``) or to a Dask
distributed cluster (``--cluster``), and each worker keeps TensorFlow and its compiled code
warm from one file to the next.
"""
