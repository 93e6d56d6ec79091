"""Typed errors of the ann.v1 client: one class per server error code, plus Timeout."""

from . import ann_v1_pb2 as pb


class AnnError(Exception):
    """An error reply from the server (or a transport failure: see Timeout, TransportError)."""

    code = None  # the ann.v1 ErrorCode number

    def __init__(self, message, request_id=0):
        super().__init__(message)
        self.message = message
        self.request_id = request_id

    @property
    def code_name(self):
        return pb.ErrorCode.Name(self.code) if self.code is not None else type(self).__name__


class BadRequest(AnnError):
    """Malformed message, missing or contradictory fields, non-finite numbers."""
    code = pb.BAD_REQUEST


class UnknownId(AnnError):
    """An item or user the store does not know (or that has no vector)."""
    code = pb.UNKNOWN_ID


class DimensionMismatch(AnnError):
    """A vector whose length is not the store's dimension."""
    code = pb.DIMENSION_MISMATCH


class LimitExceeded(AnnError):
    """k, candidates, batch size, record count, vector length or message size over a limit."""
    code = pb.LIMIT_EXCEEDED


class NotReady(AnnError):
    """The store holds no data yet, or the server is shutting down."""
    code = pb.NOT_READY


class InternalError(AnnError):
    """A fault of the server (it logged it); the request may be retried."""
    code = pb.INTERNAL


class Timeout(AnnError, TimeoutError):
    """No reply within the timeout (server down or restarting, overloaded, or message dropped),
    or, when a Client connects, no connection within it (a peer that never answers)."""


class TransportError(AnnError):
    """The socket failed: the connection refused when a Client connects (nothing listens at the
    url; raised by the constructor at once), the socket closed, or a message refused. After the
    constructor, a server that goes away gives Timeout (the socket redials in the background)."""


BY_CODE = {cls.code: cls for cls in (BadRequest, UnknownId, DimensionMismatch, LimitExceeded, NotReady, InternalError)}


def from_reply(error, request_id=0):
    """The exception for an ann.v1 Error message."""
    cls = BY_CODE.get(error.code, InternalError)
    return cls(error.message, request_id)
