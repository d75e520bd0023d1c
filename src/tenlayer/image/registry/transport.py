"""HTTP plumbing shared by the registry client and the token flow.

- `ResponseStream` turns a streamed httpx response into the `read(n)` file object the layer
  readers expect. It reads the raw body: layer blobs are already compressed, and the digest
  covers the bytes as stored, so a `Content-Encoding` a proxy might add must not be undone.
- `transport_error` turns httpx's exceptions into one-line `EnvironmentProblem`s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tenlayer.errors import EnvironmentProblem

if TYPE_CHECKING:
    import httpx


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


def transport_error(
    error: Exception, *, context: str, host: str, timeout: float | None
) -> EnvironmentProblem:
    """One line for a failed exchange with `host`: refused, timed out, TLS, dropped."""
    import httpx

    if isinstance(error, httpx.TimeoutException):
        limit = f"{timeout:g} s" if timeout is not None else "the timeout"
        return EnvironmentProblem(f"{context}: {host} did not answer within {limit}")
    text = one_line(error)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        why = text.split("certificate verify failed:", 1)[-1].split("(_ssl")[0].strip()
        return EnvironmentProblem(
            f"{context}: TLS certificate of {host} is not trusted ({why}); add its CA to "
            "SSL_CERT_FILE, or pass --insecure"
        )
    if isinstance(error, httpx.ConnectError):
        if "refused" in text.lower():
            text = "connection refused"
        return EnvironmentProblem(f"{context}: cannot connect to {host} ({text})")
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError):
        return EnvironmentProblem(f"{context}: connection to {host} broke ({text})")
    return EnvironmentProblem(f"{context}: exchange with {host} failed ({text})")


def read_limited(response: httpx.Response, limit: int, *, raw: bool = False) -> bytes | None:
    """The body, or None as soon as it is longer than `limit` bytes.

    `raw` for registry content (manifests, blobs: digests cover the bytes as sent); decoded
    for everything else (token answers, error documents).
    """
    pieces = []
    total = 0
    for chunk in response.iter_raw() if raw else response.iter_bytes():
        total += len(chunk)
        if total > limit:
            return None
        pieces.append(chunk)
    return b"".join(pieces)


class ResponseStream:
    """`read(n)` over the raw body of a streamed response; closes it at the end.

    Reads may return fewer bytes than asked (as raw files do); only `b""` means the end.
    A broken connection or a stalled server becomes an `EnvironmentProblem`.
    """

    def __init__(
        self, response: httpx.Response, *, context: str, host: str, timeout: float | None
    ) -> None:
        self._response = response
        self._chunks: Iterator[bytes] = response.iter_raw()
        self._buffer = memoryview(b"")
        self._context = context
        self._host = host
        self._timeout = timeout
        self._done = False

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            pieces = [bytes(self._buffer)]
            self._buffer = memoryview(b"")
            while chunk := self._next():
                pieces.append(chunk)
            return b"".join(pieces)
        if n == 0:
            return b""
        if not self._buffer:
            chunk = self._next()
            if not chunk:
                return b""
            if len(chunk) <= n:
                return chunk
            self._buffer = memoryview(chunk)
        data = bytes(self._buffer[:n])
        self._buffer = self._buffer[n:]
        return data

    def _next(self) -> bytes:
        if self._done:
            return b""
        import httpx

        try:
            for chunk in self._chunks:
                if chunk:
                    return chunk
        except httpx.HTTPError as error:
            self.close()
            raise transport_error(
                error, context=self._context, host=self._host, timeout=self._timeout
            ) from None
        self.close()
        return b""

    def close(self) -> None:
        self._done = True
        self._response.close()
