"""Checks OParl responses against the OParl 1.1 schemas and the spec's prose rules.

Usage: validate.py <schema dir> <responses.json>
where responses.json is a list of {"url": ..., "body": <parsed JSON>}.

The released 1.1 schemas name embedded objects with a custom keyword ("schema": "File.json")
and URLs with a custom format ("url"); both are resolved here, so that embedded objects are
validated too. On top of the schemas, the prose rules that the schemas do not express:
created/modified on every object (1.1, embedded ones included), date-times with an offset
and whole seconds, no null / "" / [] for optional properties, no back-reference inside an
embedded object, list pages with data/pagination/links.

Prints one line per problem and exits 1 if there is any.
"""

import json
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource

BASE = "https://schema.oparl.org/1.1/"
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
# Properties that point back to the parent: left out inside the parent (spec 2.6).
BACK_REFERENCES = {
    ("Body", "legislativeTerm"): "body",
    ("Person", "membership"): "person",
    ("Meeting", "agendaItem"): "meeting",
    ("Paper", "consultation"): "paper",
}
FILE_BACK = ("meeting", "agendaItem", "paper")
# Lists that must be present even when empty.
REQUIRED_LISTS = {("Body", "legislativeTerm")}


def resolve_custom(node):
    """Turns the custom `schema` keyword into `$ref` and `format: url` into a checked one."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "schema" and isinstance(value, str) and value.endswith(".json"):
                out["$ref"] = BASE + value
            else:
                out[key] = resolve_custom(value)
        return out
    if isinstance(node, list):
        return [resolve_custom(v) for v in node]
    return node


def load_schemas(directory):
    schemas = {}
    for path in sorted(Path(directory).glob("*.json")):
        schema = resolve_custom(json.loads(path.read_text(encoding="utf-8")))
        schema["$id"] = BASE + path.name
        schemas[path.stem] = schema
    registry = Registry().with_resources(
        (BASE + name + ".json", Resource.from_contents(schema, default_specification=_draft7()))
        for name, schema in schemas.items()
    )
    return schemas, registry


def _draft7():
    from referencing.jsonschema import DRAFT7

    return DRAFT7


FORMATS = FormatChecker()


@FORMATS.checks("url")
def is_url(value):
    if not isinstance(value, str):
        return True
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


@FORMATS.checks("date-time")
def is_date_time(value):
    return not isinstance(value, str) or bool(DATE_TIME.match(value))


@FORMATS.checks("date")
def is_date(value):
    return not isinstance(value, str) or bool(DATE.match(value))


class Checker:
    def __init__(self, schema_dir):
        self.schemas, registry = load_schemas(schema_dir)
        self.validators = {
            name: Draft7Validator(schema, registry=registry, format_checker=FORMATS)
            for name, schema in self.schemas.items()
        }
        self.problems = []
        self.objects = 0

    def problem(self, url, where, message):
        self.problems.append(f"{url} {where}: {message}")

    def check_response(self, url, body):
        if not isinstance(body, dict):
            self.problem(url, "$", "not a JSON object")
            return
        if "data" in body or "links" in body or "pagination" in body:
            for key in ("data", "pagination", "links"):
                if key not in body:
                    self.problem(url, "$", f"list page without `{key}`")
            if not isinstance(body.get("data"), list):
                return
            for i, item in enumerate(body["data"]):
                self.check_object(url, f"$.data[{i}]", item, None)
            return
        self.check_object(url, "$", body, None)

    def check_object(self, url, where, obj, parent):
        """Validates one object; `parent` is (type name, property) when it is embedded."""
        self.objects += 1
        if not isinstance(obj, dict):
            self.problem(url, where, "an object was expected")
            return
        type_url = obj.get("type", "")
        name = type_url[len(BASE):] if type_url.startswith(BASE) else None
        if name not in self.validators:
            self.problem(url, where, f"unknown type {type_url!r}")
            return
        for error in self.validators[name].iter_errors(obj):
            path = "".join(f"[{p!r}]" for p in error.absolute_path)
            self.problem(url, where + path, f"schema: {error.message}")
        for key in ("id", "type", "created", "modified"):
            if key not in obj:
                self.problem(url, where, f"{name} without `{key}`")
        if obj.get("deleted") is True:
            if parent is not None:
                self.problem(url, where, "a deleted object is embedded")
            return
        for key, value in obj.items():
            here = f"{where}.{key}"
            if value is None:
                self.problem(url, here, "null instead of leaving the property out")
            elif value == "":
                self.problem(url, here, "empty string instead of leaving the property out")
            elif value == [] and (name, key) not in REQUIRED_LISTS:
                self.problem(url, here, "empty list instead of leaving the property out")
        if parent is not None:
            back = BACK_REFERENCES.get(parent)
            if back and back in obj:
                self.problem(url, where, f"embedded {name} repeats its back-reference `{back}`")
            if name == "File":
                for key in FILE_BACK:
                    if key in obj:
                        self.problem(url, where, f"embedded File carries `{key}`")
        # Recurse into embedded objects.
        for key, value in obj.items():
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if isinstance(item, dict) and str(item.get("type", "")).startswith(BASE):
                    suffix = f"[{i}]" if isinstance(value, list) else ""
                    self.check_object(url, f"{where}.{key}{suffix}", item, (name, key))
                elif isinstance(item, dict) and key not in ("geojson",) and ":" not in key:
                    self.problem(url, f"{where}.{key}", "an embedded object without OParl type")


def main():
    schema_dir, responses = sys.argv[1], sys.argv[2]
    checker = Checker(schema_dir)
    entries = json.loads(Path(responses).read_text(encoding="utf-8"))
    for entry in entries:
        checker.check_response(entry["url"], entry["body"])
    for line in checker.problems[:200]:
        print(line)
    print(f"checked {len(entries)} responses, {checker.objects} objects, "
          f"{len(checker.problems)} problems", file=sys.stderr)
    sys.exit(1 if checker.problems else 0)


if __name__ == "__main__":
    main()
