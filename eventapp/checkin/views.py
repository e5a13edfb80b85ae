"""HTTP views of the checkin feature; thin: parse, call a service, commit once, respond."""
