"""HTTP views of the registration feature; thin: parse, call a service, commit once, respond."""
