"""HTTP views of the admin feature; thin: parse, call a service, commit once, respond."""
