#!/usr/bin/env python3
"""Measures `git incident audit` on a generated history (issue 5: 10,000 commits in a few seconds).

Usage: scripts/audit-benchmark.py [COMMITS] [REPO]   (defaults: 10000, a temporary folder)

Writes a repository with `git fast-import`: git-incident.yaml, then COMMITS/10 incidents taken
through 10 commits each, round-robin (declare, commander, 5 notes, severity, mitigated,
resolved), every commit with the subject and trailers the tool writes. Then runs the built
`git-incident audit --json` on it, checks that it audited every commit and found no violation,
and prints the wall time. Not a test: run it by hand (`swift build -c release` first for release
figures; GIT_INCIDENT=<path> picks the binary).
"""
import json, os, resource, subprocess, sys, tempfile, time

COMMITS = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
REPO = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="audit-bench-")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("GIT_INCIDENT") or next(
    (p for p in (os.path.join(ROOT, ".build", c, "git-incident") for c in ("release", "debug")) if os.path.exists(p)),
    None)
if BINARY is None:
    sys.exit("build first: swift build -c release")

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = 1_790_000_000  # 2026-09-21T...Z; every commit one minute after the one before
SETTINGS = """id_prefix: INC
severities:
- name: SEV1
  description: Critical
- name: SEV2
  description: Major
- name: SEV3
  description: Minor
policy:
  postmortem_required_for:
  - SEV1
"""

def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

def incident_id(n):
    code = "".join(CROCKFORD[(n >> s) & 31] for s in (15, 10, 5, 0))
    return "INC-20260921-" + code

class Incident:
    def __init__(self, n):
        self.id = incident_id(n)
        self.severity, self.status, self.commander = "SEV3", "reported", None
        self.times, self.events = {}, []

    def yaml(self):
        out = [f"id: {self.id}", f"title: Generated incident {self.id}", "kind: outage",
               f"severity: {self.severity}", f"status: {self.status}"]
        if self.commander:
            out += ["roles:", f"  commander: {self.commander}"]
        for key in ("detected_at", "acknowledged_at", "reported_at", "mitigated_at", "resolved_at"):
            if key in self.times:
                out.append(f'{key}: "{rfc3339(self.times[key])}"')
        return "\n".join(out) + "\n"

    def timeline(self):
        out = ["events:"]
        for (eid, at, kind, text) in self.events:
            out += [f"- id: {eid}", f'  at: "{rfc3339(at)}"', "  by: Bench <bench@example.com>",
                    f"  type: {kind}", f'  text: "{text}"']
        return "\n".join(out) + "\n"

def blob(data):
    raw = data.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"

def main():
    subprocess.run(["git", "init", "-q", "-b", "main", REPO], check=True)
    fi = subprocess.Popen(["git", "-C", REPO, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    w = fi.stdin.write
    clock = [BASE]
    count = [0]

    def commit(message, files):
        t = clock[0]
        clock[0] += 60
        w(b"commit refs/heads/main\n")
        w(b"committer Bench <bench@example.com> %d +0000\n" % t)
        w(blob(message))
        for path, data in files:
            w(b"M 100644 inline " + path.encode() + b"\n" + blob(data))
        count[0] += 1
        return t

    commit("Initialize incident repository (prefix INC)\n\nIncident-Change: init\n", [("git-incident.yaml", SETTINGS)])
    incidents = [Incident(n) for n in range((COMMITS - 1) // 10)]
    steps = ["declare", "commander", "note", "note", "note", "note", "note", "severity", "mitigated", "resolved"]
    for step_no, step in enumerate(steps):
        for inc in incidents:
            t = clock[0]
            event = f"ev-{step_no:02d}{inc.id[-4:].lower()}0000"
            trailers = [f"Incident: {inc.id}"]
            if step == "declare":
                inc.times.update(detected_at=t, reported_at=t)
                inc.events.append((event, t, "declared", "declared"))
                subject = f"{inc.id}: declared SEV3 outage: Generated incident {inc.id}"
                trailers += ["Incident-Change: declare", "Incident-Severity: SEV3", "Incident-Status: reported"]
            elif step == "commander":
                inc.commander, inc.status = "Ana Lima", "active"
                inc.times["acknowledged_at"] = t
                inc.events.append((event, t, "role", "Ana Lima"))
                subject = f"{inc.id}: commander Ana Lima"
                trailers += ["Incident-Change: role", "Incident-Role: commander", "Incident-Status: active"]
            elif step == "note":
                inc.events.append((event, t, "note", f"note at {t}"))
                subject = f"{inc.id}: note: note at {t}"
                trailers += ["Incident-Change: note"]
            elif step == "severity":
                inc.severity = "SEV2"
                inc.events.append((event, t, "severity", "raised"))
                subject = f"{inc.id}: severity SEV3 -> SEV2"
                trailers += ["Incident-Change: severity", "Incident-Severity: SEV2"]
            else:
                old, inc.status = inc.status, step
                inc.times[step + "_at"] = t
                inc.events.append((event, t, "status", step))
                subject = f"{inc.id}: status {old} -> {step}"
                trailers += ["Incident-Change: status", f"Incident-Status: {step}"]
            trailers.append(f"Incident-Event: {event}")
            folder = f"incidents/2026/{inc.id}"
            commit(subject + "\n\n" + "\n".join(trailers) + "\n",
                   [(folder + "/incident.yaml", inc.yaml()), (folder + "/timeline.yaml", inc.timeline())])
    fi.stdin.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "-C", REPO, "reset", "-q", "--hard"], check=True)
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com")
    for run in ("cold", "warm"):
        start = time.monotonic()
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run([BINARY, "-C", REPO, "audit", "--json"], capture_output=True, text=True, env=env)
        seconds = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
        report = json.loads(r.stdout)
        ok = r.returncode == 0 and report["passed"] and report["commits_audited"] == count[0]
        print(f"{run}: {count[0]} commits, {len(incidents)} incidents: audit exit {r.returncode}, "
              f"{report['commits_audited']} audited, {len(report['violations'])} violations, "
              f"{seconds:.2f} s wall, {cpu_seconds:.2f} s CPU ({BINARY})")
        if not ok:
            print(r.stdout[:2000], r.stderr[:2000])
            sys.exit(1)

main()
