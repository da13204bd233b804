#!/usr/bin/env python3
"""Turns the chatterbot English corpus (YAML) into Rill's SFT format: JSONL, one conversation a line,
{"messages": [{"role": "user", "content": ...}, {"role": "assistant", "content": ...}, ...]}.

    python3 data/chatterbot/convert.py /path/to/chatterbot-corpus-english data/chatterbot/chatterbot.jsonl

Needs Python 3 and PyYAML. What it does, in order (the README beside the output says it too):
  1. reads every *.yml (sorted by name); turns alternate, user first; a trailing user turn is dropped
     and a conversation with no reply is skipped;
  2. strips each turn and joins the lines of a turn with single spaces;
  3. drops exact duplicate conversations (tech_support.yml repeats many), keeping the first;
  4. cuts conversations longer than MAX_TURNS turns into consecutive pieces of MAX_TURNS turns (each
     piece starts with a user turn), so every piece fits the chat model's context.
The held-out split is not made here: `rill train --sft` makes it (seeded, by opening user message).
"""
import json
import sys
from pathlib import Path

import yaml

MAX_TURNS = 8


def conversations(folder):
    out = []
    for path in sorted(Path(folder).glob("*.yml")):
        # BaseLoader keeps every scalar a string (safe_load would read a turn "yes" as True).
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        for conv in doc.get("conversations") or []:
            turns = [" ".join(str(t).split()) for t in conv]
            if len(turns) % 2 == 1:
                turns = turns[:-1]
            if len(turns) < 2 or any(not t for t in turns):
                continue
            out.append((path.stem, turns))
    return out


def pieces(turns):
    return [turns[i:i + MAX_TURNS] for i in range(0, len(turns), MAX_TURNS)]


def main(src, dst):
    seen, convs = set(), []
    for category, turns in conversations(src):
        key = tuple(turns)
        if key in seen:
            continue
        seen.add(key)
        convs.extend((category, p) for p in pieces(turns))
    lines = [json.dumps({"messages": [{"role": "user" if i % 2 == 0 else "assistant", "content": t}
                                      for i, t in enumerate(turns)]}, ensure_ascii=False) for _, turns in convs]
    Path(dst).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{dst}: {len(lines)} conversations")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: convert.py CHATTERBOT_ENGLISH_FOLDER OUT_FILE")
    main(sys.argv[1], sys.argv[2])
