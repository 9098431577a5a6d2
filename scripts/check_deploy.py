#!/usr/bin/env python3
"""Container and chart checks, run by scripts/check-deploy (which installs the tools).

No container engine and no cluster are needed:
  (a) the Containerfile: hadolint with zero findings, the pinned Rust version against
      Cargo.toml, the build inputs (COPY sources, include_bytes!/sqlx::migrate! paths) against
      the context allow-list, the .dockerignore/.containerignore pair, and the HEALTHCHECK
      command run for real against a local HTTP server;
  (b) the Helm chart: versions, helm lint, renders of the chart's default values alone (what
      nobody can guess is empty there: valid manifests, and NOTES.txt opening with NOT
      CONFIGURED YET, listing exactly what is empty, each with the app's own error message),
      of each ci/unconfigured/*.yaml over the defaults (the same, partly configured), of the
      ci/*-values.yaml files and of each ci/good/*.yaml over ci/minimal-values.yaml (fully
      configured: every value the app needs set, no NOT CONFIGURED YET, all wiring checks);
  (c) every rendered manifest against the Kubernetes OpenAPI schemas (kubernetes-validate,
      strict: unknown fields fail), CRDs (ServiceMonitor) checked by hand;
  (d) every ci/bad/*.yaml is rejected by values.schema.json with the expected message, over
      ci/minimal-values.yaml and over the bare defaults (malformed values are refused whether
      or not the rest is set), and so is every placeholder of src/config/
      KNOWN_WEAK_SECRETS as SECRET_KEY(_PREVIOUS);
  (e) the wiring, against what the code says (src/config/, src/cli.rs, src/routes.rs,
      src/ops/handlers.rs): production settings reach the web and worker containers; the
      migration Job gets only what `flashstudio migrate` reads, DATABASE_URL its only secret,
      from the pods' Secret or a hook copy made before it; web and worker (`worker --addr`)
      ports and probes, readiness timeout above /ready's per-check limit; Services, Ingress and
      ServiceMonitor (web and worker pods, with METRICS_TOKEN); securityContext, RUN_WORKER
      split, grace periods, hooks (the hook Secret with DATABASE_URL never stays), NOTES
      (every state /ready reports; the PodDisruptionBudget warning exactly when it would block
      drains); the IngressClass spelt as the AKS add-on spells it; lowercase Ingress hosts;
      the memory limit of pods that run jobs against WORKER_CONCURRENCY image analyses
      (src/media/analyze.rs); production switches refused in config.extra;
  (f) docs/operations.md: a troubleshooting row for each state /ready reports.

Usage: check_deploy.py [--root DIR]   (DIR: a checkout; default: this file's repository)
Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import yaml

# Kubernetes versions the manifests must be valid for: the oldest we claim (Chart.yaml says
# >=1.27, AKS's oldest supported minor moves on) and a current one.
KUBE_VERSIONS = ["1.30", "1.34"]
RELEASE = "flashstudio"
NAMESPACE = "flashstudio"
# Kinds kubernetes-validate has no schema for; each gets a hand-written shape check below.
CRD_KINDS = {"ServiceMonitor"}
# Injected into pods by AKS workload identity, read by src/config/; never set by the chart.
WORKLOAD_IDENTITY_VARS = {"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"}
# The IngressClass of the AKS application routing add-on (managed NGINX), the chart's default.
APP_ROUTING_CLASS = "webapprouting.kubernetes.azure.com"
# An Ingress host as the API server accepts it: lowercase RFC 1123 labels, optionally `*.`.
INGRESS_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Memory the pod needs besides image analysis and upload buffers: an allowance, not a
# measurement (the rest of the process was not measured under load).
MEMORY_ALLOWANCE_MIB = 128


# --------------------------------------------------------------------------------------------
# Reporting


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failures: list[str] = []
        self.section = ""

    def start(self, title: str) -> None:
        self.section = title
        print(f"\n--- {title}")

    def ok(self, what: str) -> None:
        self.passed += 1
        print(f"  ok    {what}")

    def fail(self, what: str) -> None:
        self.failures.append(f"[{self.section}] {what}")
        print(f"  FAIL  {what}")

    def check(self, cond: bool, what: str, why: str = "") -> bool:
        if cond:
            self.ok(what)
        else:
            self.fail(f"{what}{': ' + why if why else ''}")
        return cond

    def info(self, text: str) -> None:
        print(f"        {text}")


R = Report()


# --------------------------------------------------------------------------------------------
# YAML that refuses duplicate keys (PyYAML keeps the last one silently; kubectl and the API
# server may not, and a duplicated label is a bug either way).


class StrictLoader(yaml.SafeLoader):
    pass


def _mapping_no_dups(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_no_dups)


# --------------------------------------------------------------------------------------------
# (a) Containerfile


def parse_containerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def ignore_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as a regex over slash-separated paths (Go filepath.Match
    plus `**`, as BuildKit reads it)."""
    p = pattern.strip().lstrip("/").rstrip("/")
    out = ""
    i = 0
    while i < len(p):
        c = p[i]
        if p.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if p.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        else:
            out += re.escape(c)
        i += 1
    return re.compile(f"^{out}$")


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether `path` is left out of the build context: the last matching pattern wins, and a
    pattern matching a parent directory matches the path."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pat in patterns:
        neg = pat.startswith("!")
        rx = ignore_regex(pat[1:] if neg else pat)
        if any(rx.match(c) for c in candidates):
            result = not neg
    return result


def read_ignore(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def check_containerfile(root: Path, hadolint: str) -> dict:
    R.start("Containerfile")
    cf_path = root / "Containerfile"
    if not R.check(cf_path.is_file(), "Containerfile exists"):
        return {}
    text = cf_path.read_text()

    # hadolint: zero findings at any level (style, info, warning, error).
    res = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style", str(cf_path)],
                         capture_output=True, text=True)
    findings = (res.stdout + res.stderr).strip()
    R.check(res.returncode == 0 and not findings, "hadolint: no findings", findings)

    instrs = parse_containerfile(text)
    args = {m.group(1): m.group(2) for k, v in instrs if k == "ARG"
            for m in [re.match(r"([A-Za-z_]+)=(\S+)", v)] if m}
    froms = [v for k, v in instrs if k == "FROM"]

    def expand(s: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), s)

    cargo = (root / "Cargo.toml").read_text()
    rust_min = re.search(r'^rust-version\s*=\s*"([^"]+)"', cargo, re.M)
    rust_from = next((expand(f) for f in froms if re.search(r"(^|/)rust:", expand(f))), "")
    m = re.search(r"rust:(\d+\.\d+(?:\.\d+)?)-(\w+)", rust_from)
    if R.check(bool(m and rust_min), "build stage pins a Rust version", rust_from):
        R.check(version_tuple(m.group(1)) >= version_tuple(rust_min.group(1)),
                f"Rust {m.group(1)} >= Cargo.toml rust-version {rust_min.group(1)}")
        R.check(m.group(2) == "bookworm", f"build stage on Debian {m.group(2)} (bookworm)")
    runtime_from = expand(froms[-1].split()[0]) if froms else ""
    R.check(bool(re.search(r"debian:bookworm-slim$", runtime_from)),
            f"runtime stage is debian:bookworm-slim ({runtime_from})")
    R.check(len(froms) >= 2, "multi-stage build")

    runs = " ".join(v for k, v in instrs if k == "RUN")
    R.check("cargo build --release --locked --bin flashstudio" in runs,
            "cargo build --release --locked --bin flashstudio")
    R.check(bool(re.search(r"ARG WITH_FFMPEG=true", text)) and "ffmpeg" in runs,
            "ffmpeg behind ARG WITH_FFMPEG=true")
    copies = [v for k, v in instrs if k == "COPY"]
    R.check("ca-certificates" in runs
            or any(c.split()[-1] == "/etc/ssl/certs/ca-certificates.crt" for c in copies),
            "runtime has a CA bundle at /etc/ssl/certs/ca-certificates.crt (for TLS to Azure)")

    user = [v for k, v in instrs if k == "USER"]
    uid = user[-1].split(":")[0] if user else ""
    R.check(uid.isdigit() and int(uid) >= 1000, f"runs as a numeric non-root user ({uid or 'none'})")

    env: dict[str, str] = {}
    for k, v in instrs:
        if k == "ENV":
            for key, val in re.findall(r'(\w+)=("[^"]*"|\S+)', v):
                env[key] = val.strip('"')
    addr = env.get("FLASHSTUDIO_ADDR", "")
    port = addr.rsplit(":", 1)[-1] if addr else ""
    R.check(addr.startswith("0.0.0.0:"), f"FLASHSTUDIO_ADDR listens on all interfaces ({addr})")
    expose = [v for k, v in instrs if k == "EXPOSE"]
    R.check(bool(expose) and expose[-1].split("/")[0] == port, f"EXPOSE {port} matches FLASHSTUDIO_ADDR")
    data_dir = env.get("FLASHSTUDIO_DATA_DIR", "")
    volumes = " ".join(v for k, v in instrs if k == "VOLUME")
    R.check(bool(data_dir) and data_dir in volumes, f"FLASHSTUDIO_DATA_DIR {data_dir} is a VOLUME")
    R.check(env.get("TMPDIR") == "/tmp", "TMPDIR=/tmp")
    entry = [v for k, v in instrs if k == "ENTRYPOINT"]
    cmd = [v for k, v in instrs if k == "CMD"]
    R.check(bool(entry) and json.loads(entry[-1])[0].endswith("/flashstudio"), "ENTRYPOINT is the binary")
    R.check(bool(cmd) and json.loads(cmd[-1]) == ["serve"], 'CMD ["serve"]')

    # The build context: ignore files identical, heavy/secret paths out, build inputs in.
    di, ci = root / ".dockerignore", root / ".containerignore"
    if R.check(di.is_file() and ci.is_file(), ".dockerignore and .containerignore exist"):
        R.check(di.read_bytes() == ci.read_bytes(), ".dockerignore and .containerignore are identical")
        pats = read_ignore(di)
        for p in ["target/release/flashstudio", "target", ".git/HEAD", ".git", "data/flashstudio.db",
                  "data/secret.key", ".env", "node_modules/x", ".test-services/x"]:
            R.check(ignored(p, pats), f"context excludes {p}")
        copies = [v for k, v in instrs if k == "COPY" and not v.startswith("--from")]
        sources = []
        for c in copies:
            parts = json.loads(c)[:-1] if c.startswith("[") else c.split()[:-1]
            sources += [s for s in parts if not s.startswith("--")]
        for s in sources:
            R.check((root / s).exists() and not ignored(s, pats), f"COPY source {s} exists and is in the context")
        # Files the compiler reads besides src/: include_bytes!/include_str! and migrate! paths.
        needed = set()
        for rs in (root / "src").rglob("*.rs"):
            body = rs.read_text(errors="replace")
            for inc in re.findall(r'include_(?:bytes|str)!\(\s*"([^"]+)"', body):
                needed.add((rs.parent / inc).resolve().relative_to(root.resolve()).as_posix())
            for mig in re.findall(r'sqlx::migrate!\(\s*"([^"]+)"', body):
                needed.add(Path(mig).as_posix().lstrip("./"))
        if (root / "build.rs").exists():
            needed.add("build.rs")
        top = {Path(s).parts[0] for s in sources}
        for n in sorted(needed):
            R.check(Path(n).parts[0] in top and not ignored(n, pats),
                    f"build input {n} is copied into the build stage")

    # The HEALTHCHECK, run for real.
    hc = [v for k, v in instrs if k == "HEALTHCHECK"]
    if R.check(bool(hc), "HEALTHCHECK present"):
        check_healthcheck(hc[-1])
    return {"uid": uid, "port": port, "data_dir": data_dir}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    status = 200

    def do_GET(self) -> None:  # noqa: N802
        body = b'{"status":"ok"}' if self.path == "/health" else b"no"
        code = type(self).status if self.path == "/health" else 404
        try:
            self.send_response(code)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the HEALTHCHECK hangs up once it has read the status line

    def log_message(self, *args) -> None:
        pass


def check_healthcheck(instruction: str) -> None:
    m = re.search(r"CMD\s+(\[.*\])\s*$", instruction)
    if not R.check(bool(m), "HEALTHCHECK uses the exec form"):
        return
    argv = json.loads(m.group(1))

    def run(port: int) -> int:
        env = dict(os.environ, FLASHSTUDIO_ADDR=f"0.0.0.0:{port}")
        return subprocess.run(argv, env=env, capture_output=True, timeout=10).returncode

    for status, want in [(200, 0), (503, 1)]:
        handler = type("H", (_Handler,), {"status": status})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        t = threading.Thread(target=server.serve_forever, daemon=True)
        t.start()
        try:
            rc = run(server.server_address[1])
        finally:
            server.shutdown()
            server.server_close()
        R.check((rc == 0) == (want == 0), f"HEALTHCHECK {'passes' if want == 0 else 'fails'} when /health answers {status}")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    free = s.getsockname()[1]
    s.close()
    R.check(run(free) != 0, "HEALTHCHECK fails when nothing listens")


# --------------------------------------------------------------------------------------------
# What src/config/ requires in production (parsed, so the chart cannot drift from it).


def parse_config_rs(root: Path) -> dict:
    # One file per area under src/config/, read as one text (each without its tests).
    src = "\n".join(f.read_text().split("#[cfg(test)]")[0]
                    for f in sorted((root / "src" / "config").glob("*.rs")))
    known = set(re.findall(r'(?:get|non_empty|parse_num|parse_bool|mb|megabytes|at_least)\(\s*(?:vars,\s*)?"([A-Z][A-Z0-9_]*)"', src))
    known |= set(re.findall(r'\("([A-Z][A-Z0-9_]*)",\s*"[^"]*"\)', src))  # (log_var, ...) tuples
    required: set[str] = set()
    # `None if production => { return Err(..) }` (or `=> Err(..)`): missing in production is an
    # error. `None if production => LogFormat::Json` is only a different default.
    for m in re.finditer(r"None(?:\s*\|\s*Some\(\"[^\"]*\"\))*\s+if production\s*=>\s*(?:\{\s*return\s+)?Err\(", src):
        before = src[: m.start()]
        g = list(re.finditer(r'match (?:get\(|non_empty\(vars,\s*)"([A-Z][A-Z0-9_]*)"\)', before))
        if g:
            required.add(g[-1].group(1))
    prod_required = set(required)
    # Required once the Stripe gateway is chosen (in any environment; production insists on it).
    stripe_required = set(re.findall(r'(?:get\(|non_empty\(vars,\s*)"([A-Z][A-Z0-9_]*)"\)\s*\.ok_or_else', src))
    required |= stripe_required
    one_of = []
    m = re.search(r'azure_configured\s*=\s*(?:get\(|non_empty\(vars,\s*)"([A-Z_]+)"\)\.is_some\(\)\s*\|\|\s*(?:get\(|non_empty\(vars,\s*)"([A-Z_]+)"\)\.is_some\(\)', src)
    if m:
        one_of.append({m.group(1), m.group(2)})
    forbidden_true = set(re.findall(
        r'let\s+(?:\w+)\s*=\s*parse_bool\(vars,\s*"([A-Z_]+)",\s*!production\)\?;\s*if production &&', src))
    prod_values = {}
    if re.search(r'None \| Some\("dev"\) if production', src):
        prod_values["PAYMENT_GATEWAY"] = "stripe"
    # What `flashstudio migrate` reads: DatabaseTarget::from_map and the helpers it calls.
    migrate_reads: set[str] = set()
    impl = re.search(r"\nimpl DatabaseTarget \{(.*?)\n\}\n", src, re.S)
    if impl:
        body = impl.group(1)
        migrate_reads |= set(re.findall(r'non_empty\(vars,\s*"([A-Z][A-Z0-9_]*)"\)', body))
        for fn in set(re.findall(r"\b([a-z_]+)\(vars\b", body)):
            f = re.search(rf"\n(?:pub(?:\([a-z]+\))? )?fn {fn}\b.*?\n\}}\n", src, re.S)
            if f:
                migrate_reads |= set(re.findall(r'non_empty\(vars,\s*"([A-Z][A-Z0-9_]*)"\)', f.group(0)))
    weak = re.search(r"KNOWN_WEAK_SECRETS: &\[&str\] = &\[(.*?)\];", src, re.S)
    weak_secrets = re.findall(r'"([^"]*)"', weak.group(1)) if weak else []
    # What the app says when one of them is missing (the head of the sentence, up to its first
    # "(", ";" or full stop): NOTES.txt must quote it for each value it lists as missing.
    literals = [re.sub(r"\\\n\s*", "", s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', src, re.S)]

    def head(s: str) -> str:
        return re.split(r"[(;]|\.(?:\s|$)", s, maxsplit=1)[0].strip()

    messages = {}
    for var in required:
        said = next((s for s in literals if s.startswith(f"{var} is required")), None)
        if said:
            messages[var] = head(said)
    for group in one_of:
        a, b = sorted(group)
        said = next((s for s in literals if re.search(rf"neither {a} nor {b}|neither {b} nor {a}", s)), None)
        if said:
            messages["|".join(sorted(group))] = head(said)
    # Defaults of the numeric settings (`parse_num(vars, "X", 2)`, `mb("X", 10 * 1024)`).
    num_defaults = {}
    for m in re.finditer(r'(?:parse_num\(vars,\s*|\bmb\(|\bmegabytes\(vars,\s*)"([A-Z][A-Z0-9_]*)",\s*([0-9][0-9 *_]*)\)', src):
        num_defaults[m.group(1)] = eval_product(m.group(2))
    return {"known": known, "required": required, "prod_required": prod_required,
            "stripe_required": stripe_required, "one_of": one_of,
            "forbidden_true": forbidden_true, "prod_values": prod_values,
            "migrate_reads": migrate_reads, "weak_secrets": weak_secrets, "messages": messages,
            "num_defaults": num_defaults}


def eval_product(expr: str) -> int:
    """`10 * 1024` -> 10240 (the only arithmetic in those defaults)."""
    out = 1
    for f in expr.split("*"):
        out *= int(f.strip())
    return out


def fn_body(src: str, signature: str) -> str:
    """The text of the function whose declaration contains `signature`, up to its closing
    brace at the same indentation (rustfmt-formatted source)."""
    m = re.search(rf"^([ \t]*)[^\n]*{re.escape(signature)}", src, re.M)
    if not m:
        return ""
    end = re.compile(rf"^{m.group(1)}\}}", re.M).search(src, m.end())
    return src[m.start(): end.end() if end else len(src)]


def parse_app(root: Path) -> dict:
    """What the chart relies on in src/cli.rs, src/routes.rs and src/ops/handlers.rs."""
    cli = (root / "src" / "cli.rs").read_text()
    routes = (root / "src" / "routes.rs").read_text()
    handlers = (root / "src" / "ops" / "handlers.rs").read_text()
    run = fn_body(cli, "pub async fn run(")
    early = run.find("Command::Migrate")
    settings_at = min((i for i in (run.find("Settings::from_map"), run.find("Settings::from_env")) if i >= 0), default=-1)
    migrate = fn_body(cli, "async fn migrate(")
    worker = re.search(r"\n\s*Worker \{(.*?)\n\s*\},", cli, re.S)
    probes = fn_body(routes, "pub fn probes(")
    ready = fn_body(handlers, "pub async fn ready(")
    limit = re.search(r"const LIMIT: Duration = Duration::from_secs\((\d+)\)", ready)
    # What /ready reports for each check: the Err("...") values of its `let database` and
    # `let storage` blocks (NOTES.txt and the troubleshooting table must name each).
    states: dict[str, list[str]] = {}
    for name, block in re.findall(r"let (database|storage) = async \{(.*?)\n    \};", ready, re.S):
        states[name] = re.findall(r'Err\("([a-z ]+)"\)', block)
    analyze = (root / "src" / "media" / "analyze.rs").read_text()
    alloc = re.search(r"max_alloc = Some\((\d+) \* 1024 \* 1024\)", analyze)
    return {
        "ready_states": states,
        # MiB the image decoder may allocate per image (src/media/analyze.rs thumbnail()).
        "decoder_mib": int(alloc.group(1)) if alloc else None,
        # migrate is dispatched before the full settings are parsed, and parses only the database
        "migrate_only_database": 0 <= early < settings_at and "DatabaseTarget::from_map" in migrate
                                 and "Settings::" not in migrate,
        "worker_addr": bool(worker and re.search(r"addr:\s*Option<SocketAddr>", worker.group(1)))
                       and "routes::probes(" in cli,
        "probe_paths": set(re.findall(r'\.at\("(/[a-z]+)"', probes)),
        "ready_limit": int(limit.group(1)) if limit else None,
    }


# --------------------------------------------------------------------------------------------
# (b) Helm


def load_values(helm, path: Path) -> dict:
    return helm.values_from_yaml(path.read_text())


def render(helm, chart_dir: Path, values: dict):
    with helm.Chart.load(str(chart_dir)) as chart:
        return chart.render(values=values, name=RELEASE, namespace=NAMESPACE)


def parse_manifests(rendered: dict) -> tuple[list[dict], str, list[str]]:
    docs: list[dict] = []
    errors: list[str] = []
    notes = ""
    for name, text in sorted(rendered.items()):
        if name.endswith("NOTES.txt"):
            notes = text
            continue
        if not name.endswith((".yaml", ".yml")):
            continue
        try:
            for d in yaml.load_all(text, Loader=StrictLoader):
                if d:
                    d.setdefault("__source", name)
                    docs.append(d)
        except yaml.YAMLError as e:
            errors.append(f"{name}: {e}")
    return docs, notes, errors


def strip(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "__source"}


def find(docs, kind, name=None):
    return [d for d in docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]


def is_hook(doc) -> bool:
    return "helm.sh/hook" in (doc.get("metadata", {}).get("annotations") or {})


def validate_k8s(kv, docs: list[dict], label: str) -> None:
    for d in docs:
        kind = d.get("kind")
        ident = f"{kind}/{d.get('metadata', {}).get('name')}"
        if kind in CRD_KINDS:
            continue
        problems = []
        for ver in KUBE_VERSIONS:
            try:
                kv.validate(strip(d), ver, strict=True)
            except kv.ValidationError as e:
                path = "/".join(str(p) for p in e.path)
                problems.append(f"k8s {ver}: {path}: {e.message}")
            except (kv.SchemaNotFoundError, kv.VersionNotSupportedError) as e:
                problems.append(f"k8s {ver}: {e.message}")
        problems += [f"{p}: null (an empty value rendered unquoted)" for p in null_string_values(strip(d))]
        R.check(not problems, f"{label}: {ident} valid for Kubernetes {', '.join(KUBE_VERSIONS)}", "; ".join(problems))


STRING_MAPS = {"labels", "annotations", "matchLabels", "nodeSelector", "data", "stringData"}


def null_string_values(node, path: str = "") -> list[str]:
    """Paths of null entries in string maps (labels, annotations, ConfigMap and Secret data):
    an empty value rendered unquoted. The OpenAPI schemas let null through there, but it is a
    template bug, and the easiest one to make with the defaults' empty values."""
    found: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{path}/{k}"
            if k in STRING_MAPS and isinstance(v, dict):
                found += [f"{here}/{kk}" for kk, vv in v.items() if vv is None]
            found += null_string_values(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += null_string_values(v, f"{path}/{i}")
    return found


def label_selector_matches(sel: dict, labels: dict) -> bool:
    """A Kubernetes LabelSelector (matchLabels and matchExpressions) against a label map."""
    if not sel:
        return False
    if not (sel.get("matchLabels") or {}).items() <= labels.items():
        return False
    for ex in sel.get("matchExpressions") or []:
        k, op, vals = ex.get("key"), ex.get("operator"), ex.get("values") or []
        ok = {"In": k in labels and labels[k] in vals, "NotIn": labels.get(k) not in vals,
              "Exists": k in labels, "DoesNotExist": k not in labels}.get(op, False)
        if not ok:
            return False
    return True


def check_service_monitor(docs, label: str, values: dict, svc_of: dict, web, worker, secret_keys, port: str, cfg,
                          expect_configured: bool = True) -> None:
    """The ServiceMonitor scrapes /metrics of every web pod and (with the worker Deployment)
    every worker pod, through their Services, with the METRICS_TOKEN the pods have."""
    sms = find(docs, "ServiceMonitor")
    enabled = bool(values.get("metrics", {}).get("serviceMonitor", {}).get("enabled"))
    R.check(len(sms) == (1 if enabled else 0), f"{label}: {'a' if enabled else 'no'} ServiceMonitor (metrics.serviceMonitor.enabled={enabled})")
    pods_of = {"web": web, **({"worker": worker[0]} if worker else {})}
    for sm in sms:
        spec = sm.get("spec", {})
        ok = sm.get("apiVersion") in ("monitoring.coreos.com/v1", "azmonitoring.coreos.com/v1")
        R.check(ok, f"{label}: ServiceMonitor apiVersion {sm.get('apiVersion')}")
        sel = spec.get("selector") or {}
        chosen = [sv for sv in find(docs, "Service") if label_selector_matches(sel, sv["metadata"].get("labels") or {})]
        want = {sv["metadata"]["name"] for sv in svc_of.values() if sv is not None}
        got = {sv["metadata"]["name"] for sv in chosen}
        R.check(got == want, f"{label}: ServiceMonitor selects the Services of {' and '.join(pods_of)} pods ({', '.join(sorted(want))})",
                f"selects {', '.join(sorted(got)) or 'none'}")
        eps = spec.get("endpoints") or []
        if not R.check(len(eps) == 1, f"{label}: ServiceMonitor has one endpoint"):
            continue
        ep = eps[0]
        allowed = {"port", "path", "scheme", "interval", "scrapeTimeout", "bearerTokenSecret", "authorization",
                   "honorLabels", "relabelings", "metricRelabelings", "tlsConfig"}
        R.check(set(ep) <= allowed, f"{label}: ServiceMonitor endpoint fields known", str(set(ep) - allowed))
        R.check(ep.get("path") == "/metrics", f"{label}: ServiceMonitor scrapes /metrics")
        for role, sv in svc_of.items():
            if sv is None:
                continue
            tp = {p.get("name"): p.get("targetPort") for p in sv["spec"].get("ports", [])}.get(ep.get("port"))
            c = pods_of[role]["spec"]["template"]["spec"]["containers"][0]
            cports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
            R.check(tp is not None and str(cports.get(tp, tp)) == port,
                    f"{label}: ServiceMonitor port {ep.get('port')} reaches the {role} pods' port {port}")
            if role == "worker":
                R.check("/metrics" in (cfg.get("probe_paths") or set()) and "--addr" in (c.get("args") or []),
                        f"{label}: worker pods serve /metrics (`worker --addr`)")
        tok = ep.get("bearerTokenSecret")
        if values.get("metrics", {}).get("token"):
            pods_secret = web_secret_name(web)
            R.check(bool(tok) and tok.get("key") == "METRICS_TOKEN" and tok.get("name") == pods_secret,
                    f"{label}: ServiceMonitor sends the bearer METRICS_TOKEN of the pods' Secret {pods_secret}", str(tok))
            for role, d in pods_of.items():
                env, _ = container_env(d["spec"]["template"]["spec"]["containers"][0],
                                       [x for x in docs if not is_hook(x)], secret_keys)
                if expect_configured or "METRICS_TOKEN" in env:  # else NOTES must list it as empty
                    R.check("METRICS_TOKEN" in env, f"{label}/{role}: gets METRICS_TOKEN (its /metrics wants the bearer)")
        else:
            R.check(tok is None, f"{label}: ServiceMonitor sends no token (metrics.token=false)")


def container_env(container: dict, pod_docs: list[dict], expected_secret_keys: set[str]) -> tuple[dict, dict]:
    """name -> value (None when unknown) and name -> where it comes from."""
    values: dict[str, str | None] = {}
    origin: dict[str, str] = {}
    for ef in container.get("envFrom") or []:
        if "configMapRef" in ef:
            n = ef["configMapRef"]["name"]
            cms = find(pod_docs, "ConfigMap", n)
            for k, v in (cms[0].get("data") or {}).items() if cms else []:
                values[k], origin[k] = v, f"ConfigMap {n}"
            if not cms:
                origin[f"!missing ConfigMap {n}"] = n
        if "secretRef" in ef:
            n = ef["secretRef"]["name"]
            secs = find(pod_docs, "Secret", n)
            if secs:
                for k in (secs[0].get("data") or {}):
                    values[k], origin[k] = None, f"Secret {n}"
            else:
                for k in expected_secret_keys:
                    values.setdefault(k, None)
                    origin.setdefault(k, f"existing Secret {n} (expected key)")
    for e in container.get("env") or []:
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            n, k = ref.get("name"), ref.get("key")
            secs = find(pod_docs, "Secret", n)
            if secs and k not in (secs[0].get("data") or {}):
                origin[f"!missing key {k} of Secret {n}"] = n
                continue
            values[e["name"]] = None
            origin[e["name"]] = f"Secret {n} key {k}" if secs else f"existing Secret {n} key {k}"
            continue
        values[e["name"]] = e.get("value")
        origin[e["name"]] = "env"
    return values, origin


def secret_sourced(container: dict, pod_docs: list[dict], expected_secret_keys: set[str]) -> set[str]:
    """The variables a container takes from Secrets (envFrom secretRef, env secretKeyRef)."""
    out: set[str] = set()
    for ef in container.get("envFrom") or []:
        if "secretRef" in ef:
            secs = find(pod_docs, "Secret", ef["secretRef"]["name"])
            out |= set(secs[0].get("data") or {}) if secs else set(expected_secret_keys)
    for e in container.get("env") or []:
        if (e.get("valueFrom") or {}).get("secretKeyRef"):
            out.add(e["name"])
    return out


def expected_secret_keys(values: dict) -> set[str]:
    """The keys an existingSecret must hold for these values (as values.yaml and NOTES say)."""
    keys = {"SECRET_KEY", "DATABASE_URL", "SMTP_URL"}
    if values.get("payments", {}).get("gateway") == "stripe":
        keys |= {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"}
    if values.get("metrics", {}).get("token"):
        keys.add("METRICS_TOKEN")
    storage = values.get("storage", {})
    if storage.get("backend") == "azure":
        keys |= {"accessKey": {"AZURE_STORAGE_ACCESS_KEY"},
                 "connectionString": {"AZURE_STORAGE_CONNECTION_STRING"}}.get(storage.get("azure", {}).get("auth"), set())
    return keys


def check_wiring(docs: list[dict], notes: str, values: dict, cfg: dict, image: dict, label: str,
                 secret_keys: set[str], expect_configured: bool = True) -> list[tuple[str, str, str]]:
    """The wiring of one render. With expect_configured false (the chart's defaults, and
    ci/unconfigured/), the checks that need the values nobody can guess are left out, and
    NOTES.txt must open with the NOT CONFIGURED YET list of exactly what is empty instead.
    Returns what is empty: (values key, variable, what NOTES must say about it)."""
    production = values.get("environment") == "production"
    # Keys we may assume in an existing Secret: those the chart documents for these values,
    # and only names the schema knows as secrets.
    secret_keys = expected_secret_keys(values) & secret_keys
    deployments = find(docs, "Deployment")
    web = [d for d in deployments if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "web"]
    worker = [d for d in deployments if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "worker"]
    jobs = find(docs, "Job")
    if not R.check(len(web) == 1, f"{label}: one web Deployment"):
        return []
    web = web[0]
    pods = [("web", web)] + [("worker", w) for w in worker] + [("migrate", j) for j in jobs]

    configmaps = find(docs, "ConfigMap")
    cm = configmaps[0].get("data", {}) if configmaps else {}
    port = str(image.get("port", "8080"))
    data_dir = image.get("data_dir", "/var/lib/flashstudio")

    # Every variable the chart sets is one src/config/ reads (catches typos like
    # AZURE_STORAGE_ACCOUNT_NAME that would be silently ignored).
    set_names = set(cm)
    for _, p in pods:
        for c in p["spec"]["template"]["spec"]["containers"]:
            set_names |= {e["name"] for e in c.get("env") or []}
    for s in find(docs, "Secret"):
        set_names |= set(s.get("data") or {})
    unknown = sorted(set_names - cfg["known"] - {"TMPDIR"})
    R.check(not unknown, f"{label}: every variable the chart sets is read by src/config/", ", ".join(unknown))

    for role, p in pods:
        spec = p["spec"]["template"]["spec"]
        cs = spec["containers"]
        if not R.check(len(cs) == 1, f"{label}/{role}: one container"):
            continue
        c = cs[0]
        # Long-running pods may only rely on ordinary release resources (hook resources are
        # deleted after the hook); the migration Job may use hook resources made before it.
        pool = docs if role == "migrate" else [d for d in docs if not is_hook(d)]
        env, origin = container_env(c, pool, secret_keys)
        missing_cm = [k for k in origin if k.startswith("!missing")]
        R.check(not missing_cm, f"{label}/{role}: referenced ConfigMaps and Secret keys exist", ", ".join(missing_cm))
        want_args = {"web": ["serve"], "worker": ["worker", "--addr", f"0.0.0.0:{port}"], "migrate": ["migrate"]}[role]
        R.check(c.get("args") == want_args, f"{label}/{role}: runs `flashstudio {' '.join(want_args)}`",
                f"got {c.get('args')}")

        if role == "migrate":
            check_migrate_env(p, c, env, origin, pool, docs, values, cfg, label, secret_keys, web)
        elif production:
            if expect_configured:
                missing = sorted(k for k in cfg["required"] if k not in env)
                R.check(not missing, f"{label}/{role}: production-required settings provided "
                                     f"({', '.join(sorted(cfg['required']))})", "missing " + ", ".join(missing))
                for group in cfg["one_of"]:
                    R.check(bool(group & set(env)), f"{label}/{role}: one of {sorted(group)} provided")
            R.check(env.get("FLASHSTUDIO_ENV") in ("production", "prod"), f"{label}/{role}: FLASHSTUDIO_ENV=production")
            for k, v in cfg["prod_values"].items():
                R.check(env.get(k) == v, f"{label}/{role}: {k}={v}", f"got {env.get(k)!r}")
            bad_true = [k for k in cfg["forbidden_true"] if str(env.get(k, "")).lower() in ("1", "true", "yes", "on")]
            R.check(not bad_true, f"{label}/{role}: production-forbidden flags not set ({', '.join(sorted(cfg['forbidden_true']))})", ", ".join(bad_true))
            if expect_configured or env.get("BASE_URL"):
                R.check(str(env.get("BASE_URL", "")).startswith("https://"), f"{label}/{role}: BASE_URL is https")
            if role == "web":
                for k in sorted(cfg["required"] | set().union(*cfg["one_of"])):
                    if k in origin:
                        R.info(f"{k:<32} from {origin[k]}")
        R.check(env.get("FLASHSTUDIO_DATA_DIR") == data_dir, f"{label}/{role}: FLASHSTUDIO_DATA_DIR={data_dir} (as in the image)")
        if role != "migrate":
            # Every secret the chart was given reaches the pods that serve and run jobs.
            made = find(docs, "Secret", web_secret_name(web) or "")
            if made:
                given = {k for k, v in (values.get("secrets", {}).get("values") or {}).items() if v}
                lost = sorted(given - set(env))
                R.check(not lost, f"{label}/{role}: every key of secrets.values reaches the container", ", ".join(lost))

        # securityContext
        psc = spec.get("securityContext") or {}
        csc = c.get("securityContext") or {}
        R.check(psc.get("runAsNonRoot") is True and str(psc.get("runAsUser")) == str(image.get("uid", "10001")),
                f"{label}/{role}: pod runAsNonRoot, runAsUser {image.get('uid', '10001')} (the image's user)")
        R.check((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", f"{label}/{role}: seccompProfile RuntimeDefault")
        R.check(csc.get("readOnlyRootFilesystem") is True, f"{label}/{role}: readOnlyRootFilesystem")
        R.check(csc.get("allowPrivilegeEscalation") is False, f"{label}/{role}: allowPrivilegeEscalation false")
        R.check("ALL" in ((csc.get("capabilities") or {}).get("drop") or []), f"{label}/{role}: capabilities drop ALL")
        R.check(not csc.get("privileged"), f"{label}/{role}: not privileged")
        R.check(spec.get("automountServiceAccountToken") is False, f"{label}/{role}: no service account token mounted")

        # Writable paths: /tmp and the data dir are emptyDir mounts.
        vols = {v["name"]: v for v in spec.get("volumes") or []}
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts") or []}
        for path in ["/tmp", data_dir]:
            R.check(path in mounts and "emptyDir" in vols.get(mounts[path], {}),
                    f"{label}/{role}: {path} is a writable emptyDir")

        if c.get("image", "").rsplit(":", 1)[-1] != values.get("image", {}).get("tag") and "@" not in c.get("image", ""):
            R.fail(f"{label}/{role}: image tag is image.tag ({c.get('image')})")

    # Probes and ports: web pods listen on FLASHSTUDIO_ADDR, worker pods on `worker --addr`,
    # both on the image's port (so the image's HEALTHCHECK fits either).
    probe_paths = cfg.get("probe_paths") or {"/health", "/ready", "/metrics"}
    limit = cfg.get("ready_limit") or 2
    for role, d in [("web", web)] + [("worker", w) for w in worker]:
        wc = d["spec"]["template"]["spec"]["containers"][0]
        wports = {p.get("name"): p["containerPort"] for p in wc.get("ports") or []}
        if role == "web":
            wenv, _ = container_env(wc, docs, secret_keys)
            listen = str(wenv.get("FLASHSTUDIO_ADDR", "")).rsplit(":", 1)[-1]
            R.check(listen == port, f"{label}/web: listens on FLASHSTUDIO_ADDR port {port}", f"got {listen}")
        else:
            a = wc.get("args") or []
            listen = a[a.index("--addr") + 1].rsplit(":", 1)[-1] if "--addr" in a[:-1] else ""
            R.check(listen == port, f"{label}/worker: `worker --addr` on port {port}, like FLASHSTUDIO_ADDR", f"got {a}")
        R.check(str(wports.get("http")) == listen == port, f"{label}/{role}: container port http = {port}", str(wports))

        def probe(name, wc=wc, wports=wports):
            pr = (wc.get(name) or {}).get("httpGet") or {}
            p = pr.get("port")
            return pr.get("path"), str(wports.get(p, p))

        R.check(probe("readinessProbe") == ("/ready", port), f"{label}/{role}: readinessProbe GET /ready on {port}", str(probe("readinessProbe")))
        R.check(probe("livenessProbe") == ("/health", port), f"{label}/{role}: livenessProbe GET /health on {port}", str(probe("livenessProbe")))
        R.check(probe("startupProbe")[1] == port and probe("startupProbe")[0] in ("/health", "/ready"),
                f"{label}/{role}: startupProbe on {port}", str(probe("startupProbe")))
        used = {probe(n)[0] for n in ("readinessProbe", "livenessProbe", "startupProbe")} - {None}
        R.check(used <= probe_paths, f"{label}/{role}: probe paths among those `serve` and `worker --addr` both serve ({', '.join(sorted(probe_paths))})",
                ", ".join(sorted(used - probe_paths)))
        rt = (wc.get("readinessProbe") or {}).get("timeoutSeconds", 1)
        R.check(rt > limit, f"{label}/{role}: readiness timeout {rt}s > the {limit}s limit of each /ready check")
    c = web["spec"]["template"]["spec"]["containers"][0]
    env, _ = container_env(c, docs, secret_keys)

    # Worker / web split
    run_worker = env.get("RUN_WORKER", "true")
    if worker:
        R.check(run_worker == "false", f"{label}: worker Deployment present, web RUN_WORKER=false", f"got {run_worker}")
    else:
        R.check(run_worker in ("true", None), f"{label}: no worker Deployment, web RUN_WORKER=true", f"got {run_worker}")

    # Grace periods: the app drains by itself (SHUTDOWN_DRAIN_SECS), then gets its grace.
    grace = int(env.get("SHUTDOWN_GRACE_SECS") or 25)
    drain = int(env.get("SHUTDOWN_DRAIN_SECS") or 0)
    R.check(drain > 0, f"{label}: web SHUTDOWN_DRAIN_SECS {drain} > 0 (serves while endpoints are removed)")
    R.check("preStop" not in ((c.get("lifecycle") or {})), f"{label}: web has no preStop hook (the drain replaces the sleep)")
    tgps = web["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
    R.check(tgps > grace + drain, f"{label}: web terminationGracePeriodSeconds {tgps} > SHUTDOWN_DRAIN_SECS {drain} + SHUTDOWN_GRACE_SECS {grace}")
    for w in worker:
        t = w["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
        R.check(t > grace, f"{label}: worker terminationGracePeriodSeconds {t} > SHUTDOWN_GRACE_SECS {grace}")

    # Checksum annotations roll pods on config changes.
    for role, p in pods[: 1 + len(worker)]:
        ann = p["spec"]["template"]["metadata"].get("annotations") or {}
        R.check("checksum/config" in ann, f"{label}/{role}: checksum/config annotation")
        if find(docs, "Secret", web_secret_name(web)):
            R.check("checksum/secret" in ann, f"{label}/{role}: checksum/secret annotation (chart-made Secret)")

    # Services -> pods: one Service for the web pods (the ingress backend), with the worker
    # Deployment one headless Service for the worker pods (metrics only), none for the Job.
    svcs = find(docs, "Service")
    pod_labels = web["spec"]["template"]["metadata"]["labels"]
    role_pods = [("web", web)] + [("worker", w) for w in worker] + [("migrate", j) for j in jobs]

    def selects(svc) -> set[str]:
        sel = svc["spec"].get("selector") or {}
        return {r for r, d in role_pods if sel and sel.items() <= d["spec"]["template"]["metadata"]["labels"].items()}

    by_role = {r: [sv for sv in svcs if r in selects(sv)] for r in ("web", "worker", "migrate")}
    R.check(len(svcs) == 1 + (1 if worker else 0), f"{label}: {1 + (1 if worker else 0)} Service(s): web{' and worker' if worker else ''}",
            ", ".join(sv["metadata"]["name"] for sv in svcs))
    R.check(not by_role["migrate"], f"{label}: no Service selects migration pods")
    web_svc = by_role["web"][0] if len(by_role["web"]) == 1 else None
    R.check(web_svc is not None and selects(web_svc) == {"web"}, f"{label}: one Service selects the web pods, and only them")
    svc_of = {"web": web_svc}
    if worker:
        wsv = by_role["worker"][0] if len(by_role["worker"]) == 1 else None
        R.check(wsv is not None and selects(wsv) == {"worker"}, f"{label}: one Service selects the worker pods, and only them")
        if wsv is not None:
            R.check(wsv["spec"].get("clusterIP") == "None", f"{label}: worker Service is headless (no load balancing: metrics only)")
            svc_of["worker"] = wsv
    for role, sv in svc_of.items():
        if sv is None:
            continue
        d = web if role == "web" else worker[0]
        cports = {p.get("name"): p["containerPort"] for p in d["spec"]["template"]["spec"]["containers"][0].get("ports") or []}
        for sp in sv["spec"]["ports"]:
            tp = sp.get("targetPort")
            R.check(str(cports.get(tp, tp)) == port, f"{label}: Service {sv['metadata']['name']} port {sp.get('name')} targets container port {port}")
    sel_dep = web["spec"]["selector"]["matchLabels"]
    R.check(sel_dep.items() <= pod_labels.items(), f"{label}: Deployment selector matches its pods")
    for w in worker:
        R.check(w["spec"]["selector"]["matchLabels"].items() <= w["spec"]["template"]["metadata"]["labels"].items(),
                f"{label}: worker Deployment selector matches its pods")
        R.check(not (sel_dep.items() <= w["spec"]["template"]["metadata"]["labels"].items()),
                f"{label}: web Deployment selector does not match worker pods")
    check_service_monitor(docs, label, values, svc_of, web, worker, secret_keys, port, cfg, expect_configured)

    # Host names are case-insensitive; the Ingress must carry the lowercase form.
    base_host = re.sub(r"^https?://", "", str(env.get("BASE_URL") or "")).rstrip("/").split(":")[0].lower()
    if not base_host and not values.get("ingress", {}).get("hosts"):
        # A rule without a host would take every host of the ingress class (other sites too).
        R.check(not find(docs, "Ingress"), f"{label}: no Ingress while it has no host (baseUrl and ingress.hosts empty)")
    if web_svc is not None:
        svc = web_svc
        # Ingress -> Service
        for ing in find(docs, "Ingress"):
            hosts = [r.get("host") for r in ing["spec"].get("rules", [])]
            R.check(all(hosts), f"{label}: every Ingress rule has a host (none catches every host)", str(hosts))
            if base_host:
                R.check(base_host in hosts, f"{label}: Ingress serves the BASE_URL host {base_host}", str(hosts))
            for r in ing["spec"].get("rules", []):
                for p in r["http"]["paths"]:
                    b = p["backend"]["service"]
                    svc_ports = {sp.get("name"): sp["port"] for sp in svc["spec"]["ports"]}
                    bp = b["port"].get("name") or b["port"].get("number")
                    R.check(b["name"] == svc["metadata"]["name"] and (bp in svc_ports or bp in svc_ports.values()),
                            f"{label}: Ingress {r.get('host')}{p['path']} -> Service {b['name']}:{bp}")
            tls_hosts = [h for t in ing["spec"].get("tls", []) for h in t.get("hosts", [])]
            bad_hosts = [h for h in hosts + tls_hosts if not INGRESS_HOST.match(str(h or ""))]
            R.check(not bad_hosts, f"{label}: Ingress hosts are lowercase DNS names (the API server refuses others)",
                    ", ".join(map(str, bad_hosts)))
            if production and base_host:
                R.check(base_host in tls_hosts, f"{label}: Ingress TLS covers {base_host}")
            ann = ing["metadata"].get("annotations") or {}
            body = ann.get("nginx.ingress.kubernetes.io/proxy-body-size")
            if body:
                m = re.match(r"^(\d+)([kmg]?)$", body.lower())
                limit = int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2)] if m else 0
                largest = max(int(env.get(k) or d) for k, d in [("UPLOAD_MAX_IMAGE_MB", 100), ("UPLOAD_MAX_VIDEO_MB", 10240),
                                                                 ("UPLOAD_MAX_DOCUMENT_MB", 50), ("UPLOAD_MAX_ARCHIVE_MB", 2048)])
                R.check(limit >= (largest + 1) << 20, f"{label}: ingress body size {body} >= largest upload {largest} MiB + 1 MiB")

    # HPA and PDB
    for hpa in find(docs, "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        R.check(ref["kind"] == "Deployment" and ref["name"] == web["metadata"]["name"], f"{label}: HPA scales the web Deployment")
        R.check("replicas" not in web["spec"], f"{label}: Deployment leaves replicas to the HPA")
    for pdb in find(docs, "PodDisruptionBudget"):
        sel = pdb["spec"]["selector"]["matchLabels"]
        R.check(sel.items() <= pod_labels.items(), f"{label}: PodDisruptionBudget selects the web pods")
    check_pdb_warning(docs, web, notes, label)
    check_memory(web, worker, env, cfg, label)

    # Service account and workload identity
    sa_name = web["spec"]["template"]["spec"].get("serviceAccountName", "default")
    if pod_labels.get("azure.workload.identity/use") == "true":
        sas = find(docs, "ServiceAccount", sa_name)
        if sas and expect_configured:
            ann = sas[0]["metadata"].get("annotations") or {}
            R.check(bool(ann.get("azure.workload.identity/client-id")), f"{label}: ServiceAccount {sa_name} has the workload identity client id")
        if expect_configured:
            R.check(bool(env.get("AZURE_STORAGE_ACCOUNT")), f"{label}: workload identity with AZURE_STORAGE_ACCOUNT set")
        R.check(not (WORKLOAD_IDENTITY_VARS & set(cm)), f"{label}: workload identity variables left to the AKS webhook")

    # Migration hook
    if production:
        R.check(len(jobs) == 1, f"{label}: a migration Job")
    for j in jobs:
        ann = j["metadata"].get("annotations") or {}
        hooks = set((ann.get("helm.sh/hook") or "").split(","))
        R.check({"pre-install", "pre-upgrade"} <= hooks, f"{label}: migration Job is a pre-install,pre-upgrade hook")
        R.check("before-hook-creation" in (ann.get("helm.sh/hook-delete-policy") or ""), f"{label}: migration Job hook-delete-policy before-hook-creation")
        R.check("hook-failed" not in (ann.get("helm.sh/hook-delete-policy") or ""),
                f"{label}: migration Job not deleted when it fails (its log says why)")
        R.check("hook-failed" in (ann.get("helm.sh/hook-output-log-policy") or ""),
                f"{label}: migration Job hook-output-log-policy hook-failed (Helm prints the app's error with its own)")
        jspec = j["spec"]["template"]["spec"]
        R.check(jspec.get("restartPolicy") == "Never", f"{label}: migration Job restartPolicy Never")
        jc = jspec["containers"][0]
        # A pre-install hook runs before the release's ordinary resources exist, and the Job
        # should see no setting it does not need: no whole ConfigMap or Secret.
        R.check(not jc.get("envFrom"), f"{label}: migration Job has no envFrom (a whole ConfigMap or Secret)",
                str(jc.get("envFrom")))
        for e in jc.get("env") or []:
            ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
            if ref:
                R.fail(f"{label}: migration Job reads ConfigMap {ref.get('name')}, which does not exist yet on install")
        own_sa = [s["metadata"]["name"] for s in find(docs, "ServiceAccount") if not is_hook(s)]
        R.check(jspec.get("serviceAccountName", "default") not in own_sa,
                f"{label}: migration Job does not use the release's own ServiceAccount (absent on install)")

    # NOTES name the webhook URL, its events, the first admin command, and the secret keys.
    if production:
        base = str(env.get("BASE_URL") or "<baseUrl>").rstrip("/")
        R.check(f"{base}/webhooks/stripe" in notes, f"{label}: NOTES give the Stripe webhook URL ({base}/webhooks/stripe)")
        events = re.findall(r'"([a-z_.]+)"', re.search(r"HANDLED_EVENTS[^=]*=\s*\[(.*?)\];", STRIPE_RS, re.S).group(1))
        missing = [e for e in events if e not in notes]
        R.check(bool(events) and not missing, f"{label}: NOTES list the {len(events)} Stripe events the app handles", ", ".join(missing))
        R.check("create-admin" in notes and "--password-stdin" in notes, f"{label}: NOTES show create-admin")
        if not find(docs, "Secret", web_secret_name(web)):
            need = sorted(k for k in cfg["required"] if origin_of(web, docs, secret_keys).get(k, "").startswith("existing"))
            gone = [k for k in need if k not in notes]
            R.check(not gone, f"{label}: NOTES list the existing Secret's expected keys", ", ".join(gone))
            R.check("SECRET_KEY_PREVIOUS" in notes, f"{label}: NOTES name the optional SECRET_KEY_PREVIOUS")

    states = [(check, s) for check, ss in (cfg.get("ready_states") or {}).items() for s in ss]
    unnamed = [f'{check} "{s}"' for check, s in states if f'"{s}"' not in notes]
    R.check(bool(states) and not unnamed, f"{label}: NOTES name every state /ready reports "
                                          f"({', '.join(f'{c} {s}' for c, s in states)})", "not named: " + ", ".join(unnamed))

    placeholder = values.get("image", {}).get("repository") == "flashstudio"
    R.check(("WARNING: image.repository" in notes) == placeholder,
            f"{label}: NOTES warn about the placeholder image.repository {'(it is left)' if placeholder else '(not when set)'}")

    # What is still empty, read from the manifests (not from the chart's own list), and NOTES.
    missing = missing_settings(docs, web, values, cfg, secret_keys)
    if expect_configured:
        R.check(not missing, f"{label}: every value the app needs is set",
                "empty: " + ", ".join(f"{k} ({v})" for k, v, _ in missing))
    else:
        R.check(bool(missing), f"{label}: values left empty, as this render intends",
                "nothing is missing: move it to the configured renders")
    check_not_configured_notes(notes, missing, values, label, web["metadata"]["name"])
    return missing


def scaled(value, total: int) -> int:
    """A PodDisruptionBudget count: an integer, or a percentage of `total` rounded up (as the
    disruption controller rounds both minAvailable and maxUnavailable)."""
    s = str(value)
    if s.endswith("%"):
        return -(-int(s[:-1]) * total // 100)
    return int(s)


def check_pdb_warning(docs, web, notes: str, label: str) -> None:
    """NOTES warn exactly when the PodDisruptionBudget lets no web pod be evicted while the
    fewest web pods run (the HPA's minReplicas, else the Deployment's replicas)."""
    hpas = find(docs, "HorizontalPodAutoscaler")
    fewest = int(hpas[0]["spec"].get("minReplicas", 1)) if hpas else int(web["spec"].get("replicas", 1))
    blocked = False
    for pdb in find(docs, "PodDisruptionBudget"):
        spec = pdb["spec"]
        if spec.get("maxUnavailable") is not None:
            blocked = scaled(spec["maxUnavailable"], fewest) == 0
        else:
            blocked = scaled(spec.get("minAvailable", 1), fewest) >= fewest
    warned = "WARNING: the PodDisruptionBudget" in notes
    R.check(warned == blocked, f"{label}: NOTES {'warn' if blocked else 'do not warn'} that the PodDisruptionBudget blocks "
                               f"node drains (fewest web pods: {fewest})", f"warned={warned}")


def mebibytes(quantity) -> float | None:
    """A Kubernetes memory quantity in MiB (None when it cannot be read)."""
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(quantity).strip())
    if not m:
        return None
    unit = {None: 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40,
            "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[m.group(2)]
    return float(m.group(1)) * unit / (1 << 20)


def check_memory(web, worker, env: dict, cfg: dict, label: str) -> None:
    """The memory limit of each pod that runs jobs covers WORKER_CONCURRENCY image analyses
    at once (the file whole, up to UPLOAD_MAX_IMAGE_MB, plus what the decoder may allocate,
    src/media/analyze.rs); web pods add their upload buffers (3 blocks per upload in flight);
    plus an allowance for the rest of the process. No limit: nothing to check."""
    d = cfg.get("num_defaults") or {}
    decoder = cfg.get("decoder_mib")
    if not R.check(bool(decoder) and {"UPLOAD_MAX_IMAGE_MB", "WORKER_CONCURRENCY", "UPLOAD_BLOCK_SIZE_MB",
                                      "UPLOAD_MAX_CONCURRENT"} <= set(d),
                   f"{label}: parsed the image decoder's limit and the defaults the memory estimate needs",
                   "src/media/analyze.rs or src/config/ changed shape"):
        return

    def num(name: str) -> int:
        return int(env.get(name) or d[name])

    image = num("UPLOAD_MAX_IMAGE_MB") + decoder
    for role, dep in [("web", web)] + [("worker", w) for w in worker]:
        c = dep["spec"]["template"]["spec"]["containers"][0]
        runs_jobs = role == "worker" or str(env.get("RUN_WORKER", "true")) != "false"
        need = MEMORY_ALLOWANCE_MIB
        parts = []
        if runs_jobs:
            need += num("WORKER_CONCURRENCY") * image
            parts.append(f"{num('WORKER_CONCURRENCY')} x {image} MiB of image analysis")
        if role == "web":
            need += 3 * num("UPLOAD_BLOCK_SIZE_MB") * num("UPLOAD_MAX_CONCURRENT")
            parts.append(f"{3 * num('UPLOAD_BLOCK_SIZE_MB') * num('UPLOAD_MAX_CONCURRENT')} MiB of upload buffers")
        limit = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        have = mebibytes(limit) if limit is not None else None
        what = f"{label}/{role}: memory limit {limit or 'none'} covers {' + '.join(parts)} + {MEMORY_ALLOWANCE_MIB} MiB = {need} MiB"
        R.check(limit is None or (have is not None and have >= need), what)


def secret_value_given(doc: dict, key: str) -> bool:
    raw = (doc.get("data") or {}).get(key)
    if raw is None:
        return str((doc.get("stringData") or {}).get(key) or "").strip() != ""
    return base64.b64decode(raw).decode(errors="replace").strip() != ""


def missing_settings(docs, web, values, cfg, secret_keys) -> list[tuple[str, str, str]]:
    """The settings the app needs (src/config/) or the chart documents for these values that
    reach the web container empty or not at all, as (values key, variable, text NOTES must
    show for it). Keys of an existing Secret count as given (the chart cannot see them); an
    empty value counts as missing, as it does for the app."""
    pool = [d for d in docs if not is_hook(d)]
    c = web["spec"]["template"]["spec"]["containers"][0]
    given: dict[str, bool] = {}
    for ef in c.get("envFrom") or []:
        if "configMapRef" in ef:
            for cm in find(pool, "ConfigMap", ef["configMapRef"]["name"]):
                for k, v in (cm.get("data") or {}).items():
                    given[k] = str(v).strip() != ""
        if "secretRef" in ef:
            secs = find(pool, "Secret", ef["secretRef"]["name"])
            if secs:
                for k in (secs[0].get("data") or {}) | (secs[0].get("stringData") or {}):
                    given[k] = secret_value_given(secs[0], k)
            else:
                given.update({k: True for k in secret_keys})
    for e in c.get("env") or []:
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            secs = find(pool, "Secret", ref.get("name"))
            given[e["name"]] = secret_value_given(secs[0], ref.get("key")) if secs else True
        else:
            given[e["name"]] = str(e.get("value") or "").strip() != ""
    cm = {k: v for cmap in find(pool, "ConfigMap") for k, v in (cmap.get("data") or {}).items()}
    production = cm.get("FLASHSTUDIO_ENV") in ("production", "prod")

    def key(var: str) -> str:
        return "baseUrl" if var == "BASE_URL" else f"secrets.values.{var}"

    out: list[tuple[str, str, str]] = []
    need = (cfg["prod_required"] if production else set()) | (cfg["stripe_required"] if cm.get("PAYMENT_GATEWAY") == "stripe" else set())
    for var in sorted(need):
        if not given.get(var):
            out.append((key(var), var, cfg["messages"].get(var, f"{var} is required")))
    conn = "AZURE_STORAGE_CONNECTION_STRING"
    if cm.get("STORAGE_BACKEND") == "azure":
        for group in cfg["one_of"]:
            if not any(given.get(v) for v in group):
                said = cfg["messages"].get("|".join(sorted(group)), " nor ".join(sorted(group)))
                by_conn = values.get("storage", {}).get("azure", {}).get("auth") == "connectionString"
                out.append((key(conn), conn, said) if by_conn else ("storage.azure.account", "AZURE_STORAGE_ACCOUNT", said))
    listed = {v for _, v, _ in out}
    for var in sorted(expected_secret_keys(values) & {"METRICS_TOKEN", "AZURE_STORAGE_ACCESS_KEY", conn}):
        if not given.get(var) and var not in listed:
            out.append((key(var), var, "/metrics is OPEN" if var == "METRICS_TOKEN" else 'storage "unreachable"'))
    if web["spec"]["template"]["metadata"]["labels"].get("azure.workload.identity/use") == "true":
        sa = find(pool, "ServiceAccount", web["spec"]["template"]["spec"].get("serviceAccountName", "default"))
        if sa and not ((sa[0]["metadata"].get("annotations") or {}).get("azure.workload.identity/client-id") or "").strip():
            out.append(("serviceAccount.workloadIdentity.clientId", "annotation azure.workload.identity/client-id",
                        'storage "unreachable"'))
    return out


def check_not_configured_notes(notes: str, missing, values: dict, label: str, fullname: str) -> None:
    """NOTES.txt opens with NOT CONFIGURED YET when something is empty, listing exactly what
    (one `  - <values key> (<variable>)` entry each) and what happens, in the app's words."""
    end = re.search(r"^FlashStudio \S+ \(\w+\) is released", notes, re.M)
    section = notes[: end.start()] if end else notes
    if not missing:
        R.check("NOT CONFIGURED YET" not in notes, f"{label}: NOTES have no NOT CONFIGURED YET section (nothing is empty)")
        return
    first = next((ln.strip() for ln in notes.splitlines() if ln.strip() and set(ln.strip()) - set("=#-")), "")
    R.check(first.startswith(f"NOT CONFIGURED YET: {len(missing)} "),
            f"{label}: NOTES open with NOT CONFIGURED YET: {len(missing)} ...", repr(first[:80]))
    entries = {m.group(1): (m.group(2), " ".join(m.group(3).split()))
               for m in re.finditer(r"^  - (\S+) \(([^)\n]*)\)\n((?:      .*(?:\n|$))*)", section, re.M)}
    want = {k for k, _, _ in missing}
    absent, extra = sorted(want - set(entries)), sorted(set(entries) - want)
    R.check(not absent and not extra,
            f"{label}: NOT CONFIGURED YET lists exactly the {len(want)} empty values ({', '.join(k for k, _, _ in missing)})",
            "; ".join(x for x in [absent and "not listed: " + ", ".join(absent), extra and "listed but set: " + ", ".join(extra)] if x))
    for k, var, said in missing:
        if k not in entries:
            continue
        named, body = entries[k]
        R.check(named == var and said in body, f"{label}: NOTES entry {k} names {var} and says {said!r}",
                f"({named}) {body[:160]}")
        if var == "DATABASE_URL" and values.get("migrations", {}).get("enabled"):
            R.check("helm install" in body and f"logs job/{fullname}-migrate" in body,
                    f"{label}: NOTES entry {k}: the migration hook fails the install; kubectl logs job/{fullname}-migrate")


STRIPE_RS = ""


def hook_weight(doc) -> int:
    return int(((doc.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook-weight", "0"))


def check_migrate_env(job, c, env, origin, pool, docs, values, cfg, label, secret_keys, web) -> None:
    """The migration Job gets what `flashstudio migrate` reads, its only secret is DATABASE_URL,
    and that is the same database the pods use."""
    production = values.get("environment") == "production"
    reads = cfg["migrate_reads"]
    got = secret_sourced(c, pool, secret_keys)
    R.check(got == {"DATABASE_URL"}, f"{label}/migrate: DATABASE_URL is its only secret (least privilege)",
            f"gets {', '.join(sorted(got)) or 'none'}")
    own = {e.get("name") for e in (values.get("migrations", {}).get("extraEnv") or [])}
    extra = sorted(set(env) - reads - own)
    R.check(not extra, f"{label}/migrate: only what `flashstudio migrate` reads ({', '.join(sorted(reads))})",
            "also " + ", ".join(extra))
    R.check("Secret" in origin.get("DATABASE_URL", ""), f"{label}/migrate: DATABASE_URL comes from a Secret, not inline",
            origin.get("DATABASE_URL", "missing"))
    R.check(env.get("FLASHSTUDIO_ENV") == values.get("environment"),
            f"{label}/migrate: FLASHSTUDIO_ENV={values.get('environment')}", f"got {env.get('FLASHSTUDIO_ENV')!r}")
    if production:
        need = sorted(cfg["required"] & reads)
        missing = [k for k in need if k not in env]
        R.check(bool(need) and not missing, f"{label}/migrate: production-required settings it reads are wired in ({', '.join(need)})",
                "missing " + ", ".join(missing))
    ref = next(((e.get("valueFrom") or {}).get("secretKeyRef") for e in c.get("env") or []
                if e.get("name") == "DATABASE_URL"), None)
    if not ref:
        return
    R.check(ref.get("key") == "DATABASE_URL" and not ref.get("optional"),
            f"{label}/migrate: DATABASE_URL from key DATABASE_URL, not optional", str(ref))
    made = find(docs, "Secret", ref.get("name"))
    pods_secret = web_secret_name(web)
    if made:
        hook = made[0]
        R.check(is_hook(hook) and hook_weight(hook) < hook_weight(job),
                f"{label}/migrate: Secret {ref.get('name')} is a hook created before the Job")
        R.check(set(hook.get("data") or {}) == {"DATABASE_URL"},
                f"{label}/migrate: hook Secret {ref.get('name')} holds DATABASE_URL only", str(sorted(hook.get("data") or {})))
        policy = set(((hook["metadata"].get("annotations") or {}).get("helm.sh/hook-delete-policy") or "").split(","))
        R.check({"before-hook-creation", "hook-succeeded", "hook-failed"} <= policy,
                f"{label}/migrate: hook Secret {ref.get('name')} (a copy of DATABASE_URL) is deleted whether the migration "
                f"succeeds or fails (before-hook-creation,hook-succeeded,hook-failed)", ",".join(sorted(policy)))
        theirs = find(docs, "Secret", pods_secret or "")
        # The pods' Secret leaves an empty DATABASE_URL out; the hook copy keeps the key, empty,
        # so that the Job's container starts and the app names what is missing.
        R.check(bool(theirs) and ((theirs[0].get("data") or {}).get("DATABASE_URL") or "") == ((hook.get("data") or {}).get("DATABASE_URL") or ""),
                f"{label}/migrate: the same DATABASE_URL as the pods' Secret {pods_secret}")
    else:
        R.check(ref.get("name") == pods_secret, f"{label}/migrate: key DATABASE_URL of the pods' existing Secret {pods_secret}",
                f"reads Secret {ref.get('name')}")


def origin_of(web, docs, secret_keys):
    return container_env(web["spec"]["template"]["spec"]["containers"][0], docs, secret_keys)[1]


def web_secret_name(web) -> str | None:
    for ef in web["spec"]["template"]["spec"]["containers"][0].get("envFrom") or []:
        if "secretRef" in ef:
            return ef["secretRef"]["name"]
    return None


def check_chart(root: Path, helm, kv, cfg: dict, image: dict) -> dict:
    chart_dir = root / "charts" / "flashstudio"
    stats: dict = {}
    R.start("Helm chart: metadata and lint")
    if not R.check((chart_dir / "Chart.yaml").is_file(), "charts/flashstudio/Chart.yaml exists"):
        return stats
    chart_meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    cargo_version = re.search(r'^version\s*=\s*"([^"]+)"', (root / "Cargo.toml").read_text(), re.M).group(1)
    defaults = yaml.safe_load((chart_dir / "values.yaml").read_text())
    R.check(chart_meta.get("apiVersion") == "v2", "Chart apiVersion v2")
    R.check(str(chart_meta.get("appVersion")) == cargo_version, f"appVersion {chart_meta.get('appVersion')} = Cargo.toml version {cargo_version}")
    R.check(str(defaults["image"]["tag"]) == cargo_version, f"values image.tag {defaults['image']['tag']} = appVersion")
    schema = json.loads((chart_dir / "values.schema.json").read_text())
    R.check(schema.get("$schema", "").startswith("http://json-schema.org/draft-07/"), "values.schema.json is draft-07")
    R.check(schema.get("additionalProperties") is False, "values.schema.json refuses unknown top-level keys")
    secret_keys = set(schema["properties"]["secrets"]["properties"]["values"]["properties"])

    # The default IngressClass is the AKS application routing add-on's, spelt exactly, and no
    # file of the chart or the operations guide names a misspelt variant of it.
    R.check(defaults.get("ingress", {}).get("className") == APP_ROUTING_CLASS,
            f"values ingress.className is {APP_ROUTING_CLASS} (the AKS app routing add-on's class)",
            f"got {defaults.get('ingress', {}).get('className')!r}")
    misspelt = []
    for f in sorted([*chart_dir.rglob("*.yaml"), *chart_dir.rglob("*.tpl"), *chart_dir.rglob("*.txt"),
                     root / "docs" / "operations.md"]):
        for name in re.findall(r"webapprouting\.[A-Za-z0-9.-]*[A-Za-z0-9]", f.read_text()):
            if name != APP_ROUTING_CLASS:
                misspelt.append(f"{f.relative_to(root)}: {name}")
    R.check(not misspelt, f"every webapprouting.* class named in the chart and docs/operations.md is {APP_ROUTING_CLASS}",
            "; ".join(misspelt))

    # The chart's defaults alone (`helm lint` / `helm template charts/flashstudio`) are accepted:
    # what nobody can guess is empty there, which the schema allows (it refuses malformed
    # values only) and NOTES.txt lists; the render below checks both.
    value_files = [chart_dir / "ci" / n for n in ("minimal-values.yaml", "production-values.yaml", "development-values.yaml")]
    for name, vals in [("the default values alone", {})] + [(vf.name, vf) for vf in value_files]:
        if isinstance(vals, Path):
            if not R.check(vals.is_file(), f"{vals.relative_to(root)} exists"):
                continue
            vals = load_values(helm, vals)
        report = helm.lint(str(chart_dir), vals, strict=True, namespace=NAMESPACE, kube_version="v1.30.0")
        msgs = report.get("messages") or []
        serious = [m for m in msgs if m.get("severity", 0) >= 2]
        R.check(not report.get("errors") and not serious, f"helm lint --strict with {name}",
                "; ".join(m.get("error", "") for m in serious) or "; ".join(report.get("errors") or []))
        for m in msgs:
            if m.get("severity", 0) < 2:
                R.info(f"lint info: {m.get('path')}: {m.get('error')}")

    def render_and_check(label: str, title: str, values_in: dict, expect_configured: bool = True) -> list[dict] | None:
        R.start(title)
        try:
            rendered = render(helm, chart_dir, values_in)
        except helm.HelmError as e:
            R.fail(f"{label}: renders: {e}")
            return None
        docs, notes, errors = parse_manifests(rendered)
        R.check(not errors, f"{label}: manifests are valid YAML without duplicate keys", "; ".join(errors))
        with helm.Chart.load(str(chart_dir)) as chart:
            merged = chart.merge_values(values_in)
        kinds = Counter(d["kind"] for d in docs)
        stats[label] = kinds
        R.info(f"{len(docs)} manifests: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        validate_k8s(kv, docs, label)
        empty = check_wiring(docs, notes, merged, cfg, image, label, secret_keys, expect_configured)
        if empty:
            missing_of[label] = [k for k, _, _ in empty]
        return docs

    missing_of: dict[str, list[str]] = {}
    stats["missing"] = missing_of
    # `helm template charts/flashstudio`: valid manifests, and NOTES that say what is missing.
    docs = render_and_check("defaults", "render the default values alone (nothing set)", {}, expect_configured=False)
    if docs is not None:
        R.check(len(find(docs, "Deployment")) == 1 and len(find(docs, "Job")) == 1, "defaults: a web Deployment and the migration Job")
        made = find(docs, "Secret", RELEASE)
        R.check(bool(made) and not (made[0].get("data") or {}), "defaults: the chart's Secret holds no key (empty values are left out, as unset)",
                str(sorted((made[0].get("data") or {}) if made else [])))

    for vf in value_files:
        if not vf.is_file():
            continue
        label = vf.name.replace("-values.yaml", "")
        docs = render_and_check(label, f"render {vf.relative_to(root)}", load_values(helm, vf))
        if docs is not None and label == "production":
            kinds = stats[label]
            for k in ["ServiceMonitor", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "Job"]:
                R.check(kinds.get(k, 0) >= 1, f"{label}: renders a {k}")
            R.check(len(find(docs, "Deployment")) == 2, f"{label}: web and worker Deployments")
            R.check(not find(docs, "Secret"), f"{label}: no Secret rendered (existingSecret)")

    # ci/good/*.yaml: other accepted combinations, each over minimal-values.yaml, wired right.
    base = load_values(helm, chart_dir / "ci" / "minimal-values.yaml")
    good_files = sorted((chart_dir / "ci" / "good").glob("*.yaml"))
    for gf in good_files:
        render_and_check(f"good/{gf.stem}", f"render minimal + {gf.relative_to(root)}",
                         deep_merge(base, load_values(helm, gf)))
    stats["good"] = len(good_files)

    # ci/unconfigured/*.yaml: over the defaults, partly configured: valid manifests, and NOTES
    # list exactly what is still empty (nothing that is set).
    unconfigured = sorted((chart_dir / "ci" / "unconfigured").glob("*.yaml"))
    for uf in unconfigured:
        render_and_check(f"unconfigured/{uf.stem}", f"render defaults + {uf.relative_to(root)}",
                         load_values(helm, uf), expect_configured=False)
    stats["unconfigured"] = len(unconfigured)

    # Malformed values are refused whether or not the rest is configured: each ci/bad file over
    # minimal-values.yaml and over the bare defaults (where it is the only thing wrong).
    R.start("values.schema.json rejects ci/bad/*.yaml (over minimal-values.yaml and over the defaults)")
    bases = [("minimal", load_values(helm, chart_dir / "ci" / "minimal-values.yaml")), ("defaults", {})]
    bad_files = sorted((chart_dir / "ci" / "bad").glob("*.yaml"))
    R.check(len(bad_files) >= 5, f"{len(bad_files)} bad values files")
    for bf in bad_files:
        text = bf.read_text()
        m = re.search(r"^# expect: (.+)$", text, re.M)
        if not R.check(bool(m), f"{bf.name}: has an `# expect: <text>` line"):
            continue
        expect = m.group(1).strip()
        for base_name, base in bases:
            merged = deep_merge(base, load_values(helm, bf))
            try:
                render(helm, chart_dir, merged)
                R.fail(f"{bf.name} over {base_name}: rejected (it rendered)")
            except helm.HelmValuesError as e:
                R.check(expect in str(e), f"{bf.name} over {base_name}: rejected by the schema, naming {expect}",
                        str(e).replace("\n", " | "))
            except helm.HelmError as e:
                R.fail(f"{bf.name} over {base_name}: rejected by the schema, not by a template: {type(e).__name__}: {e}")
    stats["bad"] = len(bad_files)

    # The placeholders src/config/ refuses (any case) are refused by the schema too, as
    # SECRET_KEY and as SECRET_KEY_PREVIOUS, over a configured release and over the defaults.
    weak = cfg.get("weak_secrets") or []
    R.check(bool(weak), f"parsed {len(weak)} refused placeholders from src/config/ KNOWN_WEAK_SECRETS")
    let_through = []
    for w in weak:
        for variant in {w, w.upper()}:
            for key in ("SECRET_KEY", "SECRET_KEY_PREVIOUS"):
                for base_name, base in bases:
                    try:
                        render(helm, chart_dir, deep_merge(base, {"secrets": {"values": {key: variant}}}))
                        let_through.append(f"{key}={variant} over {base_name}")
                    except helm.HelmValuesError as e:
                        if f"/secrets/values/{key}" not in str(e):
                            let_through.append(f"{key}={variant} over {base_name} (rejected for another reason)")
    R.check(not let_through, "the schema refuses every KNOWN_WEAK_SECRETS placeholder as SECRET_KEY and SECRET_KEY_PREVIOUS "
                             "(over minimal and over the defaults)", ", ".join(let_through))

    # The switches src/config/ refuses in production (parse_bool(.., !production) then an
    # error) are refused in config.extra in production, and accepted in development.
    dev_values = load_values(helm, chart_dir / "ci" / "development-values.yaml")
    for var in sorted(cfg.get("forbidden_true") or []):
        extra = {"config": {"extra": {var: "true"}}}
        for base_name, base in bases:
            try:
                render(helm, chart_dir, deep_merge(base, extra))
                R.fail(f"config.extra {var}=true in production over {base_name}: rejected (it rendered)")
            except helm.HelmValuesError as e:
                R.check(f"invalid propertyName '{var}'" in str(e),
                        f"config.extra {var}=true in production over {base_name}: refused by the schema (the app refuses it there)",
                        str(e).replace("\n", " | "))
        try:
            render(helm, chart_dir, deep_merge(dev_values, extra))
            R.ok(f"config.extra {var}=true accepted in development (ci/development-values.yaml)")
        except helm.HelmError as e:
            R.fail(f"config.extra {var}=true in development: rejected: {e}")
    return stats


def check_operations_doc(root: Path, cfg: dict) -> None:
    """The troubleshooting table has a row for every state /ready reports."""
    doc = (root / "docs" / "operations.md").read_text()
    states = [(check, s) for check, ss in (cfg.get("ready_states") or {}).items() for s in ss]
    R.check({"database", "storage"} <= set(cfg.get("ready_states") or {}),
            f"parsed the states /ready reports: {', '.join(f'{c} {s}' for c, s in states)}",
            "src/ops/handlers.rs ready() changed shape")
    rowless = [f"{c} {s}" for c, s in states if not re.search(rf"^\| `{c}` \| `{s}` \|", doc, re.M)]
    R.check(not rowless, "docs/operations.md troubleshooting has a row for each /ready state", "no row for " + ", ".join(rowless))


def deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# --------------------------------------------------------------------------------------------


def main() -> int:
    global STRIPE_RS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    args = ap.parse_args()
    root = Path(args.root).resolve()
    started = time.monotonic()

    import helm_python as helm
    import kubernetes_validate as kv

    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    print(f"tools: helm SDK {helm.helm_sdk_version()} (helm-python-sdk {helm.__version__}), "
          f"kubernetes-validate {kv.__version__ if hasattr(kv, '__version__') else '?'}, "
          f"{subprocess.run([hadolint, '--version'], capture_output=True, text=True).stdout.strip()}")

    STRIPE_RS = (root / "src" / "payments" / "stripe.rs").read_text()
    image = check_containerfile(root, hadolint)

    R.start("src/config/: what production requires")
    cfg = parse_config_rs(root)
    # Guard the parser itself: if config.rs changes shape, fail loudly rather than check nothing.
    for must in ["BASE_URL", "DATABASE_URL", "SECRET_KEY", "SMTP_URL", "PAYMENT_GATEWAY"]:
        R.check(must in cfg["required"], f"parsed: {must} is required in production",
                "the parser in scripts/check_deploy.py no longer understands src/config/")
    R.check(bool(cfg["one_of"]), "parsed: storage needs one of AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_CONNECTION_STRING")
    R.info(f"required: {', '.join(sorted(cfg['required']))}; one of: {', '.join('/'.join(sorted(g)) for g in cfg['one_of'])}; "
           f"must not be true: {', '.join(sorted(cfg['forbidden_true']))}; {len(cfg['known'])} settings known")
    R.check(cfg["migrate_reads"] >= {"DATABASE_URL", "FLASHSTUDIO_ENV"} and "SECRET_KEY" not in cfg["migrate_reads"],
            f"parsed: `flashstudio migrate` reads {', '.join(sorted(cfg['migrate_reads']))} (DatabaseTarget::from_map)",
            "the parser no longer finds DatabaseTarget::from_map in src/config/")
    R.check("SECRET_KEY_PREVIOUS" in cfg["known"], "parsed: SECRET_KEY_PREVIOUS is a setting")
    said_for = (cfg["prod_required"] - {"PAYMENT_GATEWAY"}) | cfg["stripe_required"] | {"|".join(sorted(g)) for g in cfg["one_of"]}
    unsaid = sorted(said_for - set(cfg["messages"]))
    R.check(bool(cfg["stripe_required"]) and not unsaid,
            f"parsed: what the app says when each of {len(said_for)} required settings is missing (NOTES must quote it)",
            "no message found for " + ", ".join(unsaid))

    R.start("src/cli.rs, src/routes.rs, src/ops/handlers.rs: what the chart relies on")
    app = parse_app(root)
    R.check(app["migrate_only_database"], "`migrate` runs before the full settings are parsed, on DatabaseTarget only",
            "src/cli.rs: a migration Job with only DATABASE_URL would fail")
    R.check(app["worker_addr"], "`worker --addr` serves routes::probes")
    R.check(app["probe_paths"] == {"/health", "/ready", "/metrics"}, f"routes::probes serves {', '.join(sorted(app['probe_paths']))}")
    R.check(app["ready_limit"] is not None, f"/ready limits each check to {app['ready_limit']}s")
    cfg.update(app)

    R.start("docs/operations.md: what the operators read")
    check_operations_doc(root, cfg)

    stats = check_chart(root, helm, kv, cfg, image)

    elapsed = time.monotonic() - started
    print("\n=== summary")
    missing_of = stats.get("missing") or {}
    for label, kinds in stats.items():
        if label == "missing":
            continue
        if label == "bad":
            print(f"  ci/bad: {kinds} values files rejected as expected (over minimal and over the defaults)" if not R.failures else f"  ci/bad: {kinds} values files")
        elif label == "good":
            print(f"  ci/good: {kinds} values files (over minimal) rendered and checked")
        elif label == "unconfigured":
            print(f"  ci/unconfigured: {kinds} values files (over the defaults) rendered and checked")
        else:
            print(f"  {label}: {sum(kinds.values())} manifests ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})")
            if label in missing_of:
                print(f"      NOT CONFIGURED YET in NOTES: {', '.join(missing_of[label])}")
    print(f"  {R.passed} checks passed, {len(R.failures)} failed, in {elapsed:.1f}s")
    if R.failures:
        print("\nFAILED:")
        for f in R.failures:
            print(f"  - {f}")
        return 1
    print("container and chart checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
