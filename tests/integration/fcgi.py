"""A minimal FastCGI client (responder role, one request per connection),
for talking to envint without a web server in between: the inherited-fd
and TCP listening modes."""
import socket
import struct

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6


def _record(rtype, content, req_id=1):
    return struct.pack(">BBHHBx", 1, rtype, req_id, len(content), 0) + content


def _nv(name, value):
    out = b""
    for s in (name, value):
        n = len(s)
        out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return out + name + value


def request(address, params, body=b"", timeout=10):
    """Sends one request; returns (status, headers dict, body bytes)."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(address)
        msg = _record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))
        p = b"".join(_nv(k.encode(), v.encode()) for k, v in params.items())
        msg += _record(FCGI_PARAMS, p) + _record(FCGI_PARAMS, b"")
        if body:
            msg += _record(FCGI_STDIN, body)
        msg += _record(FCGI_STDIN, b"")
        s.sendall(msg)
        out = b""
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 8:
                _, rtype, _, clen, plen = struct.unpack(">BBHHB", buf[:7])
                if len(buf) < 8 + clen + plen:
                    break
                content = buf[8:8 + clen]
                buf = buf[8 + clen + plen:]
                if rtype == FCGI_STDOUT:
                    out += content
                elif rtype == FCGI_END_REQUEST:
                    return _parse(out)
        return _parse(out)


def _parse(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode().split("\r\n"):
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    status = int(headers.get("status", "200").split()[0])
    return status, headers, body
