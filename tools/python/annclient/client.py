"""A synchronous ann.v1 client over an NNG REQ socket (pynng + protobuf).

One request at a time per Client (calls from several threads are serialised by a lock);
use one Client per thread for concurrency.
"""

import datetime
import itertools
import threading
from dataclasses import dataclass, field

import pynng

from . import ann_v1_pb2 as pb
from .errors import AnnError, Timeout, TransportError, from_reply


@dataclass
class Hit:
    """One result: the item id (int or str), its score, and when asked a reason and features;
    for recommend/similar the retrieval score (None for popular-list candidates)."""
    id: object
    score: float
    reason: str = ""
    features: dict = field(default_factory=dict)
    ann_score: object = None


@dataclass
class WriteResult:
    """What an upsert or delete did: the store's write sequence after it, and counts."""
    write_sequence: int
    items: int
    users: int
    histories: int


def _id(value):
    """An int (unsigned 64-bit) or str as an ann.v1 Id."""
    out = pb.Id()
    if isinstance(value, bool):
        raise TypeError(f"id {value!r}: expected int or str")
    if isinstance(value, int):
        out.num = value
    elif isinstance(value, str):
        out.str = value
    else:
        raise TypeError(f"id {value!r}: expected int or str")
    return out


def _from_id(value):
    return value.num if value.WhichOneof("kind") == "num" else value.str


def _feature(value):
    """A Python value as an ann.v1 Feature: str label, list of labels, number, datetime."""
    f = pb.Feature()
    if isinstance(value, str):
        f.label = value
    elif isinstance(value, (list, tuple)):
        f.labels.values.extend(value)
    elif isinstance(value, datetime.datetime):
        f.time = int(value.timestamp())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        f.number = float(value)
    else:
        raise TypeError(f"feature value {value!r}: expected str, list of str, number or datetime")
    return f


def _from_feature(f):
    kind = f.WhichOneof("value")
    if kind == "label":
        return f.label
    if kind == "labels":
        return list(f.labels.values)
    if kind == "number":
        return f.number
    if kind == "time":
        return datetime.datetime.fromtimestamp(f.time, datetime.timezone.utc)
    return None


def _check_keys(what, spec, allowed):
    """Raises ValueError naming the keys of `spec` that are not in `allowed` (a tuple, in order)."""
    unknown = set(spec) - set(allowed)
    if unknown:
        raise ValueError(f"{what} keys {sorted(unknown)}: expected {', '.join(allowed)}")


def _filter(spec, message):
    """Fills a Filter from a dict: categories, exclude_categories, category_column, exclude (ids), only (ids)."""
    if not spec:
        return
    _check_keys("filter", spec, ("categories", "exclude_categories", "category_column", "exclude", "only"))
    message.categories.extend(spec.get("categories", ()))
    message.exclude_categories.extend(spec.get("exclude_categories", ()))
    if spec.get("category_column"):
        message.category_column = spec["category_column"]
    message.exclude_items.extend(_id(i) for i in spec.get("exclude", ()))
    message.only_items.extend(_id(i) for i in spec.get("only", ()))


def _ranking(m, mmr, session, rules):
    """MMR (a lambda, or a dict lambda/similarity/pool_factor), session (dict items/weight/time/
    utc_offset_seconds) and rules (dict min_score/category_cap) of recommend and similar."""
    if mmr is not None:
        spec = mmr if isinstance(mmr, dict) else {"lambda": mmr}
        _check_keys("mmr", spec, ("lambda", "similarity", "pool_factor"))
        setattr(m.mmr, "lambda", spec.get("lambda", 0.7))  # `lambda` is a Python keyword
        m.mmr.similarity = spec.get("similarity", "")
        m.mmr.pool_factor = spec.get("pool_factor", 0)
    if session:
        _check_keys("session", session, ("items", "weight", "time", "utc_offset_seconds"))
        m.session.items.extend(_id(i) for i in session.get("items", ()))
        if session.get("weight") is not None:
            m.session.weight = session["weight"]
        if session.get("time") is not None:
            t = session["time"]
            m.session.time = int(t.timestamp()) if isinstance(t, datetime.datetime) else int(t)
        m.session.utc_offset_seconds = session.get("utc_offset_seconds", 0)
    if rules:
        _check_keys("rules", rules, ("min_score", "category_cap"))
        if rules.get("min_score") is not None:
            m.rules.min_score = rules["min_score"]
        m.rules.category_cap = rules.get("category_cap", 0)


def search_request(vector, k=10, ef=None, nprobe=None, filter=None, features=None):
    """A `search` Request (for Client.batch)."""
    r = pb.Request()
    r.search.vector.extend(float(x) for x in vector)
    r.search.k = k
    r.search.ef = ef or 0
    r.search.nprobe = nprobe or 0
    _filter(filter, r.search.filter)
    r.search.features.extend(features or ())
    return r


def recommend_request(user=None, vector=None, k=10, candidates=None, filter=None, context=None, mmr=None,
                      include_seen=False, explain=False, features=None, ef=None, session=None, rules=None):
    """A `recommend` Request: for a user id, or for a taste vector."""
    if (user is None) == (vector is None):
        raise ValueError("recommend: give user or vector (exactly one)")
    r = pb.Request()
    m = r.recommend
    if user is not None:
        m.user.CopyFrom(_id(user))
    else:
        m.vector.extend(float(x) for x in vector)
    m.k = k
    m.candidates = candidates or 0
    _filter(filter, m.filter)
    m.context.update(context or {})
    _ranking(m, mmr, session, rules)
    m.include_seen = include_seen
    m.explain = explain
    m.features.extend(features or ())
    m.ef = ef or 0
    return r


def similar_request(item, k=10, candidates=None, filter=None, context=None, mmr=None, explain=False,
                    features=None, ef=None, user=None, session=None, rules=None):
    """A `similar` Request: items like `item` (the item itself is left out); with `user`, ranked
    with that user's history and features (its history left out)."""
    r = pb.Request()
    m = r.similar
    m.item.CopyFrom(_id(item))
    if user is not None:
        m.user.CopyFrom(_id(user))
    m.k = k
    m.candidates = candidates or 0
    _filter(filter, m.filter)
    m.context.update(context or {})
    _ranking(m, mmr, session, rules)
    m.explain = explain
    m.features.extend(features or ())
    m.ef = ef or 0
    return r


def _hits(results):
    return [Hit(_from_id(h.id), h.score, h.reason, {k: _from_feature(v) for k, v in h.features.items()},
                h.ann_score if h.HasField("ann_score") else None)
            for h in results.hits]


class Client:
    """Talks ann.v1 to `annctl serve` at `url` (tcp://host:port or ipc:///path).

    Every call waits at most `timeout` seconds (or its own `timeout=`) and raises Timeout
    after; a server error reply raises the AnnError subclass of its code.
    """

    def __init__(self, url="tcp://127.0.0.1:7400", timeout=5.0):
        self.url = url
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        ms = int(timeout * 1000)
        # No resend: a request is answered once or times out (upsert is not idempotent).
        self._socket = pynng.Req0(recv_timeout=ms, send_timeout=ms, resend_time=-1)
        try:
            self._socket.dial(url, block=False)
        except pynng.NNGException as e:
            self._socket.close()
            raise TransportError(f"dial {url}: {e}") from e

    def close(self):
        self._socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the ops

    def search(self, vector, k=10, ef=None, nprobe=None, filter=None, features=None, timeout=None):
        """Nearest items to `vector`: a list of Hit, best first."""
        return _hits(self.call(search_request(vector, k, ef, nprobe, filter, features), timeout).results)

    def recommend(self, user=None, vector=None, k=10, candidates=None, filter=None, context=None, mmr=None,
                  include_seen=False, explain=False, features=None, ef=None, session=None, rules=None, timeout=None):
        """Items for a user (history left out unless include_seen) or a taste vector, through the
        server's ranking stage: mmr=0.7 or {"lambda": 0.7, "similarity": "jaccard"},
        session={"items": [...], "weight": 0.5, "time": epoch}, rules={"min_score": s, "category_cap": n}."""
        r = recommend_request(user, vector, k, candidates, filter, context, mmr, include_seen, explain, features, ef,
                              session, rules)
        return _hits(self.call(r, timeout).results)

    def similar(self, item, k=10, candidates=None, filter=None, context=None, mmr=None, explain=False,
                features=None, ef=None, user=None, session=None, rules=None, timeout=None):
        """Items similar to `item` (options as recommend)."""
        r = similar_request(item, k, candidates, filter, context, mmr, explain, features, ef, user, session, rules)
        return _hits(self.call(r, timeout).results)

    def batch(self, requests, timeout=None):
        """Several search/recommend/similar Requests (see *_request) in one message.

        Returns one entry per request, in order: a list of Hit, or the AnnError it failed with
        (not raised)."""
        r = pb.Request()
        for i, sub in enumerate(requests):
            item = r.batch.requests.add()
            item.CopyFrom(sub)
            if not item.request_id:
                item.request_id = i + 1
        out = []
        for reply in self.call(r, timeout).batch.replies:
            out.append(from_reply(reply.error, reply.request_id) if reply.error.code else _hits(reply.results))
        return out

    def upsert(self, items=(), users=(), histories=(), metric=None, timeout=None):
        """Inserts or updates, in one transaction.

        items, users: dicts {"id": ..., "vector": [...], "features": {name: value}} (vector and
        features optional). histories: (user, [item or (item, time)]) pairs, time a datetime or
        epoch seconds. metric: only for an empty store ("ip", "cosine", "l2")."""
        r = pb.Request()
        for target, records in ((r.upsert.items, items), (r.upsert.users, users)):
            for rec in records:
                m = target.add()
                m.id.CopyFrom(_id(rec["id"]))
                m.vector.extend(float(x) for x in rec.get("vector", ()))
                for name, value in rec.get("features", {}).items():
                    m.features[name].CopyFrom(_feature(value))
        for user, interactions in histories:
            h = r.upsert.histories.add()
            h.user.CopyFrom(_id(user))
            for entry in interactions:
                item, time = entry if isinstance(entry, tuple) else (entry, None)
                i = h.interactions.add()
                i.item.CopyFrom(_id(item))
                if time is not None:
                    i.time = int(time.timestamp()) if isinstance(time, datetime.datetime) else int(time)
        if metric:
            r.upsert.metric = metric
        w = self.call(r, timeout).write
        return WriteResult(w.write_sequence, w.items, w.users, w.histories)

    def delete(self, items=(), users=(), timeout=None):
        """Removes the vectors of items and users (they are never returned again)."""
        r = pb.Request()
        r.delete.items.extend(_id(i) for i in items)
        r.delete.users.extend(_id(u) for u in users)
        w = self.call(r, timeout).write
        return WriteResult(w.write_sequence, w.items, w.users, w.histories)

    def stats(self, timeout=None):
        """The server's StatsReply (counts, and requests/latencies by op and status)."""
        r = pb.Request()
        r.stats.SetInParent()
        return self.call(r, timeout).stats

    def health(self, timeout=None):
        """The HealthReply; raises NotReady while the store is empty or the server stops."""
        r = pb.Request()
        r.health.SetInParent()
        return self.call(r, timeout).health

    # -- transport

    def call(self, request, timeout=None):
        """Sends a Request (assigning a request id if it has none) and returns the Reply;
        raises the AnnError of an error reply."""
        if not request.request_id:
            request.request_id = next(self._ids)
        payload = request.SerializeToString()
        with self._lock:
            if timeout is not None:
                self._socket.recv_timeout = self._socket.send_timeout = int(timeout * 1000)
            try:
                self._socket.send(payload)
                data = self._socket.recv()
            except pynng.Timeout as e:
                raise Timeout(f"no reply from {self.url} within {timeout or self.timeout} s",
                              request.request_id) from e
            except pynng.NNGException as e:
                raise TransportError(f"{self.url}: {e}", request.request_id) from e
            finally:
                if timeout is not None:
                    self._socket.recv_timeout = self._socket.send_timeout = int(self.timeout * 1000)
        reply = pb.Reply()
        reply.ParseFromString(data)
        if reply.error.code:
            raise from_reply(reply.error, reply.request_id)
        if reply.request_id != request.request_id:
            raise TransportError(f"reply to request {reply.request_id} while waiting for {request.request_id}")
        return reply
