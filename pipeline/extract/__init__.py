"""The extract stage: extraction sheets per reviewer, suggested values, dual extraction, reports linked into studies."""
