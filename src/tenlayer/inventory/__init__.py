"""Package inventory: one analyzer per package format, assembled into an `Inventory`."""
