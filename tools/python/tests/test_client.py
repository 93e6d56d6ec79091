"""The Python client against a real server (started by conftest.py on a loopback port)."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pynng
import pytest

import annclient
from annclient import (BadRequest, Client, DimensionMismatch, LimitExceeded, NotReady, Timeout, TransportError,
                       UnknownId, recommend_request, search_request, similar_request)

import example
from conftest import HERE, Server


@pytest.fixture()
def client(server):
    with Client(server.url, timeout=5.0) as c:
        yield c


@pytest.fixture(scope="module")
def items(demo):
    vectors = np.load(os.path.join(demo["data"], "items.npy"))
    with open(os.path.join(demo["data"], "item_ids.txt")) as f:
        ids = [int(line) for line in f if line.strip()]
    return ids, vectors


def exact(items, query, k, skip=()):
    ids, vectors = items
    scores = vectors @ np.asarray(query, dtype=np.float32)
    order = [i for i in np.argsort(-scores, kind="stable") if ids[i] not in skip][:k]
    return [ids[i] for i in order], [float(scores[i]) for i in order]


def test_health_and_stats(client):
    h = client.health()
    assert h.status == "serving"
    assert h.dimension == 16
    s = client.stats()
    assert s.items == 2000 and s.users == 200
    assert any(op.op == "health" and op.status == "ok" for op in s.ops)


def test_search_matches_exact(client, items):
    ids, vectors = items
    for row in (0, 17, 1999):
        query = vectors[row] * 0.5 + 0.1
        hits = client.search(query, k=10)
        expected_ids, expected_scores = exact(items, query, 10)
        assert [h.id for h in hits] == expected_ids
        assert np.allclose([h.score for h in hits], expected_scores, atol=1e-4)


def test_recommend_leaves_history_out(client, demo):
    for user in ("u0", "u7", "u150"):
        seen = demo["histories"].get(user, set())
        hits = client.recommend(user=user, k=20)
        assert len(hits) == 20
        assert not seen & {h.id for h in hits}
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        with_seen = client.recommend(user=user, k=20, include_seen=True, explain=True)
        assert all(h.reason.startswith(("because you liked", "top feature")) for h in with_seen)
        assert all(h.ann_score is not None for h in with_seen)


def test_recommend_ranking_options(client, demo):
    """Session items, category filters, rules and MMR reach the server's ranking stage."""
    plain = client.recommend(user="u3", k=20, features=["categories"])
    session = [plain[0].id, plain[1].id]
    hits = client.recommend(user="u3", k=10, mmr={"lambda": 0.5, "similarity": "jaccard"}, features=["categories"],
                            filter={"categories": ["c1", "c2"], "exclude_categories": ["c2"]},
                            session={"items": session, "weight": 0.3, "time": 1_763_000_000},
                            rules={"category_cap": 3})
    assert hits
    assert all("c1" in h.features["categories"] and "c2" not in h.features["categories"] for h in hits)
    assert not {h.id for h in hits} & set(session)
    diverse = client.recommend(user="u3", k=20, mmr=0.2)
    assert [h.id for h in diverse] != [h.id for h in plain]
    with pytest.raises(BadRequest):
        client.recommend(user="u3", mmr={"lambda": 0.5, "similarity": "euclid"})


def test_similar_leaves_the_item_out_and_returns_features(client, items):
    ids, vectors = items
    hits = client.similar(item=ids[3], k=5, features=["category", "popularity"])
    expected, _ = exact(items, vectors[3], 5, skip={ids[3]})
    assert [h.id for h in hits] == expected
    assert all(isinstance(h.features["category"], str) for h in hits)
    assert all(isinstance(h.features["popularity"], float) for h in hits)


def test_filters(client, items):
    ids, vectors = items
    hits = client.search(vectors[5], k=10, filter={"only": ids[:3], "exclude": [ids[0]]})
    assert {h.id for h in hits} == set(ids[1:3])
    cats = client.search(vectors[5], k=10, filter={"categories": ["c1"]}, features=["category"])
    assert cats and all(h.features["category"] == "c1" for h in cats)


def test_batch(client, items):
    ids, vectors = items
    replies = client.batch([search_request(vectors[0], k=3), similar_request(999, k=3),
                            recommend_request(user="u1", k=2)])
    assert [h.id for h in replies[0]] == exact(items, vectors[0], 3)[0]
    assert isinstance(replies[1], UnknownId)
    assert len(replies[2]) == 2


def test_typed_errors(client, items):
    ids, vectors = items
    with pytest.raises(UnknownId, match="unknown user id 'nobody'"):
        client.recommend(user="nobody")
    with pytest.raises(DimensionMismatch):
        client.search([1.0, 2.0])
    with pytest.raises(LimitExceeded, match="k is 5000"):
        client.search(vectors[0], k=5000)
    with pytest.raises(BadRequest, match="candidates"):
        client.recommend(user="u1", k=10, candidates=5)
    [refused] = client.batch([annclient.pb.Request(health=annclient.pb.HealthRequest())])
    assert isinstance(refused, BadRequest) and "only search, recommend and similar" in refused.message
    err = None
    try:
        client.similar(item=12345)
    except UnknownId as e:
        err = e
    assert err.code_name == "UNKNOWN_ID" and err.request_id > 0


def test_unknown_option_keys_are_named_before_sending(client, items):
    ids, vectors = items
    with pytest.raises(ValueError, match=r"filter keys \['categry'\]: expected categories, exclude_categories"):
        client.search(vectors[0], filter={"categry": ["c1"]})
    with pytest.raises(ValueError, match=r"mmr keys \['lamda'\]: expected lambda, similarity, pool_factor"):
        client.recommend(user="u1", mmr={"lamda": 0.5})
    with pytest.raises(ValueError, match=r"session keys \['item'\]"):
        client.recommend(user="u1", session={"item": [ids[0]]})
    with pytest.raises(ValueError, match=r"rules keys \['cap'\]: expected min_score, category_cap"):
        client.recommend(user="u1", rules={"cap": 2})
    assert client.search(vectors[0], k=1)  # the connection still answers


def test_upsert_then_search_then_delete(client):
    spike = [0.0] * 16
    spike[4] = 500.0
    w = client.upsert(items=[{"id": "py-item", "vector": spike, "features": {"category": "py", "price": 3.5}}])
    assert w.items == 1 and w.write_sequence >= 2
    top = client.search(spike, k=1, features=["category", "price"])[0]
    assert top.id == "py-item" and top.features == {"category": "py", "price": 3.5}
    client.upsert(users=[{"id": "py-user", "vector": spike}], histories=[("py-user", [("py-item", 1700000000)])])
    assert "py-item" not in {h.id for h in client.recommend(user="py-user", k=50)}
    client.delete(items=["py-item"])
    for _ in range(5):
        assert "py-item" not in {h.id for h in client.search(spike, k=50)}
    with pytest.raises(UnknownId, match="has no embedding"):
        client.similar(item="py-item")


def test_upsert_names_the_feature_columns_it_created(client):
    """A feature name the store does not know becomes a column; the result lists it (a typo of
    an existing column shows up here instead of passing without a word)."""
    w = client.upsert(items=[{"id": "py-cols", "features": {"category": "py", "catgory": "typo"}}],
                      users=[{"id": "py-cols-user", "features": {"py_segment": "s1"}}])
    assert w.new_item_columns == ["catgory"] and w.new_user_columns == ["py_segment"]
    again = client.upsert(items=[{"id": "py-cols", "features": {"catgory": "fixed"}}])
    assert again.new_item_columns == [] and again.new_user_columns == []


def test_json_through_a_raw_socket(server):
    with pynng.Req0(dial=server.url, recv_timeout=5000, send_timeout=5000) as s:
        s.send(b'{"requestId": "1", "health": {}}')
        reply = json.loads(s.recv())
        assert reply["requestId"] == "1" and reply["health"]["status"] == "serving"
        s.send(b'{"requestId": "2", "search": {"vector": [1, 2]}}')
        reply = json.loads(s.recv())
        assert reply["error"]["code"] == "DIMENSION_MISMATCH"
        s.send(b'{"oops": true}')
        assert json.loads(s.recv())["error"]["code"] == "BAD_REQUEST"


def test_concurrent_clients(server, items):
    ids, vectors = items
    failures = []

    def run(t):
        try:
            with Client(server.url, timeout=5.0) as c:
                for i in range(25):
                    row = (t * 25 + i) % len(ids)
                    got = [h.id for h in c.search(vectors[row], k=5)]
                    if got != exact(items, vectors[row], 5)[0]:
                        failures.append((t, i))
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append((t, repr(e)))

    threads = [threading.Thread(target=run, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert failures == []


def test_timeout_when_nothing_answers(workdir):
    # A REP socket that never replies: the client gives up after its timeout.
    url = f"ipc://{workdir}/silent.sock"
    with pynng.Rep0(listen=url):
        with Client(url, timeout=0.3) as c:
            with pytest.raises(Timeout):
                c.health()
            with pytest.raises(TimeoutError):
                c.health(timeout=0.2)


def test_not_ready_on_an_empty_store(workdir):
    empty = Server(os.path.join(workdir, "empty-store"), "--create")
    try:
        with Client(empty.url, timeout=5.0) as c:
            with pytest.raises(NotReady):
                c.health()
            with pytest.raises(NotReady):
                c.search([0.0, 1.0])
            c.upsert(items=[{"id": 1, "vector": [0.0, 1.0]}, {"id": 2, "vector": [1.0, 0.0]}], metric="l2")
            assert [h.id for h in c.search([0.9, 0.1], k=2)] == [2, 1]
    finally:
        assert empty.stop() == 0, empty.log()


def test_sighup_reloads_without_failing_requests(server, items):
    ids, vectors = items
    before = Client(server.url).stats().generation
    stop = threading.Event()
    outcomes = []

    def hammer():
        with Client(server.url, timeout=5.0) as c:
            while not stop.is_set():
                try:
                    outcomes.append(len(c.search(vectors[1], k=3)))
                except Exception as e:  # noqa: BLE001 - reported below
                    outcomes.append(repr(e))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        time.sleep(0.1)
        server.process.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        with Client(server.url) as c:
            while c.stats().generation == before and time.time() < deadline:
                time.sleep(0.05)
            assert c.stats().generation == before + 1
        time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert outcomes and all(o == 3 for o in outcomes), outcomes[:5]
    assert "reloaded (reload requested): generation" in server.log()


def requests_by_op(client, op):
    """How many requests of `op` the server has answered (all statuses), from its stats."""
    return sum(o.count for o in client.stats().ops if o.op == op)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_empty_batch_is_sent_and_empty_writes_are_refused_locally(client):
    batches = requests_by_op(client, "batch")
    assert client.batch([]) == []  # an empty batch, answered with no replies (not "names no operation")
    assert requests_by_op(client, "batch") == batches + 1
    writes = requests_by_op(client, "upsert"), requests_by_op(client, "delete")
    with pytest.raises(ValueError, match="upsert needs items, users or histories"):
        client.upsert()
    with pytest.raises(ValueError, match="upsert needs items, users or histories"):
        client.upsert(items=[], users=(), histories=[], metric="ip")
    with pytest.raises(ValueError, match="delete needs items or users"):
        client.delete()
    with pytest.raises(ValueError, match="delete needs items or users"):
        client.delete(items=[], users=[])
    assert (requests_by_op(client, "upsert"), requests_by_op(client, "delete")) == writes  # nothing was sent


def test_a_bare_str_where_a_list_belongs_is_refused(client, items):
    ids, vectors = items
    q = vectors[2]
    cases = [
        (lambda: client.search(q, filter={"categories": "c3"}), "filter categories"),
        (lambda: client.search(q, filter={"exclude_categories": "c3"}), "filter exclude_categories"),
        (lambda: client.search(q, filter={"only": "1000001"}), "filter only"),
        (lambda: client.search(q, filter={"exclude": "1000001"}), "filter exclude"),
        (lambda: client.search(q, features="category"), "features"),
        (lambda: client.search("0.5"), "search vector"),
        (lambda: client.recommend(user="u1", session={"items": "1000001"}), "session items"),
        (lambda: client.recommend(user="u1", features="category"), "features"),
        (lambda: client.recommend(vector="0.1"), "recommend vector"),
        (lambda: client.similar(ids[0], filter={"categories": "c3"}), "filter categories"),
        (lambda: client.similar(ids[0], features="price"), "features"),
        (lambda: client.batch(search_request(q)), "batch requests"),
        (lambda: client.delete(items="py-x"), "delete items"),
        (lambda: client.delete(users="u1"), "delete users"),
        (lambda: client.upsert(items="py-x"), "upsert items"),
        (lambda: client.upsert(items=[{"id": "py-x", "vector": "0.1"}]), r"upsert items\[0\] vector"),
        (lambda: client.upsert(histories=[("u1", "1000001")]), r"upsert histories\[0\] interactions"),
    ]
    for call, field in cases:
        with pytest.raises(TypeError, match=f"^{field}: expected a list"):
            call()
    with pytest.raises(TypeError, match=r"^filter categories: expected a list of str, got element 3"):
        client.search(q, filter={"categories": ["c3", 3]})
    with pytest.raises(TypeError, match=r"upsert items\[0\] feature 'tags'.*element 7"):
        client.upsert(items=[{"id": "py-x", "features": {"tags": ["a", 7]}}])
    # A list (or tuple, set) of labels is what filters: every hit holds c3.
    for labels in (["c3"], ("c3",), {"c3"}):
        hits = client.search(q, k=20, filter={"categories": labels}, features=["categories"])
        assert hits and all("c3" in h.features["categories"] for h in hits)


def test_timeout_zero_is_reported_and_negative_timeouts_are_refused(workdir):
    url = f"ipc://{workdir}/silent-zero.sock"
    with pynng.Rep0(listen=url):
        with pytest.raises(ValueError, match=r"timeout -1: expected seconds in 0\.\.\.2147483 \(not negative\)"):
            Client(url, timeout=-1)
        with Client(url, timeout=2.0) as c:
            start = time.monotonic()
            with pytest.raises(Timeout, match=r"within 0 s$"):
                c.health(timeout=0)
            assert time.monotonic() - start < 1.0  # 0 gives up at once, not after the client's 2 s
            with pytest.raises(ValueError, match="not negative"):
                c.health(timeout=-0.5)
            with pytest.raises(Timeout, match=r"within 0\.2 s$"):
                c.health(timeout=0.2)
            c.timeout = 0.3  # the client's own timeout is back in force after a per-call one
            with pytest.raises(Timeout, match=r"within 0\.3 s$"):
                c.health()


def test_similar_include_seen(client, demo):
    for user in ("u0", "u5", "u9"):
        seen = demo["histories"][user]
        item = min(seen)
        plain = {h.id for h in client.similar(item, user=user, k=50)}
        with_seen = {h.id for h in client.similar(item, user=user, k=50, include_seen=True)}
        assert not plain & seen  # the user's history is left out by default
        assert with_seen & (seen - {item})  # include_seen lets it back in
        assert item not in with_seen  # the item itself stays out
    [hits] = client.batch([similar_request(item, user="u9", k=50, include_seen=True)])
    assert {h.id for h in hits} == with_seen


def test_connection_refused_raises_transport_error_at_once_and_a_restart_is_picked_up(workdir):
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    for target in (url, f"ipc://{workdir}/nobody-listens.sock"):
        start = time.monotonic()
        with pytest.raises(TransportError, match="Connection refused"):
            Client(target, timeout=5.0)
        assert time.monotonic() - start < 1.0  # at once, not after the 5 s timeout
    store = os.path.join(workdir, "restart-store")
    server = Server(store, "--create", listen=url)
    try:
        with Client(url, timeout=5.0) as c:
            c.upsert(items=[{"id": 1, "vector": [0.0, 1.0]}, {"id": 2, "vector": [1.0, 0.0]}], metric="ip")
            assert c.health().status == "serving"
            assert server.stop() == 0, server.log()
            with pytest.raises(Timeout):  # the server is gone: calls time out, the socket redials
                c.health(timeout=0.5)
            server = Server(store, listen=url)
            deadline = time.monotonic() + 10
            while True:
                try:
                    assert [h.id for h in c.search([0.1, 0.9], k=1, timeout=1.0)] == [1]
                    break
                except Timeout:
                    assert time.monotonic() < deadline, "the restarted server was not picked up"
    finally:
        assert server.stop() == 0, server.log()


def test_connect_gives_up_after_the_timeout_on_a_peer_that_never_answers():
    # A TCP listener that accepts but never speaks SP: NNG alone would wait 10 s for the handshake.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        start = time.monotonic()
        with pytest.raises(Timeout, match="no connection within 0.3 s"):
            Client(f"tcp://127.0.0.1:{listener.getsockname()[1]}", timeout=0.3)
        assert time.monotonic() - start < 2.0


def test_context_values_must_be_str(client):
    with pytest.raises(TypeError, match=r"^context 'device': expected a str value, got int 3$"):
        client.recommend(user="u1", context={"device": 3})
    with pytest.raises(TypeError, match=r"^context key 3: expected str"):
        client.similar(1000001, context={3: "mobile"})
    with pytest.raises(TypeError, match=r"^context: expected a dict"):
        client.recommend(user="u1", context=["device", "mobile"])
    assert len(client.recommend(user="u1", k=5, context={"device": "mobile"})) == 5


def test_example_reads_ids_as_the_server_does(server, demo):
    assert example.as_id("1000001") == 1000001
    assert example.as_id("0") == 0
    assert example.as_id("18446744073709551615") == 2 ** 64 - 1
    for text in ("\u0661\u0662", "\u00b2", "007", "18446744073709551616", "u1", "-1", ""):
        assert example.as_id(text) == text
    script = os.path.join(HERE, "..", "example.py")
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, ".."))
    run = subprocess.run([sys.executable, script, server.url, "--item", "1000001", "--item", "\u0661\u0662",
                          "--k", "2"], capture_output=True, text=True, timeout=30, env=env)
    assert "similar to item 1000001: 2 results" in run.stdout
    # Arabic-Indic digits are a string id (the server reads ids so), not item 12.
    assert "similar to item \u0661\u0662: UNKNOWN_ID" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 1
    refused = subprocess.run([sys.executable, script, f"tcp://127.0.0.1:{free_port()}"], capture_output=True,
                             text=True, timeout=30, env=env)
    assert refused.returncode == 2 and "TransportError" in refused.stderr
