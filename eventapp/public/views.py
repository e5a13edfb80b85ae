"""HTTP views of the public feature; thin: parse, call a service, commit once, respond."""
