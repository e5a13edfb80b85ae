"""HTTP views of the tickets feature; thin: parse, call a service, commit once, respond."""
