"""One small module per technology, each a function that describes its container as a
harness.components.spec.ContainerSpec; harness.components.base.ObsContainer runs one."""
