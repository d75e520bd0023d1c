"""Image sources (docker-archive, OCI layout and archive, rootfs, registry) and the layer walker."""
