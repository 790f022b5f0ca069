"""Sub-commands of the ``multitrack`` CLI, one module each."""
