#!/usr/bin/env python3
"""Refreshes the --help blocks of docs/cli.md from a built clamp3 (prose between them is kept).
   python3 docs/update-cli-help.py [path/to/clamp3.dll]     (default: src/ClaMP3.Cli/bin/Release/net10.0/clamp3.dll)"""
import re, subprocess, sys, pathlib
root = pathlib.Path(__file__).resolve().parent.parent
dll = sys.argv[1] if len(sys.argv) > 1 else str(root / "src/ClaMP3.Cli/bin/Release/net10.0/clamp3.dll")
doc = root / "docs" / "cli.md"
s = doc.read_text()
sections = [(m.start(), m.group(1)) for m in re.finditer(r"^## clamp3 (.+)$", s, re.M)]
for start, cmd in reversed(sections):
    a = s.find("```\nDescription:", start)
    later = [x for x, _ in sections if x > start]
    if a < 0 or a > (later[0] if later else len(s)):
        continue
    b = s.index("```", a + 4)
    out = subprocess.run(["dotnet", dll] + cmd.split() + ["--help"], capture_output=True, text=True, check=True).stdout
    s = s[:a] + "```\n" + "\n".join(l.rstrip() for l in out.splitlines()).strip("\n") + "\n" + s[b:]
doc.write_text(s)
