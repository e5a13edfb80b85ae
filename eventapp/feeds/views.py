"""HTTP views of the feeds feature; thin: parse, call a service, commit once, respond."""
