"""The pod-log writer of every backend (local, docker): a container's logs on disk and as events: `main.log`
(stdout and stderr in arrival order), `stdout.log`, `stderr.log` (each once its stream has output; file names
from argonb.rundir), and line events for the engine, none longer than `Stream.MAX_LINE` characters.

While only one stream has written, its file would be a byte-for-byte copy of `main.log`, so it is not written:
at the end it is made a hard link of `main.log` (one directory entry instead of a second copy on disk; file
creation is much of a short pod's disk work), however large the log. When the other stream starts, the first
stream's file is copied from `main.log` (which up to then holds exactly its bytes), in pieces, and from then on
both stream files are written as output arrives. Nothing is held in memory for this. Nothing in argonb reads the
stream files while the pod runs; `argonb logs -f` follows `main.log`, which is always written as it comes.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from argonb.engine.backend import LogSink
from argonb.rundir import log_file_name

RESULT_LIMIT = 256 * 1024  # outputs.result keeps the last 256 KiB (§5.3)
COPY_CHUNK = 1 << 20  # the first stream's file is copied from main.log in pieces of this size
_LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)


class RawLog:
    """An append-only log file written straight to its descriptor: one syscall to open (unless `eager`, on the
    first write), no buffering, so `argonb logs -f` sees lines as they arrive. A missing pod directory is
    created."""

    __slots__ = ("fd", "path")

    def __init__(self, path: str, eager: bool = False):
        self.path = path
        self.fd = -1
        if eager:
            self.open()

    def open(self) -> None:
        try:
            self.fd = os.open(self.path, _LOG_FLAGS, 0o666)
        except FileNotFoundError:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, _LOG_FLAGS, 0o666)

    def write(self, data: bytes) -> None:
        if self.fd < 0:
            self.open()
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except OSError as exc:  # "No space left on device" says which file (the node's message shows it)
            raise OSError(exc.errno, exc.strerror, self.path) from None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class PodLogs:
    """The three files of one container (`<prefix>stdout.log`, `<prefix>stderr.log`, `<log_name>.log`)."""

    def __init__(self, pod_dir: str, log_name: str = "main", eager: bool = True):
        self.combined = RawLog(f"{pod_dir}/{log_file_name(log_name)}", eager=eager)
        self.files = {name: RawLog(f"{pod_dir}/{log_file_name(log_name, name)}") for name in ("stdout", "stderr")}
        self.live = False  # both stream files are written as output arrives
        self.wrote: set[str] = set()
        self.base = 0  # bytes main.log held before this container (a pod directory used again by a retry)

    def write(self, stream: str, chunk: bytes) -> None:
        if not self.wrote:
            self.base = _size(self.combined)
        elif not self.live and stream not in self.wrote:
            self._go_live()  # before this chunk: main.log past `base` holds exactly the first stream's bytes
        self.combined.write(chunk)
        self.wrote.add(stream)
        if self.live:
            self.files[stream].write(chunk)

    def _go_live(self) -> None:
        """Give the one stream that wrote so far its own file, a copy of `main.log` as it is now."""
        self.live = True
        if len(self.wrote) == 1:
            (stream,) = self.wrote
            _copy_into(self.combined.path, self.files[stream], self.base)

    def close(self) -> None:
        """Close everything; `main.log` exists afterwards even for a pod that printed nothing."""
        if self.combined.fd < 0:
            self.combined.open()
        self.combined.close()
        if not self.live and len(self.wrote) == 1:
            (stream,) = self.wrote
            try:
                if self.base:  # main.log holds an earlier attempt too: the stream file gets this one's bytes
                    raise FileExistsError
                os.link(self.combined.path, self.files[stream].path)
            except OSError:  # no hard links here, or the name is taken
                self._go_live()
        for f in self.files.values():
            f.close()


def _copy_into(source: str, dest: RawLog, start: int) -> None:
    """Append `source` from `start` to its present end (and no further) to `dest`, COPY_CHUNK bytes at a time.
    A `dest` that is `source` itself (the hard link an earlier attempt left in the same pod directory) first
    becomes a file of its own holding all of it, so that nothing lands in `main.log` twice."""
    if dest.fd < 0 and _same_file(source, dest.path):
        os.unlink(dest.path)
        start = 0
    try:
        fh = open(source, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return
    with fh:
        left = os.fstat(fh.fileno()).st_size - start
        fh.seek(start)
        while left > 0 and (chunk := fh.read(min(COPY_CHUNK, left))):
            dest.write(chunk)
            left -= len(chunk)


def _size(log: RawLog) -> int:
    try:
        return os.fstat(log.fd).st_size if log.fd >= 0 else os.stat(log.path).st_size
    except OSError:
        return 0


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


class Stream:
    """Incremental UTF-8 line splitter for one stream: raw bytes to the pod's logs, bounded line events to
    `on_log` (no event is longer than MAX_LINE characters, whatever the backend), and the last bytes of the
    stream (`tail_limit` of them: stdout's become `outputs.result`)."""

    MAX_LINE = 64 * 1024

    def __init__(self, name: str, logs: PodLogs, on_log: LogSink, tail_limit: int = 0):
        self.name = name
        self.logs = logs
        self.on_log = on_log
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""
        self.tail = bytearray()
        self.tail_limit = tail_limit
        self.count = 0  # bytes fed so far (docker reads again what its follow-stream missed)

    def feed(self, chunk: bytes) -> None:
        self.logs.write(self.name, chunk)
        self.count += len(chunk)
        if self.tail_limit:
            self.tail += chunk
            if len(self.tail) > 2 * self.tail_limit:
                del self.tail[: len(self.tail) - self.tail_limit]
        text = self.pending + self.decoder.decode(chunk)
        lines = text.split("\n")
        self.pending = lines.pop()
        for line in lines:
            if len(line) > self.MAX_LINE:
                self._emit_long(line)
            else:
                self.on_log(self.name, line)
        while len(self.pending) > self.MAX_LINE:  # a huge line without newline: emitted in MAX_LINE pieces
            self.on_log(self.name, self.pending[: self.MAX_LINE])
            self.pending = self.pending[self.MAX_LINE:]

    def _emit_long(self, line: str) -> None:
        """A line longer than MAX_LINE goes out in MAX_LINE pieces: every log event stays bounded."""
        for start in range(0, len(line), self.MAX_LINE):
            self.on_log(self.name, line[start:start + self.MAX_LINE])

    def close(self) -> None:
        """Emit the last partial line (the files are closed by `PodLogs.close`)."""
        rest = self.pending + self.decoder.decode(b"", final=True)
        if rest:
            self._emit_long(rest)
        self.pending = ""
        if len(self.tail) > self.tail_limit:
            del self.tail[: len(self.tail) - self.tail_limit]


def labelled(on_log: LogSink, label: str | None) -> LogSink:
    """`on_log` itself, or one that reports every line under `label` (`init:<name>`, `sidecar:<name>`)."""
    if label is None:
        return on_log
    return lambda _stream, line: on_log(label, line)


def open_streams(pod_dir: str, on_log: LogSink, log_name: str = "main", eager: bool = True, *,
                 label: str | None = None, stderr_tail: int = 0) -> tuple[PodLogs, dict[str, Stream]]:
    """The one pod-log writer of every backend: one container's files (`PodLogs`) and its two line splitters.
    stdout keeps the last RESULT_LIMIT bytes (`outputs.result`), stderr the last `stderr_tail` bytes."""
    logs = PodLogs(pod_dir, log_name, eager)
    emit = labelled(on_log, label)
    return logs, {"stdout": Stream("stdout", logs, emit, RESULT_LIMIT),
                  "stderr": Stream("stderr", logs, emit, stderr_tail)}
