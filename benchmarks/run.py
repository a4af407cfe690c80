"""Run every benchmark script and print its figures (make bench)."""
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
scripts = [p for p in sorted(here.glob("*.py")) if p.name not in {"run.py", "common.py"}]
only = sys.argv[1:]
failed = 0
for script in scripts:
    if only and script.stem not in only:
        continue
    print(f"== {script.stem}", flush=True)
    failed |= subprocess.run([sys.executable, str(script)], cwd=here).returncode
sys.exit(failed)
