from pathlib import Path

from django.core.management.base import BaseCommand

from funding.facts_generator import funding_facts_lines


class Command(BaseCommand):
    help = "Write varied funding facts as JSON lines (input for funding_check benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path)
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, out: Path, count: int, seed: int, **options):
        with out.open("w", encoding="utf-8") as handle:
            for line in funding_facts_lines(count, seed=seed):
                handle.write(line + "\n")
        self.stdout.write(f"Wrote {count:,} facts to {out}")
