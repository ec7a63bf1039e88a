"""The run: options, the target (booted, embedded or given), collection and fixtures."""
