"""What the attack scenario does, in numbers: ports, addresses, counts."""

from benchmarks.harness import ES_PASSWORD

PORT = 8150
AUTH = ("elastic", ES_PASSWORD)
# The ordinary searches a victim sends: one and two common words, as most traffic is.
VICTIM_QUERIES = ["json", "socket timeout", "decode", "thread lock", "path", "parse date"]
# Victims are several ordinary users (each far below SEARCH_RATE_LIMIT), not one client hammering the service.
VICTIM_ADDRESSES = [f"10.200.0.{i}" for i in range(1, 21)]
SINGLE_ATTACKER = "10.0.0.1"
VICTIM_TIMEOUT = 15.0
PROBE_REPEATS = 3
ATTACK_SET_SIZE = 4
