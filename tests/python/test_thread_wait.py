"""The package gives OpenMP the same bounded spinning as the hwgq tool, unless the user chose."""
import os
import subprocess
import sys

import hwgq


def test_package_sets_the_tools_spin_count():
    code = "import os, hwgq; print(os.environ['GOMP_SPINCOUNT'], hwgq._native.DEFAULT_OPENMP_SPIN_COUNT)"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    set_value, library_value = out.stdout.split()
    assert set_value == library_value == str(hwgq._native.DEFAULT_OPENMP_SPIN_COUNT)


def test_users_choice_is_kept():
    code = "import os, hwgq; print(os.environ.get('GOMP_SPINCOUNT', 'unset'))"
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    env.pop("GOMP_SPINCOUNT", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "unset"
