"""The execution engine: runs a validated workflow and reports through an event stream.

Imports argonb.spec, argonb.expr and argonb.errors; never a UI module. Backends are reached only through
the `Backend` protocol in `argonb.engine.backend`.
"""
