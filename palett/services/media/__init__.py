"""Media: storage (local / S3), uploads, image checks, masks, avatars, safe fetch."""
