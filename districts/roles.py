"""The staff roles, as Django groups. Their permissions are granted by a data
migration; which districts a person may see is in OfficialProfile."""

STATE_ADMIN = "State administrator"
DISTRICT_OFFICIAL = "District official"
VACCINATOR = "Vaccinator"
HEALTH_DEPARTMENT = "Health department"
HELP_DESK = "Help desk"

# Roles that see every district.
STATEWIDE = {STATE_ADMIN, HEALTH_DEPARTMENT}
