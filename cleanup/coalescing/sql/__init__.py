"""Raw SQL of coalescing, one module per kind plus the core key lookups they share."""
