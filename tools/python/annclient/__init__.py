"""Python client of annserver's ann.v1 protocol (NNG request-reply, protobuf).

    from annclient import Client
    with Client("tcp://127.0.0.1:7400", timeout=2.0) as c:
        for hit in c.recommend(user="u42", k=10):
            print(hit.id, hit.score)

Errors: AnnError and one subclass per server error code (BadRequest, UnknownId,
DimensionMismatch, LimitExceeded, NotReady, InternalError), plus Timeout and TransportError.
"""

from .client import (Client, Hit, WriteResult, recommend_request, search_request,  # noqa: F401
                     similar_request)
from .errors import (AnnError, BadRequest, DimensionMismatch, InternalError, LimitExceeded,  # noqa: F401
                     NotReady, Timeout, TransportError, UnknownId)
from . import ann_v1_pb2 as pb  # noqa: F401
