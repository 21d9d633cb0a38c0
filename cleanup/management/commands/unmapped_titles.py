from typing import Any

from django.core.management.base import BaseCommand

from cleanup.coalescing.titles import unmapped_titles_list
from kernel import SafeCsvWriter


class Command(BaseCommand):
    help = "List job titles the mapping table lacks, most frequent first, with the classifier's guess and why (CSV)."

    def handle(self, *args: Any, **options: Any) -> None:
        writer = SafeCsvWriter(self.stdout)
        writer.writerow(["raw_title", "rows", "suggested_function", "suggested_seniority", "rule"])
        for title in unmapped_titles_list():
            writer.writerow([title.raw_title, title.rows, title.suggested_function or "", title.suggested_seniority,
                             title.rule])
