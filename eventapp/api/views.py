"""Routes of the JSON API; each area of the API has its own module (one import line each)."""

import eventapp.api.checkin
import eventapp.api.errors
import eventapp.api.events
import eventapp.api.groups
import eventapp.api.openapi
import eventapp.api.registrations
import eventapp.api.registrations_admin  # noqa: F401
