"""`annctl` as a user runs it: imports that update built indexes, query options that must not
change the answer, and users without an embedding."""

import json
import os
import subprocess

import numpy as np

from conftest import annctl


def run(*args, check=True):
    return subprocess.run([annctl(), *args], check=check, capture_output=True, text=True, timeout=120)


def query(store, *args):
    out = run("query", "--db", store, "--json", *args).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_import_updates_the_built_indexes(tmp_path):
    """An import after `annctl build` reaches the index in the same transaction: an updated item
    is found with its new vector and a new item is found at all (IVF answered from its old list
    copies before)."""
    rng = np.random.default_rng(9)
    np.save(tmp_path / "base.npy", rng.standard_normal((2000, 16)).astype("<f4"))
    target = np.zeros((1, 16), "<f4")
    target[0, 0] = 50
    np.save(tmp_path / "upd.npy", target)
    (tmp_path / "upd.txt").write_text("17\n")
    np.save(tmp_path / "new.npy", target * 1.1)
    (tmp_path / "new.txt").write_text("999999\n")
    vector = ",".join(str(x) for x in target[0])
    for kind in ("ivf", "hnsw"):
        store = str(tmp_path / f"store-{kind}")
        run("import", "--db", store, "--items", str(tmp_path / "base.npy"), "--quiet")
        run("build", "--db", store, "--index", kind, "--quiet")
        run("import", "--db", store, "--items", str(tmp_path / "upd.npy"), "--item-ids", str(tmp_path / "upd.txt"), "--quiet")
        assert query(store, f"--vector={vector}", "--k", "1")[0]["ids"] == [17], kind
        run("import", "--db", store, "--items", str(tmp_path / "new.npy"), "--item-ids", str(tmp_path / "new.txt"), "--quiet")
        assert query(store, f"--vector={vector}", "--k", "2")[0]["ids"] == [999999, 17], kind


def test_explain_and_filters_keep_the_order(demo):
    """--explain alone goes through the pipeline, but without MMR: the same items in the same order."""
    store = demo["store"]
    plain = query(store, "--user", "u3", "--k", "10")[0]["ids"]
    explained = query(store, "--user", "u3", "--k", "10", "--explain")[0]["ids"]
    assert explained == plain
    diversified = query(store, "--user", "u3", "--k", "10", "--candidates", "200")[0]["ids"]
    assert diversified != plain, "--candidates asks for ranking: MMR at 0.7 reorders"


def test_user_without_an_embedding_gets_the_cold_start(demo, tmp_path):
    """A known user with features only (no vector, no history) is answered with popular items,
    as the server does, not refused."""
    store = str(tmp_path / "store")
    run("import", "--db", store, "--items", os.path.join(demo["data"], "items.npy"),
        "--item-ids", os.path.join(demo["data"], "item_ids.txt"),
        "--item-features", os.path.join(demo["data"], "item_features.jsonl"), "--quiet")
    (tmp_path / "u.jsonl").write_text('{"id": "cold", "features": {"segment": "s1"}}\n')
    run("import", "--db", store, "--user-features", str(tmp_path / "u.jsonl"), "--quiet")
    answer = query(store, "--user", "cold", "--k", "5")
    assert len(answer) == 1 and len(answer[0]["ids"]) == 5


def test_unknown_user_is_an_error_with_or_without_ranking_options(demo):
    """A user id the store does not know is refused by name, whether the query ranks or not (as
    the server answers UNKNOWN_ID), and nothing is printed for the targets before it."""
    for extra in ([], ["--mmr-lambda", "0.7"], ["--explain"]):
        result = run("query", "--db", demo["store"], "--user", "u3", "--user", "nosuch", "--k", "3", *extra, check=False)
        assert result.returncode != 0, extra
        assert "unknown user id 'nosuch'" in result.stderr, (extra, result.stderr)
        assert result.stdout == "", (extra, result.stdout)


def test_query_header_names_the_settings_in_use(demo):
    """The index summary shows the build's defaults; the header says what --ef / --nprobe change,
    and that exact search ignores them."""
    out = run("query", "--db", demo["store"], "--user", "u3", "--k", "3", "--ef", "100").stdout
    assert out.splitlines()[0].endswith("; exact search: --ef and --nprobe do not apply"), out


def test_json_answers_carry_the_shown_features(demo):
    """--show with --json adds one object of the named columns per hit (it was ignored)."""
    answer = query(demo["store"], "--user", "u3", "--k", "3", "--show", "categories,nope")[0]
    assert len(answer["features"]) == len(answer["ids"]) == 3
    assert all(set(f) == {"categories", "nope"} and f["nope"] is None for f in answer["features"])
    assert all(isinstance(f["categories"], str) and f["categories"] for f in answer["features"])


def test_answers_follow_the_command_line_order(demo, server):
    """Several targets of different kinds are answered, and numbered, in the order the command
    line gives them (they came vectors first, then items, then users), a --queries file's rows
    at the file's place; in-process and through a server alike."""
    store = demo["store"]
    vector = "--vector=0.3,-0.1,0.2,0.5,0.1,0,0.4,-0.2,0.1,0.1,0.3,0,-0.1,0.2,0.2,0.1"
    tmp = os.path.join(os.path.dirname(store), "order-queries.tsv")
    with open(tmp, "w") as f:
        f.write("\t".join(["0.1"] * 16) + "\n" + "\t".join(["-0.2"] * 16) + "\n")
    targets = [("--user", "u3"), (vector,), ("--item", "1000007"), ("--queries", tmp), ("--user", "u4")]
    singles = [query(store, "--k", "3", *t) for t in targets]
    expected = [a for answers in singles for a in answers]
    assert len(expected) == 6
    for source in (("--db", store), ("--server", server.url)):
        out = run("query", *source, "--json", "--k", "3", *[a for t in targets for a in t]).stdout
        answers = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert [a["query"] for a in answers] == list(range(6)), source
        assert [a["ids"] for a in answers] == [e["ids"] for e in expected], source


def test_a_bad_queries_file_prints_no_answer(demo, server, tmp_path):
    """A --queries file with a bad row in the middle is refused before any answer is printed
    (of its good rows or of the other targets): only the error, naming file and line."""
    good = "\t".join(["0.1"] * 16)
    bad = tmp_path / "bad.tsv"
    bad.write_text("\n".join([good, good, "\t".join(["0.1"] * 15), good]) + "\n")
    for source in (("--db", demo["store"]), ("--server", server.url)):
        for extra in ((), ("--user", "u3"), ("--json", "--user", "u3")):
            result = run("query", *source, *extra, "--queries", str(bad), check=False)
            assert result.returncode != 0, (source, extra)
            assert result.stdout == "", (source, extra, result.stdout)
            assert f"{bad}, line 3" in result.stderr and "15" in result.stderr, result.stderr


def test_an_unknown_target_prints_no_answer(demo, server):
    """An unknown --item among good targets (answered before it) fails the command before anything is printed, and
    the error names it."""
    for source in (("--db", demo["store"]), ("--server", server.url)):
        result = run("query", *source, "--json", "--item", "no-such-item", "--vector=" + ",".join(["0.1"] * 16), check=False)
        assert result.returncode != 0 and result.stdout == "", (source, result.stdout)
        assert "no-such-item" in result.stderr, result.stderr


def test_an_unknown_session_item_is_an_error(demo, server):
    """--session-item shapes the query vector: an unknown one fails the command (UNKNOWN_ID from
    a server) instead of being dropped without a word; a known one is left out of the answer."""
    for source in (("--db", demo["store"]), ("--server", server.url)):
        result = run("query", *source, "--json", "--user", "u3", "--session-item", "no-such-item", check=False)
        assert result.returncode != 0 and result.stdout == "", (source, result.stdout)
        assert "unknown item id" in result.stderr and "no-such-item" in result.stderr, result.stderr
        out = run("query", *source, "--json", "--user", "u3", "--k", "50", "--session-item", "1000007").stdout
        ids = json.loads(out.splitlines()[0])["ids"]
        assert len(ids) == 50 and 1000007 not in ids, source


def test_build_link_kinds_are_named_and_checked(tmp_path):
    """`annctl build --links` picks how an inner-product graph is linked (augmented by default,
    its radius shown), refuses unknown kinds and quantiles outside 0...1 by name, and says so when
    the store's metric makes the option moot."""
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((3000, 16)) * rng.lognormal(0, 0.5, (3000, 1))
    np.save(tmp_path / "items.npy", vectors.astype("<f4"))
    store = str(tmp_path / "store")
    run("import", "--db", store, "--items", str(tmp_path / "items.npy"), "--quiet")
    assert "augmented (R " in run("build", "--db", store, "--index", "hnsw", "--quiet").stdout
    assert "metric links" in run("build", "--db", store, "--index", "hnsw", "--links", "metric", "--quiet").stdout
    widest = run("build", "--db", store, "--index", "hnsw", "--augment-quantile", "1", "--quiet").stdout
    largest = float(np.sqrt((vectors.astype("<f4") ** 2).sum(axis=1)).max())
    radius = float(widest.split("augmented (R ")[1].split(")")[0])
    assert abs(radius - largest) < 1e-3 * largest, (radius, largest)
    bad = run("build", "--db", store, "--index", "hnsw", "--links", "cosine", check=False)
    assert bad.returncode != 0 and "--links cosine: expected one of metric, angle, augmented" in bad.stderr
    bad = run("build", "--db", store, "--index", "hnsw", "--augment-quantile", "1.5", check=False)
    assert bad.returncode != 0 and "--augment-quantile 1.5: expected 0...1" in bad.stderr
    bad = run("build", "--db", store, "--index", "hnsw", "--wide-links", "65", check=False)
    assert bad.returncode != 0 and "--wide-links 65: expected 0...64" in bad.stderr
    l2 = str(tmp_path / "store-l2")
    run("import", "--db", l2, "--items", str(tmp_path / "items.npy"), "--metric", "l2", "--quiet")
    moot = run("build", "--db", l2, "--index", "hnsw", "--links", "augmented", "--quiet")
    assert "apply to inner product only" in moot.stderr and "l2, metric links" in moot.stdout
