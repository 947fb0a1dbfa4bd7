"""Benchmark: what the GraphQL limits cost — parse + validation of each attack document, as a
ratio to a normal query's, measured in the same run.

    .venv/bin/python bench/query_limits.py [--repeats 15]

Each document goes through what a request goes through before any resolver: graphql-core's
parser with the token limit, then strawberry's validation with the registry's rules (the limits
rule first; it aborts the rest when a limit is exceeded). The caches are bypassed, so every
repeat does the work. Prints the median of each and its ratio to the normal query (the
README's learner view). Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "security"))

from attacks import fragment_chain, many_aliases, nested_enrollments  # noqa: E402
from graphql import GraphQLError, parse  # noqa: E402
from graphql.validation import specified_rules  # noqa: E402
from strawberry.schema.schema import validate_document  # noqa: E402

from registry.api.limits import IntrospectionDepth, Limits, limits_rule, parse_refusal  # noqa: E402
from registry.api.schema import schema  # noqa: E402

NORMAL = """query LearnerView {
  me {
    fullName fullNameLatin
    enrollments { nodes { mooc { code } totalPoints finalGrade { numeric letter } passed } }
    certificates(first: 10) {
      totalCount
      nodes { number status courseTitle credits issuedOn verificationUrl revocationReason }
    }
  }
}"""


DOCUMENTS = {
    "normal query (README learner view)": NORMAL,
    "fragment chain, depth 40": fragment_chain(),
    "48,000 aliases (~1 MB)": many_aliases(),
    "nested enrolments x3 with 30 aliases": nested_enrollments(),
    "1 MB string argument": '{ logVerifierKey(x: "' + "x" * 1_000_000 + '") }',
}


def check(query: str, limits: Limits) -> tuple[float, str]:
    rules = (limits_rule(limits), *specified_rules, IntrospectionDepth)
    started = time.perf_counter()
    try:
        document = parse(query, max_tokens=limits.tokens)
    except GraphQLError as error:
        outcome = parse_refusal(error, limits.tokens).message  # type: ignore[arg-type]
    else:
        errors = validate_document(schema._schema, document, rules)
        outcome = errors[0].message if errors else "valid"
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    limits = Limits()
    results = {}
    for name, query in DOCUMENTS.items():
        times, outcome = [], ""
        for _ in range(args.repeats):
            elapsed, outcome = check(query, limits)
            times.append(elapsed)
        results[name] = (statistics.median(times), outcome, len(query))
    baseline = results["normal query (README learner view)"][0]
    print(f"{'document':40} {'bytes':>9} {'median':>10} {'ratio':>7}  outcome")
    for name, (median, outcome, size) in results.items():
        print(f"{name:40} {size:>9,} {median * 1000:>8.2f}ms {median / baseline:>6.1f}×  "
              f"{outcome[:90]}")


if __name__ == "__main__":
    main()
