"""The library: gallery, collections, sharing, usage."""
