"""Contract families: one module per family, its docstring the contract it enforces."""
