#!/usr/bin/python3
"""Regenerates expected.json: what python-jsonschema says about every
schema/document pair under cases/.

Each case is a folder cases/NN_name/ holding schema.json and documents
doc_*.json. For each document, python-jsonschema's Draft202012Validator
(through tests/scripts/check_json_schema.py) decides "valid" and lists the
JSON pointers of the places it reports violations. The C++ validator must
agree on both (tests/unit/test_core_json_schema.cpp).

Run with Debian's interpreter so the reference is python3-jsonschema:
    /usr/bin/python3 tests/data/json_schema/generate_expected.py
"""
import importlib.metadata
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "..", "..", "scripts", "check_json_schema.py")


def load_checker():
    spec = importlib.util.spec_from_file_location("check_json_schema", CHECKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    checker = load_checker()
    version = importlib.metadata.version("jsonschema")
    results = []
    cases_dir = os.path.join(HERE, "cases")
    for case in sorted(os.listdir(cases_dir)):
        with open(os.path.join(cases_dir, case, "schema.json"), encoding="utf-8") as f:
            schema = json.load(f)
        checker.jsonschema.Draft202012Validator.check_schema(schema)
        for doc_name in sorted(n for n in os.listdir(os.path.join(cases_dir, case)) if n.startswith("doc_")):
            with open(os.path.join(cases_dir, case, doc_name), encoding="utf-8") as f:
                doc = json.load(f)
            found = checker.violations(schema, doc)
            results.append({
                "case": case,
                "doc": doc_name,
                "valid": not found,
                "error_pointers": sorted({pointer for pointer, _ in found}),
            })
    out = {
        "generated_by": "tests/data/json_schema/generate_expected.py",
        "reference": f"python jsonschema {version} (Draft202012Validator), "
                     f"python {sys.version_info.major}.{sys.version_info.minor}",
        "note": "Produced by running python-jsonschema over cases/; do not edit by hand.",
        "results": results,
    }
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    valid = sum(r["valid"] for r in results)
    print(f"{len(results)} documents in {len(os.listdir(cases_dir))} cases: {valid} valid, {len(results) - valid} invalid")


if __name__ == "__main__":
    main()
