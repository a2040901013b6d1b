"""Local stand-ins for outside services, reached only over 127.0.0.1."""
