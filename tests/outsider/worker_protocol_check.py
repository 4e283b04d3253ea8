#!/usr/bin/env python3
"""An outsider's check of the worker protocol, from docs/worker-protocol.md alone.

Written in Python with the standard library only (no gRPC, no C#): Keccak-256, secp256k1 with
RFC 6979 nonces, EIP-191, and the canonical result archive are implemented here from the
document's rules, then compared with the values the document states (docs/golden/).

    python3 tests/outsider/worker_protocol_check.py          # check (exit 1 on any difference)
    python3 tests/outsider/worker_protocol_check.py --write  # regenerate the golden values from their inputs

scripts/test.sh runs the check; the .NET tests check that the product reproduces the same values.
"""
import hashlib
import hmac
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN = os.path.join(ROOT, "docs", "golden")

# --- Keccak-256 (Ethereum's: the original Keccak padding 0x01, not SHA3-256's 0x06) -----------
_RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
       0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
       0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
       0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
       0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_M = (1 << 64) - 1


def _keccak_f(a):
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & _M) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                r = _ROT[x][y]
                b[y][(2 * x + 3 * y) % 5] = ((a[x][y] << r) | (a[x][y] >> (64 - r))) & _M if r else a[x][y]
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data: bytes) -> bytes:
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 1) % rate)
    padded[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(padded), rate):
        block = padded[off:off + rate]
        for i in range(rate // 8):
            a[i % 5][i // 5] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = _keccak_f(a)
    return b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


# --- secp256k1, RFC 6979 deterministic signatures, low s, v = 27 + recovery id --------------------
P = 2 ** 256 - 2 ** 32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % P == 0:
        return None
    if p == q:
        lam = 3 * p[0] * p[0] * pow(2 * p[1], -1, P) % P
    else:
        lam = (q[1] - p[1]) * pow(q[0] - p[0], -1, P) % P
    x = (lam * lam - p[0] - q[0]) % P
    return x, (lam * (p[0] - x) - p[1]) % P


def _mul(k, p=G):
    result = None
    while k:
        if k & 1:
            result = _add(result, p)
        p = _add(p, p)
        k >>= 1
    return result


def address_of(private_key: bytes) -> bytes:
    x, y = _mul(int.from_bytes(private_key, "big"))
    return keccak256(x.to_bytes(32, "big") + y.to_bytes(32, "big"))[12:]


def _rfc6979(d: int, h: bytes):
    x = d.to_bytes(32, "big")
    h1 = (int.from_bytes(h, "big") % N).to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h1, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h1, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        candidate = int.from_bytes(v, "big")
        if 1 <= candidate < N:
            yield candidate
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign_digest(digest: bytes, private_key: bytes) -> bytes:
    """65 bytes r ‖ s ‖ v over a 32-byte digest, as Ethereum signs."""
    d = int.from_bytes(private_key, "big")
    z = int.from_bytes(digest, "big")
    for k in _rfc6979(d, digest):
        rx, ry = _mul(k)
        r = rx % N
        s = pow(k, -1, N) * (z + r * d) % N
        if r == 0 or s == 0:
            continue
        recovery = (ry & 1) | (2 if rx >= N else 0)
        if s > N // 2:
            s, recovery = N - s, recovery ^ 1
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recovery])


def eip191(message: bytes) -> bytes:
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


# --- The canonical result archive ------------------------------------------------------------------
def _octal(value: int, width: int) -> bytes:
    """width-1 octal digits, zero-padded, then NUL (zero too: "0000000\\0")."""
    return format(value, "0%do" % (width - 1)).encode() + b"\x00"


def _split(name: bytes):
    if len(name) <= 100:
        return b"", name
    cut = name.rfind(b"/")
    prefix, rest = (name[:cut], name[cut + 1:]) if cut >= 1 else (b"", name)
    if len(prefix) > 155 or len(rest) > 100:
        raise ValueError("path too long for ustar: %r" % name)
    return prefix, rest


def tar_header(name: bytes, size: int, directory: bool, executable: bool) -> bytes:
    prefix, short = _split(name)
    h = bytearray(512)
    h[0:len(short)] = short
    h[100:108] = b"0000755\x00" if directory or executable else b"0000644\x00"
    h[108:116] = _octal(0, 8)  # uid
    h[116:124] = _octal(0, 8)  # gid
    h[124:136] = _octal(size, 12)
    h[136:148] = b"00000000000\x00"  # mtime 0
    h[156:157] = b"5" if directory else b"0"
    h[257:263] = b"ustar\x00"
    h[263:265] = b"00"
    # uname (265), gname (297), devmajor (329), devminor (337): all NUL
    h[345:345 + len(prefix)] = prefix
    checksum = sum(h) + 8 * ord(" ")
    h[148:156] = format(checksum, "06o").encode() + b"\x00 "
    return bytes(h)


def canonical_tar(entries) -> bytes:
    """entries: (name, content bytes or None for a directory, executable); sorted here by UTF-8 bytes."""
    out = bytearray()
    for name, content, executable in sorted(entries, key=lambda e: e[0]):
        directory = content is None
        out += tar_header(name, 0 if directory else len(content), directory, executable)
        if not directory:
            out += content + b"\x00" * (-len(content) % 512)
    return bytes(out + b"\x00" * 1024)


def case_entries(case, under=""):
    """The archive entries of a golden case (or of its sub-path `under`, for the result digest)."""
    entries = []
    for e in case["entries"]:
        path = e["path"]
        if under:
            if not path.startswith(under + "/") or path == under + "/":
                continue
            path = path[len(under) + 1:]
        if path.endswith("/"):
            entries.append((path.encode(), None, False))
        else:
            entries.append((path.encode(), e.get("content", "").encode(), e.get("executable", False)))
    return entries


# --- The checks -------------------------------------------------------------------------------------
FAILURES = []


def expect(what, actual, expected):
    if actual != expected:
        FAILURES.append("%s: computed %s, the document says %s" % (what, actual, expected))


def hx(b: bytes) -> str:
    return "0x" + b.hex()


def unhex(s: str) -> bytes:
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


def check_signatures():
    with open(os.path.join(GOLDEN, "worker-protocol-vectors.json"), encoding="utf-8") as f:
        doc = json.load(f)
    keys = {name: unhex(k["privateKey"]) for name, k in doc["keys"].items()}
    for name, k in doc["keys"].items():
        expect("address of key " + name, hx(address_of(keys[name])), k["address"].lower())
    ids = doc["ids"]
    deal, index, digest = unhex(ids["dealId"]), ids["index"], unhex(ids["resultDigest"])
    worker = unhex(doc["keys"]["worker"]["address"])
    task = keccak256(deal + index.to_bytes(32, "big"))
    expect("taskId", hx(task), ids["taskId"])
    result_hash = keccak256(task + digest)
    expect("resultHash", hx(result_hash), ids["resultHash"])
    result_seal = keccak256(worker + task + digest)
    expect("resultSeal", hx(result_seal), ids["resultSeal"])

    for v in doc["signatures"]:
        kind = v["name"]
        message = vector_message(v, worker, task, result_hash, result_seal)
        if message is None:
            FAILURES.append("unknown signed message " + kind)
            continue
        expect(kind + " message", hx(message), v["message"])
        digest_signed = message if v["scheme"] == "raw" else eip191(message)
        expect(kind + " signed digest", hx(digest_signed), v["signedDigest"])
        expect(kind + " signature", hx(sign_digest(digest_signed, keys[v["signer"]])), v["signature"])


def check_archives(write: bool):
    directory = os.path.join(GOLDEN, "archives")
    with open(os.path.join(directory, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases["cases"]:
        archive = canonical_tar(case_entries(case))
        path = os.path.join(directory, case["name"] + ".tar")
        digest_under = case.get("deterministicOutputPath", "")
        result = hashlib.sha256(canonical_tar(case_entries(case, digest_under)) if digest_under else archive).hexdigest()
        if write:
            with open(path, "wb") as f:
                f.write(archive)
            case["archiveSha256"], case["resultDigest"] = "0x" + hashlib.sha256(archive).hexdigest(), "0x" + result
            continue
        with open(path, "rb") as f:
            expect(case["name"] + ".tar bytes", archive == f.read(), True)
        expect(case["name"] + " archive SHA-256", "0x" + hashlib.sha256(archive).hexdigest(), case["archiveSha256"])
        expect(case["name"] + " result digest", "0x" + result, case["resultDigest"])
    if write:
        with open(os.path.join(directory, "cases.json"), "w", encoding="utf-8") as f:
            json.dump(cases, f, indent=2, ensure_ascii=False)
            f.write("\n")



# The signed messages, once: the checks, the vector writer and the outsider gRPC worker all use these.
def session_message(pool: bytes, chain_id: int, certificate_sha256: bytes, challenge: bytes) -> bytes:
    """Proof.signature's message: prefix, pool address, uint256 chain id, TLS certificate SHA-256 (zeros over plaintext), challenge (147 bytes)."""
    return b"orchestrator.worker.v1/session:" + pool + chain_id.to_bytes(32, "big") + certificate_sha256 + challenge


def contribution_message(task: bytes, result_hash: bytes, result_seal: bytes) -> bytes:
    return keccak256(task + result_hash + result_seal)


def tee_contribution_message(result_hash: bytes, result_seal: bytes) -> bytes:
    return keccak256(result_hash + result_seal)


def upload_message(task: bytes, archive_sha256: bytes) -> bytes:
    return b"orchestrator.worker.v1/upload:" + task + archive_sha256


def secret_fetch_message(worker: bytes, task: bytes, issued_at_unix_seconds: int, session_id: str) -> bytes:
    return keccak256(b"orchestrator.sms.fetch.v1" + worker + task + issued_at_unix_seconds.to_bytes(8, "big") + session_id.encode())


def vector_message(v, worker, task, result_hash, result_seal):
    """The message a vector of the golden file signs, or None for an unknown kind."""
    builders = {
        "session": lambda: session_message(unhex(v["poolAddress"]), v["chainId"], unhex(v["tlsCertificateSha256"]), unhex(v["challenge"])),
        "contribution": lambda: contribution_message(task, result_hash, result_seal),
        "tee-contribution": lambda: tee_contribution_message(result_hash, result_seal),
        "upload": lambda: upload_message(task, unhex(v["archiveSha256"])),
        "secret-fetch": lambda: secret_fetch_message(worker, task, v["issuedAtUnixSeconds"], v["sessionId"]),
    }
    build = builders.get(v["name"])
    return build() if build else None


def write_signatures():
    """Recomputes every derived value of the vectors file from its inputs (keys, ids, nonces)."""
    path = os.path.join(GOLDEN, "worker-protocol-vectors.json")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    with open(os.path.join(GOLDEN, "archives", "cases.json"), encoding="utf-8") as f:
        one = next(c for c in json.load(f)["cases"] if c["name"] == "one-file")
    keys = {name: unhex(k["privateKey"]) for name, k in doc["keys"].items()}
    for name, k in doc["keys"].items():
        k["address"] = checksum_address(address_of(keys[name]))
    ids = doc["ids"]
    ids["resultDigest"] = one["resultDigest"]
    deal, digest, worker = unhex(ids["dealId"]), unhex(ids["resultDigest"]), address_of(keys["worker"])
    task = keccak256(deal + ids["index"].to_bytes(32, "big"))
    result_hash, result_seal = keccak256(task + digest), keccak256(worker + task + digest)
    ids.update(taskId=hx(task), resultHash=hx(result_hash), resultSeal=hx(result_seal))
    for v in doc["signatures"]:
        if v["name"] == "upload":
            v["archiveSha256"] = one["archiveSha256"]
        message = vector_message(v, worker, task, result_hash, result_seal)
        signed = message if v["scheme"] == "raw" else eip191(message)
        v.update(message=hx(message), signedDigest=hx(signed), signature=hx(sign_digest(signed, keys[v["signer"]])))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def checksum_address(address: bytes) -> str:
    digits = address.hex()
    h = keccak256(digits.encode()).hex()
    return "0x" + "".join(c.upper() if int(h[i], 16) >= 8 else c for i, c in enumerate(digits))


def main():
    write = "--write" in sys.argv[1:]
    check_archives(write)
    if write:
        write_signatures()
    else:
        check_signatures()
    for failure in FAILURES:
        print("MISMATCH " + failure)
    print("worker protocol: %s" % ("golden values written" if write else "%d mismatches" % len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
