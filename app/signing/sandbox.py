"""The offline check of an uploaded PDF, in a short-lived child process with hard limits.

A crafted PDF can make a parser allocate gigabytes or loop; the child gets an address-space
and CPU limit, a wall-clock deadline after which it is killed, and at most MAX_CHILDREN run at
once. Only a small JSON verdict comes back, so nothing the file did can reach the web worker.

Child: `python -m app.signing.sandbox [--root ROOT] [--crl CRL]` reads the PDF on stdin and writes
to stdout (a file) {"verdict": Verdict.to_json()} or {"refused": [code, message]}."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from app.rules.errors import Refused, refuse
from app.signing.evidence import MAX_UPLOAD, TOO_COMPLEX
from app.signing.proof import Verdict, check_file, der_certificate, der_crl

MEMORY_BYTES = 512 * 1024 * 1024  # RLIMIT_AS; an honest check needs ~50 MB of address space
CPU_SECONDS = 5
WALL_SECONDS = 8
MAX_CHILDREN = 2
QUEUE_SECONDS = 10  # a check waits at most this long for a free slot, then is refused as busy
MAX_RESULT = 512 * 1024
ROOT = Path(__file__).resolve().parents[2]
CHILD = [sys.executable, "-m", "app.signing.sandbox"]

FAILED = ("verify.failed", "核验程序异常终止，文件无法核验：不是本系统出具的决定书，或文件已损坏")
_slots = threading.BoundedSemaphore(MAX_CHILDREN)


def limit_resources() -> None:
    """For the process that parses the file (the child, or the offline CLI)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no dump of a hostile file's memory


def check(pdf: bytes, root: Path | None = None, crl: Path | None = None) -> Verdict:
    """The verdict of app.signing.proof, from a child process; Refused for everything else.
    `root` and `crl`: files the child reads (the bureau's root certificate, its newest CRL)."""
    if len(pdf) > MAX_UPLOAD:  # checked in the child too; here it saves spawning one
        raise refuse("verify.too_large", "文件过大：决定书 PDF 不超过 2 MB")
    if not _slots.acquire(timeout=QUEUE_SECONDS):
        raise refuse("verify.busy", "核验服务繁忙，请稍后再试")
    args = [*(["--root", str(root)] if root else []), *(["--crl", str(crl)] if crl else [])]
    try:
        out, returncode = _run_child(pdf, args)
    finally:
        _slots.release()
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise refuse("verify.timeout", "核验超时：文件过于复杂，已停止处理")
    result = _result(out) if returncode == 0 else None
    if result is None:
        raise refuse(*FAILED)
    if "refused" in result:
        raise refuse(*result["refused"])
    return Verdict.from_json(result["verdict"])


def _run_child(pdf: bytes, args: list[str]) -> tuple[bytes, int]:
    # The answer goes to a file, not a pipe: however much a child writes, we read MAX_RESULT + 1.
    with tempfile.TemporaryFile() as answer:
        proc = subprocess.Popen(CHILD + args, cwd=ROOT, stdin=subprocess.PIPE, stdout=answer,
                                stderr=subprocess.DEVNULL)
        try:
            proc.communicate(pdf, timeout=WALL_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise refuse("verify.timeout", "核验超时：文件过于复杂，已停止处理")
        answer.seek(0)
        return answer.read(MAX_RESULT + 1), proc.returncode


def _strings(value, allow_none: bool = False) -> bool:
    return (allow_none and value is None) or (isinstance(value, list) and all(isinstance(x, str) for x in value))


def _result(out: bytes) -> dict | None:
    """The child's JSON, if it has exactly the expected small shape."""
    if len(out) > MAX_RESULT:
        return None
    try:
        result = json.loads(out)
    except ValueError:
        return None
    if not isinstance(result, dict):
        return None
    if set(result) == {"refused"}:
        refused = result["refused"]
        ok = (isinstance(refused, list) and len(refused) == 2 and all(isinstance(x, str) for x in refused)
              and refused[0].startswith("verify."))
        return result if ok else None
    verdict = result.get("verdict")
    if set(result) != {"verdict"} or not isinstance(verdict, dict) or set(verdict) != VERDICT_FIELDS:
        return None
    checks, approver = verdict["checks"], verdict["approver"]
    if (type(verdict["version"]) is int and isinstance(verdict["payload"], str)
            and type(verdict["chain_checked"]) is bool and _strings(verdict["notes"])
            and (approver is None or (isinstance(approver, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in approver.items())))
            and isinstance(checks, list) and all(isinstance(c, list) and len(c) == 3 and isinstance(c[0], str)
                                                 and type(c[1]) is bool and isinstance(c[2], str) for c in checks)):
        return result
    return None


VERDICT_FIELDS = {"version", "checks", "payload", "chain_checked", "approver", "notes"}


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


def _child(argv: list[str]) -> None:
    limit_resources()
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_RESULT, MAX_RESULT))  # its only file: the answer
    options = dict(zip(argv[::2], argv[1::2]))
    pdf = sys.stdin.buffer.read(MAX_UPLOAD + 1)
    try:
        root = _read(options.get("--root"))
        crl = _read(options.get("--crl"))
        verdict = check_file(pdf, der_certificate(root) if root else None, der_crl(crl) if crl else None)
        result = {"verdict": verdict.to_json()}
    except Refused as exc:
        result = {"refused": [exc.code, exc.message]}
    except MemoryError:
        result = {"refused": list(TOO_COMPLEX)}
    sys.stdout.write(json.dumps(result))  # ASCII-only JSON: no encoding question
    sys.stdout.flush()


if __name__ == "__main__":
    _child(sys.argv[1:])
