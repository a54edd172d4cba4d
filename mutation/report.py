"""The kill rate of each mutated module after `mutmut run`, less the reviewed exclusions; exits 1 under the bar.

    python -m mutation.report [--minimum 90]        (scripts/mutation runs it, from the repository's root)

A mutant is caught when a test failed or hung on it (mutmut's `killed` and `timeout`). Each line of
mutation/equivalent.txt names a mutant no test can catch (it behaves as the original, or changes only a message
nobody reads) with the fingerprint of its code and a reason. The fingerprint makes a line stale when the code
changes: mutmut numbers mutants within a function, so after an edit the same id may be another mutant, which must
be reviewed again rather than excluded unseen.
"""

import argparse
import ast
import difflib
import hashlib
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

EQUIVALENT = Path(__file__).with_name("equivalent.txt")
MUTANTS = Path("mutants")
CAUGHT = frozenset({"killed", "timeout"})
# Statuses that mean the run did not finish: a rate computed from them would be a guess.
UNFINISHED = frozenset({"not checked", "check was interrupted by user"})
_RESULT_LINE = re.compile(r"^\s+(?P<name>\S+): (?P<status>.+)$")
_NUMBER = re.compile(r"__mutmut_\d+$")


@dataclass(frozen=True)
class Exclusion:
    fingerprint: str
    reason: str


def read_results() -> dict[str, str]:
    """Every mutant's status, as `mutmut results --all true` prints them (`    name: status`)."""
    output = subprocess.run(["mutmut", "results", "--all", "true"], check=True, capture_output=True, text=True).stdout
    return {match["name"]: match["status"] for match in map(_RESULT_LINE.match, output.splitlines()) if match}


def read_exclusions(path: Path = EQUIVALENT) -> dict[str, Exclusion]:
    """`<mutant id> <fingerprint> <reason>` a line; `#` starts a comment line."""
    exclusions: dict[str, Exclusion] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, fingerprint, reason = ([*line.split(maxsplit=2), "", ""])[:3]
        if not reason or name in exclusions:
            sys.exit(f"{path}:{number}: expected a new `<mutant id> <fingerprint> <reason>`, got {line!r}")
        exclusions[name] = Exclusion(fingerprint, reason)
    return exclusions


def module_of(name: str) -> str:
    return name.rpartition(".")[0]


class MutantSource:
    """The code mutmut wrote for each mutant (mutants/<module path>.py holds the original and every mutant)."""

    def __init__(self) -> None:
        self._functions: dict[str, dict[str, str]] = {}

    def _function(self, name: str) -> str | None:
        module, _, function = name.rpartition(".")
        if module not in self._functions:
            path = MUTANTS / (module.replace(".", "/") + ".py")
            source = path.read_text() if path.exists() else ""
            lines = source.splitlines()
            # By line numbers: ast.get_source_segment splits the whole file again for every function.
            self._functions[module] = {
                node.name: "\n".join(lines[node.lineno - 1 : node.end_lineno])
                for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        text = self._functions[module].get(function)
        # The name differs from the original's in every mutant: left out, so the fingerprint is the code's.
        return None if text is None else text.replace(function, "", 1)

    def fingerprint(self, name: str) -> str:
        text = self._function(name) or ""
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def diff(self, name: str) -> list[str]:
        """The lines the mutant changed: `-` the original's, `+` the mutant's."""
        original = self._function(_NUMBER.sub("__mutmut_orig", name)) or ""
        mutant = self._function(name) or ""
        return [
            line.strip()
            for line in difflib.unified_diff(original.splitlines(), mutant.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]


def report(results: dict[str, str], exclusions: dict[str, Exclusion], minimum: float) -> int:
    source = MutantSource()
    problems: list[str] = []
    unfinished = sorted(name for name, status in results.items() if status in UNFINISHED)
    if unfinished:
        problems.append(f"{len(unfinished)} mutants were not run (e.g. {unfinished[0]}): run it again")
    for name, exclusion in exclusions.items():
        if name not in results:
            problems.append(f"{EQUIVALENT}: {name} is no mutant any more: remove its line")
        elif source.fingerprint(name) != exclusion.fingerprint:
            problems.append(f"{EQUIVALENT}: {name} is not the mutant reviewed (its code changed): review it again")
        elif results[name] in CAUGHT:
            print(f"note: {name} is excluded but a test catches it now: its line can go")

    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    missed: dict[str, list[str]] = defaultdict(list)
    for name, status in sorted(results.items()):
        counts = by_module[module_of(name)]
        counts["mutants"] += 1
        if name in exclusions and source.fingerprint(name) == exclusions[name].fingerprint:
            counts["excluded"] += 1
        elif status in CAUGHT:
            counts["caught"] += 1
        else:
            missed[module_of(name)].append(f"{name} {source.fingerprint(name)} ({status})")

    for module in sorted(missed):
        print(f"\n{module}: not caught (the line mutation/equivalent.txt would need, then what changed)")
        for line in missed[module]:
            name = line.split()[0]
            print(f"  {line}")
            for change in source.diff(name):
                print(f"      {change}")

    print(f"\n{'module':<40} {'mutants':>8} {'excluded':>9} {'caught':>7} {'rate':>7}")
    for module, counts in sorted(by_module.items()):
        judged = counts["mutants"] - counts["excluded"]
        rate = 100.0 * counts["caught"] / judged if judged else 100.0
        flag = "" if rate >= minimum else f"  < {minimum:g}%"
        print(f"{module:<40} {counts['mutants']:>8} {counts['excluded']:>9} {counts['caught']:>7} {rate:>6.1f}%{flag}")
        if rate < minimum:
            problems.append(f"{module}: {rate:.1f}% of its mutants caught, under {minimum:g}%")

    for problem in problems:
        print(f"mutation: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minimum", type=float, default=90.0, help="the kill rate each module needs, in percent")
    arguments = parser.parse_args()
    return report(read_results(), read_exclusions(), arguments.minimum)


if __name__ == "__main__":
    sys.exit(main())
