"""What the fairness scenario does, in numbers: ports, callers, rates and counts (issue 19)."""

import random
import string
from urllib.parse import urlencode

# Ports of the servers under test: through the slow proxy, on the demo index with fair admission on and off, and
# on the attack's 200,000-document index.
SLOW_PORT = 8180
ON_PORT = 8181
OFF_PORT = 8182
ATTACK_PORT = 8183

# The setting under test; unknown variables are ignored by code that predates it.
ADMISSION_OFF = {"SEARCH_ADMISSION": "false"}

# 1. bursts from one client through the 3-s proxy, each from an address of its own so that one cannot spend
# another's budget.
BURSTS = [100, 1000]
BURST_ADDRESS = "10.1.0.{n}"

# 2 and 3. the heavy caller (wrk, one address) and the light one (one request at a time, the attack scenario's
# victim addresses).
HEAVY_CONNECTIONS = 64
HEAVY_ADDRESS = "10.2.0.1"

# 4a. "costly cheap" queries: every knob just under the expensive thresholds (admission/gate.py).
COMMON_WORDS = ["the", "a", "of", "is", "for", "in", "with", "be", "return", "an", "if", "object"]
COSTLY_CHEAP = {
    "q": " OR ".join(COMMON_WORDS),
    "size": 50,
    "page": 20,
    "facets": "module,kind",
    "facet_size": 25,
}
COSTLY_KEYS = 10
COSTLY_RATE_EACH = 8.0
# 4b. did-you-mean amplification: zero-hit first pages of 4-5 long nonsense words.
NONSENSE_CALLERS = 12
NONSENSE_RATE = 120.0
NONSENSE_QUERIES = 200
# 4c. one first-page cursor replayed by many addresses, and ordinary walks beside it.
PIT_ADDRESSES = 100
PIT_RATE = 100.0  # in all: one replay per address per second
PIT_SECONDS = 30
PIT_WALKS = 42
WALK_PAGES = 3
ATTACK_SECONDS = 20
VICTIMS_AT_REST = 200

# 6. bursts beside a CPU hog, and a deep cursor walk.
HOG_BURSTS = 10
HOG_BURST_SIZE = 400
HOG_CONNECTIONS = 200
DEEP_SIZE = 100
DEEP_PAST = 10_000
DEEP_ADDRESS = "10.6.0.1"

# 5. admission's own cost, in process.
COST_ITERATIONS = 20_000


def search_path(**params: object) -> str:
    return "/search?" + urlencode(params)


def nonsense_queries(count: int = NONSENSE_QUERIES, seed: int = 19) -> list[str]:
    """4-5 words of 9-14 random letters: found nowhere, so each first page also asks for spelling corrections."""
    rng = random.Random(seed)
    return [
        " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(9, 14))) for _ in range(rng.randint(4, 5)))
        for _ in range(count)
    ]
