# bench/resp.py: what the benchmarks' Python helpers share: a small RESP
# client over a unix socket (no redis module needed) and /proc readers.
import os
import socket


class R:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def cmd(self, *a):
        out = [b"*%d\r\n" % len(a)]
        for x in a:
            x = str(x).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(x), x))
        self.s.sendall(b"".join(out))
        return self.read()

    def read(self):
        l = self.f.readline()
        t, v = l[:1], l[1:-2]
        if t == b"+":
            return v.decode()
        if t == b"-":
            raise RuntimeError(v.decode())
        if t == b":":
            return int(v)
        if t == b"$":
            n = int(v)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode(errors="replace")
        if t == b"*":
            n = int(v)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad reply %r" % l)


def cpu_seconds(pid):
    """User + system CPU seconds of a process, 0 when it is gone."""
    try:
        f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0
