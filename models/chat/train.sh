#!/usr/bin/env bash
# Makes the bundled chat model (models/chat): pre-training on Tiny Shakespeare, then supervised
# fine-tuning on the chatterbot conversations, then copies the result here. See README.md beside it.
#
#   models/chat/train.sh [RUN_FOLDER]      (default: runs/chat; takes ~2 h on two busy cores)
#
# Long runs are best started as `nice -n 10 models/chat/train.sh`. A stage that was interrupted
# continues with `./rill train --resume --out RUN_FOLDER/pretrain` (or .../sft), then run this again
# with SKIP_PRETRAIN=1 to go on from the finished pre-training.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
run="$(mkdir -p "${1:-$repo/runs/chat}" && cd "${1:-$repo/runs/chat}" && pwd)"
rill="$repo/rill"

if [ -z "${SKIP_PRETRAIN:-}" ]; then
  "$rill" train --data "$repo/data/tinyshakespeare.txt" --out "$run/pretrain" \
      --tokenizer bpe --vocab-size 2048 --positional rope \
      --n-layer 6 --n-head 6 --n-emb 192 --context 256 --batch 8 \
      --steps 1500 --lr 2e-3 --min-lr 2e-4 --warmup 100 \
      --eval-interval 100 --eval-batches 10 --checkpoint-interval 250 --sample-interval 500 --sample-tokens 100 \
      --seed 1337
fi

"$rill" train --sft "$repo/data/chatterbot/chatterbot.jsonl" --base "$run/pretrain" --out "$run/sft" \
    --steps 80 --batch 8 --lr 5e-4 --min-lr 5e-5 --warmup 10 \
    --eval-interval 10 --checkpoint-interval 80 --sample-interval 40 --sample-tokens 60 \
    --seed 1337

for f in config.json model.safetensors tokenizer.json loss.svg; do
  cp "$run/sft/$f" "$here/$f"
done
cp "$run/pretrain/loss.svg" "$here/pretrain-loss.svg"
echo "models/chat: updated from $run/sft (held-out conversations: $run/sft/heldout.jsonl)"
