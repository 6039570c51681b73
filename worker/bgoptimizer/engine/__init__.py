"""The engine: arrays in, arrays and a report out (no files, HTTP or terminal).

Layers point one way: ``cli`` and ``server`` use ``engine``, which uses ``io`` (image types),
``params``, ``progress`` and ``exceptions``. Nothing here imports ``cli`` or ``server``.
"""

__all__: list[str] = []
