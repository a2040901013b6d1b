"""Generation: catalog, submit, pipeline, job queue, providers, local engine."""
