"""Render a kustomization of deploy/k8s without kubectl, for the tests and for a look at what an
overlay produces:

    python -m deploy.k8s.render deploy/k8s/overlays/production

Only the part of kustomize these manifests use, with kustomize's meaning:

- ``resources``: files (every YAML document in them) and directories with a kustomization;
- ``namespace``: set on every namespaced object;
- ``labels`` (``pairs``, ``includeTemplates``): added to every object's labels and, with
  ``includeTemplates``, to its pod template's; never to selectors (``includeSelectors: true`` and the
  older ``commonLabels``, which changes selectors, are refused);
- ``patches``: strategic merge patches, each aimed at one object by the kind and name written in it,
  or at every object a ``target`` (``kind``, ``name`` as an anchored regular expression) selects;
  lists merge by key where Kubernetes merges them (containers, env, volumes …) and are replaced where
  it replaces them; a list of unknown strategy is refused rather than guessed;
- ``images``: ``newName``/``newTag``/``digest`` for containers whose image has that name.

Anything else in a kustomization (generators, prefixes, replicas, JSON patches …) is refused: teach
this renderer first, or the tests would check something other than what kubectl applies.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]

KUSTOMIZATION_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "patches",
    "images",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "PersistentVolume",
    "PriorityClass",
    "StorageClass",
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
# lists Kubernetes merges by a key in a strategic merge patch (the ones these manifests patch)
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
}
# lists it replaces whole (atomic, or no patch strategy)
REPLACED_LISTS = {
    "command",
    "args",
    "envFrom",
    "rules",
    "tls",
    "hosts",
    "paths",
    "metrics",
    "policies",
    "drop",
    "add",
}


class KustomizeError(ValueError):
    pass


def build(directory: str | Path) -> list[Resource]:
    """The objects ``kubectl kustomize <directory>`` would produce (for the supported fields)."""
    root = Path(directory)
    path = root / "kustomization.yaml"
    if not path.is_file():
        raise KustomizeError(f"no kustomization.yaml in {root}")
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(spec) - KUSTOMIZATION_FIELDS
    if unknown:
        raise KustomizeError(f"{path}: fields this renderer does not model: {sorted(unknown)}")

    resources: list[Resource] = []
    for entry in spec.get("resources", []):
        target = root / entry
        if target.is_dir():
            resources.extend(build(target))
        elif target.is_file():
            resources.extend(load_documents(target))
        else:
            raise KustomizeError(f"{path}: resource {entry} not found")

    for patch in spec.get("patches", []):
        apply_patch(resources, patch, root)
    if "namespace" in spec:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = spec["namespace"]
    for entry in spec.get("labels", []):
        add_labels(resources, entry)
    for entry in spec.get("images", []):
        set_images(resources, entry)

    seen: set[tuple[str, str, str]] = set()
    for resource in resources:
        key = identity(resource)
        if key in seen:
            raise KustomizeError(f"{path}: {key} defined twice")
        seen.add(key)
    return resources


def load_documents(path: Path) -> list[Resource]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict) or not {"apiVersion", "kind", "metadata"} <= set(doc):
            raise KustomizeError(f"{path}: a document without apiVersion, kind and metadata")
    return docs


def identity(resource: Resource) -> tuple[str, str, str]:
    meta = resource["metadata"]
    return (resource["kind"], meta.get("namespace", ""), meta["name"])


def group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def apply_patch(resources: list[Resource], entry: dict[str, Any], root: Path) -> None:
    unknown = set(entry) - {"path", "patch", "target"}
    if unknown:
        raise KustomizeError(f"patch options this renderer does not model: {sorted(unknown)}")
    text = (root / entry["path"]).read_text(encoding="utf-8") if "path" in entry else entry["patch"]
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise KustomizeError(f"{entry}: one strategic merge patch (a mapping) per patch entry")
    patch = docs[0]
    if "target" in entry:
        target = entry["target"]
        unknown = set(target) - {"kind", "name"}
        if unknown:
            raise KustomizeError(f"patch target fields this renderer does not model: {unknown}")
        matches = [
            r
            for r in resources
            if ("kind" not in target or r["kind"] == target["kind"])
            and ("name" not in target or re.fullmatch(target["name"], r["metadata"]["name"]))
        ]
        body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind", "metadata")}
        meta = {k: v for k, v in patch.get("metadata", {}).items() if k != "name"}
        if meta:
            body["metadata"] = meta
    else:
        matches = [
            r
            for r in resources
            if r["kind"] == patch["kind"]
            and r["metadata"]["name"] == patch["metadata"]["name"]
            and group(r["apiVersion"]) == group(patch["apiVersion"])
        ]
        body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
    if not matches:
        raise KustomizeError(f"patch {entry} matches nothing")
    for resource in matches:
        merged = merge(resource, body, ())
        resource.clear()
        resource.update(merged)


def merge(base: Any, patch: Any, path: tuple[str, ...]) -> Any:
    """A strategic merge patch of ``patch`` onto ``base`` (a new value; ``null`` deletes)."""
    if isinstance(patch, dict) and isinstance(base, dict):
        out = copy.deepcopy(base)
        for key, value in patch.items():
            if key.startswith("$"):
                raise KustomizeError(f"{'.'.join(path)}: patch directive {key} not modelled")
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value, (*path, key))
            else:
                out[key] = merge_new(value, (*path, key))
        return out
    if isinstance(patch, list) and isinstance(base, list):
        name = path[-1] if path else ""
        if name in MERGE_KEYS:
            return merge_list(base, patch, MERGE_KEYS[name], path)
        if name in REPLACED_LISTS:
            return copy.deepcopy(patch)
        raise KustomizeError(f"{'.'.join(path)}: a list whose patch strategy is not modelled")
    return copy.deepcopy(patch)


def merge_new(value: Any, path: tuple[str, ...]) -> Any:
    """A value the base does not have yet (checked like a merge onto an empty one)."""
    if isinstance(value, dict):
        return merge({}, value, path)
    if isinstance(value, list):
        return merge([], value, path)
    return copy.deepcopy(value)


def merge_list(base: list[Any], patch: list[Any], key: str, path: tuple[str, ...]) -> list[Any]:
    out = copy.deepcopy(base)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise KustomizeError(f"{'.'.join(path)}: every item needs its merge key {key}")
        for index, existing in enumerate(out):
            if existing.get(key) == item[key]:
                out[index] = merge(existing, item, path)
                break
        else:
            out.append(merge({}, item, path))
    return out


def add_labels(resources: list[Resource], entry: dict[str, Any]) -> None:
    unknown = set(entry) - {"pairs", "includeTemplates", "includeSelectors"}
    if unknown:
        raise KustomizeError(f"labels options this renderer does not model: {sorted(unknown)}")
    if entry.get("includeSelectors"):
        raise KustomizeError("labels with includeSelectors (selectors are immutable) not modelled")
    pairs = {str(k): str(v) for k, v in entry["pairs"].items()}
    for resource in resources:
        resource["metadata"].setdefault("labels", {}).update(pairs)
        if entry.get("includeTemplates") and resource["kind"] in WORKLOADS:
            template = resource["spec"]["template"]
            template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def split_image(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference (a registry's port is not a tag)."""
    name, _, digest = image.partition("@")
    head, sep, tag = name.rpartition(":")
    if sep and "/" not in tag:
        name = head
    else:
        tag = ""
    return name, tag, digest


def set_images(resources: list[Resource], entry: dict[str, Any]) -> None:
    unknown = set(entry) - {"name", "newName", "newTag", "digest"}
    if unknown:
        raise KustomizeError(f"images options this renderer does not model: {sorted(unknown)}")
    for resource in resources:
        spec = resource.get("spec", {})
        pod = spec.get("template", {}).get("spec", spec)
        for container in [*pod.get("containers", []), *pod.get("initContainers", [])]:
            if "image" not in container:
                continue
            name, tag, digest = split_image(container["image"])
            if name != entry["name"]:
                continue
            name = entry.get("newName", name)
            if "digest" in entry:
                container["image"] = f"{name}@{entry['digest']}"
            else:
                tag = str(entry.get("newTag", tag))
                container["image"] = f"{name}:{tag}" if tag else name
                if digest and "newTag" not in entry:
                    container["image"] += f"@{digest}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m deploy.k8s.render <kustomization directory>", file=sys.stderr)
        return 2
    resources = build(argv[0])
    yaml.safe_dump_all(resources, sys.stdout, sort_keys=False, allow_unicode=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
