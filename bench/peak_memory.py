"""Peak resident memory of the current process, from ``VmHWM`` in ``/proc/self/status``.

Not ``getrusage().ru_maxrss``: Linux carries the parent's high-water mark into a child
started with vfork/exec (what :mod:`subprocess` does), so a benchmark that spawns its subject
from a process holding a large image would report the parent's peak, not the child's.
"""

from __future__ import annotations


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def peak_rss_mib() -> float:
    """High-water resident set size of this process (its own address space only), MiB."""
    return _status_mib("VmHWM")


def rss_split_mib() -> dict[str, float]:
    """Resident memory now, split: ``anon`` (the process's own data) and ``file`` (pages of
    mapped files, mostly TensorFlow's libraries: clean, shared with the page cache, and
    varying by 100 MB between runs with what the kernel happened to read ahead)."""
    return {"anon": _status_mib("RssAnon"), "file": _status_mib("RssFile")}


def reset_peak() -> None:
    """Start a new high-water mark from the current resident size (Linux ≥ 4.0)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
