"""One way to write a date and a time everywhere enrichhub shows one (the admin's lists and
pages, the dashboard): ISO order, 24 hours, no a.m./p.m., the way ops read logs and SQL."""

DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "Y-m"
