import json
import sys

from django.core.management.base import BaseCommand, CommandError

from funding.rules import (
    RULE_SETS,
    FundingError,
    facts_from_json,
    funding_evaluate,
    institution_needs_lookup,
)
from funding.selectors import InstitutionLookup, InstitutionNotFound

FLUSH_EVERY = 2000  # lines written together: one write per line would be the slowest part


class Command(BaseCommand):
    help = (
        "Evaluate funding facts (one JSON object a line on standard input) under a rule set, "
        "writing one JSON outcome a line in the same order. Exit status 1 if any line failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rules", required=True, help="The rule set, e.g. 2026.")
        parser.add_argument(
            "--bursary",
            action="store_true",
            help="Switch the small-schools bursary on (2023/24 amounts) for this run.",
        )
        parser.add_argument("--input", help="Read facts from this file instead of stdin.")

    def handle(self, *args, rules: str, bursary: bool, input: str | None, **options):
        if rules not in RULE_SETS:
            known = ", ".join(sorted(RULE_SETS))
            raise CommandError(f"There is no rule set called {rules}; there are {known}.")
        # Bytes, decoded a line at a time: one line that is not UTF-8 is answered as such,
        # and the rest are still evaluated.
        try:
            stdin = getattr(sys.stdin, "buffer", sys.stdin)  # a test may pass text
            source = open(input, "rb") if input else stdin  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot read {input}: {error.strerror}.") from None
        lookup: InstitutionLookup | None = None  # made on first need: most input gives flags
        failed = total = 0
        buffer: list[str] = []
        try:
            for raw in source:
                total += 1
                try:
                    try:
                        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                    except UnicodeDecodeError:
                        raise FundingError("This line is not UTF-8 text.") from None
                    if not line.strip():  # still one output line, so lines keep in step
                        raise FundingError("This line is empty.")
                    data = json.loads(line)
                    if not isinstance(data, dict):
                        raise FundingError("Each line must be a JSON object of facts.")
                    institution = data.get("institution")
                    if isinstance(institution, dict) and institution_needs_lookup(data):
                        lookup = lookup or InstitutionLookup(mark_unknown=False)
                        data = {**data, "institution": lookup.institution(institution)}
                    outcome = funding_evaluate(
                        facts_from_json(data), rules=rules, bursary=True if bursary else None
                    )
                    buffer.append(json.dumps(outcome.as_json()))
                except (ValueError, InstitutionNotFound) as error:  # JSON and FundingError
                    failed += 1
                    buffer.append(json.dumps({"error": _message(error)}))
                except RecursionError:  # json gives up on arrays or objects nested too deep
                    failed += 1
                    buffer.append(json.dumps({"error": "This line is nested too deeply to read."}))
                except Exception as error:  # noqa: BLE001  one line must not stop the rest
                    failed += 1
                    buffer.append(
                        json.dumps(
                            {"error": f"This line could not be evaluated ({type(error).__name__})."}
                        )
                    )
                if len(buffer) >= FLUSH_EVERY:
                    self.stdout.write("\n".join(buffer))
                    buffer.clear()
        finally:
            if input:
                source.close()
            if buffer:  # whatever happened, what was worked out is written
                self.stdout.write("\n".join(buffer))
        if failed:
            raise CommandError(f"{failed} of {total} lines could not be evaluated.", returncode=1)


def _message(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"This line is not valid JSON ({error.msg} at column {error.colno})."
    return str(error)
