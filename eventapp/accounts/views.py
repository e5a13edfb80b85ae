"""HTTP views of the accounts feature; thin: parse, call a service, commit once, respond."""
