"""TensorFlow's process-wide settings in one place: dtype, devices, XLA cache and CPU flags."""

__all__: list[str] = []
