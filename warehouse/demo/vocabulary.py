"""Words the demo generator draws from. Unicode on purpose: real lead data is not ASCII."""

from urllib.parse import quote

COMPANY_STEMS = [
    "iron", "bright", "blue", "north", "cloud", "quant", "data", "signal", "apex", "lumen",
    "nova", "terra", "vector", "harbor", "summit", "pixel", "atlas", "cedar", "delta", "echo",
    "falcon", "granite", "helix", "indigo", "jade", "kinetic", "lattice", "meridian", "nimbus", "orbit",
]
COMPANY_TAILS = [
    "clad", "wave", "stack", "works", "labs", "forge", "grid", "path", "scale", "point",
    "bridge", "field", "shift", "line", "base", "loop", "sense", "ware", "hub", "flow",
]
TOP_LEVEL_DOMAINS = ["com", "com", "com", "io", "ai", "co", "de", "fr", "co.uk", "com.br", "nl", "se"]
LEGAL_SUFFIXES = ["", "", " Inc", " Inc.", " GmbH", " Ltd", " SAS", " B.V.", " AB", " LLC", " S.A."]
# Prefixed to some company names, so names carry accents, other scripts and punctuation.
NAME_PREFIXES = ["", "", "", "", "Müller ", "Ørsted ", "Zürich ", "São ", "Łódź ", "Crème ", "Škoda ",
                 "Ångström ", "東京 ", "Αθήνα ", "Café "]
INDUSTRIES = ["Software", "Fintech", "Healthcare", "Logistics", "Retail", "Manufacturing", "Media",
              "Education", "Cybersecurity", "Energy", "Biotech", "Real Estate"]
EMPLOYEE_RANGES = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"]
FUNDING_RANGES = ["$1M - $5M", "$5M - $10M", "$10M - $25M", "$25M - $50M", "$50M - $100M",
                  "$100M - $250M", "$250M+", "< $1M"]

COUNTRIES = ["United States", "United Kingdom", "Germany", "France", "Canada", "Brazil", "Netherlands",
             "Sweden", "India", "Australia", "Spain", "Poland", "Japan"]
CITIES = ["New York", "San Francisco", "London", "Berlin", "Paris", "Toronto", "São Paulo", "Amsterdam",
          "Stockholm", "Bengaluru", "Sydney", "Madrid", "Kraków", "Tokyo", "Austin", "München"]

FIRST_NAMES = ["John", "Maria", "José", "Zoë", "Björn", "Łukasz", "François", "Aisha", "Wei", "Priya",
               "Søren", "Chloé", "Mateo", "Yuki", "Olga", "Ahmed", "Emma", "Noah", "Liam", "Sofia",
               "Renée", "Jürgen", "Ingrid", "Kenji"]
LAST_NAMES = ["Doe", "Smith", "García", "Müller", "Nowak", "Dubois", "Chen", "Patel", "Kowalski", "Jensen",
              "Rossi", "Silva", "Tanaka", "Ivanova", "Hassan", "Brown", "Martin", "Andersson", "Núñez",
              "Øvergaard"]


def slug_part(name: str) -> str:
    return name.lower().replace(" ", "-")


def percent_encoded(name: str) -> str:
    """A slug part as it appears in a copied LinkedIn URL: UTF-8, percent-encoded."""
    return quote(slug_part(name), safe="-")


# (raw title as vendors spell it, matched_job_function, matched_seniority)
JOB_TITLE_MAPPING = [
    ("Software Engineer", "Engineering", "Individual Contributor"),
    ("Senior Software Engineer", "Engineering", "Senior"),
    ("Sr. Software Engineer", "Engineering", "Senior"),
    ("Staff Engineer", "Engineering", "Senior"),
    ("Engineering Manager", "Engineering", "Manager"),
    ("VP Engineering", "Engineering", "VP"),
    ("VP of Engineering", "Engineering", "VP"),
    ("CTO", "Engineering", "C-Level"),
    ("Chief Technology Officer", "Engineering", "C-Level"),
    ("Account Executive", "Sales", "Individual Contributor"),
    ("Account Exec", "Sales", "Individual Contributor"),
    ("Senior Account Executive", "Sales", "Senior"),
    ("Sales Manager", "Sales", "Manager"),
    ("Head of Sales", "Sales", "Director"),
    ("VP Sales", "Sales", "VP"),
    ("Chief Revenue Officer", "Sales", "C-Level"),
    ("SDR", "Sales", "Entry"),
    ("Sales Development Representative", "Sales", "Entry"),
    ("Marketing Manager", "Marketing", "Manager"),
    ("Head of Growth", "Marketing", "Director"),
    ("CMO", "Marketing", "C-Level"),
    ("Product Manager", "Product", "Individual Contributor"),
    ("Senior Product Manager", "Product", "Senior"),
    ("Director of Product", "Product", "Director"),
    ("Data Scientist", "Data", "Individual Contributor"),
    ("Head of Data", "Data", "Director"),
    ("Recruiter", "Human Resources", "Individual Contributor"),
    ("HR Business Partner", "Human Resources", "Individual Contributor"),
    ("CFO", "Finance", "C-Level"),
    ("Controller", "Finance", "Manager"),
    ("Founder & CEO", "Executive", "Founder"),
    ("Co-Founder", "Executive", "Founder"),
    ("CEO", "Executive", "C-Level"),
    ("Customer Success Manager", "Customer Success", "Manager"),
    ("Operations Manager", "Operations", "Manager"),
]
# Spellings nobody has mapped yet, as B2B profiles write them (other languages, abbreviations,
# several roles, emoji, employers): the people holding them lack matched_* and stay hidden
# until the title classifier reads them. "Visionary" names no function: it stays hidden.
UNMAPPED_TITLES = ["Growth Ninja", "Chief Happiness Officer", "Sr Eng Mgr", "Dir. Partnerships",
                   "Développeur Senior", "Vertriebsleiter", "Rockstar Dev", "Head Honcho",
                   "Directeur Commercial", "Jefe de Ventas", "Responsabile Vendite", "Hoofd Verkoop",
                   "Softwareentwickler (m/w/d)", "VP Sales | EMEA", "CEO & Founder 🚀",
                   "Sr. Software Engineer at Google", "Desenvolvedor Sênior", "Visionary"]
RAW_TITLES = [title for title, _, _ in JOB_TITLE_MAPPING] + UNMAPPED_TITLES
