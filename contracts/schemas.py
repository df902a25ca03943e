"""JSON Schemas of the envelope and of every event and command, generated from the models.

python -m contracts.schemas          # rewrite contracts/schemas/*.json
python -m contracts.schemas --check  # exit 1 when the committed files drift from the models
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contracts import ALL, Envelope, Message

HERE = Path(__file__).parent
SCHEMAS = HERE / "schemas"
EXAMPLES = HERE / "examples"


def schema_of(model: type[Message]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    schema["$id"] = f"https://hataraku.example/contracts/{model.TYPE}.json"
    schema["title"] = model.TYPE
    schema["x-kind"] = model.KIND
    schema["description"] = (model.__doc__ or "").strip()
    return schema


def expected() -> dict[str, str]:
    files = {"envelope.json": Envelope.model_json_schema()}
    files.update({f"{m.TYPE}.json": schema_of(m) for m in ALL})
    return {
        name: json.dumps(s, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        for name, s in files.items()
    }


def drift() -> list[str]:
    want = expected()
    have = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS.glob("*.json")}
    problems = [f"{n}: missing or out of date" for n, text in want.items() if have.get(n) != text]
    problems += [f"{n}: no model has this schema any more" for n in have.keys() - want.keys()]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        problems = drift()
        for p in problems:
            print(p, file=sys.stderr)
        sys.exit(1 if problems else 0)
    SCHEMAS.mkdir(exist_ok=True)
    for old in SCHEMAS.glob("*.json"):
        old.unlink()
    for name, text in expected().items():
        (SCHEMAS / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(expected())} schemas to {SCHEMAS}")


if __name__ == "__main__":
    main()
