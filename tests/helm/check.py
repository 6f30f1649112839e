"""Checks the Helm chart without a cluster, with the real Helm library (helm-python-sdk bundles
Helm's Go SDK) and the Kubernetes schemas (kubernetes-validate, offline).

Usage: check.py <chart dir>

Lints the chart; renders it for the minimal and the production values (helm/plenum/ci);
validates every manifest against the Kubernetes API schemas in strict mode; checks that
wrong values are refused with a message naming the key; and checks what the manifests say:
which peers each NetworkPolicy allows, the single-replica rule of the stateful default
profile, pod security, probes, the migration hook, secrets only by reference. Prints a JSON
summary and exits 1 with the reasons when a check fails.
"""

import json
import sys
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import yaml

K8S_VERSION = "1.31.0"
ROLES = ["gateway", "tenants", "documents", "search", "portal"]
# Who may call whom: the architecture (ARCHITECTURE.md), not the templates, decides this.
CALLS = {
    "gateway": {"tenants", "documents", "search"},
    "portal": {"gateway", "tenants"},
    "documents": {"tenants"},
    "search": {"tenants", "documents"},
    "tenants": set(),
    "migration": set(),
}
DEPENDENCIES = {
    "default": {
        "gateway": {"redis", "otlp", "oidc"},
        "tenants": {"redis", "otlp", "database"},
        "documents": {"redis", "otlp", "database"},
        "search": {"redis", "otlp", "database"},
        "portal": {"redis", "otlp", "database", "oidc"},
        "migration": {"database"},
    },
}
DEPENDENCIES["production"] = {
    **DEPENDENCIES["default"],
    "tenants": {"redis", "otlp", "database", "smtp"},
    "documents": {"redis", "otlp", "database", "s3"},
    "search": {"redis", "otlp", "database", "meilisearch"},
}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def render(chart, values):
    out = chart.render(values, name="plenum", namespace="ris", is_install=True)
    docs = []
    for path, text in sorted(out.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append(doc)
    return docs


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def component(selector):
    return selector.get("matchLabels", {}).get("app.kubernetes.io/component")


def egress_dependency(values, rule):
    """Which outside dependency an ipBlock rule opens, from the values' CIDRs and ports."""
    cidrs = sorted(p["ipBlock"]["cidr"] for p in rule.get("to", []) if "ipBlock" in p)
    ports = sorted(p["port"] for p in rule.get("ports", []))
    for name, dep in values["networkPolicy"]["egress"].items():
        if sorted(dep["cidrs"]) == cidrs and sorted(dep["ports"]) == ports:
            return name
    return None


def check_profile(chart, name, values, merged):
    docs = render(chart, values)
    kinds = sorted({d["kind"] for d in docs})
    # Kubernetes' own schemas (the ServiceMonitor is a CRD of the Prometheus operator).
    for d in docs:
        if d["apiVersion"].startswith("monitoring.coreos.com"):
            continue
        try:
            kubernetes_validate.validate(d, K8S_VERSION, strict=True)
        except Exception as e:  # noqa: BLE001 - every kind of invalidity is a failure here
            failures.append(f"{name}: {d['kind']} {d['metadata']['name']}: {e}")
    check(not any(d["kind"] == "Secret" for d in docs), f"{name}: the chart must not create Secrets")

    deployments = by_kind(docs, "Deployment")
    check(sorted(deployments) == sorted(f"plenum-{r}" for r in ROLES), f"{name}: deployments {sorted(deployments)}")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    pvcs = by_kind(docs, "PersistentVolumeClaim")
    stateful = set()
    if merged["documents"]["storage"] == "fs":
        stateful.add("documents")
    if merged["search"]["backend"] == "embedded":
        stateful.add("search")
    for role in ROLES:
        d = deployments[f"plenum-{role}"]
        spec = d["spec"]
        pod = spec["template"]["spec"]
        c = pod["containers"][0]
        check(c["args"] == ["run", "--service", role], f"{name}/{role}: args {c['args']}")
        check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", f"{name}/{role}: liveness")
        check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{name}/{role}: readiness")
        sc = c["securityContext"]
        check(sc.get("readOnlyRootFilesystem") is True, f"{name}/{role}: read-only root")
        check(sc.get("runAsNonRoot") is True, f"{name}/{role}: non-root")
        check(sc.get("allowPrivilegeEscalation") is False, f"{name}/{role}: privilege escalation")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}/{role}: capabilities")
        check(pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", f"{name}/{role}: seccomp")
        for env in c["env"]:
            n = env["name"]
            if any(s in n for s in ("SIGNING_KEY", "PASSWORD", "SECRET_ACCESS", "ACCESS_KEY_ID", "API_KEY", "REDIS__URL")):
                check("valueFrom" in env, f"{name}/{role}: {n} must come from a Secret")
        if role in stateful:
            check(spec.get("replicas") == 1 and spec.get("strategy", {}).get("type") == "Recreate",
                  f"{name}/{role}: a role with state on a volume runs as one replica, recreated")
            check(f"plenum-{role}" not in hpas, f"{name}/{role}: no autoscaling with state on a volume")
        elif merged["roles"][role]["autoscaling"]["enabled"]:
            check(f"plenum-{role}" in hpas, f"{name}/{role}: autoscaled")
    expected_pvcs = {f"plenum-{'files' if r == 'documents' else 'search'}" for r in stateful}
    check(set(pvcs) == expected_pvcs, f"{name}: claims {sorted(pvcs)}, expected {sorted(expected_pvcs)}")

    job = by_kind(docs, "Job").get("plenum-migrate")
    if check(job is not None, f"{name}: the migration job"):
        hooks = job["metadata"]["annotations"]["helm.sh/hook"]
        check(hooks == "pre-install,pre-upgrade", f"{name}: migration hook {hooks}")
        check(job["spec"]["template"]["spec"]["containers"][0]["args"][0] == "migrate", f"{name}: migrate args")

    # Network policies: exactly the peers the architecture needs.
    policies = by_kind(docs, "NetworkPolicy")
    allowed = {}
    for role in ROLES + ["migration"]:
        p = policies.get(f"plenum-{role}")
        if not check(p is not None, f"{name}: no NetworkPolicy for {role}"):
            continue
        check(sorted(p["spec"]["policyTypes"]) == ["Egress", "Ingress"], f"{name}/{role}: policy types")
        from_pods = set()
        from_namespaces = []
        for rule in p["spec"].get("ingress") or []:
            for peer in rule["from"]:
                if "podSelector" in peer:
                    from_pods.add(component(peer["podSelector"]))
                if "namespaceSelector" in peer:
                    from_namespaces.append(peer["namespaceSelector"]["matchLabels"])
        to_pods = set()
        deps = set()
        for rule in p["spec"]["egress"]:
            for peer in rule.get("to", []):
                if "podSelector" in peer:
                    to_pods.add(component(peer["podSelector"]))
            if any("ipBlock" in peer for peer in rule.get("to", [])):
                deps.add(egress_dependency(merged, rule))
        callers = {r for r, callees in CALLS.items() if role in callees}
        check(from_pods == callers, f"{name}/{role}: reachable from {sorted(from_pods)}, expected {sorted(callers)}")
        check(to_pods == CALLS[role], f"{name}/{role}: reaches {sorted(to_pods)}, expected {sorted(CALLS[role])}")
        check(deps == DEPENDENCIES[name][role], f"{name}/{role}: outside {sorted(map(str, deps))}, expected {sorted(DEPENDENCIES[name][role])}")
        ingress_ns = merged["networkPolicy"]["ingressNamespaceSelector"]
        monitoring_ns = merged["networkPolicy"]["monitoringNamespaceSelector"]
        from_ingress = ingress_ns in from_namespaces
        check(from_ingress == (role in ("gateway", "portal")), f"{name}/{role}: from the ingress controller: {from_ingress}")
        if role != "migration":
            check(monitoring_ns in from_namespaces, f"{name}/{role}: Prometheus may scrape it")
        allowed[role] = {"from": sorted(from_pods), "to": sorted(to_pods), "outside": sorted(map(str, deps))}

    ingress = by_kind(docs, "Ingress").get("plenum")
    if check(ingress is not None, f"{name}: the ingress"):
        for rule in ingress["spec"]["rules"]:
            backends = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
            check(backends.get("/") == "plenum-portal" and backends.get("/graphql") == "plenum-gateway"
                  and backends.get("/oparl") == "plenum-gateway", f"{name}: ingress {rule['host']}: {backends}")
    # The environment the roles get, secrets as the Secret key they come from: the Rust test
    # hands it to `plenum config check`, so a key the binary does not know fails there.
    env = [
        {"name": e["name"], "value": e.get("value"), "secret": e.get("valueFrom", {}).get("secretKeyRef", {}).get("key")}
        for e in deployments["plenum-documents"]["spec"]["template"]["spec"]["containers"][0]["env"]
    ]
    return {"kinds": kinds, "objects": len(docs), "network": allowed, "env": env}


def merged_values(chart, values):
    def merge(a, b):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
        return out
    return merge(chart.values, values)


def main():
    chart_dir = Path(sys.argv[1])
    chart = helm.Chart.load(str(chart_dir))
    summary = {"helm": helm.helm_sdk_version()}
    minimal = yaml.safe_load((chart_dir / "ci/minimal-values.yaml").read_text())
    production = yaml.safe_load((chart_dir / "ci/production-values.yaml").read_text())
    wrong = yaml.safe_load((chart_dir / "ci/wrong-type-values.yaml").read_text())

    for label, values in [("default", minimal), ("production", production)]:
        lint = helm.lint(str(chart_dir), values, strict=True, kube_version=K8S_VERSION)
        check(not lint["errors"], f"lint {label}: {lint['errors']}")
        real = [m for m in lint["messages"] if m["severity"] > 1]
        check(not real, f"lint {label}: {real}")
        chart.validate_schema(values)
        summary[label] = check_profile(chart, label, values, merged_values(chart, values))

    refused = {}
    for label, values in [
        ("wrong types", wrong),
        ("nothing set", {}),
        ("s3 without bucket", {**minimal, "documents": {"storage": "s3"}}),
    ]:
        try:
            chart.validate_schema(values)
            failures.append(f"values with {label} were accepted")
        except helm.HelmValuesError as e:
            refused[label] = str(e)
    wrong_msg = refused.get("wrong types", "")
    for needle in ["/roles/gateway/replicas", "want integer", "/documents/storage", "replicaCount"]:
        check(needle in wrong_msg, f"the refusal of wrong values names {needle}: {wrong_msg}")
    check("/publicBaseUrl" in refused.get("nothing set", ""), f"missing publicBaseUrl: {refused.get('nothing set')}")
    check("/documents/s3/bucket" in refused.get("s3 without bucket", ""), f"s3 without bucket: {refused.get('s3 without bucket')}")
    summary["refused"] = refused
    summary["failures"] = failures
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
