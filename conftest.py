"""Top-level conftest: nothing to configure; the plugin is registered by the package's pytest11 entry point."""
