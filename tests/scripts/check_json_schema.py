#!/usr/bin/env python3
"""Reference JSON Schema check: SCHEMA DOC -> prints "valid" or "invalid".

The reference implementation is python-jsonschema (Debian: python3-jsonschema)
with its draft 2020-12 validator; slmctl's own validator (lib/core/json_schema)
is tested against what this prints. "format" is not asserted, as in draft
2020-12's default vocabulary.

Exit status: 0 valid, 1 invalid, 2 usage error or unreadable / bad schema.
With --errors, each violation is printed on stderr as "<JSON pointer>: <message>".
"""
import argparse
import json
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover
    sys.exit("check_json_schema.py: python jsonschema is missing (apt-get install python3-jsonschema)")


def json_pointer(path):
    """RFC 6901 pointer for a jsonschema error path ("" is the document root)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def violations(schema, doc):
    """Sorted, de-duplicated JSON pointers of the places python-jsonschema reports."""
    validator = jsonschema.Draft202012Validator(schema)
    return [(json_pointer(e.absolute_path), e.message) for e in validator.iter_errors(doc)]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("schema")
    parser.add_argument("doc")
    parser.add_argument("--errors", action="store_true", help="list violations on stderr")
    args = parser.parse_args()
    try:
        schema = load(args.schema)
        doc = load(args.doc)
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"check_json_schema.py: {e}", file=sys.stderr)
        return 2
    found = violations(schema, doc)
    print("invalid" if found else "valid")
    if args.errors:
        for pointer, message in found:
            print(f"{pointer or '(root)'}: {message}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
