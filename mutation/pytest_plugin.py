"""Loaded into the tests mutmut runs (`-p mutation.pytest_plugin` in pyproject's [tool.mutmut]).

Each mutant runs every test that reaches the mutated function, so the property tests run a thousand times over:
at their 2,000 examples they made the run take hours. 200 (the same ones each time: they are derandomized) still
catch what an example test misses, and a failing example is reported without shrinking it, which for a mutant
is wasted time: only the failure counts. No deadline: a mutant runs slower, which is no failure.
"""

import os

from hypothesis import Phase, settings

os.environ.setdefault("POLICY_FUZZ_EXAMPLES", "200")
settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate], deadline=None)
settings.load_profile("mutation")
