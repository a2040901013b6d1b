"""What developers set up for the public API beyond keys: outgoing webhooks (endpoints, events, deliveries)."""
