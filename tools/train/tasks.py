"""Synthetic skill tasks: deterministic generators of (prompt, answer) pairs.

Every task is a pure function of a random.Random, so a seed fixes the data.
Prompts and answers are ASCII; the byte-level tokenizer sees one token per
character, and the model is trained to end the answer with EOS.
"""
import json
import random

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def operand(rng):
    """0..999 with 1, 2 or 3 digits in proportion 1:2:3. Uniform values would
    make nine in ten operands 3 digits long, and a model trained on that
    misaligns digits when the lengths differ; equal shares leave too few long
    carry chains (3 + 3 digits) to learn them."""
    digits = rng.choice((1, 2, 2, 3, 3, 3))
    return rng.randrange(0 if digits == 1 else 10 ** (digits - 1), 10 ** digits)


def addition(rng):
    a, b = operand(rng), operand(rng)
    return f"{a}+{b}=", str(a + b)


def subtraction(rng):
    a, b = operand(rng), operand(rng)
    a, b = max(a, b), min(a, b)
    return f"{a}-{b}=", str(a - b)


def reversal(rng):
    n = rng.randint(3, 10)
    s = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))
    return s + ">", s[::-1]


def date_normalization(rng):
    year = rng.randint(1950, 2049)
    month = rng.randint(1, 12)
    days = DAYS_IN_MONTH[month - 1] - (1 if month == 2 and not is_leap(year) else 0)
    day = rng.randint(1, days)
    name = MONTHS[month - 1]
    style = rng.randrange(6)
    if style == 0:
        text = f"{name} {day}, {year}"
    elif style == 1:
        text = f"{day} {name} {year}"
    elif style == 2:
        text = f"{name[:3]} {day} {year}"
    elif style == 3:
        text = f"{year}/{month:02d}/{day:02d}"
    elif style == 4:
        text = f"{day:02d}.{month:02d}.{year}"  # day first with dots
    else:
        text = f"{month}/{day}/{year}"  # month first with slashes (US)
    answer = json.dumps({"date": f"{year:04d}-{month:02d}-{day:02d}"}, separators=(",", ":"))
    return text + " ->", answer


# Model sizes: (n_layers, n_heads, n_kv_heads, head_dim, ffn_dim, context_length).
TASKS = {
    "arith-add": {
        "generate": addition,
        "description": "adds two non-negative integers below 1000 (\"123+456=\" -> \"579\")",
        "contracts": {"input": "text-arith/v1", "output": "integer/v1"},
        "model": (3, 4, 2, 24, 256, 24),
        "train": {"batch": 128, "stages": [{"steps": 4000, "lr": 3e-3}, {"steps": 2000, "lr": 1e-3}]},
        "example": "482+359=",
    },
    "arith-sub": {
        "generate": subtraction,
        "description": "subtracts the smaller of two integers below 1000 from the larger (\"456-123=\" -> \"333\"); "
                       "fine-tuned from arith-add",
        "contracts": {"input": "text-arith/v1", "output": "integer/v1"},
        "model": None,  # the base's
        # Borrows are new to the base: 1200 steps at 1e-3 stopped at 41 %.
        "train": {"batch": 128, "stages": [{"steps": 3500, "lr": 3e-3}, {"steps": 1500, "lr": 1e-3}]},
        "example": "907-358=",
    },
    "text-reverse": {
        "generate": reversal,
        "description": "reverses a lower-case word of 3 to 10 letters (\"hello>\" -> \"olleh\")",
        "contracts": {"input": "text/v1", "output": "text/v1"},
        "model": (3, 4, 2, 24, 256, 32),
        "train": {"steps": 2000, "batch": 128, "lr": 3e-3},
        "example": "skills>",
    },
    "date-iso": {
        "generate": date_normalization,
        "description": "normalises a date in one of six common spellings to ISO-8601 JSON "
                       "(\"March 5, 2021 ->\" -> {\"date\":\"2021-03-05\"})",
        "contracts": {"input": "text-date/v1", "output": "json-date/v1"},
        "model": (3, 4, 2, 24, 256, 48),
        "train": {"steps": 2500, "batch": 128, "lr": 3e-3},
        "example": "July 4, 1976 ->",
    },
}


def eval_case(task, index, prompt, answer):
    """One case of the skill's eval suite (evals/skills/TASK.jsonl)."""
    case = {"id": f"heldout-{index:03d}", "input": prompt, "expected": answer}
    if task == "date-iso":
        # The output contract is JSON: the schema pins the exact date, so the
        # scorer checks well-formedness and the value at once.
        date = json.loads(answer)["date"]
        del case["expected"]
        case["scorer"] = {"kind": "json_schema", "schema": {
            "type": "object", "required": ["date"], "additionalProperties": False,
            "properties": {"date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "const": date}}}}
    return case


def held_out(task, seed, count):
    """`count` distinct cases from their own seed; training never sees these prompts."""
    rng = random.Random(f"{task}/eval/{seed}")
    seen, cases = set(), []
    while len(cases) < count:
        prompt, answer = TASKS[task]["generate"](rng)
        if prompt not in seen:
            seen.add(prompt)
            cases.append((prompt, answer))
    return cases
