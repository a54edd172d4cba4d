"""Hypothesis strategies for raw HTTP/1.1 requests, for the protocol fuzz (test_protocol_fuzz.py).

Each part (method, target, version, separators, header names and values, line ends) is usual most of the time
and odd some of the time (NUL, DEL, bytes over 0x7F, bare CR or LF, folding, no separator, lower case, unknown
versions): a request made only of odd parts is refused at its first byte and nothing behind it is tried. Every
request ends with `Connection: close` and an empty line, so the server closes after its answer.
"""

from hypothesis import strategies as st

HOST = b"Host: 127.0.0.1\r\n"


def bytes_of(alphabet: bytes, max_size: int, min_size: int = 0) -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from([bytes([byte]) for byte in alphabet]), min_size=min_size, max_size=max_size).map(
        b"".join
    )


def mostly(
    usual: st.SearchStrategy[bytes], odd: st.SearchStrategy[bytes], one_in: int = 10
) -> st.SearchStrategy[bytes]:
    """`odd` one time in `one_in`: a request with many odd parts is refused at the first, and nothing past it is
    tried; about half of the requests are HTTP the parser takes, for the application to answer."""
    return st.integers(1, one_in).flatmap(lambda n: odd if n == 1 else usual)


TOKEN = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"
VISIBLE = bytes(range(0x21, 0x7F))
ODD = b'\x00\t\x0b\r\n\x7f\x80\xc3\xa9\xff "(),/:;<=>?@[\\]{}'
methods = mostly(
    st.sampled_from([b"GET"] * 8 + [b"HEAD", b"OPTIONS", b"TRACE", b"DELETE", b"CONNECT", b"PROPFIND"]),
    st.sampled_from([b"PRI", b"get", b"", b"GET GET"]) | bytes_of(TOKEN + ODD, 12),
)
targets = mostly(
    st.builds(
        bytes.__add__,
        st.sampled_from([b"/", b"/search?q=", b"/suggest?prefix=", b"/documents/", b"http://127.0.0.1/search?q="]),
        bytes_of(TOKEN + b"/?=&%", 30),
    ),
    st.sampled_from([b"*", b"example.com:443", b"//x", b""]) | bytes_of(VISIBLE + ODD, 40),
)
versions = mostly(
    st.sampled_from([b"HTTP/1.1"] * 4 + [b"HTTP/1.0"]),
    st.sampled_from([b"HTTP/0.9", b"HTTP/2.0", b"http/1.1", b"HTTP/11", b"HTTP/1.1 ", b""]),
)
names = mostly(
    st.sampled_from(
        [
            *(b"Content-Length", b"Transfer-Encoding", b"Connection", b"Upgrade", b"Expect", b"X-Request-ID"),
            *(b"X-Forwarded-For", b"X-Forwarded-Proto", b"Origin", b"Authorization", b"X-API-Key", b"Host"),
            *(b"HTTP2-Settings", b"Sec-WebSocket-Key", b"Accept-Encoding", b"Range", b"Cookie"),
        ]
    )
    | bytes_of(TOKEN, 12, min_size=1),
    bytes_of(TOKEN + ODD, 12),
    one_in=40,
)
values = mostly(
    st.sampled_from(
        [
            *(b"127.0.0.1", b"0", b"5", b"chunked", b"gzip, chunked", b"upgrade", b"close", b"keep-alive"),
            *(b"websocket", b"h2c", b"100-continue", b"Bearer x", b"https", b"null", b"1.2.3.4, ::1", b"bytes=0-"),
        ]
    )
    | bytes_of(VISIBLE + b" \t\x80\xc3\xa9\xff", 40),
    bytes_of(VISIBLE + ODD, 40),
    one_in=40,
)
line_ends = mostly(st.just(b"\r\n"), st.sampled_from([b"\n", b"\r", b"\r\n ", b"\r\n\t"]), one_in=40)
spaces = mostly(st.just(b" "), st.sampled_from([b"  ", b"\t", b""]), one_in=20)
headers = st.lists(st.tuples(names, spaces, values, line_ends), max_size=6)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """A request line and headers of odd parts, closed by `Connection: close` and an empty line, perhaps a body."""
    line = draw(methods) + draw(spaces) + draw(targets) + draw(spaces) + draw(versions) + draw(line_ends)
    host = HOST if draw(st.booleans()) else b""
    fields = b"".join(name + b":" + space + value + end for name, space, value, end in draw(headers))
    body = draw(mostly(st.just(b""), st.binary(max_size=24)))
    return line + host + fields + b"Connection: close\r\n\r\n" + body
