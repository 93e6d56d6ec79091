"""recall@K (default 10) of `annctl query --json` answers against the exact answers (both JSON
lines): recall.py FOUND TRUTH [K]."""
import json
import sys

k = int(sys.argv[3]) if len(sys.argv) > 3 else 10
found = [json.loads(line)["ids"] for line in open(sys.argv[1])]
truth = [json.loads(line)["ids"] for line in open(sys.argv[2])]
hits = sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth))
print(f"{hits / sum(len(t[:k]) for t in truth):.4f}")
