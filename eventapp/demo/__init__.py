"""Demo programme: the Bürstadt congress and site visits."""
