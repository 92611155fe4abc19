"""Hindi formats (FORMAT_MODULE_PATH), in place of Django's own.

Django's Hindi TIME_FORMAT is "g:i A", and its catalog turns both AM and PM
into "बजे", so 9:00 and 21:00 read alike. Hindi names the part of the day
before the time ("सुबह 9:00", "शाम 5:00"), which no format character can say:
pages show times with the `clock` filter (teeka/templatetags/clock.py), and
the plain formats here use the 24-hour clock, which cannot be misread.
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "G:i"
DATETIME_FORMAT = "j F Y, G:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d-m-Y"
SHORT_DATETIME_FORMAT = "d-m-Y G:i"
# Calendars in India start the week on Sunday.
FIRST_DAY_OF_WEEK = 0

# Day first, as people in India write dates: 28-11-2026, 28/11/2026, 28.11.2026.
DATE_INPUT_FORMATS = ["%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%I:%M %p"]
DATETIME_INPUT_FORMATS = ["%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
# 12,34,567: Indian grouping, three digits then twos.
NUMBER_GROUPING = (3, 2, 0)
