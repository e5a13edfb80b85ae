"""Routes of the JSON API; each area of the API has its own module."""
