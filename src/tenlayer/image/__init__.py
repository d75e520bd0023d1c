"""Image sources (docker-archive, OCI layout and archive, root filesystem, registry) and the layer walker."""
