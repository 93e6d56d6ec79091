"""recall@10 of `annctl query --json` answers against the exact answers (both JSON lines)."""
import json
import sys

found = [json.loads(line)["ids"] for line in open(sys.argv[1])]
truth = [json.loads(line)["ids"] for line in open(sys.argv[2])]
hits = sum(len(set(f[:10]) & set(t[:10])) for f, t in zip(found, truth))
print(f"{hits / sum(len(t[:10]) for t in truth):.4f}")
