"""A synchronous ann.v1 client over an NNG REQ socket (pynng + protobuf).

One request at a time per Client (calls from several threads are serialised by a lock);
use one Client per thread for concurrency.
"""

import datetime
import itertools
import math
import threading
from collections.abc import Mapping
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
    """What an upsert or delete did: the store's write sequence after it, and counts; for an
    upsert, the feature columns it created (a name the store did not know becomes a new column:
    check these lists for typos of existing names)."""
    write_sequence: int
    items: int
    users: int
    histories: int
    new_item_columns: list = field(default_factory=list)
    new_user_columns: list = field(default_factory=list)


def _id(value, what="id"):
    """An int (unsigned 64-bit) or str as an ann.v1 Id; `what` names the field in errors."""
    out = pb.Id()
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{what} {value!r}: expected int or str")
    if isinstance(value, int):
        if not 0 <= value < 2 ** 64:
            raise ValueError(f"{what} {value}: expected an int in 0...2**64-1 (or a str)")
        out.num = value
    else:
        out.str = value
    return out


def _list(what, value):
    """`value` (a list, tuple, set, array or other iterable; None is empty) as a list. A str, bytes or
    dict is refused with a TypeError naming the field: iterating it would give characters or keys."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, bytearray, Mapping)):
        raise TypeError(f"{what}: expected a list, got {type(value).__name__} {value!r}")
    try:
        return list(value)
    except TypeError:
        raise TypeError(f"{what}: expected a list, got {type(value).__name__} {value!r}") from None


def _strings(what, value):
    """A list of str (see _list), each element checked."""
    values = _list(what, value)
    for v in values:
        if not isinstance(v, str):
            raise TypeError(f"{what}: expected a list of str, got element {v!r} ({type(v).__name__})")
    return values


def _ids(what, value):
    """A list of ids (see _list) as ann.v1 Ids."""
    return [_id(v, f"{what}: id") for v in _list(what, value)]


def _vector(what, value):
    """A list of numbers (see _list) as floats."""
    out = []
    for x in _list(what, value):
        try:
            if isinstance(x, (str, bytes, bool)):
                raise TypeError
            out.append(float(x))
        except (TypeError, ValueError):
            raise TypeError(f"{what}: expected a list of numbers, got element {x!r} ({type(x).__name__})") from None
    return out


def _context(value):
    """The context dict: str keys to str values (they become context.<key>=<value> features)."""
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"context: expected a dict of str to str, got {type(value).__name__} {value!r}")
    for key, v in value.items():
        if not isinstance(key, str):
            raise TypeError(f"context key {key!r}: expected str, got {type(key).__name__}")
        if not isinstance(v, str):
            raise TypeError(f"context {key!r}: expected a str value, got {type(v).__name__} {v!r}")
    return dict(value)


def _timeout(what, value):
    """A timeout in seconds: a number in 0...2147483 (NNG takes milliseconds up to 2**31-1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} {value!r}: expected a number of seconds")
    if not 0 <= value <= 2147483:  # also refuses NaN
        raise ValueError(f"{what} {value!r}: expected seconds in 0...2147483 (not negative)")
    return value


def _from_id(value):
    return value.num if value.WhichOneof("kind") == "num" else value.str


def _feature(value, what="feature"):
    """A Python value as an ann.v1 Feature: str label, list of labels, number, datetime."""
    f = pb.Feature()
    if isinstance(value, str):
        f.label = value
    elif isinstance(value, (list, tuple)):
        f.labels.values.extend(_strings(what, value))
    elif isinstance(value, datetime.datetime):
        f.time = int(value.timestamp())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        f.number = float(value)
    else:
        raise TypeError(f"{what} value {value!r}: expected str, list of str, number or datetime")
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
    """Raises TypeError unless `spec` is a dict, and ValueError naming the keys of `spec` that are
    not in `allowed` (a tuple, in order)."""
    if not isinstance(spec, Mapping):
        raise TypeError(f"{what}: expected a dict with keys {', '.join(allowed)}, got {type(spec).__name__} {spec!r}")
    unknown = set(spec) - set(allowed)
    if unknown:
        raise ValueError(f"{what} keys {sorted(unknown)}: expected {', '.join(allowed)}")


def _filter(spec, message):
    """Fills a Filter from a dict: categories, exclude_categories (lists of labels), category_column,
    exclude, only (lists of ids). A bare str where a list belongs is a TypeError naming the key."""
    if not spec:
        return
    _check_keys("filter", spec, ("categories", "exclude_categories", "category_column", "exclude", "only"))
    message.categories.extend(_strings("filter categories", spec.get("categories")))
    message.exclude_categories.extend(_strings("filter exclude_categories", spec.get("exclude_categories")))
    if spec.get("category_column"):
        message.category_column = spec["category_column"]
    message.exclude_items.extend(_ids("filter exclude", spec.get("exclude")))
    message.only_items.extend(_ids("filter only", spec.get("only")))


def _ranking(m, mmr, session, rules):
    """MMR (a lambda, or a dict lambda/similarity/pool_factor), session (dict items/weight/time/
    utc_offset_seconds) and rules (dict min_score/category_cap) of recommend and similar."""
    if mmr is not None:
        spec = mmr if isinstance(mmr, Mapping) else {"lambda": mmr}
        _check_keys("mmr", spec, ("lambda", "similarity", "pool_factor"))
        setattr(m.mmr, "lambda", spec.get("lambda", 0.7))  # `lambda` is a Python keyword
        m.mmr.similarity = spec.get("similarity", "")
        m.mmr.pool_factor = spec.get("pool_factor", 0)
    if session:
        _check_keys("session", session, ("items", "weight", "time", "utc_offset_seconds"))
        m.session.items.extend(_ids("session items", session.get("items")))
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
    r.search.vector.extend(_vector("search vector", vector))
    r.search.k = k
    r.search.ef = ef or 0
    r.search.nprobe = nprobe or 0
    _filter(filter, r.search.filter)
    r.search.features.extend(_strings("features", features))
    return r


def recommend_request(user=None, vector=None, k=10, candidates=None, filter=None, context=None, mmr=None,
                      include_seen=False, explain=False, features=None, ef=None, session=None, rules=None):
    """A `recommend` Request: for a user id, or for a taste vector."""
    if (user is None) == (vector is None):
        raise ValueError("recommend: give user or vector (exactly one)")
    r = pb.Request()
    m = r.recommend
    if user is not None:
        m.user.CopyFrom(_id(user, "recommend user"))
    else:
        m.vector.extend(_vector("recommend vector", vector))
    m.k = k
    m.candidates = candidates or 0
    _filter(filter, m.filter)
    m.context.update(_context(context))
    _ranking(m, mmr, session, rules)
    m.include_seen = include_seen
    m.explain = explain
    m.features.extend(_strings("features", features))
    m.ef = ef or 0
    return r


def similar_request(item, k=10, candidates=None, filter=None, context=None, mmr=None, explain=False,
                    features=None, ef=None, user=None, session=None, rules=None, include_seen=False):
    """A `similar` Request: items like `item` (the item itself is left out); with `user`, ranked
    with that user's history and features (its history left out unless include_seen)."""
    r = pb.Request()
    m = r.similar
    m.item.CopyFrom(_id(item, "similar item"))
    if user is not None:
        m.user.CopyFrom(_id(user, "similar user"))
    m.k = k
    m.candidates = candidates or 0
    _filter(filter, m.filter)
    m.context.update(_context(context))
    _ranking(m, mmr, session, rules)
    m.include_seen = include_seen
    m.explain = explain
    m.features.extend(_strings("features", features))
    m.ef = ef or 0
    return r


def _hits(results):
    return [Hit(_from_id(h.id), h.score, h.reason, {k: _from_feature(v) for k, v in h.features.items()},
                h.ann_score if h.HasField("ann_score") else None)
            for h in results.hits]


class Client:
    """Talks ann.v1 to `annctl serve` at `url` (tcp://host:port or ipc:///path).

    The constructor connects before it returns: it raises TransportError at once when the
    server refuses the connection (nothing listens there), and Timeout when no connection is
    made within `timeout`. Once connected, the socket redials in the background if the
    connection drops (a server restart is picked up; meanwhile calls raise Timeout).

    Every call waits at most `timeout` seconds (or its own `timeout=`; 0 gives up at once) and
    raises Timeout after; a server error reply raises the AnnError subclass of its code.
    """

    def __init__(self, url="tcp://127.0.0.1:7400", timeout=5.0):
        self.url = url
        self.timeout = _timeout("timeout", timeout)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        ms = int(timeout * 1000)
        # No resend: a request is answered once or times out (upsert is not idempotent).
        self._socket = pynng.Req0(recv_timeout=ms, send_timeout=ms, resend_time=-1)
        try:
            self._connect(url, timeout)
        except BaseException:
            self._socket.close()
            raise

    def _connect(self, url, timeout):
        """A blocking dial (it fails at once on a refused connection; NNG's dialer then keeps the
        connection up, redialling after a drop), bounded by `timeout`: a dial still waiting then
        (a host that drops packets, a peer that never completes the handshake) is cancelled."""
        outcome = []

        def dial():
            try:
                self._socket.dial(url, block=True)
            except Exception as e:  # noqa: BLE001 - handed to the constructor's thread below
                outcome.append(e)
            else:
                outcome.append(None)

        worker = threading.Thread(target=dial, name=f"annclient dial {url}", daemon=True)
        worker.start()
        worker.join(timeout)
        if not outcome:
            self._socket.close()  # cancels the dial
            worker.join(5)
            raise Timeout(f"dial {url}: no connection within {timeout} s")
        error = outcome[0]
        if isinstance(error, pynng.NNGException):
            raise TransportError(f"dial {url}: {error}") from error
        if error is not None:
            raise error

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
        session={"items": [...], "weight": 0.5, "time": epoch} (an unknown session item raises UnknownID),
        rules={"min_score": s, "category_cap": n}, context={"device": "mobile"} (str values),
        filter={"categories": ["c1"], "exclude": [id], "only": [id]}.
        List-valued options refuse a bare str (TypeError naming the option)."""
        r = recommend_request(user, vector, k, candidates, filter, context, mmr, include_seen, explain, features, ef,
                              session, rules)
        return _hits(self.call(r, timeout).results)

    def similar(self, item, k=10, candidates=None, filter=None, context=None, mmr=None, explain=False,
                features=None, ef=None, user=None, session=None, rules=None, include_seen=False, timeout=None):
        """Items similar to `item`, itself left out (options as recommend; with `user`, that user's
        history is left out unless include_seen)."""
        r = similar_request(item, k, candidates, filter, context, mmr, explain, features, ef, user, session, rules,
                            include_seen)
        return _hits(self.call(r, timeout).results)

    def batch(self, requests, timeout=None):
        """Several search/recommend/similar Requests (see *_request) in one message.

        Returns one entry per request, in order: a list of Hit, or the AnnError it failed with
        (not raised). An empty list is sent as an empty batch (answered with no replies)."""
        r = pb.Request()
        r.batch.SetInParent()  # an empty batch still names its op
        for i, sub in enumerate(_list("batch requests", requests)):
            if not isinstance(sub, pb.Request):
                raise TypeError(f"batch requests[{i}]: expected an ann.v1 Request (search_request, ...), "
                                f"got {type(sub).__name__}")
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
        epoch seconds. metric ("ip", "cosine", "l2"): the first upsert with vectors into an empty
        store fixes it for good (default ip; an upsert whose vectors are all users' must name it,
        else BadRequest). Nothing to write is a ValueError (not sent)."""
        r = pb.Request()
        r.upsert.SetInParent()
        for kind, target, records in (("items", r.upsert.items, items), ("users", r.upsert.users, users)):
            for n, rec in enumerate(_list(f"upsert {kind}", records)):
                what = f"upsert {kind}[{n}]"
                if not isinstance(rec, Mapping) or "id" not in rec:
                    raise TypeError(f"{what}: expected a dict with an id (and vector, features), got {rec!r}")
                m = target.add()
                m.id.CopyFrom(_id(rec["id"], f"{what} id"))
                m.vector.extend(_vector(f"{what} vector", rec.get("vector")))
                features = rec.get("features") or {}
                if not isinstance(features, Mapping):
                    raise TypeError(f"{what} features: expected a dict of name to value, got {features!r}")
                for name, value in features.items():
                    m.features[name].CopyFrom(_feature(value, f"{what} feature {name!r}"))
        for n, pair in enumerate(_list("upsert histories", histories)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"upsert histories[{n}]: expected a (user, [item or (item, time)]) pair, got {pair!r}")
            user, interactions = pair
            h = r.upsert.histories.add()
            h.user.CopyFrom(_id(user, f"upsert histories[{n}] user"))
            for entry in _list(f"upsert histories[{n}] interactions", interactions):
                item, time = entry if isinstance(entry, tuple) else (entry, None)
                i = h.interactions.add()
                i.item.CopyFrom(_id(item, f"upsert histories[{n}] item"))
                if time is not None:
                    i.time = int(time.timestamp()) if isinstance(time, datetime.datetime) else int(time)
        if not (r.upsert.items or r.upsert.users or r.upsert.histories):
            raise ValueError("upsert needs items, users or histories")
        if metric:
            r.upsert.metric = metric
        w = self.call(r, timeout).write
        return WriteResult(w.write_sequence, w.items, w.users, w.histories, list(w.new_item_columns),
                           list(w.new_user_columns))

    def delete(self, items=(), users=(), timeout=None):
        """Removes the vectors of items and users (they are never returned again). Nothing to
        delete is a ValueError (not sent)."""
        r = pb.Request()
        r.delete.SetInParent()
        r.delete.items.extend(_ids("delete items", items))
        r.delete.users.extend(_ids("delete users", users))
        if not (r.delete.items or r.delete.users):
            raise ValueError("delete needs items or users")
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
        raises the AnnError of an error reply. `timeout` (seconds; None: the client's) bounds
        the send and the wait for the reply."""
        wait = self.timeout if timeout is None else _timeout("timeout", timeout)
        if not request.request_id:
            request.request_id = next(self._ids)
        payload = request.SerializeToString()
        with self._lock:
            if timeout is not None:
                self._socket.recv_timeout = self._socket.send_timeout = int(wait * 1000)
            try:
                self._socket.send(payload)
                data = self._socket.recv()
            except pynng.Timeout as e:
                raise Timeout(f"no reply from {self.url} within {wait} s", request.request_id) from e
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
