"""Corpus workflows that cannot end as CATALOG.tsv expects on this machine, each with the reason.

Kept in one place so docs/conformance.md and the conformance test agree. Nothing here hides a missing
argonb feature: every entry needs something the machine does not have (internet, DNS, a server binary such
as nginx or influxd, a kernel mount), or is a case where Argo's code and the catalog's inferred expectation
disagree (argonb follows the code).
"""

from __future__ import annotations

NO_INTERNET = "downloads from the internet (this machine has no network beyond loopback)"
NO_SERVER_BINARY = "runs a server from its image (nginx / influxd / apk add curl): the local backend does not " \
                   "pull images; the docker backend does"

KNOWN_EXCEPTIONS: dict[str, str] = {
    "arguments-artifacts.yaml": NO_INTERNET,
    "functional/arguments-artifacts.yaml": NO_INTERNET,
    "artifacts-workflowtemplate.yaml": NO_INTERNET,
    "input-artifact-http.yaml": NO_INTERNET,
    "functional/input-artifact-http.yaml": NO_INTERNET,
    "functional/script-with-input-art.yaml": NO_INTERNET,
    "functional/global-param-sub-with-artifacts.yaml": NO_INTERNET,
    "functional/param-sub-with-artifacts.yaml": NO_INTERNET,
    "http-hello-world.yaml": NO_INTERNET,
    "http-success-condition.yaml": NO_INTERNET,
    "life-cycle-hooks-wf-level.yaml": NO_INTERNET + " (its exit handler is an HTTP template)",
    "input-artifact-git.yaml": NO_INTERNET + " (git clone)",
    "functional/git-clone-test.yaml": NO_INTERNET + " (git clone)",
    "daemon-nginx.yaml": NO_SERVER_BINARY,
    "functional/daemon-nginx.yaml": NO_SERVER_BINARY,
    "daemon-step.yaml": NO_SERVER_BINARY,
    "functional/daemon-step.yaml": NO_SERVER_BINARY,
    "dag-daemon-task.yaml": NO_SERVER_BINARY,
    "functional/dag-daemon-task.yaml": NO_SERVER_BINARY,
    "dag-daemon-retry-strategy.yaml": NO_SERVER_BINARY,
    "steps-daemon-retry-strategy.yaml": NO_SERVER_BINARY,
    "sidecar.yaml": NO_SERVER_BINARY,
    "functional/sidecar.yaml": NO_SERVER_BINARY,
    "sidecar-nginx.yaml": NO_SERVER_BINARY,
    "functional/sidecar-nginx.yaml": NO_SERVER_BINARY,
    "volumes-emptydir.yaml": "checks /proc/mounts for a real mount; the local backend emulates volumes as "
                             "directories (the docker backend mounts them)",
    "functional/volumes-emptydir.yaml": "checks /proc/mounts for a real mount; the local backend emulates "
                                        "volumes as directories (the docker backend mounts them)",
    "functional/template_level_host_aliases.yaml": "resolves a hostAliases name with nslookup, which asks a DNS "
                                                   "server this machine does not have",
    "functional/workflow_level_host_aliases.yaml": "resolves a hostAliases name with nslookup, which asks a DNS "
                                                   "server this machine does not have",
    "functional/workflow_template_level_host_aliases.yaml": "resolves a hostAliases name with nslookup, which asks "
                                                            "a DNS server this machine does not have",
    "variables-showcase.yaml": "its daemon runs `nc -lk`; Debian's busybox nc has no -k (Alpine's has)",
    "functional/output-input-artifact-optional.yaml":
        "Argo's code fails this (a missing optional output artifact is not recorded by the executor's "
        "saveArtifact, so a non-optional `from:` cannot resolve); the catalog's Succeeded is inferred",
}
