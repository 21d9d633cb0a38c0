"""How much demo data to make: the seed's own figures, and the population around them."""

from dataclasses import dataclass

# The seed TODO's numbers, reproduced exactly at scale 1.
SEED_COMPANIES_MISSING_LOCATION = 55_000
SEED_TENURE_GAP = 4_858
SEED_FUNDING_DELTA = 96_000
SEED_WORK_HISTORY_ROWS = 1_250_000
SEED_INGEST_WORKFLOWS = 53
SEED_REGISTERED_WORKFLOWS = 16

# The population the seed's figures sit in (scale 1).
COMPANIES = 300_000
LOCATIONS_FILLED_SINCE_SNAPSHOT = 5_000
COMPANIES_DISCOVERED = 200_000
COMPANIES_WITH_FUNDING_RANGE = 150_000
COMPANIES_LISTED_MISSING_CLEANED_NAME = 10_000
COMPANIES_MISSING_CLEANED_NAME = 8_000
PEOPLE = 250_000
PEOPLE_ONLY_IN_EXTRACTED = 10_000
PROFILES_OF_KNOWN_PEOPLE = 100_000
EXPERIENCE_ROWS = 300_000
EXPERIENCE_ROWS_NOT_SYNCED = 60_000
PEOPLE_WITH_START_DATES = 60_000
PEOPLE_WITH_TENURE = 150_000
PEOPLE_LISTED_MISSING_COUNTRY = 20_000
PEOPLE_MISSING_COUNTRY = 15_000
# Share of work-history rows matched to a core.companies id (the rest carry only a domain).
WORK_HISTORY_COMPANY_LINK_PERCENT = 2
# Rows per generic workflow's extracted table at scale 1 span this range.
GENERIC_ROWS_MIN, GENERIC_ROWS_MAX = 2_000, 20_000

# Below this the smaller figures round to a handful of rows and stop resembling the seed.
MIN_SCALE, MAX_SCALE = 0.001, 20.0


@dataclass(frozen=True)
class DemoSize:
    scale: float

    def __post_init__(self) -> None:
        if not MIN_SCALE <= self.scale <= MAX_SCALE:
            raise ValueError(f"scale must be between {MIN_SCALE} and {MAX_SCALE}, got {self.scale}")

    def of(self, figure: int) -> int:
        """A scale-1 figure at this scale; at least 1 so that every relationship exists."""
        return max(1, round(figure * self.scale))

    def figures(self) -> dict[str, int]:
        """Every figure the generator uses, by the name the SQL parameters use."""
        names = {
            "companies": COMPANIES,
            "missing_location": SEED_COMPANIES_MISSING_LOCATION,
            "filled_since_snapshot": LOCATIONS_FILLED_SINCE_SNAPSHOT,
            "discovered": COMPANIES_DISCOVERED,
            "with_funding_range": COMPANIES_WITH_FUNDING_RANGE,
            "funding_delta": SEED_FUNDING_DELTA,
            "listed_missing_cleaned_name": COMPANIES_LISTED_MISSING_CLEANED_NAME,
            "missing_cleaned_name": COMPANIES_MISSING_CLEANED_NAME,
            "people": PEOPLE,
            "people_only_in_extracted": PEOPLE_ONLY_IN_EXTRACTED,
            "profiles_of_known_people": PROFILES_OF_KNOWN_PEOPLE,
            "work_history_rows": SEED_WORK_HISTORY_ROWS,
            "experience_rows": EXPERIENCE_ROWS,
            "experience_not_synced": EXPERIENCE_ROWS_NOT_SYNCED,
            "people_with_start_dates": PEOPLE_WITH_START_DATES,
            "tenure_gap": SEED_TENURE_GAP,
            "people_with_tenure": PEOPLE_WITH_TENURE,
            "listed_missing_country": PEOPLE_LISTED_MISSING_COUNTRY,
            "missing_country": PEOPLE_MISSING_COUNTRY,
        }
        return {name: self.of(value) for name, value in names.items()}

    def generic_rows(self, workflow_name: str) -> int:
        """Rows in a generic workflow's extracted table: fixed per name, spread over the range."""
        import zlib

        span = GENERIC_ROWS_MAX - GENERIC_ROWS_MIN
        return self.of(GENERIC_ROWS_MIN + zlib.crc32(workflow_name.encode()) % span)
