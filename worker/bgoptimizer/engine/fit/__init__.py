"""The fit: starting state, loss, compiled training epochs, rejection refits and the driver."""

__all__: list[str] = []
